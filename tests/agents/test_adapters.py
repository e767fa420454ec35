"""Adapters: stable-baselines3 models and plain callables behind the Agent protocol."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import bayes_meta_envs  # noqa: F401  (registers the envs)
from bayes_meta_envs.agents.adapters import (
    CallableAgent,
    as_agent,
    from_callable,
    from_sb3,
    is_sb3_model,
)
from bayes_meta_envs.baselines.classic import ThompsonAgent
from bayes_meta_envs.errors import InvalidArgumentTypeError
from bayes_meta_envs.scoring import score

ENV = "MetaBandit-v0"


def test_callable_adapter() -> None:
    def stay(obs: np.ndarray) -> np.ndarray:
        return np.zeros(obs.shape[0], dtype=int)

    agent = from_callable(stay)
    assert isinstance(agent, CallableAgent) and repr(agent) == "from_callable(stay)"
    s = agent.update(agent.initial_state(4), np.zeros((4, 3), np.float32))
    np.testing.assert_array_equal(agent.output(s), np.zeros(4))
    assert as_agent(stay).name == "stay"
    assert from_callable(stay, kind="bandit").provides_probabilities is False
    assert from_callable(stay, kind="prediction").provides_probabilities is True
    with pytest.raises(InvalidArgumentTypeError, match=r"fn must be a callable"):
        from_callable(3)  # type: ignore[arg-type]
    thompson = ThompsonAgent()
    assert as_agent(thompson) is thompson
    with pytest.raises(InvalidArgumentTypeError, match=r"agent must be an agent instance, not a "):
        as_agent(ThompsonAgent)


def test_ppo_is_scored_with_probabilities() -> None:
    sb3 = pytest.importorskip("stable_baselines3")
    torch = pytest.importorskip("torch")
    model = sb3.PPO("MlpPolicy", gym.make(ENV), seed=0, device="cpu")
    assert is_sb3_model(model) and not is_sb3_model(sb3.PPO)
    agent = from_sb3(model)
    obs = np.random.default_rng(0).random((6, 3)).astype(np.float32)
    probs = agent.output(agent.update(agent.initial_state(6), obs))
    # independently: softmax of the policy network's action logits
    with torch.no_grad():
        t = torch.as_tensor(obs)
        latent = model.policy.mlp_extractor.forward_actor(model.policy.extract_features(t))
        logits = model.policy.action_net(latent)
        expected = torch.softmax(logits, dim=-1).numpy()
    np.testing.assert_allclose(probs, expected, rtol=1e-6)
    report = score(model, ENV, episodes=300, seed=0)
    assert report.probabilities and report.metrics["kl_to_bayes_set"] is not None
    assert np.isfinite(report.metrics["kl_to_bayes_set"].mean) and report.agent == "from_sb3(PPO)"


def test_a2c_on_a_prediction_task_acts_with_the_mean() -> None:
    sb3 = pytest.importorskip("stable_baselines3")
    model = sb3.A2C("MlpPolicy", gym.make("MetaPredictGaussian-v0"), seed=0, device="cpu")
    agent = from_sb3(model)
    obs = np.zeros((5, 4), np.float32)
    out = agent.output(agent.update(agent.initial_state(5), obs))
    action, _ = model.predict(obs, deterministic=True)
    np.testing.assert_allclose(out, action, rtol=1e-6)
    report = score(model, "MetaPredictGaussian-v0", episodes=100, seed=0)
    assert report.metrics["kl"] is not None and report.metrics["excess_log_loss"].mean > 0


def test_recurrent_ppo_state_matches_its_own_predict() -> None:
    contrib = pytest.importorskip("sb3_contrib")
    model = contrib.RecurrentPPO(
        "MlpLstmPolicy",
        gym.make(ENV),
        seed=0,
        device="cpu",
        policy_kwargs={"lstm_hidden_size": 16, "n_lstm_layers": 2},
    )
    agent = from_sb3(model)
    assert agent.initial_state(3).shape == (3, 2 * 2 * 16)
    report = score(model, ENV, episodes=200, seed=0, record_traces=2)
    assert report.probabilities and np.isfinite(report.metrics["kl_to_bayes_set"].mean)
    tr = report.traces
    # replay episode 1 through sb3-contrib's own predict (which resets at episode_start)
    state, start = None, np.ones(1, dtype=bool)
    for t in range(20):
        obs = tr.obs[1, t][None]
        _, state = model.predict(obs, state=state, episode_start=start, deterministic=True)
        start = np.zeros(1, dtype=bool)
        h, c = state
        np.testing.assert_allclose(
            tr.agent_state[1, t],
            np.concatenate([h[:, 0].ravel(), c[:, 0].ravel()]),
            rtol=1e-5,
            atol=1e-6,
        )
    # and the probabilities are those of the policy's distribution at that state
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        th_obs = torch.as_tensor(tr.obs[1, :1])
        zeros = torch.zeros(2, 1, 16)
        dist, _ = model.policy.get_distribution(th_obs, (zeros, zeros), torch.ones(1))
    np.testing.assert_allclose(tr.agent_output[1, 0], dist.distribution.probs[0].numpy(), rtol=1e-5)
