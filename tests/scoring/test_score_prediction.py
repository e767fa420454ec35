"""score() on the prediction tasks, against closed-form expected log-losses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent
from bayes_meta_envs.baselines.predictors import PluginPredictorAgent, PriorPredictorAgent
from bayes_meta_envs.scoring import score

IDS = [
    "MetaPredictBernoulli-v0",
    "MetaPredictCategorical-v0",
    "MetaPredictGaussian-v0",
    "MetaPredictExponential-v0",
]


@pytest.mark.parametrize("env_id", IDS)
def test_bayes_predictor_has_zero_excess_and_zero_kl(env_id: str) -> None:
    report = score(BayesOptimalAgent.for_env(env_id), env_id, episodes=2_000, seed=0)
    assert report.metrics["excess_log_loss"].mean == 0.0
    assert report.metrics["normalised_score"].mean == pytest.approx(1.0, abs=1e-12)
    assert report.metrics["kl"].mean == pytest.approx(0.0, abs=1e-12)
    assert report.metrics["log_loss"] == report.metrics["bayes_log_loss"]


def test_bernoulli_bayes_log_loss_matches_the_marginal_likelihood() -> None:
    # Beta(1, 1): the number of ones k is uniform on 0..H and -log p(x_1..H) = log((H+1) C(H, k)),
    # so the expected log-loss per step is (log(H + 1) + mean_k log C(H, k)) / H
    h = 20
    k = np.arange(h + 1)
    log_binom = special.gammaln(h + 1) - special.gammaln(k + 1) - special.gammaln(h - k + 1)
    exact = (math.log(h + 1) + log_binom.mean()) / h
    report = score(BayesOptimalAgent.for_env(IDS[0]), IDS[0], episodes=20_000, seed=1)
    assert report.metrics["log_loss"].contains(exact)


def test_gaussian_log_loss_curves_match_the_predictive_variances() -> None:
    # x_t | x_<t is exactly N(m_t, v_t) with v_t = 1/(1/s0^2 + t/s^2) + s^2: the expected
    # log-loss at step t is log(2 pi e v_t) / 2; the prior predictive's is log(2 pi e (s0^2+s^2))/2
    env_id = IDS[2]
    t = np.arange(20)
    v = 1.0 / (1.0 + t) + 1.0
    bayes = score(BayesOptimalAgent.for_env(env_id), env_id, episodes=20_000, seed=2)
    mean, ci = bayes.curves["log_loss"].as_arrays()
    exact = 0.5 * np.log(2 * np.pi * np.e * v)
    assert np.mean(np.abs(mean - exact) <= ci) >= 0.85  # 95% intervals, 20 steps
    assert bayes.metrics["log_loss"].contains(exact.mean())
    prior = score(PriorPredictorAgent.for_env(env_id), env_id, episodes=20_000, seed=2)
    assert prior.metrics["log_loss"].contains(0.5 * math.log(2 * math.pi * math.e * 2.0))
    assert prior.metrics["normalised_score"].mean == pytest.approx(0.0, abs=1e-12)
    # excess of the prior predictive = E[KL(Bayes || prior)] per step, in expectation
    assert prior.metrics["excess_log_loss"].contains(prior.metrics["kl"].mean)


def test_prior_predictive_on_bernoulli_loses_log_2_every_step() -> None:
    report = score(PriorPredictorAgent.for_env(IDS[0]), IDS[0], episodes=500, seed=0)
    assert report.metrics["log_loss"].mean == pytest.approx(math.log(2.0), rel=1e-12)
    assert report.metrics["log_loss"].ci95 == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("env_id", IDS)
def test_plugin_predictor_is_worse_than_bayes(env_id: str) -> None:
    report = score(PluginPredictorAgent.for_env(env_id), env_id, episodes=2_000, seed=3)
    assert report.metrics["excess_log_loss"].low > 0
    assert report.metrics["kl"].low > 0
    mean, _ = report.curves["excess_log_loss"].as_arrays()
    assert mean[0] == pytest.approx(0.0, abs=1e-12)  # the plug-in starts at the prior predictive


def test_callable_predictor_keeps_kl() -> None:
    def half(obs: np.ndarray) -> np.ndarray:  # always P(x = 1) = 1/2
        return np.zeros((obs.shape[0], 1))

    report = score(half, IDS[0], episodes=300, seed=0)
    assert report.probabilities is True
    assert report.metrics["kl"] is not None
    assert report.metrics["log_loss"].mean == pytest.approx(math.log(2.0), rel=1e-12)
