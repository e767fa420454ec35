"""The sb3-contrib RecurrentPPO recipe: the reference meta-learner a user would reach for.

:func:`train` meta-trains sb3-contrib's ``RecurrentPPO`` (PPO, Schulman et al. 2017, with an LSTM
policy; sb3-contrib's implementation) on any registered environment, for a fixed number of
environment steps or a wall-clock budget, and writes a run folder (``config.json``,
``model.safetensors``, ``train_log.csv``, ``checkpoints/``) without pickle. It is called as every
recipe is (:mod:`bayes_meta_envs.agents.recipes`)::

    from bayes_meta_envs.agents import load, recurrent_ppo

    config = recurrent_ppo.RecurrentPPOConfig(env_id="MetaBandit-v0", seed=0, budget_minutes=5)
    run = recurrent_ppo.train(config, "runs/b")
    agent = load(run.path)
:func:`load_model` rebuilds the SB3 model from such a folder; :func:`load_agent` returns it
wrapped by :func:`bayes_meta_envs.agents.adapters.from_sb3` as an Agent.

Modules:

* ``config``: :class:`RecurrentPPOConfig` and the file names (torch-free);
* ``vec_env``: :class:`NativeVecEnv`, the SB3 ``VecEnv`` over the package's native vector envs
  (:func:`wrap_native_vec_env`), and :func:`make_sb3_vec_env` (native or SB3's DummyVecEnv);
* ``policy``: the network (:class:`~.policy.LinearEmbedding` embedding, shared LSTM, linear
  heads; :func:`~.policy.build_model`) and :func:`~.policy.isolated_global_rng`;
* ``training``: :func:`train`, its SB3 callback and learning-rate schedule;
* ``io``: saving and loading the run folder through :mod:`bayes_meta_envs.agents.run_folder`.

Importing this package and reading :class:`RecurrentPPOConfig` imports neither torch nor SB3;
the other names are reached on first use (PEP 562) and raise
:class:`~bayes_meta_envs.errors.MissingDependencyError` naming the ``train`` extra when
torch, safetensors, stable-baselines3 or sb3-contrib is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayes_meta_envs._lazy import TRAIN_EXTRAS, attach
from bayes_meta_envs.agents.recurrent_ppo.config import (
    ALGO,
    LOG_FILE,
    OPTIMIZER_FILE,
    RecurrentPPOConfig,
)

if TYPE_CHECKING:
    from bayes_meta_envs.agents.recurrent_ppo.io import load_agent, load_model
    from bayes_meta_envs.agents.recurrent_ppo.training import train
    from bayes_meta_envs.agents.recurrent_ppo.vec_env import (
        NativeVecEnv,
        make_sb3_vec_env,
        wrap_native_vec_env,
    )

__all__ = [
    "ALGO",
    "LOG_FILE",
    "OPTIMIZER_FILE",
    "NativeVecEnv",
    "RecurrentPPOConfig",
    "load_agent",
    "load_model",
    "make_sb3_vec_env",
    "train",
    "wrap_native_vec_env",
]

#: The recipe's config class (the name every recipe package has).
Config = RecurrentPPOConfig

# name -> the module (of this package) that defines it; those modules import torch / SB3
_LAZY = {
    "train": "training",
    "load_model": "io",
    "load_agent": "io",
    "make_sb3_vec_env": "vec_env",
    "wrap_native_vec_env": "vec_env",
    "NativeVecEnv": "vec_env",
}


__getattr__, __dir__ = attach(__name__, _LAZY, TRAIN_EXTRAS)
