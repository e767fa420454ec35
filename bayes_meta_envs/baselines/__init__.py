"""Reference agents behind the Agent protocol: exact Bayes-optimal agents, Gittins indices and
classic bandit baselines. All are numpy-only."""

from __future__ import annotations

from bayes_meta_envs.baselines.bayes_optimal import (
    BanditSolution,
    BayesOptimalAgent,
    BayesPredictorAgent,
    bayes_optimal_value,
    solve_bandit,
)
from bayes_meta_envs.baselines.classic import GreedyAgent, RandomAgent, ThompsonAgent, UCB1Agent
from bayes_meta_envs.baselines.gittins import GittinsAgent, gittins_index, gittins_table

__all__ = [
    "BanditSolution",
    "BayesOptimalAgent",
    "BayesPredictorAgent",
    "GittinsAgent",
    "GreedyAgent",
    "RandomAgent",
    "ThompsonAgent",
    "UCB1Agent",
    "bayes_optimal_value",
    "gittins_index",
    "gittins_table",
    "solve_bandit",
]
