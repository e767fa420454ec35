"""Score any agent against the exact Bayes-optimal agent: :func:`score` and :class:`ScoreReport`.

The comparison follows Mikulik et al., "Meta-trained agents implement Bayes-optimal agents"
(NeurIPS 2020), section 4: behaviour is compared by return and regret, and by the divergence
between the agent's and the Bayes-optimal agent's outputs *along the agent's own trajectory*.

How a run works
---------------
Episodes run in batches on the environment's native vector env
(``unwrap_meta_env(env, **env_kwargs).make_vector(batch)``). Two copies of it are reset once with
the same seed and then continue their streams (``reset()`` without a seed) from batch to batch, so
episode ``j`` of the run always has the ``j``-th task and noise of that seed, whatever the batch
size. One copy is stepped by the agent, the other by the Bayes-optimal agent
(``BayesOptimalAgent.for_env``): both face the same tasks and the same noise (common random
numbers). Bandit actions are drawn from output probabilities by the scorer, with one uniform
``u[j, t]`` per episode and step shared by both agents (``a = first k with u < cumsum(probs)_k``),
so an agent with the Bayes-optimal outputs takes the same actions and has a Bayes gap of exactly 0.
A third, action-free copy of the Bayes-optimal agent consumes the *agent's* observations: its
outputs along the agent's trajectory are what the per-step KL and the agreement compare with.
(As long as the two trajectories of an episode coincide, that copy's state is also the
Bayes-optimal agent's own state, and the scorer reuses it.)

Seeds: ``np.random.SeedSequence(seed).spawn(2)`` gives the environment seed and the generator of
the action uniforms; the report is a deterministic function of ``(agent, env, episodes, seed)``,
independent of ``batch_size`` (up to floating-point summation order in the per-step curves).

Metrics (each a mean over episodes with a 95% normal-approximation confidence interval
``mean +- 1.96 sd / sqrt(n)``; per-step curves are means over episodes at each step ``t``):

Bandits
    * ``return``: total reward per episode.
    * ``regret``: pseudo-regret against the oracle that knows ``p``,
      ``sum_t (max_k p_k - p_{a_t})`` with ``p = info["task"]``; ``bayes_regret`` the same for the
      Bayes-optimal agent on the same task and noise.
    * ``bayes_gap``: ``regret - bayes_regret``, paired by episode.
    * ``normalised_score``: ``1 - bayes_gap / (V* - R_random)`` per episode, where ``V*`` is the
      exact Bayes-optimal value (``bayes_optimal_value``) and ``R_random = H * mean_k
      alpha_k / (alpha_k + beta_k)`` the exact expected return of uniformly random play. Since
      ``E[bayes_gap] = V* - E[return]``, its expectation is ``(E[return] - R_random) / (V* -
      R_random)``: 0 for random play, exactly 1 for the Bayes-optimal agent.
    * ``kl``: per-step ``KL(pi_Bayes || pi_agent)`` along the agent's trajectory, averaged over
      the episode's steps (``inf`` where the agent gives probability 0 to an action the
      Bayes-optimal agent may take). Needs probabilities: ``None`` for callables.
    * ``agreement``: the probability that the agent's action at step ``t`` is a Bayes-optimal
      action (one in the support of the Bayes-optimal output, i.e. its arg-max set), averaged
      over steps. With probabilities it is the mass the agent puts on that set; for callables it
      is estimated by whether the sampled action is in it (same expectation, more variance).
Prediction
    * ``return``: total log-likelihood per episode; ``log_loss``: mean log-loss per step
      (``-reward``); ``bayes_log_loss``: the same for the exact posterior predictive on the same
      samples.
    * ``excess_log_loss``: ``log_loss - bayes_log_loss`` per step, paired by episode.
    * ``kl``: per-step ``KL(Bayes predictive || agent's predictive)`` (``family.kl``).
    * ``normalised_score``: ``1 - excess_log_loss / excess_log_loss(prior predictive)``: 0 for the
      fixed prior predictive (a predictor that never learns), 1 for Bayes; a ratio estimate on the
      same samples, with a delta-method confidence interval.

Speed: about 2 s for 100,000 episodes of the Bayes-optimal agent on MetaBandit-v0 (see
``benchmarks/scoring.py``). Library code never prints; a tqdm progress bar is shown when tqdm is
installed and ``progress`` is true (``None``: when stderr is a terminal and the run is long).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_meta_envs.errors import (
    InvalidArgumentError,
    ScoringError,
    invalid,
    wrong_type,
)
from bayes_meta_envs.scoring.traces import Traces

__all__ = [
    "REPORT_KIND",
    "SCORE_SCHEMA_VERSION",
    "Curve",
    "Estimate",
    "ScoreReport",
    "score",
]

REPORT_KIND = "bayes_meta_envs.score_report"
SCORE_SCHEMA_VERSION = 1
Z95 = 1.959963984540054  # two-sided 95% normal quantile
DEFAULT_BATCH_SIZE = 10_000
_PROGRESS_MIN_EPISODES = 20_000  # progress=None shows a bar from this many episodes (on a TTY)
_PROB_ATOL = 1e-6

# metric name -> (label in summary(), unit)
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "return": ("mean return", "per episode"),
    "bayes_return": ("Bayes-optimal return", "per episode"),
    "regret": ("pseudo-regret", "per episode"),
    "bayes_regret": ("Bayes-optimal pseudo-regret", "per episode"),
    "bayes_gap": ("Bayes gap (regret - Bayes)", "per episode"),
    "normalised_score": ("normalised score", "random 0, Bayes 1"),
    "kl": ("KL(Bayes || agent)", "per step"),
    "agreement": ("agreement with Bayes", "per step"),
    "log_loss": ("log-loss", "per step"),
    "bayes_log_loss": ("Bayes-optimal log-loss", "per step"),
    "excess_log_loss": ("excess log-loss over Bayes", "per step"),
}
BANDIT_METRICS = (
    "return",
    "bayes_return",
    "regret",
    "bayes_regret",
    "bayes_gap",
    "normalised_score",
    "kl",
    "agreement",
)
BANDIT_CURVES = ("reward", "regret", "bayes_gap", "kl", "agreement")
PREDICTION_METRICS = (
    "return",
    "log_loss",
    "bayes_log_loss",
    "excess_log_loss",
    "normalised_score",
    "kl",
)
PREDICTION_CURVES = ("log_loss", "excess_log_loss", "kl")


# ----------------------------------------------------------------------------------------------
# records
# ----------------------------------------------------------------------------------------------


def _finite_or_inf_ci(mean: float, ci: float) -> float:
    # a non-finite mean (an infinite KL) or a single sample has an unbounded interval; inf (not
    # NaN) keeps reports comparable with ==
    return ci if math.isfinite(mean) and math.isfinite(ci) else math.inf


@dataclass(frozen=True)
class Estimate:
    """A mean over ``n`` episodes and the half-width ``ci95`` of its 95% confidence interval
    (normal approximation, ``1.96 sd / sqrt(n)``; ``inf`` when undefined)."""

    mean: float
    ci95: float
    n: int

    @classmethod
    def from_samples(cls, x: np.ndarray) -> Estimate:
        """The estimate from one value per episode."""
        arr = np.asarray(x, dtype=np.float64)
        n = int(arr.shape[0])
        with np.errstate(invalid="ignore", over="ignore"):
            mean = float(arr.mean())
            ci = Z95 * float(arr.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
        return cls(mean, _finite_or_inf_ci(mean, ci), n)

    @property
    def low(self) -> float:
        return self.mean - self.ci95

    @property
    def high(self) -> float:
        return self.mean + self.ci95

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence interval."""
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.ci95:.4f}"


