"""Hypothesis: for random valid kwargs, reset and step run and stay within the declared spaces."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

positive = st.floats(min_value=0.05, max_value=20.0, allow_nan=False)
horizons = st.integers(min_value=1, max_value=30)


def _run(env: gym.Env, seed: int) -> None:
    obs, info = env.reset(seed=seed)
    assert env.observation_space.contains(obs)
    env.action_space.seed(seed)
    for _ in range(env.unwrapped.horizon):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs), obs
        assert np.isfinite(reward) and not truncated
    assert terminated


@settings(max_examples=30, deadline=None)
@given(
    n_arms=st.integers(1, 6),
    horizon=horizons,
    data=st.data(),
    include_time=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_bandit_random_kwargs(n_arms, horizon, data, include_time, seed) -> None:  # type: ignore[no-untyped-def]
    prior = data.draw(st.lists(st.tuples(positive, positive), min_size=n_arms, max_size=n_arms))
    _run(
        gym.make(
            "MetaBandit-v0", n_arms=n_arms, horizon=horizon, prior=prior, include_time=include_time
        ),
        seed,
    )


@settings(max_examples=20, deadline=None)
@given(a=positive, b=positive, horizon=horizons, seed=st.integers(0, 2**32 - 1))
def test_bernoulli_and_exponential_random_kwargs(a, b, horizon, seed) -> None:  # type: ignore[no-untyped-def]
    _run(gym.make("MetaPredictBernoulli-v0", alpha=a, beta=b, horizon=horizon), seed)
    _run(gym.make("MetaPredictExponential-v0", a=a, b=b, horizon=horizon, include_time=True), seed)


@settings(max_examples=20, deadline=None)
@given(
    alpha=st.lists(positive, min_size=2, max_size=6),
    horizon=horizons,
    seed=st.integers(0, 2**32 - 1),
)
def test_categorical_random_kwargs(alpha, horizon, seed) -> None:  # type: ignore[no-untyped-def]
    _run(
        gym.make(
            "MetaPredictCategorical-v0", n_categories=len(alpha), alpha=alpha, horizon=horizon
        ),
        seed,
    )


@settings(max_examples=20, deadline=None)
@given(
    mu0=st.floats(-100, 100),
    sigma0=positive,
    sigma=positive,
    horizon=horizons,
    seed=st.integers(0, 2**32 - 1),
)
def test_gaussian_random_kwargs(mu0, sigma0, sigma, horizon, seed) -> None:  # type: ignore[no-untyped-def]
    _run(
        gym.make("MetaPredictGaussian-v0", mu0=mu0, sigma0=sigma0, sigma=sigma, horizon=horizon),
        seed,
    )
