"""bayes-meta-envs: meta-RL environments with exact Bayes-optimal agents.

After Mikulik et al., "Meta-trained agents implement Bayes-optimal agents" (NeurIPS 2020).
Importing the package registers the environments with gymnasium; it imports neither torch,
matplotlib, scikit-learn nor ray (those are reached lazily, by the modules that need them).
"""

from __future__ import annotations

from bayes_meta_envs import errors, families
from bayes_meta_envs._limits import memory_budget, set_memory_budget
from bayes_meta_envs._version import __version__
from bayes_meta_envs.envs import ENV_SPECS, ObsLayout, register_envs
from bayes_meta_envs.scoring import ScoreReport, Traces, load_traces, score
from bayes_meta_envs.task import MetaTask, observation_layout, task_of, unwrap_meta_env

register_envs()

# the API reference lists the names in this order: score, the reason the package exists, first
__all__ = [  # noqa: RUF022
    "score",
    "ENV_SPECS",
    "MetaTask",
    "ObsLayout",
    "ScoreReport",
    "Traces",
    "__version__",
    "errors",
    "families",
    "load_traces",
    "memory_budget",
    "observation_layout",
    "register_envs",
    "set_memory_budget",
    "task_of",
    "unwrap_meta_env",
]
