"""The network of the RecurrentPPO recipe and the global random state SB3 draws from.

:func:`build_model` builds sb3-contrib's ``RecurrentPPO`` with ``MlpLstmPolicy``: a linear
embedding (:class:`LinearEmbedding`) of the observation, one LSTM shared by linear policy and
value heads. :func:`isolated_global_rng` seeds the global generators SB3 uses (torch for weight
initialisation and action sampling, numpy's legacy global generator for minibatch splits) and
restores the caller's states on exit.

Needs torch and sb3-contrib (the ``train`` extra), imported at the top of this module.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib import RecurrentPPO
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.type_aliases import Schedule
from stable_baselines3.common.vec_env import VecEnv

from bayes_meta_envs.agents.recurrent_ppo.config import RecurrentPPOConfig


class LinearEmbedding(BaseFeaturesExtractor):
    """SB3 features extractor ``x -> W x + b`` (the LSTM meta-learner's input layer)."""

    def __init__(self, observation_space: spaces.Space[Any], features_dim: int = 64) -> None:
        super().__init__(observation_space, features_dim)
        shape: tuple[int, ...] = observation_space.shape or ()
        self.linear = torch.nn.Linear(int(np.prod(shape)), features_dim)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear(observations.flatten(start_dim=1))
        return out


@contextlib.contextmanager
def isolated_global_rng(seed: int) -> Iterator[None]:
    """Seed the global generators SB3 uses, and restore the caller's states on exit."""
    py_state = random.getstate()
    np_state = np.random.get_state()  # noqa: NPY002 - saved to be restored below
    with torch.random.fork_rng(devices=[]):
        try:
            seed_global_rng(seed)
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)  # noqa: NPY002


def seed_global_rng(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (which SB3 draws from) from ``seed``;
    only inside :func:`isolated_global_rng`, which restores the caller's states."""
    a, b, c = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(3))
    random.seed(a)
    np.random.seed(b)  # noqa: NPY002 - SB3's buffers draw from it; restored by the caller
    torch.manual_seed(c)


def build_model(
    config: RecurrentPPOConfig, env: VecEnv, lr: float | Schedule | None = None
) -> RecurrentPPO:
    """``RecurrentPPO("MlpLstmPolicy", env, ...)`` with the network and hyperparameters of
    ``config``; ``lr`` (a float or SB3 schedule) replaces ``config.learning_rate`` when given.

    The model logs nowhere (the training's own log is ``log.csv`` of the run folder): without a
    logger of its own, SB3's ``learn`` would create an empty ``SB3-<date>`` folder in the system's
    temporary directory on every call."""
    policy_kwargs = {
        "features_extractor_class": LinearEmbedding,
        "features_extractor_kwargs": {"features_dim": config.embed_size},
        "lstm_hidden_size": config.hidden_size,
        "n_lstm_layers": 1,
        "shared_lstm": True,
        "enable_critic_lstm": False,
        "net_arch": [],
        "ortho_init": config.ortho_init,
        "activation_fn": torch.nn.Tanh,
    }
    model = RecurrentPPO(
        "MlpLstmPolicy",
        env,
        learning_rate=config.learning_rate if lr is None else lr,
        n_steps=config.n_steps,
        batch_size=config.batch_size,
        n_epochs=config.n_epochs,
        gamma=config.gamma,
        gae_lambda=config.gae_lambda,
        clip_range=config.clip_range,
        ent_coef=config.ent_coef,
        vf_coef=config.vf_coef,
        max_grad_norm=config.max_grad_norm,
        normalize_advantage=config.normalize_advantage,
        policy_kwargs=policy_kwargs,
        device="cpu",
        verbose=0,
    )
    model.set_logger(Logger(folder=None, output_formats=[]))
    return model
