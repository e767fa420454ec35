"""Analysis of meta-learners against the Bayes-optimal agents: simulation (D_s, D_o), embeddings,
training dynamics and MDS across runs, and the paper's report. Reads agents, checkpoints and
traces; never trains.

Modules: :mod:`.simulation` (:func:`simulate`, :class:`SimulationResult`), :mod:`.maps` (paired
states, the map phi), :mod:`.dynamics` (checkpoints, :func:`training_dynamics`,
:func:`mds_of_runs`), :mod:`.figures`, :mod:`.markdown` and :mod:`.report` (:func:`write_report`),
:mod:`.plots` (training curves and score plots), :mod:`.references` (:class:`ClockAgent`,
:class:`MemorizerAgent`, :class:`LogStatsAgent`: reference agents that show what each direction
of simulation can tell), :mod:`.stepwise` (the step-conditional map and D_s).

Importing this package imports neither scikit-learn nor matplotlib: the names below are loaded on
first access, and a missing dependency raises
:class:`~bayes_meta_envs.errors.MissingDependencyError` naming the ``analysis`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayes_meta_envs._lazy import attach

if TYPE_CHECKING:
    from bayes_meta_envs.analysis.dynamics import (
        load_checkpoints,
        mds_of_runs,
        training_dynamics,
    )
    from bayes_meta_envs.analysis.maps import collect_states, fit_map
    from bayes_meta_envs.analysis.references import ClockAgent, LogStatsAgent, MemorizerAgent
    from bayes_meta_envs.analysis.report import embed, write_report
    from bayes_meta_envs.analysis.simulation import SimulationResult, simulate

__all__ = [
    "ClockAgent",
    "LogStatsAgent",
    "MemorizerAgent",
    "SimulationResult",
    "collect_states",
    "embed",
    "fit_map",
    "load_checkpoints",
    "mds_of_runs",
    "simulate",
    "training_dynamics",
    "write_report",
]

_LAZY = {
    "ClockAgent": "references",
    "LogStatsAgent": "references",
    "MemorizerAgent": "references",
    "SimulationResult": "simulation",
    "simulate": "simulation",
    "collect_states": "maps",
    "fit_map": "maps",
    "load_checkpoints": "dynamics",
    "mds_of_runs": "dynamics",
    "training_dynamics": "dynamics",
    "embed": "report",
    "write_report": "report",
}
_EXTRAS = {
    "sklearn": "analysis",
    "threadpoolctl": "analysis",
    "matplotlib": "plots",
    "scipy": "analysis",
}


__getattr__, __dir__ = attach(__name__, _LAZY, _EXTRAS)
