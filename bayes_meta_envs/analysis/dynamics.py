"""Training dynamics: behaviour and structure over a run's checkpoints, and MDS across runs.

Mikulik et al. (NeurIPS 2020), section 4.3 and their figure of runs converging: over training, a
meta-learner's behaviour (Bayes gap, excess log-loss, the divergence of its outputs) and its
structural distance to the Bayes-optimal agent (D_s, D_o in both directions) are measured at every
saved checkpoint; across several runs, every checkpoint becomes a point of a multidimensional
scaling (MDS, scikit-learn, metric, on a precomputed dissimilarity matrix) with the Bayes-optimal
agent as one more point, once from the pairwise divergences of the agents' outputs on shared input
histories and once from the pairwise differences of their performance.

Reads checkpoints; never trains. The untrained network of a run's configuration is its step 0.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.manifold import MDS
from threadpoolctl import threadpool_limits

from bayes_meta_envs._validate import (
    check_agent,
    check_bool,
    check_int,
    check_mapping,
    check_path,
)
from bayes_meta_envs.agents import lstm  # torch only when LSTMAgent is reached
from bayes_meta_envs.analysis.maps import collect_states
from bayes_meta_envs.analysis.references import LogStatsAgent
from bayes_meta_envs.analysis.simulation import simulate, untrained_twin
from bayes_meta_envs.baselines import BayesPredictorAgent, bayes_agent
from bayes_meta_envs.errors import CheckpointError, wrong_type
from bayes_meta_envs.families import GammaExponential
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.rollout import paired_rollout
from bayes_meta_envs.task import MetaTask, check_task

__all__ = [
    "CheckpointRow",
    "RunEmbedding",
    "behaviour",
    "check_checkpoints",
    "checkpoint_dirs",
    "load_checkpoints",
    "log_spaced",
    "mds_of_runs",
    "structural_bayes",
    "training_dynamics",
]


def checkpoint_dirs(run: str | os.PathLike[str]) -> list[tuple[int, Path]]:
    """``(update, folder)`` of every ``checkpoints/ckpt_NNNNNN`` of a run folder, in order."""
    root = check_path("run", run) / "checkpoints"
    if not root.is_dir():
        raise CheckpointError(f"run folder {str(run)!r} has no checkpoints/ folder")
    out = []
    for p in sorted(root.iterdir()):
        if p.is_dir() and p.name.startswith("ckpt_") and p.name[5:].isdigit():
            out.append((int(p.name[5:]), p))
    return out


def log_spaced(steps: list[int], count: int) -> list[int]:
    """Indices of about ``count`` entries of the increasing ``steps`` nearest to a log-spaced
    grid from the first to the last (both always kept; duplicates merged)."""
    count = check_int("count", count, 2)
    if len(steps) <= count:
        return list(range(len(steps)))
    s = np.asarray(steps, dtype=np.float64)
    lo, hi = max(s[0], 1.0), max(s[-1], 1.0)
    grid = np.geomspace(lo, hi, count)
    near = np.abs(np.log(np.maximum(s, 1.0))[None, :] - np.log(grid)[:, None]).argmin(axis=1)
    return sorted({0, len(steps) - 1, *(int(i) for i in near)})


def load_checkpoints(
    run: str | os.PathLike[str],
    *,
    every: int = 1,
    with_untrained: bool = True,
    count: int | None = None,
) -> list[tuple[int, Agent]]:
    """``(update, agent)`` for every ``every``-th checkpoint of an LSTM run (always the last),
    or with ``count`` about that many log-spaced ones (:func:`log_spaced`), preceded by the
    untrained network of the run's configuration at update 0 (its initial weights: the network
    is built from the config's seed)."""
    with_untrained = check_bool("with_untrained", with_untrained)
    every = check_int("every", every, 1)
    count = None if count is None else check_int("count", count, 2)
    found = checkpoint_dirs(run)
    if not found:
        raise CheckpointError(f"run folder {str(run)!r} has no checkpoints")
    if count is not None:
        keep = [found[i] for i in log_spaced([step for step, _ in found], count)]
    else:
        keep = found[every - 1 :: every]
        if not keep or keep[-1] != found[-1]:
            keep.append(found[-1])
    agents: list[tuple[int, Agent]] = [(step, lstm.LSTMAgent.load(p)) for step, p in keep]
    if with_untrained:
        twin = untrained_twin(agents[0][1])
        if twin is not None:
            agents.insert(0, (0, twin))
    return agents


