"""Conjugate families: the single source of the maths shared by envs, baselines and scoring.

Each family bundles, vectorised over a leading batch axis:

* the prior over the task parameter and sampling of tasks from it;
* sampling of observations given a task;
* the posterior update on one observation (sufficient statistics, ``stats``);
* the posterior predictive, expressed in the environment's *action* parameterisation, so that the
  Bayes-optimal predictor is itself a valid action;
* the log-likelihood of an observation under a predictive action (the environment's reward), the
  log-likelihood under the true task (the oracle), and the KL divergence between two predictives.

Batch conventions: ``stats`` is ``(B, stats_dim)``, ``tasks`` is ``(B, task_dim)``, actions are
``(B, action_dim)``, observations ``x`` are ``(B,)`` floats (category indices for the categorical
family).

The bandit prior (independent Beta priors per arm) lives here too: :class:`BetaBernoulliArms`.

References: Mikulik et al., "Meta-trained agents implement Bayes-optimal agents", NeurIPS 2020;
Bernardo & Smith, *Bayesian Theory* (1994), appendix A, for the conjugate pairs.
"""

from __future__ import annotations

from typing import Any

from bayes_meta_envs._validate import check_choice
from bayes_meta_envs.families.base import BetaBernoulliArms, ConjugateFamily
from bayes_meta_envs.families.continuous import GammaExponential, NormalNormal, lomax_kl
from bayes_meta_envs.families.discrete import BetaBernoulli, DirichletCategorical

__all__ = [
    "FAMILIES",
    "BetaBernoulli",
    "BetaBernoulliArms",
    "ConjugateFamily",
    "DirichletCategorical",
    "GammaExponential",
    "NormalNormal",
    "lomax_kl",
    "make_family",
]

FAMILIES: dict[str, type[ConjugateFamily]] = {
    cls.name: cls for cls in (BetaBernoulli, DirichletCategorical, NormalNormal, GammaExponential)
}


def make_family(name: str, **hyperparameters: Any) -> ConjugateFamily:
    """Build a family by name (``bernoulli``, ``categorical``, ``gaussian``, ``exponential``)."""
    return FAMILIES[check_choice("family", name, sorted(FAMILIES))](**hyperparameters)
