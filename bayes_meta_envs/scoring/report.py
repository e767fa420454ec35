"""The result of :func:`~bayes_meta_envs.scoring.score`: :class:`ScoreReport`.

A report holds, for one agent on one task, every metric as an
:class:`~bayes_meta_envs.rollout.Estimate` (a mean over episodes with the half-width of its 95%
confidence interval), the per-step :class:`~bayes_meta_envs.rollout.Curve` s, the exact reference
values and what produced it (task configuration, episodes, seed, package version). The metrics are
defined in ``scoring/_score.py``.

``to_json`` / ``from_json`` write and read it back to an equal report; non-finite numbers (an
infinite KL) are written as the strings ``'inf'``, ``'-inf'``, ``'nan'``, since JSON has no such
numbers. The JSON carries ``kind`` (:data:`REPORT_KIND`) and ``schema_version``
(:data:`SCORE_SCHEMA_VERSION`); a newer schema is refused with a message that says to upgrade.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bayes_meta_envs._validate import check_int
from bayes_meta_envs.errors import InvalidArgumentError, invalid, wrong_type
from bayes_meta_envs.protocol import BaseAgent
from bayes_meta_envs.rollout import BANDIT_KLS, BANDIT_RETURNS, Curve, Estimate
from bayes_meta_envs.scoring.traces import Traces
from bayes_meta_envs.task import KIND_TRAITS, check_kind

__all__ = [
    "BANDIT_METRICS",
    "METRIC_LABELS",
    "PREDICTION_METRICS",
    "REPORT_KIND",
    "SCORE_SCHEMA_VERSION",
    "Curve",
    "Estimate",
    "ScoreReport",
    "agent_display_name",
]

REPORT_KIND = "bayes_meta_envs.score_report"
#: 2: bandit reports hold ``kl_to_bayes_set`` and ``kl_tie_split`` (schema 1's bandit ``kl``, which
#: is read back as ``kl_tie_split``).
SCORE_SCHEMA_VERSION = 2
#: Metrics renamed since schema 1, by kind: a bandit's "kl" was the tie-split KL.
_SCHEMA_1_RENAMES = {"bandit": {"kl": "kl_tie_split"}}

# metric name -> (label in summary(), unit)
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "return": ("mean return", "per episode"),
    "bayes_return": ("Bayes-optimal return", "per episode"),
    "regret": ("pseudo-regret", "per episode"),
    "bayes_regret": ("Bayes-optimal pseudo-regret", "per episode"),
    "bayes_gap": ("Bayes gap (regret - Bayes)", "per episode"),
    "bayes_gap_q": ("Bayes gap, from Q-values", "per episode"),
    "normalised_score": ("normalised score", "random 0, Bayes 1"),
    "kl": ("KL(Bayes || agent)", "per step"),
    "kl_to_bayes_set": ("KL(agent -> Bayes set)", "per step"),
    "kl_tie_split": ("KL(Bayes tie-split || agent)", "per step"),
    "agreement": ("agreement with Bayes", "per step"),
    "log_loss": ("log-loss", "per step"),
    "bayes_log_loss": ("Bayes-optimal log-loss", "per step"),
    "excess_log_loss": ("excess log-loss over Bayes", "per step"),
    # past the exact DP (scoring.beyond): against the reference policy, and bounds
    "reference_return": ("reference return (fin. Gittins)", "per episode"),
    "reference_regret": ("reference pseudo-regret", "per episode"),
    "reference_gap": ("gap to reference (regret - ref)", "per episode"),
    "bayes_gap_lower": ("Bayes gap, LOWER BOUND", "per episode"),
    "bayes_gap_upper": ("Bayes gap, UPPER BOUND", "per episode"),
    "kl_to_reference_set": ("KL(agent -> reference set)", "per step"),
    "agreement_reference": ("agreement with reference", "per step"),
}
#: The metrics of a bandit report, in their order.
BANDIT_METRICS = (*BANDIT_RETURNS, "normalised_score", *BANDIT_KLS, "agreement")
#: The metrics of a prediction report, in their order.
PREDICTION_METRICS = (
    "return",
    "log_loss",
    "bayes_log_loss",
    "excess_log_loss",
    "normalised_score",
    "kl",
)


def agent_display_name(agent: object) -> str:
    """The name a report shows for ``agent``: ``repr`` of the package's agents, else its name."""
    if isinstance(agent, BaseAgent):
        return repr(agent)
    name = getattr(agent, "name", None)
    if isinstance(name, str):
        return name
    return str(getattr(agent, "__name__", type(agent).__name__))


