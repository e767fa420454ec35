"""The paper's report: ``REPORT.md`` with tables and PNG figures for one or more meta-learners.

For each agent (a zoo name or an agent/run folder) on its task, :func:`write_report` measures

1. behaviour: Bayes gap from Q-values and ``kl_to_bayes_set`` (bandits) or excess log-loss and KL
   (prediction);
2. simulation both ways with the Bayes-optimal agent, each with the untrained-network control
   (:func:`~bayes_meta_envs.analysis.simulation.simulate`);
3. an embedding figure (PCA of both agents' states, phi-mapped states overlaid);
4. when run folders with checkpoints of the same task are given: behaviour and D_s/D_o over
   training (:func:`~bayes_meta_envs.analysis.dynamics.training_dynamics`) and the MDS of all
   their checkpoints with the Bayes-optimal agent (:func:`~.dynamics.mds_of_runs`);

and writes ``REPORT.md``, the PNGs and ``results.json`` into ``out``. Reads agents and
checkpoints only; never trains.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs._validate import check_int, check_seed
from bayes_meta_envs.analysis import figures
from bayes_meta_envs.analysis.dynamics import (
    behaviour,
    checkpoint_dirs,
    load_checkpoints,
    mds_of_runs,
    training_dynamics,
)
from bayes_meta_envs.analysis.maps import collect_states, fit_map
from bayes_meta_envs.analysis.markdown import AgentAnalysis, report_markdown, results_json
from bayes_meta_envs.analysis.simulation import simulate
from bayes_meta_envs.baselines import bayes_agent
from bayes_meta_envs.errors import invalid
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.task import MetaTask, task_of

__all__ = ["AgentAnalysis", "analyse_agent", "embed", "runs_for", "write_report"]


def agent_task(agent: Any) -> MetaTask:
    """The task of a meta-learner (its ``task`` attribute, as the package's LSTM agents have)."""
    task = getattr(agent, "task", None)
    if not isinstance(task, MetaTask):
        raise invalid("agent", agent, "a meta-learner with a `task` (MetaTask) attribute")
    return task


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")


def analyse_agent(
    name: str,
    agent: Agent,
    out: Path,
    *,
    runs: Sequence[Path] = (),
    episodes: int,
    dynamics_episodes: int,
    checkpoint_every: int,
    seed: int,
) -> AgentAnalysis:
    """Measure one meta-learner (see the module docstring) and draw its figures into ``out``."""
    task = agent_task(agent)
    bayes = bayes_agent(task)
    slug = _slug(name)
    beh = behaviour(agent, task, episodes=episodes, seed=seed)
    fwd = simulate(agent, bayes, task, episodes=episodes, seed=seed)
    rev = simulate(bayes, agent, task, episodes=episodes, seed=seed)
    config = getattr(agent, "config", None)
    signal = str(getattr(config, "reward_signal", "n/a")) if task.is_bandit else "log-loss (BPTT)"
    result = AgentAnalysis(name, task, signal, beh, fwd, rev)
    path = embed(
        agent,
        task,
        out / f"{slug}-embedding.png",
        name=name,
        episodes=min(episodes, 400),
        seed=seed,
    )
    result.figures.append(path.name)
    if runs:
        _dynamics(result, runs, out, dynamics_episodes, checkpoint_every, seed)
    return result


def embed(
    agent: Agent,
    env: Any,
    path: str | os.PathLike[str],
    *,
    name: str = "meta-learner",
    episodes: int = 400,
    seed: int = 0,
) -> Path:
    """The embedding PNG: PCA of ``agent``'s states and of the Bayes states on the Bayes agent's
    histories, coloured by the posterior mean of arm 1 (bandits) or the Bayes predictive's first
    parameter (prediction), one episode drawn through both, phi-mapped states overlaid."""
    task = task_of(env)
    bayes = bayes_agent(task)
    paired = collect_states(agent, bayes, task, episodes=episodes, seed=seed, condition=bayes)
    n = paired.source.shape[0]
    phi = fit_map(
        paired.source.reshape(n * task.horizon, -1),
        paired.target.reshape(n * task.horizon, -1),
        seed=seed,
    )
    if task.is_bandit:
        k = task.n_arms
        a1, b1 = paired.target[..., 0], paired.target[..., k]
        colour, label = a1 / (a1 + b1), "posterior mean of arm 1 (Bayes)"
    else:
        colour = paired.target_output[..., 0]
        label = f"Bayes predictive: {task.family.action_names[0]}"
    title = (
        f"{task.name}: do the meta-learner's states ({name}) organise like the Bayes states? "
        f"PCA, {n} episodes (histories of the Bayes agent), seed {seed}"
    )
    return figures.plot_embedding(paired, phi, colour, label, title, path)


def _dynamics(
    result: AgentAnalysis, runs: Sequence[Path], out: Path, episodes: int, every: int, seed: int
) -> None:
    task, slug = result.task, _slug(result.name)
    ckpts = {p.name: load_checkpoints(p, every=every) for p in runs}
    first = next(iter(ckpts))
    result.dynamics[first] = training_dynamics(ckpts[first], task, episodes=episodes, seed=seed)
    perf = "Bayes gap (Q) / episode" if task.is_bandit else "excess log-loss / step"
    title = (
        f"{task.name}: do behaviour and structure improve together over training? run {first}, "
        f"{episodes} episodes per checkpoint, seed {seed}"
    )
    path = figures.plot_dynamics(result.dynamics, perf, title, out / f"{slug}-dynamics.png")
    result.figures.append(path.name)
    emb = mds_of_runs(ckpts, task, episodes=episodes, seed=seed)
    title = (
        f"{task.name}: do runs converge to the Bayes-optimal agent (star)? {len(ckpts)} runs, "
        f"{episodes} episodes, seed {seed}"
    )
    path = figures.plot_mds(emb, title, out / f"{slug}-mds.png")
    result.figures.append(path.name)
    # distance to Bayes of each run's first (untrained) and last checkpoint, in the output matrix
    d = emb.output_distance[-1]
    starts, ends = [], []
    for name in ckpts:
        idx = [i for i, (n, _) in enumerate(emb.labels) if n == name]
        starts.append(float(d[idx[0]]))
        ends.append(float(d[idx[-1]]))
    result.mds = {
        "runs": list(ckpts),
        "start_divergence": starts,
        "end_divergence": ends,
        "end_performance": [
            float(emb.performance[[i for i, (n, _) in enumerate(emb.labels) if n == r][-1]])
            for r in ckpts
        ],
        "labels": [list(x) for x in emb.labels],
        "output_distance": emb.output_distance.tolist(),
    }


def runs_for(task: MetaTask, folders: Sequence[Path]) -> list[Path]:
    """The run folders (with checkpoints) among ``folders`` whose config is of ``task``."""
    found = []
    for p in folders:
        cfg = p / "config.json"
        if not cfg.is_file() or not (p / "checkpoints").is_dir() or not checkpoint_dirs(p):
            continue
        data = json.loads(cfg.read_text())
        if task_of(data["env_id"], **data.get("env_kwargs", {})).config() == task.config():
            found.append(p)
    return sorted(found)


def write_report(
    agents: dict[str, Agent],
    out: str | os.PathLike[str],
    *,
    runs: Sequence[str | os.PathLike[str]] = (),
    episodes: int = 2000,
    dynamics_episodes: int = 500,
    checkpoint_every: int = 1,
    seed: int = 0,
    command: str = "",
) -> Path:
    """Analyse every agent and write ``REPORT.md``, the figures and ``results.json`` to ``out``.

    ``runs``: run folders (or folders holding run folders) with checkpoints; those of an
    agent's task give its training dynamics and MDS."""
    episodes = check_int("episodes", episodes, 10)
    dynamics_episodes = check_int("dynamics_episodes", dynamics_episodes, 10)
    every = check_int("checkpoint_every", checkpoint_every, 1)
    seed = int(check_seed("seed", seed) or 0)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    candidates: list[Path] = []
    for r in runs:
        p = Path(r)
        candidates += (
            [p] if (p / "config.json").is_file() else sorted(q for q in p.iterdir() if q.is_dir())
        )
    results = []
    for name, agent in agents.items():
        task = agent_task(agent)
        results.append(
            analyse_agent(
                name,
                agent,
                folder,
                runs=runs_for(task, candidates),
                episodes=episodes,
                dynamics_episodes=dynamics_episodes,
                checkpoint_every=every,
                seed=seed,
            )
        )
    atomic_write_text(folder / "results.json", json.dumps(results_json(results), indent=1) + "\n")
    return atomic_write_text(
        folder / "REPORT.md", report_markdown(results, episodes, dynamics_episodes, seed, command)
    )
