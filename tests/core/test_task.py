"""MetaTask and task_of: the one place that unwraps an environment."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import bayes_meta_envs
from bayes_meta_envs.baselines import bayes_agent
from bayes_meta_envs.envs import MetaBanditVectorEnv, MetaPredictVectorEnv
from bayes_meta_envs.errors import UnknownEnvironmentError
from bayes_meta_envs.families import BetaBernoulliArms, NormalNormal
from bayes_meta_envs.task import MetaTask, observation_layout, task_of

IDS = [e.id for e in bayes_meta_envs.ENV_SPECS]


@pytest.mark.parametrize("env_id", IDS)
def test_every_way_of_naming_an_env_gives_the_same_task(env_id: str) -> None:
    from_id = task_of(env_id)
    wrapped = gym.wrappers.RecordEpisodeStatistics(gym.make(env_id))
    vec = gym.make_vec(env_id, num_envs=3)
    for other in (task_of(wrapped), task_of(vec), task_of(from_id)):
        assert other.kind == from_id.kind
        assert other.config() == from_id.config()
        assert other.layout == from_id.layout
    assert task_of(from_id) is from_id
    assert from_id.env_id == env_id
    assert from_id.obs_dim == gym.make(env_id).observation_space.shape[0]


def test_kwargs_reach_the_env_and_the_config() -> None:
    task = task_of("MetaBandit-v0", n_arms=3, prior=(2.0, 1.0), include_time=True)
    assert task.kind == "bandit" and task.n_arms == 3 and task.output_dim == 3
    assert task.env_kwargs == {"n_arms": 3, "prior": [2.0, 1.0], "include_time": True}
    assert task.config() == {
        "n_arms": 3,
        "prior": [[2.0, 1.0]] * 3,
        "horizon": 20,
        "include_time": True,
    }
    assert task.layout.time == 4 and observation_layout(task).size == 5
    pred = task_of("MetaPredictGaussian-v0", sigma=2.0)
    assert pred.config() == {
        "family": "gaussian",
        "mu0": 0.0,
        "sigma0": 1.0,
        "sigma": 2.0,
        "horizon": 20,
        "include_time": False,
    }
    assert pred.output_dim == 2


def test_the_kind_guards_its_prior() -> None:
    bandit = task_of("MetaBandit-v0")
    pred = task_of("MetaPredictBernoulli-v0")
    assert isinstance(bandit.arms, BetaBernoulliArms)
    with pytest.raises(UnknownEnvironmentError, match="MetaBandit-v0 is a bandit"):
        _ = bandit.family
    with pytest.raises(UnknownEnvironmentError, match="MetaPredictBernoulli-v0 is a prediction"):
        _ = pred.arms


def test_refusals_name_the_env() -> None:
    with pytest.raises(
        UnknownEnvironmentError, match="'NoSuchEnv-v0' is not an environment of bayes_meta_envs"
    ):
        task_of("NoSuchEnv-v0")
    with pytest.raises(UnknownEnvironmentError, match="CartPole"):
        task_of(gym.make("CartPole-v1"))
    with pytest.raises(UnknownEnvironmentError, match=r"\['n_arms'\] are only accepted"):
        task_of(gym.make("MetaBandit-v0"), n_arms=3)
    with pytest.raises(UnknownEnvironmentError, match="only accepted with a registered id"):
        task_of(task_of("MetaBandit-v0"), n_arms=3)


@pytest.mark.parametrize("env_id", IDS)
def test_make_vector_is_the_registered_vector_env(env_id: str) -> None:
    task = task_of(env_id)
    mine = task.make_vector(4)
    theirs = gym.make_vec(env_id, num_envs=4)
    assert isinstance(mine, (MetaBanditVectorEnv, MetaPredictVectorEnv))
    a, info_a = mine.reset(seed=5)
    b, info_b = theirs.reset(seed=5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(info_a["task"], info_b["task"])
    for _ in range(task.horizon):
        action = theirs.action_space.sample()
        oa, ra, *_ = mine.step(action)
        ob, rb, *_ = theirs.step(action)
        np.testing.assert_array_equal(oa, ob)
        np.testing.assert_array_equal(ra, rb)


def test_a_task_built_by_hand() -> None:
    task = MetaTask("prediction", NormalNormal(1.0, 2.0, 0.5), horizon=5)
    assert task.env_id is None and "prediction task" in task.name
    vec = task.make_vector(2)
    obs, info = vec.reset(seed=0)
    assert obs.shape == (2, task.obs_dim) and info["task"].shape == (2, 1)


def test_tasks_are_equal_when_they_pose_the_same_problem() -> None:
    a = task_of("MetaBandit-v0")
    assert a == task_of(gym.make("MetaBandit-v0")) and hash(a) == hash(task_of("MetaBandit-v0"))
    assert a != task_of("MetaBandit-v0", n_arms=3)
    assert a != task_of("MetaBandit-v0", prior=(2.0, 1.0))
    assert task_of("MetaPredictGaussian-v0") != task_of("MetaPredictGaussian-v0", sigma=2.0)


@pytest.mark.parametrize("env_id", IDS)
def test_the_uninformed_output_is_what_the_bayes_agent_says_before_any_data(env_id: str) -> None:
    task = task_of(env_id)
    out = task.uninformed_output
    assert out.shape == (task.output_dim,)
    if task.kind == "bandit":  # the uniform policy
        np.testing.assert_array_equal(out, np.full(task.n_arms, 1.0 / task.n_arms))
    else:
        bayes = bayes_agent(task)
        np.testing.assert_allclose(out, bayes.output(bayes.initial_state(1))[0], rtol=1e-12)


def test_require_refuses_the_other_kind_and_names_the_env() -> None:
    bandit, predict = task_of("MetaBandit-v0"), task_of("MetaPredictGaussian-v0")
    bandit.require("bandit", "MetaBandit-v0")
    predict.require("prediction", "x")
    with pytest.raises(
        bayes_meta_envs.errors.InvalidArgumentError,
        match="must be a prediction environment, got 'MetaBandit-v0'",
    ):
        bandit.require("prediction", "MetaBandit-v0")
    with pytest.raises(bayes_meta_envs.errors.InvalidArgumentError, match="must be a bandit"):
        predict.require("bandit", "x")
