"""Paired states and the MLP behind the map phi of :mod:`bayes_meta_envs.analysis.simulation`:
collecting two agents' states on identical histories, fitting an MLP (scikit-learn), putting
mapped states back into the target's state space."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._validate import check_agent, check_int, check_matrix, check_seed
from bayes_meta_envs.baselines import BayesOptimalAgent
from bayes_meta_envs.errors import invalid
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.task import MetaTask, check_task

__all__ = ["MIN_FIT_ROWS", "PairedStates", "StateMap", "collect_states", "fit_map", "project"]

#: The fewest rows :func:`fit_map` fits on (its early stopping validates on 15% of them).
MIN_FIT_ROWS = 10

# ----------------------------------------------------------------------------------------------
# paired states
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedStates:
    """States and outputs of two agents on identical histories.

    Arrays of shape ``(episodes, horizon, dim)``.
    """

    source: np.ndarray
    target: np.ndarray
    source_output: np.ndarray
    target_output: np.ndarray
    task_params: np.ndarray


def collect_states(
    source: Agent, target: Agent, task: MetaTask, *, episodes: int, seed: int, condition: Agent
) -> PairedStates:
    """Run ``condition`` on ``episodes`` episodes of ``task`` and feed its observations to both
    ``source`` and ``target``; keep their states and outputs after every update. Bandit actions
    are drawn from ``condition``'s output probabilities by inverse CDF with seeded uniforms."""
    source, target = check_agent("source", source), check_agent("target", target)
    condition = check_agent("condition", condition)
    task = check_task("task", task)
    episodes = check_int("episodes", episodes, 1)
    env_ss, action_ss = np.random.SeedSequence(check_seed("seed", seed)).spawn(2)
    rng = np.random.Generator(np.random.PCG64(action_ss))
    env = task.make_vector(episodes)
    obs, info = env.reset(seed=int(env_ss.generate_state(1, dtype=np.uint64)[0]))
    agents = [source, target] + ([] if condition in (source, target) else [condition])
    states = [a.initial_state(episodes) for a in agents]
    keep: dict[str, list[np.ndarray]] = {k: [] for k in ("s", "t", "so", "to")}
    for _ in range(task.horizon):
        states = [a.update(s, obs) for a, s in zip(agents, states)]
        outs = [np.asarray(a.output(s), dtype=np.float64) for a, s in zip(agents, states)]
        for key, arr in zip(("s", "t", "so", "to"), (*states[:2], *outs[:2])):
            keep[key].append(np.asarray(arr, dtype=np.float64))
        cond_out = outs[agents.index(condition)]
        obs, *_ = env.step(_ACT[task.kind](cond_out, rng))
    st = {k: np.stack(v, axis=1) for k, v in keep.items()}
    return PairedStates(st["s"], st["t"], st["so"], st["to"], np.asarray(info["task"]))


def _sample_arm(out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An arm drawn from each row's (unnormalised) probabilities."""
    c = np.cumsum(out, axis=1)
    u = rng.random(out.shape[0])
    return np.argmax(c > (u * c[:, -1])[:, None], axis=1)


def _predict(out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A prediction task's action: the predictive's parameters themselves."""
    return out


#: How :func:`collect_states` acts from the conditioning agent's output, per kind of task.
_ACT: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "bandit": _sample_arm,
    "prediction": _predict,
}


# ----------------------------------------------------------------------------------------------
# the map phi
# ----------------------------------------------------------------------------------------------


@dataclass
class StateMap:
    """A fitted map ``phi`` from source states to target states (see the module docstring)."""

    pca: PCA | None
    x_scaler: StandardScaler
    y_scaler: StandardScaler
    mlp: MLPRegressor
    low: np.ndarray
    high: np.ndarray

    def __call__(self, states: np.ndarray) -> np.ndarray:
        """Map ``(..., D_source)`` states to ``(..., D_target)`` (unprojected)."""
        x = np.asarray(states, dtype=np.float64)
        flat = x.reshape(-1, x.shape[-1])
        if self.pca is not None:
            flat = self.pca.transform(flat)
        y = self.mlp.predict(self.x_scaler.transform(flat)).reshape(flat.shape[0], -1)
        return self.y_scaler.inverse_transform(y).reshape(*x.shape[:-1], -1)


def fit_map(
    source: np.ndarray,
    target: np.ndarray,
    *,
    seed: int = 0,
    pca_components: int | None = None,
    hidden: int = 128,
    max_iter: int = 150,
) -> StateMap:
    """Fit ``phi`` on rows ``source (N, Ds) -> target (N, Dt)``: MLP with early stopping (15%
    of the rows validate, so ``N >= 10``)."""
    x = check_matrix("source", source, min_rows=MIN_FIT_ROWS)
    y = check_matrix("target", target, min_rows=MIN_FIT_ROWS)
    if y.shape[0] != x.shape[0]:
        raise invalid("target", f"<array of shape {y.shape}>", f"{x.shape[0]} rows, as source")
    seed = check_int("seed", seed, 0, 2**32 - 1)  # scikit-learn's random_state
    hidden = check_int("hidden", hidden, 1)
    max_iter = check_int("max_iter", max_iter, 1)
    check_memory(nbytes(hidden, x.shape[1] + y.shape[1] + 1, 8), "the map's MLP", hidden=hidden)
    pca = None
    if pca_components is not None:
        n = check_int("pca_components", pca_components, 1, min(x.shape))
        pca = PCA(n_components=n, random_state=seed).fit(x)
        x = pca.transform(x)
    xs, ys = StandardScaler().fit(x), StandardScaler().fit(y)
    mlp = MLPRegressor(
        hidden_layer_sizes=(hidden,),
        learning_rate_init=1e-3,
        batch_size=min(512, max(1, int(0.85 * x.shape[0]) - 1)),  # after the validation split
        max_iter=max_iter,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=8,
        tol=1e-4,
        random_state=seed,
    )
    yt = ys.transform(y)
    # one BLAS thread: on a shared machine more threads only contend (10 s for 14,000 rows)
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached
        mlp.fit(xs.transform(x), yt[:, 0] if yt.shape[1] == 1 else yt)
    return StateMap(pca, xs, ys, mlp, y.min(axis=0), y.max(axis=0))


def project(agent: Agent, states: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Put mapped states back into ``agent``'s state space: clip to ``[low, high]``; for the
    bandit's Bayes-optimal agent, round to the nearest reachable belief state (largest-remainder
    rounding of the counts to integers summing to the rounded step count)."""
    s = np.clip(states, low, high)
    if not isinstance(agent, BayesOptimalAgent):
        return s
    k = agent.n_arms
    prior = agent.arms.prior_stats()
    t = np.clip(np.rint(s[:, 2 * k]), 0, agent.horizon)
    counts = np.maximum(s[:, : 2 * k] - prior, 0.0)
    total = counts.sum(axis=1, keepdims=True)
    counts = np.where(total > 0, counts / np.where(total > 0, total, 1.0), 1.0 / (2 * k))
    counts *= t[:, None]
    base = np.floor(counts)
    short = (t - base.sum(axis=1)).astype(np.int64)
    order = np.argsort(-(counts - base), axis=1, kind="stable")
    ranks = np.argsort(order, axis=1, kind="stable")
    base += ranks < short[:, None]
    return np.concatenate([prior + base, t[:, None]], axis=1)
