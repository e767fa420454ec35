"""Reference agents behind the Agent protocol: exact Bayes-optimal agents, Gittins indices, classic
bandit baselines and simple predictors, with one registry of their names. All are numpy-only."""

from __future__ import annotations

from bayes_meta_envs.baselines.bandit_dp import BanditSolution, bayes_optimal_value, solve_bandit
from bayes_meta_envs.baselines.bayes_optimal import (
    BayesOptimalAgent,
    BayesPredictorAgent,
    bayes_agent,
)
from bayes_meta_envs.baselines.belief import BanditBeliefAgent
from bayes_meta_envs.baselines.bounds import (
    ValueBounds,
    bayes_value_bounds,
    expected_max_mean,
    lagrangian_bound,
)
from bayes_meta_envs.baselines.classic import (
    EpsilonGreedyAgent,
    GittinsAgent,
    GreedyAgent,
    RandomAgent,
    ThompsonAgent,
    UCB1Agent,
)
from bayes_meta_envs.baselines.finite_gittins import (
    FiniteGittinsAgent,
    FiniteGittinsTable,
    finite_gittins_index,
    finite_gittins_table,
)
from bayes_meta_envs.baselines.gittins import gittins_index, gittins_table
from bayes_meta_envs.baselines.info_relaxation import information_relaxation_bound
from bayes_meta_envs.baselines.policy_value import exact_bayes_gap, exact_policy_value
from bayes_meta_envs.baselines.predictors import PluginPredictorAgent, PriorPredictorAgent
from bayes_meta_envs.baselines.registry import (
    BANDIT_BASELINES,
    BASELINE_LABELS,
    PREDICTION_BASELINES,
    baselines_for,
    make_baseline,
)

__all__ = [
    "BANDIT_BASELINES",
    "BASELINE_LABELS",
    "PREDICTION_BASELINES",
    "BanditBeliefAgent",
    "BanditSolution",
    "BayesOptimalAgent",
    "BayesPredictorAgent",
    "EpsilonGreedyAgent",
    "FiniteGittinsAgent",
    "FiniteGittinsTable",
    "GittinsAgent",
    "GreedyAgent",
    "PluginPredictorAgent",
    "PriorPredictorAgent",
    "RandomAgent",
    "ThompsonAgent",
    "UCB1Agent",
    "ValueBounds",
    "baselines_for",
    "bayes_agent",
    "bayes_optimal_value",
    "bayes_value_bounds",
    "exact_bayes_gap",
    "exact_policy_value",
    "expected_max_mean",
    "finite_gittins_index",
    "finite_gittins_table",
    "gittins_index",
    "gittins_table",
    "information_relaxation_bound",
    "lagrangian_bound",
    "make_baseline",
    "solve_bandit",
]
