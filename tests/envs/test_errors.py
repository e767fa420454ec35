"""Every invalid argument or action raises a bayes_meta_envs.errors exception naming it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from bayes_meta_envs.errors import (
    BayesMetaError,
    InvalidActionError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    UnknownEnvironmentError,
)
from bayes_meta_envs.task import unwrap_meta_env

BAD_KWARGS = [
    ("MetaBandit-v0", {"n_arms": 0}, InvalidArgumentError, r"n_arms must be an int >= 1, got 0"),
    ("MetaBandit-v0", {"n_arms": 2.5}, InvalidArgumentTypeError, r"n_arms must be .*got 2\.5"),
    ("MetaBandit-v0", {"horizon": 0}, InvalidArgumentError, r"horizon must be an int >= 1, got 0"),
    ("MetaBandit-v0", {"horizon": "20"}, InvalidArgumentTypeError, r"horizon must be .*'20'"),
    (
        "MetaBandit-v0",
        {"prior": (0.0, 1.0)},
        InvalidArgumentError,
        r"prior must be .*> 0, got \(0\.0, 1\.0\)",
    ),
    ("MetaBandit-v0", {"prior": (-1, 1)}, InvalidArgumentError, r"prior must be .*got \(-1, 1\)"),
    (
        "MetaBandit-v0",
        {"n_arms": 3, "prior": [(1, 1), (1, 1)]},
        InvalidArgumentError,
        r"prior must be .*shape \(3, 2\)",
    ),
    ("MetaBandit-v0", {"prior": (1, 1, 1)}, InvalidArgumentError, r"prior must be"),
    ("MetaBandit-v0", {"prior": "uniform"}, InvalidArgumentTypeError, r"prior must be"),
    (
        "MetaBandit-v0",
        {"include_time": 1},
        InvalidArgumentTypeError,
        r"include_time must be a bool, got 1",
    ),
    ("MetaBandit-v0", {"render_mode": "video"}, InvalidArgumentError, r"render_mode .*'video'"),
    (
        "MetaPredictBernoulli-v0",
        {"alpha": 0},
        InvalidArgumentError,
        r"alpha must be a finite number > 0, got 0",
    ),
    (
        "MetaPredictBernoulli-v0",
        {"beta": float("nan")},
        InvalidArgumentError,
        r"beta must be .*nan",
    ),
    (
        "MetaPredictCategorical-v0",
        {"n_categories": 1},
        InvalidArgumentError,
        r"n_categories must be an int >= 2, got 1",
    ),
    (
        "MetaPredictCategorical-v0",
        {"alpha": [1, 2]},
        InvalidArgumentError,
        r"alpha must be .*3 numbers, got \[1, 2\]",
    ),
    (
        "MetaPredictCategorical-v0",
        {"alpha": -1.0},
        InvalidArgumentError,
        r"alpha must be made of finite numbers > 0",
    ),
    (
        "MetaPredictGaussian-v0",
        {"sigma": 0.0},
        InvalidArgumentError,
        r"sigma must be a finite number > 0, got 0\.0",
    ),
    ("MetaPredictGaussian-v0", {"sigma0": -2}, InvalidArgumentError, r"sigma0 must be .*got -2"),
    (
        "MetaPredictGaussian-v0",
        {"mu0": float("inf")},
        InvalidArgumentError,
        r"mu0 must be a finite number, got inf",
    ),
    (
        "MetaPredictExponential-v0",
        {"a": 0},
        InvalidArgumentError,
        r"a must be a finite number > 0, got 0",
    ),
    (
        "MetaPredictExponential-v0",
        {"b": None},
        InvalidArgumentTypeError,
        r"b must be a positive number, got None",
    ),
]


@pytest.mark.filterwarnings("ignore:.*render_mode='video'.*:UserWarning")
@pytest.mark.parametrize(("env_id", "kwargs", "exc", "match"), BAD_KWARGS)
def test_invalid_constructor_arguments(env_id: str, kwargs: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        gym.make(env_id, **kwargs)
    with pytest.raises(exc, match=match):
        gym.make_vec(env_id, num_envs=2, **kwargs)


def test_errors_are_builtin_subclasses() -> None:
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(InvalidArgumentTypeError, TypeError)
    assert issubclass(InvalidActionError, ValueError)
    assert issubclass(InvalidActionError, BayesMetaError)


@pytest.mark.parametrize("num_envs", [0, -3])
def test_invalid_num_envs(num_envs: int) -> None:
    with pytest.raises(
        InvalidArgumentError, match=rf"num_envs must be an int >= 1, got {num_envs}"
    ):
        gym.make_vec("MetaBandit-v0", num_envs=num_envs)


BAD_BANDIT_ACTIONS = [
    (2, r"action must be an int in \[0, 2\), got 2"),
    (-1, r"action must be an int in \[0, 2\), got -1"),
    (1.0, r"action must be an int in \[0, 2\), got 1\.0 of type float"),
    (True, r"action must be an int .*got True of type bool"),
    (np.array([1]), r"action must be an int .*of type ndarray"),
    (float("nan"), r"action must be an int .*got nan"),
    ("1", r"action must be an int .*'1'"),
]


@pytest.mark.parametrize(("action", "match"), BAD_BANDIT_ACTIONS)
def test_invalid_bandit_actions(action: object, match: str) -> None:
    env = gym.make("MetaBandit-v0")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=match):
        env.step(action)
    # nothing was lost: the episode goes on
    _, _, terminated, _, info = env.step(np.int64(1))
    assert info["t"] == 1 and not terminated


def test_numpy_integer_actions_are_accepted() -> None:
    env = gym.make("MetaBandit-v0")
    env.reset(seed=0)
    for a in (np.int64(0), np.int32(1), np.array(0), 1):
        env.step(a)


BAD_PREDICT_ACTIONS = [
    ("MetaPredictBernoulli-v0", np.array([np.nan], np.float32), r"must not contain NaN"),
    ("MetaPredictBernoulli-v0", np.array([0.0, 1.0]), r"must have shape \(1,\).*got shape \(2,\)"),
    ("MetaPredictBernoulli-v0", np.array([31.0]), r"must lie in \[\[-30\.0\], \[30\.0\]\]"),
    ("MetaPredictBernoulli-v0", "0.5", r"action must be an array of shape \(1,\), got '0\.5'"),
    ("MetaPredictCategorical-v0", np.zeros(2), r"must have shape \(3,\)"),
    ("MetaPredictCategorical-v0", [0.0, np.inf, 0.0], r"must lie in"),
    ("MetaPredictGaussian-v0", np.array([0.0, 40.0]), r"must lie in .*\(mean, log std\)"),
    ("MetaPredictGaussian-v0", np.array([[0.0, 0.0]]), r"must have shape \(2,\)"),
    ("MetaPredictExponential-v0", np.array([0.0, np.nan]), r"must not contain NaN"),
    ("MetaPredictExponential-v0", None, r"action must be an array of shape \(2,\), got None"),
]


@pytest.mark.parametrize(("env_id", "action", "match"), BAD_PREDICT_ACTIONS)
def test_invalid_prediction_actions(env_id: str, action: object, match: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=match):
        env.step(action)
    assert env.unwrapped._t == 0  # nothing consumed


def test_invalid_vector_actions() -> None:
    vec = gym.make_vec("MetaBandit-v0", num_envs=3)
    vec.reset(seed=0)
    with pytest.raises(InvalidActionError, match=r"shape \(3,\)"):
        vec.step(np.array([0, 1]))
    with pytest.raises(InvalidActionError, match=r"ints in \[0, 2\)"):
        vec.step(np.array([0, 1, 2]))
    with pytest.raises(InvalidActionError, match=r"int array"):
        vec.step(np.array([0.0, 1.0, 0.0]))
    pvec = gym.make_vec("MetaPredictGaussian-v0", num_envs=2)
    pvec.reset(seed=0)
    with pytest.raises(InvalidActionError, match="NaN"):
        pvec.step(np.array([[0.0, 0.0], [np.nan, 0.0]]))


def test_invalid_options_and_tasks() -> None:
    env = gym.make("MetaBandit-v0")
    with pytest.raises(InvalidArgumentError, match=r"options\['task'\] must be .*shape \(2,\)"):
        env.reset(options={"task": [0.5]})
    with pytest.raises(
        InvalidArgumentError, match=r"options\['task'\] must be arm probabilities in \[0, 1\]"
    ):
        env.reset(options={"task": [0.5, 1.5]})
    with pytest.raises(
        InvalidArgumentError,
        match=r"options must be a dict with the keys 'task', 'reset_mask' only \(not \[",
    ):
        env.reset(options={"tsk": [0.5, 0.5]})
    with pytest.raises(
        InvalidArgumentError, match=r"seed must be a non-negative int or None, got -1"
    ):
        env.unwrapped.reset(seed=-1)
    cat = gym.make("MetaPredictCategorical-v0")
    with pytest.raises(
        InvalidArgumentError, match=r"options\['task'\] must be probability vectors"
    ):
        cat.reset(options={"task": [0.5, 0.6, 0.1]})


def test_unwrap_meta_env_errors() -> None:
    with pytest.raises(
        UnknownEnvironmentError,
        match=r"env 'NoSuchEnv-v0' is not an environment of bayes_meta_envs; its ids are MetaBandit-v0",
    ):
        unwrap_meta_env("NoSuchEnv-v0")
    with pytest.raises(UnknownEnvironmentError, match=r"must be a bayes_meta_envs meta-task"):
        unwrap_meta_env(gym.make("CartPole-v1"))
    with pytest.raises(UnknownEnvironmentError, match=r"only accepted with a registered id"):
        unwrap_meta_env(gym.make("MetaBandit-v0"), n_arms=3)
    assert unwrap_meta_env("MetaBandit-v0", n_arms=3).n_arms == 3
