"""The paper's report: ``REPORT.md`` with tables and PNG figures, from runs or meta-learners.

For each task, :func:`write_report` takes the task's meta-learners (the final agents of the run
folders of that task, or the named agent when no run is of its task) and measures

1. per run: behaviour (Bayes gap from Q-values, or excess log-loss) and simulation both ways with
   the Bayes-optimal agent, each beside the untrained twin;
2. once: the clock and the memorizer (:mod:`.references`) in both directions;
3. the two-sided verdict across runs (:mod:`.verdict`) and, when asked, the robustness table of
   the first run (:func:`~.study.robustness`);
4. an embedding figure (PCA of both agents' states, phi-mapped states overlaid);
5. when the runs have checkpoints: behaviour and D_s/D_o over about ``checkpoints`` log-spaced
   checkpoints of every run, pooled across runs with a bootstrap interval over runs, and the
   MDS of all runs' checkpoints with the Bayes-optimal agent;

and writes ``REPORT.md``, the PNGs and ``results.json`` into ``out``. Reads agents and
checkpoints only; never trains.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs._validate import check_agent, check_int, check_path, check_seed
from bayes_meta_envs.agents import load
from bayes_meta_envs.analysis import figures
from bayes_meta_envs.analysis.dynamics import (
    checkpoint_dirs,
    load_checkpoints,
    mds_of_runs,
    training_dynamics,
)
from bayes_meta_envs.analysis.maps import PairedStates, collect_states, fit_map
from bayes_meta_envs.analysis.markdown import report_markdown, results_json
from bayes_meta_envs.analysis.study import TaskStudy, study_task
from bayes_meta_envs.baselines import bayes_agent
from bayes_meta_envs.errors import MissingFileError, invalid, wrong_type
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.task import MetaTask, task_of

__all__ = ["embed", "runs_for", "write_report"]


def agent_task(agent: Any) -> MetaTask:
    """The task of a meta-learner (its ``task`` attribute, as the package's LSTM agents have)."""
    task = getattr(agent, "task", None)
    if not isinstance(task, MetaTask):
        raise invalid("agent", agent, "a meta-learner with a `task` (MetaTask) attribute")
    return task


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")


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
    check_agent("agent", agent)
    path = check_path("path", path)
    if not isinstance(name, str):
        raise wrong_type("name", name, "a string")
    episodes = check_int("episodes", episodes, 1)
    seed = int(check_seed("seed", seed) or 0)
    if seed > 2**32 - 1:
        raise invalid("seed", seed, "an int in [0, 2**32 - 1]")
    task = task_of(env)
    bayes = bayes_agent(task)
    paired = collect_states(agent, bayes, task, episodes=episodes, seed=seed, condition=bayes)
    n = paired.source.shape[0]
    phi = fit_map(
        paired.source.reshape(n * task.horizon, -1),
        paired.target.reshape(n * task.horizon, -1),
        seed=seed,
    )
    colour, label = _COLOUR[task.kind](paired, task)
    title = (
        f"{task.name}: do the meta-learner's states ({name}) organise like the Bayes states? "
        f"PCA, {n} episodes (histories of the Bayes agent), seed {seed}"
    )
    return figures.plot_embedding(paired, phi, colour, label, title, path)


def _arm_colour(paired: PairedStates, task: MetaTask) -> tuple[np.ndarray, str]:
    a1, b1 = paired.target[..., 0], paired.target[..., task.n_arms]
    return a1 / (a1 + b1), "posterior mean of arm 1 (Bayes)"


def _predictive_colour(paired: PairedStates, task: MetaTask) -> tuple[np.ndarray, str]:
    return paired.target_output[..., 0], f"Bayes predictive: {task.family.action_names[0]}"


#: What colours the embedding's points (and its label), per kind of task.
_COLOUR: dict[str, Callable[[PairedStates, MetaTask], tuple[np.ndarray, str]]] = {
    "bandit": _arm_colour,
    "prediction": _predictive_colour,
}


def _dynamics(
    study: TaskStudy, runs: Sequence[Path], out: Path, episodes: int, count: int, seed: int
) -> None:
    task, slug = study.task, _slug(study.label)
    ckpts = {p.name: load_checkpoints(p, count=count) for p in runs}
    for name, c in ckpts.items():
        study.dynamics[name] = training_dynamics(c, task, episodes=episodes, seed=seed)
    perf = task.traits.headline_axis
    title = (
        f"{task.name}: do behaviour and structure improve together over training? "
        f"{len(ckpts)} runs pooled (mean, 95% bootstrap band over runs), {episodes} episodes per "
        f"checkpoint, seed {seed}"
    )
    path = figures.plot_pooled_dynamics(study.dynamics, perf, title, out / f"{slug}-dynamics.png")
    study.figures.append(path.name)
    emb = mds_of_runs(ckpts, task, episodes=episodes, seed=seed)
    title = (
        f"{task.name}: do runs converge to the Bayes-optimal agent (star)? {len(ckpts)} runs, "
        f"{episodes} episodes, seed {seed}"
    )
    path = figures.plot_mds(emb, title, out / f"{slug}-mds.png")
    study.figures.append(path.name)
    d = emb.output_distance[-1]
    starts, ends, end_perf = [], [], []
    for name in ckpts:
        idx = [i for i, (n, _) in enumerate(emb.labels) if n == name]
        starts.append(float(d[idx[0]]))
        ends.append(float(d[idx[-1]]))
        end_perf.append(float(emb.performance[idx[-1]]))
    study.mds = {
        "runs": list(ckpts),
        "start_divergence": starts,
        "end_divergence": ends,
        "end_performance": end_perf,
        "labels": [list(x) for x in emb.labels],
        "output_distance": emb.output_distance.tolist(),
    }


def runs_for(task: MetaTask, folders: Sequence[Path]) -> list[Path]:
    """The run folders (with checkpoints) among ``folders`` whose config is of ``task``."""
    return [p for p in folders if _run_task(p) == task]


def _run_task(p: Path) -> MetaTask | None:
    cfg = p / "config.json"
    if not cfg.is_file() or not (p / "checkpoints").is_dir() or not checkpoint_dirs(p):
        return None
    data = json.loads(cfg.read_text())
    return task_of(data["env_id"], **data.get("env_kwargs", {}))


def _candidates(runs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Run folders: each path, or the folders (recursively, two levels) under it."""
    found: list[Path] = []
    if isinstance(runs, (str, bytes, os.PathLike)) or not isinstance(runs, Sequence):
        raise wrong_type("runs", runs, "a sequence of folders")
    for r in runs:
        if not isinstance(r, (str, os.PathLike)):
            raise wrong_type("runs", r, "a folder (str or path)")
        p = check_path("runs", r)
        if not p.exists():
            raise MissingFileError(f"runs: {str(p)!r} does not exist")
        if (p / "config.json").is_file():
            found.append(p)
        elif p.is_dir():
            for q in sorted(p.iterdir()):
                if (q / "config.json").is_file():
                    found.append(q)
                elif q.is_dir():
                    found += [x for x in sorted(q.iterdir()) if (x / "config.json").is_file()]
    return found


def _robustness_episodes(value: Sequence[int]) -> list[int]:
    """``()`` or ``(base, larger)`` episodes of the robustness table, checked."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise wrong_type("robustness_episodes", value, "a sequence of two ints")
    rob = [check_int("robustness_episodes", n, 10) for n in value]
    if len(rob) not in (0, 2):
        raise invalid("robustness_episodes", value, "() or (base, larger)")
    return rob


def _signal(agent: Any, task: MetaTask) -> str:
    config = getattr(agent, "config", None)
    fixed = task.traits.fixed_signal  # prediction learns by its log-loss through time
    if fixed is not None:
        return f"{fixed.replace('_', '-')} (BPTT)"
    return str(getattr(config, "reward_signal", "n/a"))


@dataclass(frozen=True)
class _TaskJob:
    """What :func:`_study` needs to analyse one task (sent to a worker process)."""

    task: MetaTask
    label: str
    named: dict[str, Agent]
    paths: list[Path]
    folder: Path
    episodes: int
    dynamics_episodes: int
    count: int
    seed: int
    robustness: list[int]


def _one_thread() -> None:
    torch.set_num_threads(1)


def _study(job: _TaskJob) -> TaskStudy:
    """Measure one task, draw its embedding and (with runs) its dynamics and MDS figures."""
    first = next(iter(job.named.values()))
    study = study_task(
        job.task,
        job.named,
        label=job.label,
        signal=_signal(first, job.task),
        episodes=job.episodes,
        seed=job.seed,
        robustness_episodes=job.robustness,
    )
    path = embed(
        first,
        job.task,
        job.folder / f"{_slug(job.label)}-embedding.png",
        name=next(iter(job.named)),
        episodes=min(job.episodes, 400),
        seed=job.seed,
    )
    study.figures.append(path.name)
    if job.paths:
        _dynamics(study, job.paths, job.folder, job.dynamics_episodes, job.count, job.seed)
    return study


def write_report(
    agents: dict[str, Agent],
    out: str | os.PathLike[str],
    *,
    runs: Sequence[str | os.PathLike[str]] = (),
    episodes: int = 2000,
    dynamics_episodes: int = 500,
    checkpoint_every: int = 1,
    checkpoints: int = 12,
    robustness_episodes: Sequence[int] = (),
    seed: int = 0,
    command: str = "",
    notes: str = "",
    jobs: int = 1,
) -> Path:
    """Analyse every task and write ``REPORT.md``, the figures and ``results.json`` to ``out``.

    ``agents``: named meta-learners; ``runs``: run folders (or folders holding run folders, such
    as a sweep's) with checkpoints. A task's meta-learners are its runs' final agents, else the
    named agent of that task. ``checkpoints``: about this many log-spaced checkpoints per run for
    the dynamics (``checkpoint_every`` is kept for compatibility and unused when runs are
    pooled). ``robustness_episodes``: ``(base, larger)`` episodes of the robustness table (none:
    no table). ``notes``: Markdown put under the report's title (what was run). ``jobs``: how
    many tasks are analysed at once, each in its own process with one torch thread (the report
    is the same for any ``jobs``: every task is seeded by ``seed`` alone)."""
    episodes = check_int("episodes", episodes, 10)
    dynamics_episodes = check_int("dynamics_episodes", dynamics_episodes, 10)
    check_int("checkpoint_every", checkpoint_every, 1)
    count = check_int("checkpoints", checkpoints, 2)
    jobs = check_int("jobs", jobs, 1)
    rob = _robustness_episodes(robustness_episodes)
    for name, text in (("command", command), ("notes", notes)):
        if not isinstance(text, str):
            raise wrong_type(name, text, "a string")
    if not isinstance(agents, dict):
        raise wrong_type("agents", agents, "a dict of name -> agent")
    for name, agent in agents.items():
        if not isinstance(name, str):
            raise wrong_type("agents", name, "str names")
        check_agent(f"agents[{name!r}]", agent)
    seed = int(check_seed("seed", seed) or 0)
    if seed > 2**32 - 3:  # the maps' seeds (seed, seed + 1, seed + 2) seed scikit-learn
        raise invalid("seed", seed, "an int in [0, 2**32 - 3]")
    folder = check_path("out", out)
    candidates = _candidates(runs)
    if not agents and not candidates:
        raise invalid("runs", runs, "run folders (or folders holding them) when no agent is named")
    folder.mkdir(parents=True, exist_ok=True)
    run_tasks = [(p, _run_task(p)) for p in candidates]
    tasks: dict[MetaTask, tuple[str, dict[str, Agent], list[Path]]] = {}
    for name, agent in agents.items():
        tasks.setdefault(agent_task(agent), (name, {name: agent}, []))
    for p, task in run_tasks:
        if task is None:
            continue
        label, named, paths = tasks.get(task, ("", {}, []))
        if not paths:  # the runs replace a named agent of the same task
            named = {}
        paths.append(p)
        named[p.name] = load(p)
        tasks[task] = (label or f"{task.name} runs", named, paths)
    jobs_ = [
        _TaskJob(task, label, named, paths, folder, episodes, dynamics_episodes, count, seed, rob)
        for task, (label, named, paths) in tasks.items()
    ]
    if jobs == 1 or len(jobs_) == 1:
        studies = [_study(job) for job in jobs_]
    else:  # spawn: a forked child of a process that has run torch can hang
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(jobs, len(jobs_)), ctx, _one_thread) as pool:
            studies = list(pool.map(_study, jobs_))
    atomic_write_text(folder / "results.json", json.dumps(results_json(studies), indent=1) + "\n")
    text = report_markdown(studies, episodes, dynamics_episodes, seed, command, notes)
    return atomic_write_text(folder / "REPORT.md", text)
