"""The many-run study of one task: the two-sided verdict across runs, the reference agents, the
robustness table, and the exponential task in raw and log statistics.

For a task and its meta-learners (the final agents of several runs; one agent is a study of one
run), :func:`study_task` measures, on the same ``episodes`` and ``seed``:

* per run: behaviour, meta -> Bayes (histories of the Bayes agent) and Bayes -> meta (histories
  of the meta-learner), each with its untrained twin on the same histories;
* once: the clock and the memorizer as sources onto the Bayes agent, and the Bayes agent onto
  the memorizer;
* the verdict of :mod:`.verdict` from intervals across runs;
* the robustness table on the first run (:func:`robustness`);
* on the exponential task, meta -> Bayes in the raw statistics as well (the headline uses the
  log-statistics, :class:`~bayes_meta_envs.analysis.references.LogStatsAgent`).

The Bayes state of the structural comparison is :func:`structural_bayes`: the Bayes agent's own
state, except on the exponential task, where ``b + sum(x)`` has no finite variance under the
prior and the log-statistics are used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bayes_meta_envs.analysis.dynamics import CheckpointRow, behaviour, structural_bayes
from bayes_meta_envs.analysis.references import ClockAgent, LogStatsAgent, MemorizerAgent
from bayes_meta_envs.analysis.simulation import SimulationResult, simulate, untrained_twin
from bayes_meta_envs.analysis.verdict import Interval, direction_verdict
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.task import MetaTask

__all__ = [
    "RobustnessRow",
    "RunMeasures",
    "TaskStudy",
    "robustness",
    "study_task",
]


@dataclass(frozen=True)
class RunMeasures:
    """One run's final agent: behaviour and both directions (each with its untrained twin)."""

    name: str
    behaviour: dict[str, float]
    forward: SimulationResult
    reverse: SimulationResult
    forward_raw: SimulationResult | None = None  # exponential: meta -> Bayes in raw statistics


@dataclass(frozen=True)
class RobustnessRow:
    """One setting of the robustness table and the verdicts it gives (one run)."""

    setting: str
    forward: dict[str, float]  # D_s of meta, untrained, clock (meta -> Bayes)
    reverse: dict[str, float]  # D_s of meta, untrained, memorizer (Bayes -> meta)
    forward_pass: bool
    reverse_pass: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TaskStudy:
    """Everything the report says about one task."""

    task: MetaTask
    label: str
    signal: str
    runs: list[RunMeasures]
    clock: SimulationResult
    memorizer: SimulationResult
    memorizer_reverse: SimulationResult
    episodes: int
    seed: int
    robustness: list[RobustnessRow] = field(default_factory=list)
    dynamics: dict[str, list[CheckpointRow]] = field(default_factory=dict)
    mds: dict[str, Any] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)

    def intervals(self, key: str = "d_s") -> dict[str, dict[str, Interval]]:
        """``{"forward"|"reverse": {"meta"|"untrained"|"clock"|"memorizer": Interval}}``."""

        def runs(direction: str, control: bool) -> Interval:
            vals = []
            for r in self.runs:
                res: SimulationResult | None = getattr(r, direction)
                if control and res is not None:
                    res = res.control
                if res is not None:
                    vals.append(getattr(res, key).mean)
            if len(self.runs) == 1:  # one run: its interval over episodes
                res = getattr(self.runs[0], direction)
                res = res.control if control and res is not None else res
                return (
                    Interval.of(getattr(res, key)) if res is not None else Interval.across_runs([])
                )
            return Interval.across_runs(vals)

        return {
            "forward": {
                "meta": runs("forward", False),
                "untrained": runs("forward", True),
                "clock": Interval.of(getattr(self.clock, key)),
                "memorizer": Interval.of(getattr(self.memorizer, key)),
            },
            "reverse": {
                "meta": runs("reverse", False),
                "untrained": runs("reverse", True),
                "memorizer": Interval.of(getattr(self.memorizer_reverse, key)),
            },
        }

    def verdict(self) -> dict[str, Any]:
        """The two-sided verdict of :mod:`.verdict` on D_s, and which references each direction
        separates the meta-learner from."""
        iv = self.intervals("d_s")
        fwd = direction_verdict(
            iv["forward"]["meta"], {k: v for k, v in iv["forward"].items() if k != "meta"}
        )
        rev = direction_verdict(
            iv["reverse"]["meta"], {k: v for k, v in iv["reverse"].items() if k != "meta"}
        )
        forward_pass = fwd["clock"] and fwd["untrained"]
        reverse_pass = rev["memorizer"] and rev["untrained"]
        return {
            "forward": fwd,
            "reverse": rev,
            "forward_pass": forward_pass,
            "reverse_pass": reverse_pass,
            "implements": forward_pass and reverse_pass,
        }


def _pair(
    source: Agent, target: Agent, task: MetaTask, episodes: int, seed: int, **kw: Any
) -> SimulationResult:
    return simulate(source, target, task, episodes=episodes, seed=seed, **kw)


