"""The records of a paired rollout: what it returns, where it is, its statistics' names
(private: reached through :mod:`bayes_meta_envs.rollout`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bayes_meta_envs._stats import Curve, Estimate
from bayes_meta_envs.task import MetaTask

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
#: A bandit run's per-episode returns and regrets, the agent's and the Bayes-optimal agent's, and
#: the gaps between them (the names every bandit report starts with).
BANDIT_RETURNS = ("return", "bayes_return", "regret", "bayes_regret", "bayes_gap", "bayes_gap_q")
#: A bandit run's divergences from the Bayes-optimal set (agents that give probabilities).
BANDIT_KLS = ("kl_to_bayes_set", "kl_tie_split")
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
