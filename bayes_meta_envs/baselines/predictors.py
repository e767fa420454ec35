"""Simple reference predictors for the sequence-prediction tasks (scoreboard rows).

Both keep the Bayes predictor's state (``[posterior stats | t]``, see
:class:`~bayes_meta_envs.baselines.bayes_optimal.BayesPredictorAgent`) and differ only in their
output:

* :class:`PriorPredictorAgent`: the prior predictive at every step (a predictor that never
  learns): the zero point of the prediction tasks' normalised score.
* :class:`PluginPredictorAgent`: the maximum-likelihood plug-in ``p(x | theta_hat)`` with
  ``theta_hat`` the MLE of the observations so far (the prior predictive before the first one).
  It ignores parameter uncertainty, so it is over-confident early on:

  - Bernoulli: ``logit = log k - log(n - k)``, clipped to the action bounds [-30, 30];
  - categorical: ``logits = log counts`` (``-30`` for unseen categories);
  - Gaussian: ``(mean of x, log sigma)`` (the known noise, no posterior variance);
  - exponential: ``Exponential(n / sum x)``, expressed as a Lomax with log shape 15 (shape
    ``k = e^15``) and scale ``k / lambda_hat``, which differs from the exponential density by less
    than ``1e-6`` relative (``(1 + x lambda / k)^-(k+1)`` tends to ``e^(-lambda x)``).
"""

from __future__ import annotations

import numpy as np

from bayes_meta_envs.baselines.bayes_optimal import BayesPredictorAgent
from bayes_meta_envs.errors import InvalidArgumentError
from bayes_meta_envs.families import (
    BetaBernoulli,
    DirichletCategorical,
    GammaExponential,
    NormalNormal,
)

__all__ = ["PluginPredictorAgent", "PriorPredictorAgent"]

_BOUND = 30.0
_EXP_LOG_SHAPE = 15.0


class PriorPredictorAgent(BayesPredictorAgent):
    """Outputs the prior predictive ``family.predictive(prior_stats)`` at every step."""

    def output(self, state: np.ndarray) -> np.ndarray:
        n = np.asarray(state).shape[0]
        return np.repeat(self.family.predictive(self.family.prior_stats()[None, :]), n, axis=0)


class PluginPredictorAgent(BayesPredictorAgent):
    """The maximum-likelihood plug-in predictor; see the module docstring."""

    def output(self, state: np.ndarray) -> np.ndarray:
        fam = self.family
        st = self.posterior(state)
        prior = fam.prior_stats()
        out = fam.predictive(st)  # rows with no observation keep the prior predictive
        with np.errstate(divide="ignore", invalid="ignore"):
            if isinstance(fam, BetaBernoulli):
                k, f = st[:, 0] - prior[0], st[:, 1] - prior[1]
                seen = k + f > 0.5
                logit = np.clip(np.log(k) - np.log(f), -_BOUND, _BOUND)
                out[seen, 0] = logit[seen]
            elif isinstance(fam, DirichletCategorical):
                counts = st - prior
                seen = counts.sum(axis=1) > 0.5
                out[seen] = np.clip(np.log(counts[seen]), -_BOUND, _BOUND)
            elif isinstance(fam, NormalNormal):
                m, tau = st[:, 0], st[:, 1]
                tau0 = 1.0 / fam.sigma0**2
                n = (tau - tau0) * fam.sigma**2
                seen = n > 0.5
                total = fam.sigma**2 * (m * tau - fam.mu0 * tau0)
                out[seen, 0] = np.clip(total[seen] / n[seen], fam.action_low[0], fam.action_high[0])
                out[seen, 1] = np.log(fam.sigma)
            elif isinstance(fam, GammaExponential):
                n, total = st[:, 0] - fam.a, st[:, 1] - fam.b
                seen = n > 0.5
                log_rate = np.log(n) - np.log(total)
                out[seen, 0] = _EXP_LOG_SHAPE
                out[seen, 1] = np.clip(_EXP_LOG_SHAPE - log_rate[seen], -_BOUND, _BOUND)
            else:  # pragma: no cover - every family of the package is handled above
                raise InvalidArgumentError(f"family {fam!r} has no plug-in predictor")
        return out