@dataclass(frozen=True)
class Curve:
    """Per-step means over ``n`` episodes and the half-widths of their 95% intervals."""

    mean: tuple[float, ...]
    ci95: tuple[float, ...]
    n: int

    @classmethod
    def from_sums(cls, s: np.ndarray, s2: np.ndarray, n: int) -> Curve:
        with np.errstate(invalid="ignore", over="ignore"):
            mean = s / n
            var = (s2 - n * mean * mean) / (n - 1) if n > 1 else np.full_like(s, np.inf)
            ci = Z95 * np.sqrt(np.maximum(var, 0.0)) / math.sqrt(n)
        ci = np.where(np.isfinite(mean) & np.isfinite(ci), ci, np.inf)
        return cls(tuple(float(v) for v in mean), tuple(float(v) for v in ci), int(n))

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, ci95)`` as float arrays of shape ``(horizon,)``."""
        return np.array(self.mean), np.array(self.ci95)


def _fmt(v: float, width: int) -> str:
    """Fixed-point with 4 decimals, without the sign of a rounded-away negative zero."""
    return f"{round(v, 4) + 0.0:>{width}.4f}" if math.isfinite(v) else f"{v!r:>{width}}"


def _json_float(v: float) -> float | str:
    return v if math.isfinite(v) else repr(v)  # 'inf', '-inf', 'nan': JSON has no such numbers


def _from_json_float(v: Any) -> float:
    if isinstance(v, str):
        if v not in ("inf", "-inf", "nan"):
            raise InvalidArgumentError(f"text must hold numbers or 'inf'/'-inf'/'nan', got {v!r}")
        return float(v)
    return float(v)


def _jsonable(obj: Any) -> Any:
    """Turn env kwargs into plain JSON types (tuples and arrays become lists)."""
    return json.loads(json.dumps(obj, default=_json_default))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


@dataclass(frozen=True)
class ScoreReport:
    """The result of :func:`score`. See the module docstring for the metrics.

    Attributes:
        agent: the agent's name. env_id, env_kwargs: the environment and the kwargs given.
        env_kind: ``"bandit"`` or ``"prediction"``. env_config: the environment's configuration
            (arms and prior, or family hyperparameters; horizon; include_time).
        episodes, seed: the run. horizon: steps per episode.
        probabilities: whether the agent gave probabilities (False for bandit callables).
        metrics: name -> :class:`Estimate`, or ``None`` when unavailable for this agent.
        curves: name -> :class:`Curve` (per step), or ``None`` when unavailable.
        references: exact reference values (bandits: ``bayes_value``, ``random_return``).
        package_version: the bayes-meta-envs version that produced the report.
        traces: the :class:`~bayes_meta_envs.scoring.traces.Traces` when recorded (not part of
            the JSON, nor of ``==``).
    """

    agent: str
    env_id: str
    env_kind: str
    env_kwargs: dict[str, Any]
    env_config: dict[str, Any]
    episodes: int
    seed: int
    horizon: int
    probabilities: bool
    metrics: dict[str, Estimate | None]
    curves: dict[str, Curve | None]
    references: dict[str, float]
    package_version: str
    schema_version: int = SCORE_SCHEMA_VERSION
    traces: Traces | None = field(default=None, compare=False, repr=False)

    # --- convenient accessors ---
    def metric(self, name: str) -> Estimate | None:
        """The estimate called ``name`` (``None`` when unavailable); raises for unknown names."""
        if name not in self.metrics:
            raise invalid("name", name, f"one of {sorted(self.metrics)}")
        return self.metrics[name]

    @property
    def mean_return(self) -> Estimate:
        est = self.metrics["return"]
        assert est is not None  # always computed
        return est

    @property
    def bayes_gap(self) -> Estimate | None:
        return self.metrics.get("bayes_gap")

    @property
    def regret(self) -> Estimate | None:
        return self.metrics.get("regret")

    @property
    def normalised_score(self) -> Estimate | None:
        return self.metrics.get("normalised_score")

    @property
    def kl(self) -> Estimate | None:
        return self.metrics.get("kl")

    @property
    def agreement(self) -> Estimate | None:
        return self.metrics.get("agreement")

    @property
    def excess_log_loss(self) -> Estimate | None:
        return self.metrics.get("excess_log_loss")

    # --- text ---
    def summary(self) -> str:
        """A fixed-width table of every metric with its 95% confidence interval."""
        kwargs = ", ".join(f"{k}={v!r}" for k, v in self.env_config.items())
        lines = [
            f"{self.agent} on {self.env_id} ({kwargs})",
            f"{self.episodes} episodes of {self.horizon} steps, seed {self.seed}, "
            f"bayes-meta-envs {self.package_version}",
            "",
            f"{'metric':<30} {'mean':>12} {'95% CI ±':>10}  unit",
            f"{'-' * 30} {'-' * 12} {'-' * 10}  {'-' * 18}",
        ]
        for name, est in self.metrics.items():
            label, unit = METRIC_LABELS.get(name, (name, ""))
            if name == "normalised_score" and self.env_kind == "prediction":
                unit = "prior predictive 0, Bayes 1"
            if est is None:
                lines.append(f"{label:<30} {'n/a':>12} {'':>10}  (needs probabilities)")
            else:
                lines.append(f"{label:<30} {_fmt(est.mean, 12)} {_fmt(est.ci95, 10)}  {unit}")
        if self.references:
            refs = ", ".join(f"{k} = {v:.4f}" for k, v in self.references.items())
            lines += ["", f"exact references: {refs}"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # --- JSON ---
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite floats as the strings ``'inf'``, ``'-inf'``, ``'nan'``)."""

        def est(e: Estimate | None) -> dict[str, Any] | None:
            if e is None:
                return None
            return {"mean": _json_float(e.mean), "ci95": _json_float(e.ci95), "n": e.n}

        def curve(c: Curve | None) -> dict[str, Any] | None:
            if c is None:
                return None
            return {
                "mean": [_json_float(v) for v in c.mean],
                "ci95": [_json_float(v) for v in c.ci95],
                "n": c.n,
            }

        return {
            "kind": REPORT_KIND,
            "schema_version": self.schema_version,
            "agent": self.agent,
            "env_id": self.env_id,
            "env_kind": self.env_kind,
            "env_kwargs": self.env_kwargs,
            "env_config": self.env_config,
            "episodes": self.episodes,
            "seed": self.seed,
            "horizon": self.horizon,
            "probabilities": self.probabilities,
            "package_version": self.package_version,
            "references": {k: _json_float(v) for k, v in self.references.items()},
            "metrics": {k: est(v) for k, v in self.metrics.items()},
            "curves": {k: curve(v) for k, v in self.curves.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text; :meth:`from_json` reads it back to an equal report."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreReport:
        """Inverse of :meth:`to_dict`; raises :class:`InvalidArgumentError` for other data."""
        if not isinstance(data, Mapping) or data.get("kind") != REPORT_KIND:
            raise InvalidArgumentError(
                f"data must be a score report with kind {REPORT_KIND!r}, got kind "
                f"{data.get('kind') if isinstance(data, Mapping) else type(data).__name__!r}"
            )
        version = data.get("schema_version")
        if not isinstance(version, int) or not 1 <= version <= SCORE_SCHEMA_VERSION:
            raise InvalidArgumentError(
                f"data must be a score report with schema_version <= {SCORE_SCHEMA_VERSION}, "
                f"got {version!r} (upgrade bayes-meta-envs to read newer reports)"
            )

        def est(d: Any) -> Estimate | None:
            if d is None:
                return None
            return Estimate(_from_json_float(d["mean"]), _from_json_float(d["ci95"]), int(d["n"]))

        def curve(d: Any) -> Curve | None:
            if d is None:
                return None
            return Curve(
                tuple(_from_json_float(v) for v in d["mean"]),
                tuple(_from_json_float(v) for v in d["ci95"]),
                int(d["n"]),
            )

        try:
            return cls(
                agent=str(data["agent"]),
                env_id=str(data["env_id"]),
                env_kind=str(data["env_kind"]),
                env_kwargs=dict(data["env_kwargs"]),
                env_config=dict(data["env_config"]),
                episodes=int(data["episodes"]),
                seed=int(data["seed"]),
                horizon=int(data["horizon"]),
                probabilities=bool(data["probabilities"]),
                metrics={k: est(v) for k, v in data["metrics"].items()},
                curves={k: curve(v) for k, v in data["curves"].items()},
                references={k: _from_json_float(v) for k, v in data["references"].items()},
                package_version=str(data["package_version"]),
                schema_version=version,
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise InvalidArgumentError(f"data is not a valid score report: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str) -> ScoreReport:
        """Read a report written by :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArgumentError(f"text must be score-report JSON: {exc}") from exc
        return cls.from_dict(data)


# ----------------------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------------------


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise wrong_type(name, value, f"an int >= {minimum}")
    if value < minimum:
        raise invalid(name, value, f"an int >= {minimum}")
    return int(value)


def _check_record(record: Any, episodes: int) -> int:
    """Number of episodes whose traces are recorded."""
    if isinstance(record, (bool, np.bool_)):
        return episodes if record else 0
    if isinstance(record, (int, np.integer)) and record >= 0:
        return min(int(record), episodes)
    raise invalid("record_traces", record, "a bool or an int >= 0 (the first N episodes)")


def _env_identity(env: Any, base: Any) -> str:
    if isinstance(env, str):
        return env
    for obj in (env, base):
        spec = getattr(obj, "spec", None)
        if spec is not None and getattr(spec, "id", None):
            return str(spec.id)
    return type(base).__name__


def _env_config(base: Any) -> dict[str, Any]:
    if base.kind == "bandit":
        cfg: dict[str, Any] = {"n_arms": int(base.n_arms), "prior": base.prior.tolist()}
    else:
        cfg = {"family": base.family.name, **base.family.hyperparameters()}
    cfg["horizon"] = int(base.horizon)
    cfg["include_time"] = bool(base.include_time)
    return _jsonable(cfg)


def agent_display_name(agent: Any) -> str:
    """The name a report shows for ``agent``: ``repr`` of the package's agents, else its name."""
    from bayes_meta_envs.agents.base import BaseAgent

    if isinstance(agent, BaseAgent):
        return repr(agent)
    name = getattr(agent, "name", None)
    if isinstance(name, str):
        return name
    return getattr(agent, "__name__", type(agent).__name__)


# ----------------------------------------------------------------------------------------------
# the guarded agent: every call checked, every failure a ScoringError
# ----------------------------------------------------------------------------------------------


class _Guard:
    """Calls the agent and checks what it returns; failures raise :class:`ScoringError` naming
    the agent, the episode (global index) and the step."""

    def __init__(self, agent: Any, name: str) -> None:
        self.agent = agent
        self.name = name
        self.first = 0  # global index of the batch's first episode
        self.t = 0

    def fail(self, row: int | None, what: str) -> ScoringError:
        where = (
            f"episode {self.first + row}"
            if row is not None
            else f"one of episodes {self.first}..{self.first + self._n - 1}"
        )
        return ScoringError(f"agent {self.name!r} failed at {where}, step {self.t}: {what}")

    def _call(self, method: str, *args: np.ndarray) -> Any:
        fn = getattr(self.agent, method)
        try:
            return fn(*args)
        except Exception as exc:
            row = self._locate(fn, args)
            raise self.fail(row, f"{method}() raised {type(exc).__name__}: {exc}") from exc

    def _locate(self, fn: Any, args: tuple[np.ndarray, ...]) -> int | None:
        """The first row whose one-row call raises (None if none does, e.g. a batch-only bug)."""
        n = args[0].shape[0] if args and hasattr(args[0], "shape") and args[0].ndim >= 1 else 0
        for i in range(min(n, 10_000)):
            try:
                fn(*(a[i : i + 1] for a in args))
            except Exception:
                return i
        return None

    def initial_state(self, n: int) -> np.ndarray:
        self._n = n
        try:
            state = self.agent.initial_state(n)
        except Exception as exc:
            raise self.fail(None, f"initial_state({n}) raised {type(exc).__name__}: {exc}") from exc
        return self._state(state, "initial_state")

    def _state(self, s: Any, method: str) -> np.ndarray:
        if not isinstance(s, np.ndarray) or s.ndim != 2 or s.shape[0] != self._n:
            shape = getattr(s, "shape", type(s).__name__)
            raise self.fail(
                None, f"{method}() returned a state of shape {shape}, expected ({self._n}, D)"
            )
        return s

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        return self._state(self._call("update", state, obs), "update")

    def output(self, state: np.ndarray) -> np.ndarray:
        out = self._call("output", state)
        return np.asarray(out) if not isinstance(out, np.ndarray) else out

    def probabilities(self, state: np.ndarray, k: int) -> np.ndarray:
        out = np.asarray(self.output(state), dtype=np.float64)
        if out.shape != (self._n, k):
            raise self.fail(
                None,
                f"output() returned shape {out.shape}, expected action probabilities "
                f"of shape ({self._n}, {k})",
            )
        # fast path: one row sum and one minimum (NaN and inf fail the sum test)
        total = out.sum(axis=1)
        if (np.abs(total - 1.0) <= _PROB_ATOL).all() and out.min() >= -_PROB_ATOL:
            return out
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(i, f"output() returned non-finite probabilities {out[i].tolist()}")
        bad = (out < -_PROB_ATOL).any(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(i, f"output() returned negative probabilities {out[i].tolist()}")
        bad = np.abs(out.sum(axis=1) - 1.0) > _PROB_ATOL
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(
                i,
                f"output() returned probabilities {out[i].tolist()} that sum to "
                f"{float(out[i].sum())!r}, not 1",
            )
        return out

    def actions(self, state: np.ndarray, k: int) -> np.ndarray:
        out = self.output(state)
        if out.shape != (self._n,):
            raise self.fail(None, f"returned actions of shape {out.shape}, expected ({self._n},)")
        if out.dtype.kind in "iu":
            a = out.astype(np.int64)
        elif out.dtype.kind == "f" or out.dtype.kind == "b":
            with np.errstate(invalid="ignore"):
                a = np.where(np.isfinite(out), out, -1).astype(np.int64)
            bad = a != out
            if bad.any():
                i = int(np.argmax(bad))
                raise self.fail(
                    i,
                    f"returned the invalid action {out[i].item()!r}: actions are ints in [0, {k})",
                )
        else:
            raise self.fail(None, f"returned actions of dtype {out.dtype}, expected ints")
        bad = (a < 0) | (a >= k)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(
                i, f"returned the invalid action {out[i].item()!r}: actions are ints in [0, {k})"
            )
        return a

    def predictive(self, state: np.ndarray, family: Any) -> np.ndarray:
        out = np.asarray(self.output(state), dtype=np.float64)
        p = family.action_dim
        if out.shape != (self._n, p):
            raise self.fail(
                None,
                f"output() returned shape {out.shape}, expected predictive parameters "
                f"({', '.join(family.action_names)}) of shape ({self._n}, {p})",
            )
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(
                i, f"output() returned non-finite predictive parameters {out[i].tolist()}"
            )
        bad = ((out < family.action_low) | (out > family.action_high)).any(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(
                i,
                f"output() returned the invalid action {out[i].tolist()}: the bounds are "
                f"{family.action_low.tolist()} to {family.action_high.tolist()}",
            )
        return out


# ----------------------------------------------------------------------------------------------
# the runs
# ----------------------------------------------------------------------------------------------


class _Stats:
    """Per-episode values (for the scalar metrics) and per-step sums (for the curves)."""

    def __init__(self, episodes: int, horizon: int, scalars: Iterable[str], curves: Iterable[str]):
        self.values = {name: np.empty(episodes) for name in scalars}
        self.sums = {name: np.zeros(horizon) for name in curves}
        self.sq = {name: np.zeros(horizon) for name in curves}

    def put(self, lo: int, **values: np.ndarray) -> None:
        for name, v in values.items():
            self.values[name][lo : lo + v.shape[0]] = v

    def add_curve(self, name: str, per_step: np.ndarray) -> None:
        with np.errstate(invalid="ignore", over="ignore"):
            self.sums[name] += per_step.sum(axis=0)
            self.sq[name] += (per_step * per_step).sum(axis=0)


def _sample(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF sampling: the first k with ``u * sum(probs) < cumsum(probs)_k``
    (``u`` in [0, 1), so the last arm with positive probability always qualifies)."""
    c = np.cumsum(probs, axis=1)
    return np.argmax(c > (u * c[:, -1])[:, None], axis=1)


def _progress_bar(enabled: bool | None, episodes: int, desc: str) -> Any:
    if enabled is None:
        enabled = episodes >= _PROGRESS_MIN_EPISODES and sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=episodes, unit="ep", desc=desc, leave=False)


class _Recorder:
    """Collects the traces of the first ``limit`` episodes, batch by batch."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[Traces] = []
        self.rows = 0

    def start(self, first: int, n: int) -> int:
        self.m = max(0, min(n, self.limit - first))
        self.steps: dict[str, list[np.ndarray]] = {}
        self.first = first
        return self.m

    def step(self, **arrays: np.ndarray) -> None:
        if self.m:
            for k, v in arrays.items():
                self.steps.setdefault(k, []).append(np.array(v[: self.m], copy=True))

    def finish(self, task: np.ndarray) -> None:
        if not self.m:
            return
        arrays: dict[str, Any] = {k: np.stack(v, axis=1) for k, v in self.steps.items()}
        self.parts.append(
            Traces(
                episode=np.arange(self.first, self.first + self.m, dtype=np.int64),
                task=np.array(task[: self.m], dtype=np.float64),
                **arrays,
            )
        )

    def traces(self, metadata: dict[str, Any]) -> Traces | None:
        if not self.parts:
            return None
        return Traces.concatenate(self.parts, metadata)


def _run_bandit(
    guard: _Guard,
    probs_available: bool,
    bayes: Any,
    base: Any,
    episodes: int,
    batch: int,
    env_seed: int,
    rng: np.random.Generator,
    recorder: _Recorder,
    bar: Any,
) -> tuple[_Stats, dict[str, float]]:
    h, k = base.horizon, base.n_arms
    env_a, env_b = base.make_vector(batch), base.make_vector(batch)
    stats = _Stats(
        episodes,
        h,
        ("return", "bayes_return", "regret", "bayes_regret", "kl", "agreement"),
        BANDIT_CURVES,
    )
    pad = np.zeros(batch, dtype=np.int64)
    first = 0
    while first < episodes:
        n = min(batch, episodes - first)
        seed = env_seed if first == 0 else None
        obs_a, info = env_a.reset(seed=seed)
        obs_b, _ = env_b.reset(seed=seed)
        p = info["task"][:n]
        p_max = p.max(axis=1)
        rows = np.arange(n)
        u = rng.random((n, h))
        guard.first, guard.t = first, 0
        m = recorder.start(first, n)
        s_a = guard.initial_state(n)
        s_on = bayes.initial_state(n)  # Bayes on the agent's trajectory
        s_b = bayes.initial_state(n)  # Bayes on its own trajectory (rows that diverged)
        diverged = np.zeros(n, dtype=bool)
        ret_a, ret_b = np.zeros(n), np.zeros(n)
        reg_a, reg_b = np.zeros(n), np.zeros(n)
        kl_c, agree_c = np.zeros((n, h)), np.zeros((n, h))
        reward_c, regret_c, gap_c = np.zeros((n, h)), np.zeros((n, h)), np.zeros((n, h))
        for t in range(h):
            guard.t = t
            oa, ob = obs_a[:n], obs_b[:n]
            s_a = guard.update(s_a, oa)
            s_on = bayes.update(s_on, oa)
            out_on = bayes.output(s_on)
            out_b = out_on
            if diverged.any():
                d = np.flatnonzero(diverged)
                s_b[d] = bayes.update(s_b[d], ob[d])
                out_b = out_on.copy()
                out_b[d] = bayes.output(s_b[d])
            optimal = out_on > 0  # the Bayes-optimal action set along the agent's trajectory
            if probs_available:
                out_a = guard.probabilities(s_a, k)
                a_a = _sample(out_a, u[:, t])
                with np.errstate(divide="ignore", invalid="ignore"):
                    terms = np.where(optimal, out_on * (np.log(out_on) - np.log(out_a)), 0.0)
                kl_c[:, t] = terms.sum(axis=1)
                agree_c[:, t] = (out_a * optimal).sum(axis=1)
            else:
                out_a = guard.actions(s_a, k)
                a_a = out_a
                agree_c[:, t] = optimal[rows, a_a]
            a_b = _sample(out_b, u[:, t])
            # same noise: the trajectories part where the actions first differ; until then the
            # Bayes-optimal agent's own state is s_on
            newly = a_a != a_b
            newly &= ~diverged
            if newly.any():
                s_b[newly] = s_on[newly]
                diverged |= newly
            if m:
                recorder.step(
                    obs=oa,
                    action=a_a,
                    agent_output=out_a if probs_available else np.zeros((n, 0)),
                    agent_state=s_a,
                    bayes_state=s_on,
                    bayes_output=out_on,
                )
            pad[:n] = a_a
            obs_a, r_a, *_ = env_a.step(pad)
            pad[:n] = a_b
            obs_b, r_b, *_ = env_b.step(pad)
            r_a, r_b = r_a[:n], r_b[:n]
            if m:
                recorder.step(reward=r_a)
            flat = p.ravel()
            inst_a = p_max - flat[rows * k + a_a]
            inst_b = p_max - flat[rows * k + a_b]
            ret_a += r_a
            ret_b += r_b
            reg_a += inst_a
            reg_b += inst_b
            reward_c[:, t], regret_c[:, t], gap_c[:, t] = r_a, inst_a, inst_a - inst_b
        recorder.finish(p)
        stats.put(
            first,
            **{"return": ret_a},
            bayes_return=ret_b,
            regret=reg_a,
            bayes_regret=reg_b,
            kl=kl_c.mean(axis=1),
            agreement=agree_c.mean(axis=1),
        )
        for name, c in (
            ("reward", reward_c),
            ("regret", regret_c),
            ("bayes_gap", gap_c),
            ("kl", kl_c),
            ("agreement", agree_c),
        ):
            stats.add_curve(name, c)
        first += n
        if bar is not None:
            bar.update(n)
    prior_mean = base.prior[:, 0] / base.prior.sum(axis=1)
    refs = {"bayes_value": float(bayes.value), "random_return": float(h * prior_mean.mean())}
    return stats, refs


def _run_prediction(
    guard: _Guard,
    bayes: Any,
    base: Any,
    episodes: int,
    batch: int,
    env_seed: int,
    recorder: _Recorder,
    bar: Any,
) -> tuple[_Stats, dict[str, float]]:
    h, family = base.horizon, base.family
    env = base.make_vector(batch)
    stats = _Stats(
        episodes,
        h,
        ("return", "log_loss", "bayes_log_loss", "prior_excess", "kl"),
        PREDICTION_CURVES,
    )
    prior_action = family.predictive(family.prior_stats()[None, :])
    actions = np.repeat(prior_action, batch, axis=0)
    first = 0
    while first < episodes:
        n = min(batch, episodes - first)
        obs, info = env.reset(seed=env_seed if first == 0 else None)
        task = info["task"][:n]
        xs = env.samples[:n]
        prior_n = np.repeat(prior_action, n, axis=0)
        guard.first, guard.t = first, 0
        m = recorder.start(first, n)
        s_a = guard.initial_state(n)
        s_b = bayes.initial_state(n)
        loss_c, bayes_c, kl_c = np.zeros((n, h)), np.zeros((n, h)), np.zeros((n, h))
        prior_excess = np.zeros(n)
        for t in range(h):
            guard.t = t
            o = obs[:n]
            s_a = guard.update(s_a, o)
            out_a = guard.predictive(s_a, family)
            s_b = bayes.update(s_b, o)
            out_b = bayes.output(s_b)
            if m:
                recorder.step(
                    obs=o,
                    action=out_a,
                    agent_output=out_a,
                    agent_state=s_a,
                    bayes_state=s_b,
                    bayes_output=out_b,
                )
            actions[:n] = out_a
            obs, reward, *_ = env.step(actions)
            reward = reward[:n]
            if m:
                recorder.step(reward=reward)
            x = xs[:, t]
            loss_b = -family.log_likelihood(out_b, x)
            loss_c[:, t] = -reward
            bayes_c[:, t] = loss_b
            prior_excess += -family.log_likelihood(prior_n, x) - loss_b
            # KL >= 0: zero the rounding error of the closed forms (about 1e-16), and only that
            kl = family.kl(out_b, out_a)
            kl_c[:, t] = np.where((kl < 0) & (kl > -1e-9), 0.0, kl)
        recorder.finish(task)
        stats.put(
            first,
            **{"return": -loss_c.sum(axis=1)},
            log_loss=loss_c.mean(axis=1),
            bayes_log_loss=bayes_c.mean(axis=1),
            prior_excess=prior_excess / h,
            kl=kl_c.mean(axis=1),
        )
        for name, c in (("log_loss", loss_c), ("excess_log_loss", loss_c - bayes_c), ("kl", kl_c)):
            stats.add_curve(name, c)
        first += n
        if bar is not None:
            bar.update(n)
    return stats, {}


def _ratio_score(excess: np.ndarray, prior_excess: np.ndarray) -> Estimate | None:
    """``1 - mean(excess) / mean(prior_excess)`` with a delta-method interval."""
    n = excess.shape[0]
    d = float(prior_excess.mean())
    if not d > 0:
        return None
    r = float(excess.mean()) / d
    if n < 2 or not math.isfinite(r):
        return Estimate(1.0 - r, math.inf, n)
    sd = float(np.std(excess - r * prior_excess, ddof=1)) / d
    return Estimate(1.0 - r, _finite_or_inf_ci(r, Z95 * sd / math.sqrt(n)), n)


# ----------------------------------------------------------------------------------------------
# the entry point
# ----------------------------------------------------------------------------------------------


def score(
    agent: Any,
    env: Any,
    *,
    episodes: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    record_traces: bool | int = False,
    batch_size: int | None = None,
    progress: bool | None = None,
    agent_name: str | None = None,
) -> ScoreReport:
    """Score ``agent`` against the Bayes-optimal agent on ``env``; see the module docstring.

    Args:
        agent: an Agent (``initial_state``/``update``/``output``), a stable-baselines3 model
            (adapted with :func:`~bayes_meta_envs.agents.adapters.from_sb3`), or a callable
            ``fn(obs_batch) -> actions`` (adapted with
            :func:`~bayes_meta_envs.agents.adapters.from_callable`; metrics that need
            probabilities are then ``None``).
        env: a registered id (made with ``env_kwargs``) or an env instance of this package.
        episodes: number of episodes (>= 1).
        seed: int >= 0; the report is a deterministic function of it.
        env_kwargs: keyword arguments for a registered id.
        record_traces: ``True`` records every episode, an int ``N`` the first ``N``, ``False``
            none (see :mod:`bayes_meta_envs.scoring.traces` for the memory needed).
        batch_size: episodes run side by side (default ``min(episodes, 10000)``); it changes
            speed and memory, not the result.
        progress: show a tqdm bar (``None``: on a terminal, for runs of 20,000+ episodes).
        agent_name: the name in the report (default: the agent's ``repr`` or name).

    Returns:
        A :class:`ScoreReport`, with ``traces`` when recorded.

    Raises:
        ScoringError: the agent raised, or returned a state or an output of the wrong shape,
            non-finite or unnormalised probabilities, or an invalid action; the message names
            the agent, the episode and the step.
        InvalidArgumentError, InvalidArgumentTypeError, UnknownEnvironmentError: bad arguments.
    """
    import bayes_meta_envs
    from bayes_meta_envs.agents.adapters import CallableAgent, as_agent
    from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent
    from bayes_meta_envs.envs import unwrap_meta_env

    episodes = _check_int("episodes", episodes, 1)
    seed = _check_int("seed", seed, 0)
    if env_kwargs is None:
        env_kwargs = {}
    if not isinstance(env_kwargs, dict):
        raise wrong_type("env_kwargs", env_kwargs, "a dict or None")
    base = unwrap_meta_env(env, **env_kwargs)
    limit = _check_record(record_traces, episodes)
    batch = min(episodes, DEFAULT_BATCH_SIZE if batch_size is None else batch_size)
    if batch_size is not None:
        _check_int("batch_size", batch_size, 1)
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise wrong_type("progress", progress, "a bool or None")

    adapted = as_agent(agent)
    if isinstance(adapted, CallableAgent) and not adapted.kind_fixed:
        adapted = CallableAgent(adapted.fn, kind=base.kind, name=adapted.name)
    kind = getattr(adapted, "kind", None)
    if kind in ("bandit", "prediction") and kind != base.kind:
        raise InvalidArgumentError(
            f"agent {agent_display_name(adapted)!r} is a {kind} agent, but env "
            f"{_env_identity(env, base)!r} is a {base.kind} environment"
        )
    name = agent_name if agent_name is not None else agent_display_name(adapted)
    probs_available = base.kind == "prediction" or bool(
        getattr(adapted, "provides_probabilities", True)
    )
    bayes = BayesOptimalAgent.for_env(base)
    env_ss, action_ss = np.random.SeedSequence(seed).spawn(2)
    env_seed = int(env_ss.generate_state(1, dtype=np.uint64)[0])
    rng = np.random.Generator(np.random.PCG64(action_ss))
    guard = _Guard(adapted, name)
    recorder = _Recorder(limit)
    env_id = _env_identity(env, base)
    bar = _progress_bar(progress, episodes, f"scoring {name} on {env_id}")
    try:
        if base.kind == "bandit":
            stats, refs = _run_bandit(
                guard, probs_available, bayes, base, episodes, batch, env_seed, rng, recorder, bar
            )
        else:
            stats, refs = _run_prediction(
                guard, bayes, base, episodes, batch, env_seed, recorder, bar
            )
    finally:
        if bar is not None:
            bar.close()

    v = stats.values
    metrics: dict[str, Estimate | None] = {}
    curves: dict[str, Curve | None] = {
        c: Curve.from_sums(stats.sums[c], stats.sq[c], episodes) for c in stats.sums
    }
    if base.kind == "bandit":
        gap = v["regret"] - v["bayes_regret"]
        span = refs["bayes_value"] - refs["random_return"]
        for key in ("return", "bayes_return", "regret", "bayes_regret"):
            metrics[key] = Estimate.from_samples(v[key])
        metrics["bayes_gap"] = Estimate.from_samples(gap)
        metrics["normalised_score"] = Estimate.from_samples(1.0 - gap / span) if span > 0 else None
        metrics["kl"] = Estimate.from_samples(v["kl"]) if probs_available else None
        metrics["agreement"] = Estimate.from_samples(v["agreement"])
        if not probs_available:
            curves["kl"] = None
    else:
        for key in ("return", "log_loss", "bayes_log_loss"):
            metrics[key] = Estimate.from_samples(v[key])
        excess = v["log_loss"] - v["bayes_log_loss"]
        metrics["excess_log_loss"] = Estimate.from_samples(excess)
        metrics["normalised_score"] = _ratio_score(excess, v["prior_excess"])
        metrics["kl"] = Estimate.from_samples(v["kl"])
    report_kwargs = _jsonable(env_kwargs)
    metadata = {
        "agent": name,
        "env_id": env_id,
        "env_kind": base.kind,
        "env_kwargs": report_kwargs,
        "env_config": _env_config(base),
        "seed": seed,
        "episodes": episodes,
        "package_version": bayes_meta_envs.__version__,
    }
    return ScoreReport(
        agent=name,
        env_id=env_id,
        env_kind=base.kind,
        env_kwargs=report_kwargs,
        env_config=_env_config(base),
        episodes=episodes,
        seed=seed,
        horizon=int(base.horizon),
        probabilities=probs_available,
        metrics=metrics,
        curves=curves,
        references=refs,
        package_version=bayes_meta_envs.__version__,
        traces=recorder.traces(metadata),
    )
