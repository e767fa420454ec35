"""score() accepts what users have: an object with stable-baselines3's recurrent ``predict``
(state threaded from step to step, ``episode_start`` honoured) and the CLI's agent SPEC strings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import bayes_meta_envs as bme
from bayes_meta_envs.agents import PredictAgent, as_agent, from_predict
from bayes_meta_envs.baselines import BayesOptimalAgent, ThompsonAgent
from bayes_meta_envs.errors import InvalidArgumentError, InvalidArgumentTypeError, ScoringError


class Recorder:
    """Win-stay lose-shift through ``predict``, keeping a step counter as its state and recording
    every call's state and ``episode_start``."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, np.ndarray, bool]] = []

    def predict(
        self,
        obs: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        assert episode_start is not None
        self.calls.append((state, np.array(episode_start), deterministic))
        counter = np.zeros(len(obs)) if state is None else np.where(episode_start, 0, state)
        prev = obs[:, :2].argmax(axis=1)
        return (prev + (obs[:, 2] < 0.5)) % 2, counter + 1


class BayesThroughPredict:
    """The Bayes-optimal agent's own ``predict`` (arg-max, first arm among ties), its state threaded
    by the adapter: an agent with memory that always takes a Bayes-optimal action, so its Bayes gap
    from Q-values is 0 and its agreement 1 only if the adapter threads the state and resets it."""

    def __init__(self, env_id: str) -> None:
        self.agent = BayesOptimalAgent.for_env(env_id)

    def predict(self, obs, state=None, episode_start=None, deterministic=False):  # type: ignore[no-untyped-def]
        return self.agent.predict(obs, state, episode_start, deterministic=True)


def test_state_is_threaded_and_episode_start_honoured() -> None:
    agent = Recorder()
    bme.score(agent, "MetaBandit-v0", episodes=30, seed=0, batch_size=10)
    assert len(agent.calls) == 3 * 20  # three batches of 20 steps
    for i, (state, starts, deterministic) in enumerate(agent.calls):
        step = i % 20
        assert not deterministic
        if step == 0:
            assert state is None and starts.all()
        else:
            assert not starts.any()
            np.testing.assert_array_equal(state, np.full(10, step))  # what it returned last


@pytest.mark.parametrize("env_id", ["MetaBandit-v0", "MetaPredictGaussian-v0"])
def test_a_memory_through_predict_is_scored_as_itself(env_id: str) -> None:
    report = bme.score(BayesThroughPredict(env_id), env_id, episodes=500, seed=3)
    if report.env_kind == "bandit":
        assert report.metrics["bayes_gap_q"].mean == pytest.approx(0.0, abs=1e-12)
        assert report.metrics["agreement"].mean == 1.0
        assert report.metrics["kl_to_bayes_set"] is None  # actions, not probabilities
    else:
        assert report.metrics["excess_log_loss"].mean == pytest.approx(0.0, abs=1e-6)
    assert report.agent == "from_predict(BayesThroughPredict)"


def test_predict_agent_gets_deterministic_passed_on() -> None:
    agent = Recorder()
    report = bme.score(agent, "MetaBandit-v0", episodes=10, seed=0, deterministic=True)
    assert all(call[2] for call in agent.calls)
    assert not report.deterministic  # the object decided itself how to act


def test_as_agent_adapts_predict_objects_but_keeps_agents() -> None:
    assert isinstance(as_agent(Recorder()), PredictAgent)
    thompson = ThompsonAgent()
    assert as_agent(thompson) is thompson  # an Agent (which also has predict) stays itself
    with pytest.raises(InvalidArgumentTypeError, match="predict"):
        from_predict(object())
    with pytest.raises(InvalidArgumentTypeError, match="SPEC string"):
        bme.score(object(), "MetaBandit-v0", episodes=10, seed=0)


class NoState:
    """A ``predict`` that forgets to return its state."""

    def predict(self, obs, state=None, episode_start=None, deterministic=False):  # type: ignore[no-untyped-def]
        return np.zeros(len(obs), dtype=int)


def test_predict_returning_no_pair_is_refused() -> None:
    with pytest.raises(ScoringError, match=r"a pair \(actions, state\)"):
        bme.score(NoState(), "MetaBandit-v0", episodes=10, seed=0)


@pytest.mark.parametrize("spec", ["thompson", "gittins:0.9", "bayes"])
def test_spec_strings_score_as_the_cli_resolves_them(spec: str) -> None:
    by_name = bme.score(spec, "MetaBandit-v0", episodes=300, seed=1)
    task = bme.task_of("MetaBandit-v0")
    resolved = bme.agents.resolve_agent(spec, task, seed=1)
    by_object = bme.score(resolved, task, episodes=300, seed=1)
    assert by_name.agent == spec
    assert by_name.metrics["regret"] == by_object.metrics["regret"]


def test_zoo_spec_string() -> None:
    pytest.importorskip("torch")
    report = bme.score("zoo:lstm-metabandit", "MetaBandit-v0", episodes=300, seed=0)
    assert report.agent == "zoo:lstm-metabandit"
    assert report.metrics["bayes_gap_q"].mean < 0.1


def test_run_folder_spec_string() -> None:
    pytest.importorskip("torch")
    from bayes_meta_envs.agents.zoo import zoo_path

    folder = str(zoo_path("lstm-predict-bernoulli"))  # any run folder, given by its path
    by_path = bme.score(folder, "MetaPredictBernoulli-v0", episodes=200, seed=0)
    by_name = bme.score(
        "zoo:lstm-predict-bernoulli", "MetaPredictBernoulli-v0", episodes=200, seed=0
    )
    assert by_path.agent == folder
    assert by_path.metrics["log_loss"] == by_name.metrics["log_loss"]


def test_bad_spec_string_names_the_argument() -> None:
    with pytest.raises(InvalidArgumentError, match=r"^agent must be a baseline .* got 'nope'"):
        bme.score("nope", "MetaBandit-v0", episodes=10, seed=0)
    with pytest.raises(InvalidArgumentError, match="zoo:NAME with NAME one of"):
        bme.score("zoo:nope", "MetaBandit-v0", episodes=10, seed=0)


def test_the_module_path_of_0_2_still_imports() -> None:
    from bayes_meta_envs.scoring.score import score  # 0.2's deep import

    assert score is bme.score is bme.scoring.score
    assert callable(bme.scoring.score) and not isinstance(bme.scoring.score, type(bme))