def structural_bayes(task: MetaTask) -> Agent:
    """The Bayes agent whose state the structural comparison uses: its own, except on the
    exponential task, where ``b + sum(x)`` has no finite variance under the prior and the
    log-statistics are used (:class:`~bayes_meta_envs.analysis.references.LogStatsAgent`)."""
    bayes = bayes_agent(task)
    if isinstance(bayes, BayesPredictorAgent) and isinstance(bayes.family, GammaExponential):
        return LogStatsAgent(bayes)
    return bayes


def behaviour(agent: Agent, task: MetaTask, *, episodes: int, seed: int) -> dict[str, float]:
    """Bandits: the Bayes gap from Q-values (``bayes_gap_q``) and ``kl_to_bayes_set``; prediction:
    excess log-loss and KL."""
    run = paired_rollout(agent, task, episodes=episodes, seed=seed)
    traits = task.traits
    return {
        traits.headline: run.estimate(traits.headline).mean,
        "divergence": run.estimate(traits.divergence).mean,
    }


def check_checkpoints(name: str, value: Any) -> list[tuple[int, Agent]]:
    """``value`` as a list of ``(update, agent)`` pairs (what :func:`load_checkpoints` returns):
    the guard of the functions that read checkpoints."""
    expected = "a list of (update, agent) pairs"
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise wrong_type(name, value, expected)
    out = []
    for i, pair in enumerate(value):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise wrong_type(f"{name}[{i}]", pair, "an (update, agent) pair")
        out.append(
            (check_int(f"{name}[{i}][0]", pair[0], 0), check_agent(f"{name}[{i}][1]", pair[1]))
        )
    return out


def _check_run(task: Any, episodes: Any, seed: Any) -> tuple[MetaTask, int, int]:
    """The task, episodes and seed shared by the analyses of checkpoints (the seed is also
    scikit-learn's ``random_state``: below 2**32)."""
    task = check_task("task", task)
    return task, check_int("episodes", episodes, 10), check_int("seed", seed, 0, 2**32 - 1)


@dataclass(frozen=True)
class CheckpointRow:
    """One checkpoint of a run: behaviour and both directions of simulation with Bayes."""

    step: int
    performance: float  # Bayes gap from Q-values (bandits) or excess log-loss (prediction)
    divergence: float  # kl_to_bayes_set (bandits) or KL between predictives
    d_s: float  # meta-learner -> Bayes
    d_o: float
    d_s_reverse: float  # Bayes -> meta-learner
    d_o_reverse: float

    def to_dict(self) -> dict[str, Any]:
        return {k: float(v) for k, v in self.__dict__.items()}


def training_dynamics(
    checkpoints: list[tuple[int, Agent]], task: MetaTask, *, episodes: int, seed: int
) -> list[CheckpointRow]:
    """Behaviour and D_s/D_o (both directions, histories of the target) at each checkpoint."""
    checkpoints = check_checkpoints("checkpoints", checkpoints)
    task, episodes, seed = _check_run(task, episodes, seed)
    bayes = structural_bayes(task)
    rows = []
    key = task.traits.headline
    for step, agent in checkpoints:
        b = behaviour(agent, task, episodes=episodes, seed=seed)
        fwd = simulate(agent, bayes, task, episodes=episodes, seed=seed, control=None)
        rev = simulate(bayes, agent, task, episodes=episodes, seed=seed, control=None)
        rows.append(
            CheckpointRow(
                step,
                b[key],
                b["divergence"],
                fwd.d_s.mean,
                fwd.d_o.mean,
                rev.d_s.mean,
                rev.d_o.mean,
            )
        )
    return rows