# ----------------------------------------------------------------------------------------------
# JSON helpers
# ----------------------------------------------------------------------------------------------


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


def _estimate_to_json(e: Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"mean": _json_float(e.mean), "ci95": _json_float(e.ci95), "n": e.n}


def _curve_to_json(c: Curve | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "mean": [_json_float(v) for v in c.mean],
        "ci95": [_json_float(v) for v in c.ci95],
        "n": c.n,
    }


def _estimate_from_json(d: Any) -> Estimate | None:
    if d is None:
        return None
    return Estimate(_from_json_float(d["mean"]), _from_json_float(d["ci95"]), int(d["n"]))


def _curve_from_json(d: Any) -> Curve | None:
    if d is None:
        return None
    return Curve(
        tuple(_from_json_float(v) for v in d["mean"]),
        tuple(_from_json_float(v) for v in d["ci95"]),
        int(d["n"]),
    )


# ----------------------------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreReport:
    """The result of :func:`~bayes_meta_envs.scoring.score`; see
    ``scoring/_score.py`` for the metrics.

    Attributes:
        agent: the agent's name. env_id, env_kwargs: the environment and the kwargs given.
        env_kind: ``"bandit"`` or ``"prediction"``. env_config: the environment's configuration
            (arms and prior, or family hyperparameters; horizon; include_time).
        episodes, seed: the run. horizon: steps per episode.
        probabilities: whether the agent's probabilities were scored (False for bandit
            callables, and for any agent scored with ``deterministic``).
        deterministic: whether the agent acted on the arg-max of its probabilities instead of
            sampling (``score(deterministic=True)``; reports without the key are sampled).
        metrics: name -> :class:`Estimate`, or ``None`` when unavailable for this agent.
        curves: name -> :class:`Curve` (per step), or ``None`` when unavailable.
        references: exact reference values (bandits: ``bayes_value``, ``random_return``; past
            the DP ``bayes_value_upper`` and ``perfect_information`` instead of ``bayes_value``).
        bayes_exact: false for a bandit past the exact DP, whose Bayes gap is a bracket of
            bounds (``bayes_gap_lower``, ``bayes_gap_upper``; :mod:`~bayes_meta_envs.scoring.beyond`).
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
    deterministic: bool = False
    bayes_exact: bool = True
    schema_version: int = SCORE_SCHEMA_VERSION
    traces: Traces | None = field(default=None, compare=False, repr=False)

    # --- convenient accessors ---
    def metric(self, name: str) -> Estimate | None:
        """The estimate called ``name`` (``None`` when unavailable); raises for unknown names."""
        if not isinstance(name, str) or name not in self.metrics:
            raise invalid("name", name, f"one of {sorted(self.metrics)}")
        return self.metrics[name]

    @property
    def mean_return(self) -> Estimate:
        est = self.metrics["return"]
        if est is None:  # always computed
            raise InvalidArgumentError(f"report of {self.agent!r} has no 'return' metric")
        return est

    @property
    def bayes_gap(self) -> Estimate | None:
        return self.metrics.get("bayes_gap")

    @property
    def bayes_gap_q(self) -> Estimate | None:
        """The Bayes gap estimated from the exact Bayes-optimal Q-values along the agent's
        trajectory (same expectation as :attr:`bayes_gap`, far less variance; ``None`` in reports
        written before 0.2)."""
        return self.metrics.get("bayes_gap_q")

    @property
    def bayes_gap_bounds(self) -> tuple[Estimate, Estimate] | None:
        """``(lower, upper)`` bounds on the Bayes gap past the exact DP (``None`` where it is
        exact: read :attr:`bayes_gap`)."""
        lo, hi = self.metrics.get("bayes_gap_lower"), self.metrics.get("bayes_gap_upper")
        return None if lo is None or hi is None else (lo, hi)

    @property
    def regret(self) -> Estimate | None:
        return self.metrics.get("regret")

    @property
    def normalised_score(self) -> Estimate | None:
        return self.metrics.get("normalised_score")

    @property
    def kl(self) -> Estimate | None:
        """The behavioural divergence: ``kl_to_bayes_set`` for bandits, ``kl`` for prediction."""
        return self.metrics.get(KIND_TRAITS[self.env_kind].divergence)

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
            *(
                ["actions: the arg-max of the agent's probabilities (deterministic)"]
                if self.deterministic
                else []
            ),
            *(
                []
                if self.bayes_exact
                else [
                    "past the exact DP: compared with a reference policy (finite-horizon "
                    "Gittins); the Bayes gap is BRACKETED by bounds, not measured"
                ]
            ),
            "",
            f"{'metric':<30} {'mean':>12} {'95% CI ±':>10}  unit",
            f"{'-' * 30} {'-' * 12} {'-' * 10}  {'-' * 18}",
        ]
        for name, est in self.metrics.items():
            label, unit = METRIC_LABELS.get(name, (name, ""))
            if name == "normalised_score":
                unit = KIND_TRAITS[self.env_kind].normalised_scale
            if est is None:
                why = "deterministic" if self.deterministic else "needs probabilities"
                lines.append(f"{label:<30} {'n/a':>12} {'':>10}  ({why})")
            else:
                lines.append(f"{label:<30} {_fmt(est.mean, 12)} {_fmt(est.ci95, 10)}  {unit}")
        if self.references:
            refs = ", ".join(f"{k} = {v:.4f}" for k, v in self.references.items())
            lines += ["", f"exact references: {refs}"]
        bounds = self.bayes_gap_bounds
        if bounds is not None:
            lines.append(
                f"Bayes gap in [{bounds[0].mean:.4f}, {bounds[1].mean:.4f}] (bounds, each ± its "
                "95% CI)"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # --- JSON ---
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite floats as the strings ``'inf'``, ``'-inf'``, ``'nan'``)."""
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
            "deterministic": self.deterministic,
            **({} if self.bayes_exact else {"bayes_exact": False}),
            "package_version": self.package_version,
            "references": {k: _json_float(v) for k, v in self.references.items()},
            "metrics": {k: _estimate_to_json(v) for k, v in self.metrics.items()},
            "curves": {k: _curve_to_json(v) for k, v in self.curves.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text; :meth:`from_json` reads it back to an equal report."""
        indent = None if indent is None else check_int("indent", indent, 0, 64)
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
        metrics, curves = dict(data.get("metrics") or {}), dict(data.get("curves") or {})
        renames = _SCHEMA_1_RENAMES.get(str(data.get("env_kind")), {}) if version == 1 else {}
        for old, new in renames.items():
            for table in (metrics, curves):
                if old in table:
                    table[new] = table.pop(old)
        try:
            return cls(
                agent=str(data["agent"]),
                env_id=str(data["env_id"]),
                env_kind=str(check_kind("env_kind", data["env_kind"])),
                env_kwargs=dict(data["env_kwargs"]),
                env_config=dict(data["env_config"]),
                episodes=int(data["episodes"]),
                seed=int(data["seed"]),
                horizon=int(data["horizon"]),
                probabilities=bool(data["probabilities"]),
                deterministic=bool(data.get("deterministic", False)),
                bayes_exact=bool(data.get("bayes_exact", True)),
                metrics={k: _estimate_from_json(v) for k, v in metrics.items()},
                curves={k: _curve_from_json(v) for k, v in curves.items()},
                references={k: _from_json_float(v) for k, v in data["references"].items()},
                package_version=str(data["package_version"]),
                schema_version=version,
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise InvalidArgumentError(f"data is not a valid score report: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str) -> ScoreReport:
        """Read a report written by :meth:`to_json`."""
        if not isinstance(text, (str, bytes, bytearray)):
            raise wrong_type("text", text, "score-report JSON text")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArgumentError(f"text must be score-report JSON: {exc}") from exc
        return cls.from_dict(data)
