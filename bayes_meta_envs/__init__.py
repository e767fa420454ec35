"""bayes-meta-envs: meta-RL environments with exact Bayes-optimal agents.

After Mikulik et al., "Meta-trained agents implement Bayes-optimal agents" (NeurIPS 2020).
Importing the package registers the environments with gymnasium; it imports neither torch nor
matplotlib.
"""

from __future__ import annotations

from bayes_meta_envs import errors, families
from bayes_meta_envs.envs import (
    ENV_SPECS,
    ObsLayout,
    observation_layout,
    register_envs,
    unwrap_meta_env,
)

__version__ = "0.1.0"

register_envs()

from bayes_meta_envs.scoring import ScoreReport, Traces, load_traces, score  # noqa: E402

__all__ = [
    "ENV_SPECS",
    "ObsLayout",
    "ScoreReport",
    "Traces",
    "__version__",
    "errors",
    "families",
    "load_traces",
    "observation_layout",
    "register_envs",
    "score",
    "unwrap_meta_env",
]
