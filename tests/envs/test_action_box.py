"""The prediction envs' declared action boxes: a policy that samples them uniformly scores within a
few hundred nats of the prior predictive per episode, while every Bayes-optimal action stays well
inside; ``step`` still takes any action of the family's domain."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import bayes_meta_envs  # noqa: F401  (registers the ids)
from bayes_meta_envs.errors import InvalidActionError
from bayes_meta_envs.task import task_of

IDS = ["MetaPredictGaussian-v0", "MetaPredictExponential-v0"]
EPISODES = 20_000
#: "within a few hundred nats of the prior predictive per episode" (20 steps)
MAX_LOSS_PER_EPISODE = 300.0
#: "well inside": the Bayes-optimal actions keep this far from each edge: a factor e^0.5 in a
#: scale parameter (log std, log shape, log scale), one prior-predictive std in the Gaussian mean
LOG_MARGIN = 0.5


def _returns(env_id: str, policy: str, seed: int, **kwargs: object) -> tuple[float, np.ndarray]:
    """Mean episode return of ``policy`` (``"uniform"`` samples of the declared box, ``"prior"``
    the prior predictive, ``"bayes"`` the posterior predictive) on ``EPISODES`` episodes of the
    native vector env, and every action taken."""
    family = task_of(env_id, **kwargs).family
    env = gym.make_vec(env_id, num_envs=EPISODES, **kwargs)
    box = env.single_action_space
    rng = np.random.default_rng(seed + 1)
    env.reset(seed=seed)
    stats = np.repeat(family.prior_stats()[None], EPISODES, axis=0)
    total, actions = np.zeros(EPISODES), []
    samples = env.unwrapped.samples  # the episodes' samples, drawn at reset
    for t in range(samples.shape[1]):
        if policy == "uniform":
            action = rng.uniform(box.low, box.high, size=(EPISODES, *box.shape))
        elif policy == "prior":
            action = family.predictive(np.repeat(family.prior_stats()[None], EPISODES, axis=0))
        else:
            action = family.predictive(stats)
        actions.append(action)
        _, reward, terminated, _, _ = env.step(action)
        stats = family.update(stats, samples[:, t])
        total += reward
    assert terminated.all()
    return float(total.mean()), np.concatenate(actions)


@pytest.mark.parametrize("env_id", IDS)
def test_uniform_actions_in_the_box_lose_a_few_hundred_nats(env_id: str) -> None:
    uniform, _ = _returns(env_id, "uniform", seed=0)
    prior, _ = _returns(env_id, "prior", seed=0)
    bayes, _ = _returns(env_id, "bayes", seed=0)
    assert bayes > prior > uniform  # the oracle check on the harness itself
    assert prior - uniform < MAX_LOSS_PER_EPISODE, (uniform, prior)
    assert np.isfinite(uniform)


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("MetaPredictGaussian-v0", {}),
        ("MetaPredictGaussian-v0", {"mu0": 3.0, "sigma0": 4.0, "sigma": 0.5, "horizon": 50}),
        ("MetaPredictGaussian-v0", {"sigma0": 0.1, "sigma": 2.0}),
        ("MetaPredictExponential-v0", {}),
        ("MetaPredictExponential-v0", {"a": 3.0, "b": 0.2, "horizon": 60}),
    ],
)
def test_every_bayes_optimal_action_is_well_inside(env_id: str, kwargs: dict) -> None:
    env = gym.make(env_id, **kwargs)
    low, high = env.action_space.low, env.action_space.high
    _, actions = _returns(env_id, "bayes", seed=1, **kwargs)
    margin = np.full(2, LOG_MARGIN)
    if env_id == "MetaPredictGaussian-v0":
        family = env.unwrapped.family
        margin[0] = np.sqrt(family.sigma0**2 + family.sigma**2)
    assert np.all(actions.min(axis=0) >= low + margin), (actions.min(axis=0), low)
    assert np.all(actions.max(axis=0) <= high - margin), (actions.max(axis=0), high)


@pytest.mark.parametrize("env_id", IDS)
def test_step_still_takes_the_whole_domain(env_id: str) -> None:
    env = gym.make(env_id)
    family = env.unwrapped.family
    env.reset(seed=0)
    outside = np.array(env.action_space.high, dtype=np.float64) + 0.5
    assert not env.action_space.contains(outside.astype(np.float32))
    _, reward, *_ = env.step(outside)  # inside the domain, outside the box: still a reward
    assert np.isfinite(reward)
    with pytest.raises(InvalidActionError, match="must lie in"):
        env.step(family.action_high + 1.0)
