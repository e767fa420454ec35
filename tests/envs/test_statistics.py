"""Fixed-seed statistical tests: tasks follow the prior and observations follow the task."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

ALPHA = 1e-3  # fixed seeds: a correct sampler fails one of these tests with probability ~1e-3


def _tasks(env_id: str, n: int, **kwargs: object) -> np.ndarray:
    vec = gym.make_vec(env_id, num_envs=n, **kwargs)
    _, info = vec.reset(seed=2024)
    return info["task"]


def test_bandit_tasks_follow_per_arm_beta_priors() -> None:
    prior = [(1.0, 1.0), (2.0, 5.0), (0.5, 0.5)]
    p = _tasks("MetaBandit-v0", 4000, n_arms=3, prior=prior)
    for k, (a, b) in enumerate(prior):
        assert stats.kstest(p[:, k], stats.beta(a, b).cdf).pvalue > ALPHA
    # independence between arms: correlation indistinguishable from 0
    r = np.corrcoef(p[:, 0], p[:, 1])[0, 1]
    assert abs(r) < 4 / np.sqrt(4000)


def test_a_wrong_prior_is_detected() -> None:
    """The KS test above has power: Beta(2, 5) tasks are rejected against Beta(1, 1)."""
    p = _tasks("MetaBandit-v0", 4000, n_arms=1, prior=(2.0, 5.0))
    assert stats.kstest(p[:, 0], stats.beta(1, 1).cdf).pvalue < ALPHA


@pytest.mark.parametrize(
    ("env_id", "kwargs", "dist"),
    [
        ("MetaPredictBernoulli-v0", {"alpha": 2.0, "beta": 3.0}, stats.beta(2.0, 3.0)),
        ("MetaPredictGaussian-v0", {"mu0": 1.0, "sigma0": 2.0}, stats.norm(1.0, 2.0)),
        ("MetaPredictExponential-v0", {"a": 3.0, "b": 2.0}, stats.gamma(3.0, scale=1 / 2.0)),
    ],
)
def test_prediction_tasks_follow_the_prior(env_id: str, kwargs: dict, dist) -> None:  # type: ignore[no-untyped-def]
    theta = _tasks(env_id, 4000, **kwargs)[:, 0]
    assert stats.kstest(theta, dist.cdf).pvalue > ALPHA


def test_dirichlet_tasks_have_beta_marginals() -> None:
    alpha = np.array([1.0, 2.0, 4.0])
    theta = _tasks("MetaPredictCategorical-v0", 4000, alpha=alpha)
    np.testing.assert_allclose(theta.sum(axis=1), 1.0)
    for k in range(3):
        marginal = stats.beta(alpha[k], alpha.sum() - alpha[k])
        assert stats.kstest(theta[:, k], marginal.cdf).pvalue > ALPHA


def _samples(env_id: str, task: object, n_envs: int, horizon: int, **kwargs: object) -> np.ndarray:
    vec = gym.make_vec(env_id, num_envs=n_envs, horizon=horizon, **kwargs)
    vec.reset(seed=99, options={"task": np.tile(np.asarray(task, float), (n_envs, 1))})
    return vec.unwrapped.samples.ravel()


def test_bandit_rewards_follow_the_task() -> None:
    p = np.array([0.2, 0.7])
    n, horizon = 500, 20
    vec = gym.make_vec("MetaBandit-v0", num_envs=n, horizon=horizon)
    vec.reset(seed=5, options={"task": np.tile(p, (n, 1))})
    rewards = {0: [], 1: []}
    for t in range(horizon):
        a = np.full(n, t % 2)
        _, r, *_ = vec.step(a)
        rewards[t % 2].append(r)
    for arm in (0, 1):
        k = int(np.sum(rewards[arm]))
        total = np.size(rewards[arm])
        assert stats.binomtest(k, total, p[arm]).pvalue > ALPHA


def test_bernoulli_and_categorical_observations_follow_the_task() -> None:
    x = _samples("MetaPredictBernoulli-v0", [0.3], 500, 20)
    assert stats.binomtest(int(x.sum()), x.size, 0.3).pvalue > ALPHA
    theta = np.array([0.5, 0.3, 0.2])
    x = _samples("MetaPredictCategorical-v0", theta, 500, 20)
    counts = np.bincount(x.astype(int), minlength=3)
    assert stats.chisquare(counts, theta * x.size).pvalue > ALPHA


def test_continuous_observations_follow_the_task() -> None:
    x = _samples("MetaPredictGaussian-v0", [1.5], 500, 20, sigma=0.5)
    assert stats.kstest(x, stats.norm(1.5, 0.5).cdf).pvalue > ALPHA
    x = _samples("MetaPredictExponential-v0", [2.5], 500, 20)
    assert stats.kstest(x, stats.expon(scale=1 / 2.5).cdf).pvalue > ALPHA