def measure_run(
    name: str, agent: Agent, task: MetaTask, *, episodes: int, seed: int, **kw: Any
) -> RunMeasures:
    """Behaviour and both directions of one meta-learner (with its untrained twin)."""
    bayes = structural_bayes(task)
    twin = untrained_twin(agent)
    ctrl: Any = "auto" if twin is None else twin
    fwd = _pair(agent, bayes, task, episodes, seed, condition="target", control=ctrl, **kw)
    # Bayes -> meta: the twin in the target's place, on the meta-learner's histories
    rev = _pair(bayes, agent, task, episodes, seed, condition="target", control=None, **kw)
    if twin is not None:
        c = _pair(bayes, twin, task, episodes, seed, condition=agent, control=None, **kw)
        rev = SimulationResult(
            **{**rev.__dict__, "control": _named(c, target=f"untrained {c.target}")}
        )
        fwd = SimulationResult(
            **{**fwd.__dict__, "control": _named(fwd.control, source=f"untrained {fwd.source}")}
        )
    raw = None
    if isinstance(bayes, LogStatsAgent):
        raw = _pair(agent, bayes.bayes, task, episodes, seed, control=None, **kw)
    beh = behaviour(agent, task, episodes=episodes, seed=seed)
    return RunMeasures(name, beh, fwd, rev, raw)


def _named(r: SimulationResult | None, **names: str) -> SimulationResult | None:
    return None if r is None else SimulationResult(**{**r.__dict__, **names})


def references(
    task: MetaTask, *, episodes: int, seed: int, memorizer: bool = True, **kw: Any
) -> tuple[SimulationResult, SimulationResult | None, SimulationResult]:
    """Clock -> Bayes, memorizer -> Bayes (histories of the Bayes agent; skipped without
    ``memorizer``) and Bayes -> memorizer (histories of the memorizer, which acts as the Bayes
    agent)."""
    bayes = structural_bayes(task)
    clock, memo = ClockAgent(task), MemorizerAgent(task)
    c = _pair(clock, bayes, task, episodes, seed, control=None, **kw)
    m = _pair(memo, bayes, task, episodes, seed, control=None, **kw) if memorizer else None
    mr = _pair(bayes, memo, task, episodes, seed, control=None, **kw)
    return c, m, mr


def study_task(
    task: MetaTask,
    agents: dict[str, Agent],
    *,
    label: str,
    signal: str,
    episodes: int,
    seed: int,
    robustness_episodes: Sequence[int] = (),
) -> TaskStudy:
    """Measure the runs' final agents, the references and (when ``robustness_episodes`` is
    given: ``(base, larger)``) the robustness table of the first run."""
    runs = [measure_run(n, a, task, episodes=episodes, seed=seed) for n, a in agents.items()]
    c, m, mr = references(task, episodes=episodes, seed=seed)
    study = TaskStudy(task, label, signal, runs, c, c if m is None else m, mr, episodes, seed)
    if robustness_episodes:
        first = next(iter(agents.values()))
        study.robustness = robustness(first, task, episodes=robustness_episodes, seed=seed)
    return study


def robustness(
    agent: Agent, task: MetaTask, *, episodes: Sequence[int], seed: int
) -> list[RobustnessRow]:
    """One factor at a time around a base setting (no PCA, width 128, ``episodes[0]`` episodes,
    the map seed ``seed``): PCA of the source to the Bayes state's dimension, widths 32 and 512,
    ``episodes[1]`` episodes, map seeds ``seed + 1`` and ``seed + 2``. Each setting gives the
    verdict of both directions from this run's intervals over episodes."""
    base_n, big_n = int(episodes[0]), int(episodes[-1])
    dim = structural_bayes(task).initial_state(1).shape[1]
    settings: list[tuple[str, int, dict[str, Any]]] = [
        (f"base: no PCA, width 128, {base_n} episodes, map seed {seed}", base_n, {}),
        (f"PCA to {dim} components", base_n, {"pca_components": dim}),
        ("map width 32", base_n, {"map_width": 32}),
        ("map width 512", base_n, {"map_width": 512}),
        (f"{big_n} episodes", big_n, {}),
        (f"map seed {seed + 1}", base_n, {"map_seed": seed + 1}),
        (f"map seed {seed + 2}", base_n, {"map_seed": seed + 2}),
    ]
    rows = []
    for name, n, kw in settings:
        run = measure_run("robustness", agent, task, episodes=n, seed=seed, **kw)
        c, _, mr = references(task, episodes=n, seed=seed, memorizer=False, **kw)
        study = TaskStudy(task, "", "", [run], c, c, mr, n, seed)
        v = study.verdict()
        iv = study.intervals()
        rows.append(
            RobustnessRow(
                name,
                {k: iv["forward"][k].mean for k in ("meta", "untrained", "clock")},
                {k: iv["reverse"][k].mean for k in ("meta", "untrained", "memorizer")},
                bool(v["forward_pass"]),
                bool(v["reverse_pass"]),
            )
        )
    return rows
