"""Torch twins of the family maths: differentiable log-likelihoods of the predictives.

The numpy originals are :meth:`ConjugateFamily.log_likelihood
<bayes_meta_envs.families.ConjugateFamily.log_likelihood>`; the tests check each twin against them.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional

from bayes_meta_envs.errors import invalid
from bayes_meta_envs.families import ConjugateFamily


def torch_log_likelihood(
    family: ConjugateFamily, action: torch.Tensor, x: torch.Tensor
) -> torch.Tensor:
    """``log q(x)`` of the predictive given by ``action`` (B, P) for observations ``x`` (B,).

    Differentiable torch versions of :meth:`ConjugateFamily.log_likelihood`:

    * bernoulli: ``x log sigmoid(l) + (1 - x) log sigmoid(-l)``;
    * categorical: ``log_softmax(a)[x]``;
    * gaussian: ``-z^2/2 - s - log(2 pi)/2`` with ``z = (x - m) e^{-s}``;
    * exponential (Lomax with ``log a, log l``): ``log a - log l - (a + 1) log(1 + x / l)``.

    Tests check them against the numpy versions of :mod:`bayes_meta_envs.families`.
    """
    name = getattr(family, "name", None)
    if name == "bernoulli":
        logit = action[:, 0]
        return torch.where(x > 0.5, functional.logsigmoid(logit), functional.logsigmoid(-logit))
    if name == "categorical":
        logp = torch.log_softmax(action, dim=1)
        return logp.gather(1, x.long()[:, None])[:, 0]
    if name == "gaussian":
        mean, log_std = action[:, 0], action[:, 1]
        z = (x - mean) * torch.exp(-log_std)
        return -0.5 * z * z - log_std - 0.5 * math.log(2 * math.pi)
    if name == "exponential":
        log_a, log_l = action[:, 0], action[:, 1]
        return log_a - log_l - (torch.exp(log_a) + 1.0) * torch.log1p(x * torch.exp(-log_l))
    raise invalid("family", family, "one of the families of bayes_meta_envs.families")
