"""sb3-contrib with the id strings: RecurrentPPO, the recurrent agent a meta-RL user reaches for."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sb3_contrib", reason="needs the train extra")

from sb3_contrib import RecurrentPPO
from stable_baselines3.common.evaluation import evaluate_policy

import bayes_meta_envs

IDS = [spec.id for spec in bayes_meta_envs.ENV_SPECS]


@pytest.mark.parametrize("env_id", IDS)
def test_recurrent_ppo_from_the_id_string(env_id: str) -> None:
    model = RecurrentPPO(
        "MlpLstmPolicy",
        env_id,
        n_steps=16,
        batch_size=16,
        n_epochs=1,
        policy_kwargs={"lstm_hidden_size": 8, "net_arch": []},
        seed=0,
        device="cpu",
    )
    model.learn(total_timesteps=16)
    env = model.get_env()
    assert env is not None and env.render_mode == "rgb_array"
    mean, _ = evaluate_policy(model, env, n_eval_episodes=1)
    assert np.isfinite(mean)
