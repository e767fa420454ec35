"""The two sides of :func:`~bayes_meta_envs.rollout.paired_rollout`: bandits and prediction tasks
(private: the package's rollout machinery, batch by batch and step by step)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from bayes_meta_envs.baselines import BayesOptimalAgent, FiniteGittinsAgent, bayes_agent
from bayes_meta_envs.protocol import Agent, kl_to_set, tie_split
from bayes_meta_envs.rollout._records import (
    BANDIT_CURVES,
    BANDIT_KLS,
    BANDIT_RETURNS,
    PREDICTION_CURVES,
    Cursor,
    OutputKind,
    PairedRollout,
)
from bayes_meta_envs.task import MetaTask


class Accumulator:
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


class Recorder:
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


@dataclass
class Batches:
    """The batches of a run: ``(first episode, size, seed of the reset)``; the envs are reset
    with the run's seed before the first batch and continue their streams after it."""

    episodes: int
    batch: int
    env_seed: int
    cursor: Cursor
    recorder: Recorder

    def __iter__(self) -> Iterator[tuple[int, int, int | None]]:
        first = 0
        while first < self.episodes:
            n = min(self.batch, self.episodes - first)
            self.cursor.first, self.cursor.n, self.cursor.t = first, n, 0
            yield first, n, (self.env_seed if first == 0 else None)
            first += n


@dataclass(frozen=True)
class RunSetup:
    """What a run is given: the agent (its ``output`` holding ``outputs``), the task, the
    batches, the generator of the bandits' action uniforms and, past the exact DP, the
    reference policy that stands in for the Bayes-optimal agent."""

    agent: Agent
    task: MetaTask
    batches: Batches
    rng: np.random.Generator
    outputs: OutputKind
    reference: FiniteGittinsAgent | None = None


_BANDIT_SCALARS = (*BANDIT_RETURNS, "agreement")