@dataclass(frozen=True)
class RunEmbedding:
    """MDS coordinates of every checkpoint of every run and of the Bayes-optimal agent.

    ``labels[i]`` is ``(run, step)`` (``("bayes", -1)`` for the Bayes-optimal agent, the last
    point); ``output_xy`` from the output divergences, ``performance_xy`` from the performance
    differences; ``output_distance`` the matrix behind the first."""

    labels: list[tuple[str, int]]
    output_xy: np.ndarray
    performance_xy: np.ndarray
    output_distance: np.ndarray
    performance: np.ndarray


def _pairwise_divergence(outputs: np.ndarray, task: MetaTask) -> np.ndarray:
    """Mean over steps and episodes of a symmetric divergence between every two agents'
    outputs ``(A, N, P)``: total variation between policies (bandits; bounded, finite for a
    deterministic Bayes-optimal policy), symmetrised KL between predictives (prediction)."""
    a = outputs.shape[0]
    d = np.zeros((a, a))
    for i in range(a):
        for j in range(i + 1, a):
            d[i, j] = d[j, i] = _SYMMETRIC_DIVERGENCE[task.kind](outputs[i], outputs[j], task)
    return d


def _policy_tv(p: np.ndarray, q: np.ndarray, task: MetaTask) -> float:
    return float(0.5 * np.abs(p - q).sum(-1).mean())


def _symmetric_kl(p: np.ndarray, q: np.ndarray, task: MetaTask) -> float:
    kl = task.family.kl(p, q) + task.family.kl(q, p)
    return float(0.5 * np.maximum(kl, 0.0).mean())


#: The symmetric divergence between two agents' outputs of each kind of task (see
#: :func:`_pairwise_divergence`).
_SYMMETRIC_DIVERGENCE: dict[str, Callable[[np.ndarray, np.ndarray, MetaTask], float]] = {
    "bandit": _policy_tv,
    "prediction": _symmetric_kl,
}


def mds_of_runs(
    runs: dict[str, list[tuple[int, Agent]]], task: MetaTask, *, episodes: int, seed: int
) -> RunEmbedding:
    """MDS of the checkpoints of several runs with the Bayes-optimal agent as a point.

    Shared inputs: every agent reads the histories the Bayes-optimal agent generates (bandits)
    or the same observations (prediction); performance: each agent's own paired rollout."""
    runs = {
        str(name): check_checkpoints(f"runs[{name!r}]", ckpts)
        for name, ckpts in check_mapping("runs", runs, allow_none=False).items()
    }
    task, episodes, seed = _check_run(task, episodes, seed)
    bayes = bayes_agent(task)
    labels: list[tuple[str, int]] = []
    agents: list[Agent] = []
    for name, ckpts in runs.items():
        for step, agent in ckpts:
            labels.append((name, step))
            agents.append(agent)
    labels.append(("bayes", -1))
    agents.append(bayes)
    outs, perf = [], []
    key = task.traits.headline
    for agent in agents:
        paired = collect_states(agent, bayes, task, episodes=episodes, seed=seed, condition=bayes)
        outs.append(paired.source_output.reshape(-1, paired.source_output.shape[-1]))
        run = paired_rollout(agent, task, episodes=episodes, seed=seed)
        perf.append(run.estimate(key).mean)
    dist = _pairwise_divergence(np.stack(outs), task)
    p = np.asarray(perf)
    perf_dist = np.abs(p[:, None] - p[None, :])
    with threadpool_limits(1):
        xy = _mds(np.sqrt(dist), seed)  # sqrt: closer to a metric (as for JS divergence)
        pxy = _mds(perf_dist, seed)
    return RunEmbedding(labels, xy, pxy, dist, p)


def _mds(d: np.ndarray, seed: int) -> np.ndarray:
    if "metric_mds" in inspect.signature(MDS).parameters:  # scikit-learn >= 1.8
        kw: dict[str, Any] = {"metric": "precomputed", "init": "classical_mds", "n_init": 1}
    else:
        kw = {"dissimilarity": "precomputed", "n_init": 4}
    mds = MDS(n_components=2, random_state=seed, **kw)
    xy = np.asarray(mds.fit_transform(d))
    return xy - xy[-1]  # the Bayes-optimal agent (last) at the origin
