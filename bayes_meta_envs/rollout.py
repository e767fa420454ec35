"""Paired rollouts: an agent and the Bayes-optimal agent on common random numbers (numpy only).

This is the one runner behind every comparison with the Bayes-optimal agent: :func:`score`, the
trainers' evaluation and the analysis all call :func:`paired_rollout`, so a statistic such as the
Bayes gap means the same thing everywhere.

How a run works
---------------
Episodes run in batches on the task's native vector env (``task.make_vector(batch)``). Two copies
are reset once with the same seed and then continue their streams (``reset()`` without a seed) from
batch to batch, so episode ``j`` of the run always has the ``j``-th task and noise of that seed,
whatever the batch size. One copy is stepped by the agent, the other by the Bayes-optimal agent:
both face the same tasks and the same noise (common random numbers). Bandit actions are drawn
from output probabilities with one uniform ``u[j, t]`` per episode and step shared by both agents
(``a = first k with u < cumsum(probs)_k``), so an agent with the Bayes-optimal outputs takes the
same actions and has a Bayes gap of exactly 0. A third, action-free copy of the Bayes-optimal agent
consumes the *agent's* observations: its outputs along the agent's trajectory are what the per-step
KL and the agreement compare with, and its states are the Bayes sufficient statistics of the
agent's history (as long as the two trajectories of an episode coincide, that copy's state is also
the Bayes-optimal agent's own state, and the run reuses it).

Seeds: ``np.random.SeedSequence(seed).spawn(2)`` gives the environment seed and the generator of
the action uniforms; the result is a deterministic function of ``(agent, task, episodes, seed)``,
independent of ``batch_size`` (up to floating-point summation order in the per-step curves).

Per-episode statistics (``PairedRollout.per_episode``):

Bandits
    ``return`` and ``bayes_return`` (total reward), ``regret`` and ``bayes_regret`` (pseudo-regret
    ``sum_t (max_k p_k - p_{a_t})`` against the oracle that knows ``p``), ``bayes_gap`` (``regret -
    bayes_regret``, paired by episode), ``bayes_gap_q`` (below), ``kl`` (per-step
    ``KL(pi_Bayes || pi_agent)`` along the agent's trajectory, averaged over the steps; only with
    probabilities) and ``agreement`` (the probability of a Bayes-optimal action, averaged over the
    steps).

    ``bayes_gap_q`` is ``sum_t (max_k Q*(b_t, k) - sum_k pi_t(k) Q*(b_t, k))``, where ``b_t`` is the
    Bayes posterior after the agent's own history, ``Q*`` the exact Bayes-optimal Q-values
    (:class:`~bayes_meta_envs.baselines.BanditSolution`) and ``pi_t`` the agent's probabilities
    (a point mass on its action, for agents that give actions). By the performance-difference
    lemma (Kakade and Langford 2002) its expectation is ``V*(prior) - V_agent(prior)``, which is
    also the expectation of ``bayes_gap``; it replaces the future's sampled tasks and rewards by
    their exact conditional expectations, so for a near-optimal agent its interval is 10 to 70
    times narrower. It is 0 for every Bayes-optimal agent, whatever it does among ties.
Prediction
    ``return`` (total log-likelihood), ``log_loss`` and ``bayes_log_loss`` (mean per step),
    ``excess_log_loss`` (their difference), ``prior_excess`` (the excess of the fixed prior
    predictive on the same samples) and ``kl`` (per-step ``KL(Bayes predictive || agent's)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bayes_meta_envs._stats import Z95, Curve, Estimate
from bayes_meta_envs._validate import check_int, check_seed
from bayes_meta_envs.baselines import BayesOptimalAgent, FiniteGittinsAgent, bayes_agent
from bayes_meta_envs.protocol import Agent, tie_split
from bayes_meta_envs.task import MetaTask

__all__ = [
    "BANDIT_CURVES",
    "DEFAULT_BATCH_SIZE",
    "PREDICTION_CURVES",
    "Z95",
    "Cursor",
    "Curve",
    "Estimate",
    "OutputKind",
    "PairedRollout",
    "agent_output_kind",
    "paired_rollout",
]

DEFAULT_BATCH_SIZE = 10_000
BANDIT_CURVES = (
    "reward",
    "regret",
    "bayes_gap",
    "bayes_gap_q",
    "kl_to_bayes_set",
    "kl_tie_split",
    "agreement",
)
PREDICTION_CURVES = ("log_loss", "excess_log_loss", "kl")
#: What an agent's ``output`` holds: action probabilities or actions (bandits), or the
#: predictive's parameters (prediction tasks).
OutputKind = Literal["probabilities", "actions", "predictive"]


# ----------------------------------------------------------------------------------------------
# the records of a run
# ----------------------------------------------------------------------------------------------


@dataclass
class Cursor:
    """Where a rollout is: the global index of the batch's first episode, the batch size and the
    step. Whoever wraps the agent (the scorer's guard) reads it to say where an agent failed."""

    first: int = 0
    n: int = 0
    t: int = 0


@dataclass
class PairedRollout:
    """What :func:`paired_rollout` returns; see the module docstring for the statistics."""

    task: MetaTask
    episodes: int
    per_episode: dict[str, np.ndarray]
    curve_sums: dict[str, tuple[np.ndarray, np.ndarray]]
    references: dict[str, float]
    recorded: dict[str, np.ndarray] = field(default_factory=dict)

    def estimate(self, name: str) -> Estimate:
        """The mean of a per-episode statistic with its 95% interval."""
        return Estimate.from_samples(self.per_episode[name])

    def curve(self, name: str) -> Curve:
        """The per-step mean of a statistic over the episodes, with 95% intervals."""
        s, s2 = self.curve_sums[name]
        return Curve.from_sums(s, s2, self.episodes)


# ----------------------------------------------------------------------------------------------
# the run
# ----------------------------------------------------------------------------------------------


class _Accumulator:
    """Per-episode values and per-step sums (for the curves) of a run, batch by batch."""

    def __init__(self, episodes: int, horizon: int, scalars: Iterable[str], curves: Iterable[str]):
        self.values = {name: np.empty(episodes) for name in scalars}
        self.sums = {name: (np.zeros(horizon), np.zeros(horizon)) for name in curves}

    def put(self, lo: int, values: dict[str, np.ndarray]) -> None:
        for name, v in values.items():
            self.values[name][lo : lo + v.shape[0]] = v

    def add_curve(self, name: str, per_step: np.ndarray) -> None:
        s, s2 = self.sums[name]
        with np.errstate(invalid="ignore", over="ignore"):
            s += per_step.sum(axis=0)
            s2 += (per_step * per_step).sum(axis=0)


class _Recorder:
    """Keeps the per-step arrays of the first ``limit`` episodes of a run."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: dict[str, list[np.ndarray]] = {}

    def start(self, first: int, n: int) -> int:
        self.m = max(0, min(n, self.limit - first))
        self.first = first
        self.steps: dict[str, list[np.ndarray]] = {}
        return self.m

    def step(self, **arrays: np.ndarray) -> None:
        for k, v in arrays.items():
            self.steps.setdefault(k, []).append(np.array(v[: self.m], copy=True))

    def finish(self, task: np.ndarray) -> None:
        if not self.m:
            return
        batch = {k: np.stack(v, axis=1) for k, v in self.steps.items()}
        batch["episode"] = np.arange(self.first, self.first + self.m, dtype=np.int64)
        batch["task"] = np.array(task[: self.m], dtype=np.float64)
        for k, v in batch.items():
            self.parts.setdefault(k, []).append(v)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v, axis=0) for k, v in self.parts.items()}


def _sample(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF sampling: the first k with ``u * sum(probs) < cumsum(probs)_k``
    (``u`` in [0, 1), so the last arm with positive probability always qualifies)."""
    c = np.cumsum(probs, axis=1)
    return np.argmax(c > (u * c[:, -1])[:, None], axis=1)


def paired_rollout(
    agent: Agent,
    task: MetaTask,
    *,
    episodes: int,
    seed: int,
    batch_size: int | None = None,
    outputs: OutputKind | None = None,
    record: int = 0,
    cursor: Cursor | None = None,
    on_batch: Callable[[int], None] | None = None,
    reference: FiniteGittinsAgent | None = None,
) -> PairedRollout:
    """Run ``agent`` beside the Bayes-optimal agent of ``task``; see the module docstring.

    Args:
        agent: follows the Agent protocol; its ``output`` holds what ``outputs`` says.
        task: the task (:func:`~bayes_meta_envs.task.task_of`).
        episodes: number of episodes (>= 1); seed: int >= 0.
        batch_size: episodes side by side (default ``min(episodes, 10000)``); it changes speed
            and memory, not the result.
        outputs: ``"probabilities"`` (bandit default), ``"actions"`` (a bandit agent that only
            returns actions: no KL), or ``"predictive"`` (the prediction tasks').
        record: keep the per-step arrays (observations, actions, rewards, outputs, both agents'
            states) of the first ``record`` episodes in ``recorded``.
        cursor: updated as the run goes (batch and step), for error messages.
        on_batch: called with the number of episodes of each finished batch (progress bars).
        reference: bandits past the exact DP: this agent takes the Bayes-optimal agent's place
            (its index stands for the Q-values, so ``bayes_*`` statistics are against it, and
            ``bayes_gap_q`` is not a Bayes gap), and ``bayes_value`` is not reported.
    """
    episodes = check_int("episodes", episodes, 1)
    seed = int(check_seed("seed", seed) or 0)
    batch = min(episodes, DEFAULT_BATCH_SIZE if batch_size is None else batch_size)
    if batch_size is not None:
        check_int("batch_size", batch_size, 1)
    if outputs is None:
        outputs = "probabilities" if task.is_bandit else "predictive"
    env_ss, action_ss = np.random.SeedSequence(seed).spawn(2)
    env_seed = int(env_ss.generate_state(1, dtype=np.uint64)[0])
    run = _Run(agent, task, episodes, batch, env_seed, cursor or Cursor(), _Recorder(record))
    run.reference = reference
    if task.is_bandit:
        acc, refs = run.bandit(np.random.Generator(np.random.PCG64(action_ss)), outputs, on_batch)
    else:
        acc, refs = run.prediction(on_batch)
    return PairedRollout(task, episodes, acc.values, acc.sums, refs, run.recorder.arrays())


@dataclass
class _Run:
    agent: Agent
    task: MetaTask
    episodes: int
    batch: int
    env_seed: int
    cursor: Cursor
    recorder: _Recorder
    reference: FiniteGittinsAgent | None = None

    def _batches(self) -> Iterable[tuple[int, int, int | None]]:
        first = 0
        while first < self.episodes:
            n = min(self.batch, self.episodes - first)
            self.cursor.first, self.cursor.n, self.cursor.t = first, n, 0
            yield first, n, (self.env_seed if first == 0 else None)
            first += n

    def bandit(
        self,
        rng: np.random.Generator,
        outputs: OutputKind,
        on_batch: Callable[[int], None] | None,
    ) -> tuple[_Accumulator, dict[str, float]]:
        task, agent, rec = self.task, self.agent, self.recorder
        h, k = task.horizon, task.n_arms
        bayes = self.reference or BayesOptimalAgent(
            k, h, task.arms.prior, include_time=task.include_time
        )
        with_probs = outputs == "probabilities"
        env_a, env_b = task.make_vector(self.batch), task.make_vector(self.batch)
        names = (
            "return",
            "bayes_return",
            "regret",
            "bayes_regret",
            "bayes_gap",
            "bayes_gap_q",
            "agreement",
        )
        kls = ("kl_to_bayes_set", "kl_tie_split") if with_probs else ()
        acc = _Accumulator(self.episodes, h, names + kls, BANDIT_CURVES)
        pad = np.zeros(self.batch, dtype=np.int64)
        for first, n, seed in self._batches():
            obs_a, info = env_a.reset(seed=seed)
            obs_b, _ = env_b.reset(seed=seed)
            p = info["task"][:n]
            p_max, flat, rows = p.max(axis=1), p.ravel(), np.arange(n)
            u = rng.random((n, h))
            m = rec.start(first, n)
            s_a = agent.initial_state(n)
            s_on = bayes.initial_state(n)  # Bayes on the agent's trajectory
            s_b = bayes.initial_state(n)  # Bayes on its own trajectory (rows that diverged)
            diverged = np.zeros(n, dtype=bool)
            c = {name: np.zeros((n, h)) for name in BANDIT_CURVES}
            ret_a, ret_b, reg_a, reg_b = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
            for t in range(h):
                self.cursor.t = t
                oa, ob = obs_a[:n], obs_b[:n]
                s_a = agent.update(s_a, oa)
                s_on = bayes.update(s_on, oa)
                q_on = bayes.q_values(s_on)
                out_on = tie_split(q_on, atol=bayes.atol)
                out_b = out_on
                if diverged.any():
                    d = np.flatnonzero(diverged)
                    s_b[d] = bayes.update(s_b[d], ob[d])
                    out_b = out_on.copy()
                    out_b[d] = bayes.output(s_b[d])
                optimal = out_on > 0  # the Bayes-optimal action set along the agent's trajectory
                out_a = agent.output(s_a)
                if with_probs:
                    a_a = _sample(out_a, u[:, t])
                    with np.errstate(divide="ignore", invalid="ignore"):
                        terms = np.where(optimal, out_on * (np.log(out_on) - np.log(out_a)), 0.0)
                    c["kl_tie_split"][:, t] = terms.sum(axis=1)
                    c["agreement"][:, t] = (out_a * optimal).sum(axis=1)
                    q_taken = (out_a * q_on).sum(axis=1)
                    with np.errstate(divide="ignore"):
                        c["kl_to_bayes_set"][:, t] = -np.log(np.minimum(c["agreement"][:, t], 1.0))
                else:
                    a_a = out_a
                    c["agreement"][:, t] = optimal[rows, a_a]
                    q_taken = q_on[rows, a_a]
                c["bayes_gap_q"][:, t] = q_on.max(axis=1) - q_taken
                a_b = _sample(out_b, u[:, t])
                # same noise: the trajectories part where the actions first differ; until then
                # the Bayes-optimal agent's own state is s_on
                newly = (a_a != a_b) & ~diverged
                if newly.any():
                    s_b[newly] = s_on[newly]
                    diverged |= newly
                if m:
                    rec.step(
                        obs=oa,
                        action=a_a,
                        agent_output=out_a if with_probs else np.zeros((n, 0)),
                        agent_state=s_a,
                        bayes_state=s_on,
                        bayes_output=out_on,
                    )
                pad[:n] = a_a
                obs_a, r_a, *_ = env_a.step(pad)
                pad[:n] = a_b
                obs_b, r_b, *_ = env_b.step(pad)
                if m:
                    rec.step(reward=r_a[:n])
                inst_a = p_max - flat[rows * k + a_a]
                inst_b = p_max - flat[rows * k + a_b]
                ret_a += r_a[:n]
                ret_b += r_b[:n]
                reg_a += inst_a
                reg_b += inst_b
                c["reward"][:, t], c["regret"][:, t], c["bayes_gap"][:, t] = (
                    r_a[:n],
                    inst_a,
                    inst_a - inst_b,
                )
            rec.finish(p)
            values = {
                "return": ret_a,
                "bayes_return": ret_b,
                "regret": reg_a,
                "bayes_regret": reg_b,
                "bayes_gap": reg_a - reg_b,
                "bayes_gap_q": c["bayes_gap_q"].sum(axis=1),
                "agreement": c["agreement"].mean(axis=1),
            }
            if with_probs:
                for name in kls:
                    values[name] = c[name].mean(axis=1)
            acc.put(first, values)
            for name in BANDIT_CURVES:
                acc.add_curve(name, c[name])
            if on_batch is not None:
                on_batch(n)
        prior = task.arms.prior
        random_return = float(h * (prior[:, 0] / prior.sum(axis=1)).mean())
        if isinstance(bayes, FiniteGittinsAgent):
            return acc, {"random_return": random_return}
        return acc, {"bayes_value": float(bayes.value), "random_return": random_return}

    def prediction(
        self, on_batch: Callable[[int], None] | None
    ) -> tuple[_Accumulator, dict[str, float]]:
        task, agent, rec = self.task, self.agent, self.recorder
        h, family = task.horizon, task.family
        bayes = bayes_agent(task)
        env = task.make_vector(self.batch)
        names = ("return", "log_loss", "bayes_log_loss", "excess_log_loss", "prior_excess", "kl")
        acc = _Accumulator(self.episodes, h, names, PREDICTION_CURVES)
        prior_action = family.predictive(family.prior_stats()[None, :])
        actions = np.repeat(prior_action, self.batch, axis=0)
        for first, n, seed in self._batches():
            obs, info = env.reset(seed=seed)
            task_params = info["task"][:n]
            xs = env.samples[:n]  # type: ignore[attr-defined]
            prior_n = np.repeat(prior_action, n, axis=0)
            m = rec.start(first, n)
            s_a = agent.initial_state(n)
            s_b = bayes.initial_state(n)
            loss_c, bayes_c, kl_c = np.zeros((n, h)), np.zeros((n, h)), np.zeros((n, h))
            prior_excess = np.zeros(n)
            for t in range(h):
                self.cursor.t = t
                o = obs[:n]
                s_a = agent.update(s_a, o)
                out_a = agent.output(s_a)
                s_b = bayes.update(s_b, o)
                out_b = bayes.output(s_b)
                if m:
                    rec.step(
                        obs=o,
                        action=out_a,
                        agent_output=out_a,
                        agent_state=s_a,
                        bayes_state=s_b,
                        bayes_output=out_b,
                    )
                actions[:n] = out_a
                obs, reward, *_ = env.step(actions)
                if m:
                    rec.step(reward=reward[:n])
                x = xs[:, t]
                loss_b = -family.log_likelihood(out_b, x)
                loss_c[:, t] = -reward[:n]
                bayes_c[:, t] = loss_b
                prior_excess += -family.log_likelihood(prior_n, x) - loss_b
                # KL >= 0: zero the rounding error of the closed forms (about 1e-16), and only that
                kl = family.kl(out_b, out_a)
                kl_c[:, t] = np.where((kl < 0) & (kl > -1e-9), 0.0, kl)
            rec.finish(task_params)
            log_loss, bayes_log_loss = loss_c.mean(axis=1), bayes_c.mean(axis=1)
            acc.put(
                first,
                {
                    "return": -loss_c.sum(axis=1),
                    "log_loss": log_loss,
                    "bayes_log_loss": bayes_log_loss,
                    "excess_log_loss": log_loss - bayes_log_loss,
                    "prior_excess": prior_excess / h,
                    "kl": kl_c.mean(axis=1),
                },
            )
            for name, curve in (
                ("log_loss", loss_c),
                ("excess_log_loss", loss_c - bayes_c),
                ("kl", kl_c),
            ):
                acc.add_curve(name, curve)
            if on_batch is not None:
                on_batch(n)
        return acc, {}


def agent_output_kind(task: MetaTask, provides_probabilities: bool) -> OutputKind:
    """The :data:`OutputKind` of an agent on ``task``."""
    if not task.is_bandit:
        return "predictive"
    return "probabilities" if provides_probabilities else "actions"