class BanditRun:
    """The bandit side of :func:`paired_rollout`: the agent, the Bayes-optimal agent on its own
    trajectory and on the agent's, shared action uniforms."""

    curves = BANDIT_CURVES

    def __init__(self, setup: RunSetup) -> None:
        task, batches = setup.task, setup.batches
        self.agent, self.task, self.batches, self.rng = setup.agent, task, batches, setup.rng
        self.bayes = setup.reference or BayesOptimalAgent(
            task.n_arms, task.horizon, task.arms.prior, include_time=task.include_time
        )
        self.with_probs = setup.outputs == "probabilities"
        self.scalars = _BANDIT_SCALARS + (BANDIT_KLS if self.with_probs else ())
        self.env_a, self.env_b = task.make_vector(batches.batch), task.make_vector(batches.batch)
        self.pad = np.zeros(batches.batch, dtype=np.int64)

    def references(self) -> dict[str, float]:
        prior = self.task.arms.prior
        random_return = float(self.task.horizon * (prior[:, 0] / prior.sum(axis=1)).mean())
        if isinstance(self.bayes, FiniteGittinsAgent):
            return {"random_return": random_return}
        return {"bayes_value": float(self.bayes.value), "random_return": random_return}

    def batch(
        self, first: int, n: int, seed: int | None
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """One batch of ``n`` episodes: per-episode values and per-step curves."""
        h, bayes = self.task.horizon, self.bayes
        obs_a, info = self.env_a.reset(seed=seed)
        obs_b, _ = self.env_b.reset(seed=seed)
        b = BanditBatch(
            p=info["task"][:n],
            u=self.rng.random((n, h)),
            m=self.batches.recorder.start(first, n),
            s_a=self.agent.initial_state(n),
            s_on=bayes.initial_state(n),  # Bayes on the agent's trajectory
            s_b=bayes.initial_state(n),  # Bayes on its own trajectory (rows that diverged)
            diverged=np.zeros(n, dtype=bool),
            c={name: np.zeros((n, h)) for name in BANDIT_CURVES},
            sums=np.zeros((4, n)),  # returns and regrets of the agent and of Bayes
        )
        for t in range(h):
            self.batches.cursor.t = t
            obs_a, obs_b = self._step(b, t, obs_a[:n], obs_b[:n])
        self.batches.recorder.finish(b.p)
        ret_a, ret_b, reg_a, reg_b = b.sums
        values = {
            "return": ret_a,
            "bayes_return": ret_b,
            "regret": reg_a,
            "bayes_regret": reg_b,
            "bayes_gap": reg_a - reg_b,
            "bayes_gap_q": b.c["bayes_gap_q"].sum(axis=1),
            "agreement": b.c["agreement"].mean(axis=1),
        }
        if self.with_probs:
            for name in BANDIT_KLS:
                values[name] = b.c[name].mean(axis=1)
        return values, b.c

    def _step(
        self, b: BanditBatch, t: int, oa: np.ndarray, ob: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Step ``t``: both agents act on common noise; the next observations."""
        bayes, c, n = self.bayes, b.c, oa.shape[0]
        b.s_a = self.agent.update(b.s_a, oa)
        b.s_on = bayes.update(b.s_on, oa)
        q_on = bayes.q_values(b.s_on)
        out_on = tie_split(q_on, atol=bayes.atol)
        out_b = out_on
        if b.diverged.any():
            d = np.flatnonzero(b.diverged)
            b.s_b[d] = bayes.update(b.s_b[d], ob[d])
            out_b = out_on.copy()
            out_b[d] = bayes.output(b.s_b[d])
        out_a = self.agent.output(b.s_a)
        a_a = self._agent_step(c, t, out_a, out_on, q_on, b.u[:, t])
        a_b = _sample(out_b, b.u[:, t])
        # same noise: the trajectories part where the actions first differ; until then the
        # Bayes-optimal agent's own state is s_on
        newly = (a_a != a_b) & ~b.diverged
        if newly.any():
            b.s_b[newly] = b.s_on[newly]
            b.diverged |= newly
        if b.m:
            self.batches.recorder.step(
                obs=oa,
                action=a_a,
                agent_output=out_a if self.with_probs else np.zeros((n, 0)),
                agent_state=b.s_a,
                bayes_state=b.s_on,
                bayes_output=out_on,
            )
        return self._env_step(b, t, a_a, a_b)

    def _agent_step(
        self,
        c: dict[str, np.ndarray],
        t: int,
        out_a: np.ndarray,
        out_on: np.ndarray,
        q_on: np.ndarray,
        u: np.ndarray,
    ) -> np.ndarray:
        """The agent's action at step ``t`` and its divergence from the Bayes-optimal set."""
        optimal = out_on > 0  # the Bayes-optimal action set along the agent's trajectory
        if self.with_probs:
            a_a = _sample(out_a, u)
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = np.where(optimal, out_on * (np.log(out_on) - np.log(out_a)), 0.0)
            c["kl_tie_split"][:, t] = terms.sum(axis=1)
            c["agreement"][:, t] = (out_a * optimal).sum(axis=1)
            q_taken = (out_a * q_on).sum(axis=1)
            c["kl_to_bayes_set"][:, t] = kl_to_set(c["agreement"][:, t])
        else:
            a_a = out_a
            rows = np.arange(out_a.shape[0])
            c["agreement"][:, t] = optimal[rows, a_a]
            q_taken = q_on[rows, a_a]
        c["bayes_gap_q"][:, t] = q_on.max(axis=1) - q_taken
        return np.asarray(a_a)

    def _env_step(
        self, b: BanditBatch, t: int, a_a: np.ndarray, a_b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Both envs take their agent's action; rewards, regrets and the curves of step ``t``."""
        n, k, pad = a_a.shape[0], self.task.n_arms, self.pad
        pad[:n] = a_a
        obs_a, r_a, *_ = self.env_a.step(pad)
        pad[:n] = a_b
        obs_b, r_b, *_ = self.env_b.step(pad)
        if b.m:
            self.batches.recorder.step(reward=r_a[:n])
        rows, flat, p_max = np.arange(n), b.p.ravel(), b.p.max(axis=1)
        inst_a = p_max - flat[rows * k + a_a]
        inst_b = p_max - flat[rows * k + a_b]
        b.sums[0] += r_a[:n]
        b.sums[1] += r_b[:n]
        b.sums[2] += inst_a
        b.sums[3] += inst_b
        b.c["reward"][:, t], b.c["regret"][:, t] = r_a[:n], inst_a
        b.c["bayes_gap"][:, t] = inst_a - inst_b
        return obs_a, obs_b


@dataclass
class BanditBatch:
    """The arrays of one bandit batch as its steps go."""

    p: np.ndarray
    u: np.ndarray
    m: int
    s_a: np.ndarray
    s_on: np.ndarray
    s_b: np.ndarray
    diverged: np.ndarray
    c: dict[str, np.ndarray]
    sums: np.ndarray


class PredictionRun:
    """The prediction side of :func:`paired_rollout`: the agent and the exact posterior
    predictive on the same samples."""

    scalars = ("return", "log_loss", "bayes_log_loss", "excess_log_loss", "prior_excess", "kl")
    curves = PREDICTION_CURVES

    def __init__(self, setup: RunSetup) -> None:
        """Nothing is sampled (``setup.rng`` unused), the output is the predictive and the
        exact posterior predictive is the reference."""
        task, batches = setup.task, setup.batches
        self.agent, self.task, self.batches = setup.agent, task, batches
        self.family = task.family
        self.bayes = bayes_agent(task)
        self.env = task.make_vector(batches.batch)
        self.prior_action = self.family.predictive(self.family.prior_stats()[None, :])
        self.actions = np.repeat(self.prior_action, batches.batch, axis=0)

    def references(self) -> dict[str, float]:
        return {}

    def batch(
        self, first: int, n: int, seed: int | None
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """One batch of ``n`` episodes: per-episode values and per-step curves."""
        h, family, rec = self.task.horizon, self.family, self.batches.recorder
        obs, info = self.env.reset(seed=seed)
        xs = self.env.samples[:n]  # type: ignore[attr-defined]
        prior_n = np.repeat(self.prior_action, n, axis=0)
        m = rec.start(first, n)
        s_a, s_b = self.agent.initial_state(n), self.bayes.initial_state(n)
        loss_c, bayes_c, kl_c = np.zeros((n, h)), np.zeros((n, h)), np.zeros((n, h))
        prior_excess = np.zeros(n)
        for t in range(h):
            self.batches.cursor.t = t
            o = obs[:n]
            s_a = self.agent.update(s_a, o)
            out_a = self.agent.output(s_a)
            s_b = self.bayes.update(s_b, o)
            out_b = self.bayes.output(s_b)
            if m:
                rec.step(obs=o, action=out_a, agent_output=out_a)  # the action is the output
                rec.step(agent_state=s_a, bayes_state=s_b, bayes_output=out_b)
            self.actions[:n] = out_a
            obs, reward, *_ = self.env.step(self.actions)
            if m:
                rec.step(reward=reward[:n])
            x = xs[:, t]
            loss_b = -family.log_likelihood(out_b, x)
            loss_c[:, t], bayes_c[:, t] = -reward[:n], loss_b
            prior_excess += -family.log_likelihood(prior_n, x) - loss_b
            # KL >= 0: zero the rounding error of the closed forms (about 1e-16), and only that
            kl = family.kl(out_b, out_a)
            kl_c[:, t] = np.where((kl < 0) & (kl > -1e-9), 0.0, kl)
        rec.finish(info["task"][:n])
        log_loss, bayes_log_loss = loss_c.mean(axis=1), bayes_c.mean(axis=1)
        values = {
            "return": -loss_c.sum(axis=1),
            "log_loss": log_loss,
            "bayes_log_loss": bayes_log_loss,
            "excess_log_loss": log_loss - bayes_log_loss,
            "prior_excess": prior_excess / h,
            "kl": kl_c.mean(axis=1),
        }
        return values, {"log_loss": loss_c, "excess_log_loss": loss_c - bayes_c, "kl": kl_c}


#: The run of each kind of task.
RUNS: dict[str, type[BanditRun] | type[PredictionRun]] = {
    "bandit": BanditRun,
    "prediction": PredictionRun,
}


def collect(
    run: BanditRun | PredictionRun, batches: Batches, on_batch: Callable[[int], None] | None
) -> PairedRollout:
    """Drive ``run`` through its batches; the per-episode values and per-step sums."""
    acc = Accumulator(batches.episodes, run.task.horizon, run.scalars, run.curves)
    for first, n, batch_seed in batches:
        values, curves = run.batch(first, n, batch_seed)
        acc.put(first, values)
        for name in run.curves:
            acc.add_curve(name, curves[name])
        if on_batch is not None:
            on_batch(n)
    return PairedRollout(
        run.task,
        batches.episodes,
        acc.values,
        acc.sums,
        run.references(),
        batches.recorder.arrays(),
    )
