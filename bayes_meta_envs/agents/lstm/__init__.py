"""The fast LSTM meta-learner: typed config, network, agent, trainer and checkpoints.

A linear input layer, one LSTM layer and linear heads (Mikulik et al., "Meta-trained agents
implement Bayes-optimal agents", NeurIPS 2020, section 4), meta-trained on the task's native
vector env: PPO/A2C with GAE for bandits, BPTT on the log-loss for prediction tasks.

Modules: :mod:`.config` (:class:`LSTMConfig`, :data:`DEMO_CONFIG`; torch-free), :mod:`.net`
(:class:`~.net.LSTMNet`), :mod:`.torch_families` (torch twins of the family log-likelihoods),
:mod:`.agent` (:class:`LSTMAgent`), :mod:`.checkpoint`, :mod:`.updates` (one training update) and
:mod:`.trainer` (:func:`train`, the recipe's entry point, and :class:`LSTMTrainer`).

Train it as every recipe is trained (:mod:`bayes_meta_envs.agents.recipes`)::

    from bayes_meta_envs.agents import load, lstm

    run = lstm.train(lstm.LSTMConfig(env_id="MetaBandit-v0", seed=0, budget_minutes=5), "runs/a")
    agent = load(run.path)

Importing this package does not import torch: the torch-backed names are loaded on first access
(and a missing torch raises :class:`~bayes_meta_envs.errors.MissingDependencyError` naming the
``train`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayes_meta_envs._lazy import attach
from bayes_meta_envs.agents.lstm.config import ALGO, DEMO_CONFIG, LSTMConfig
from bayes_meta_envs.agents.run_folder import latest_checkpoint

if TYPE_CHECKING:
    from bayes_meta_envs.agents.lstm.agent import LSTMAgent, load_agent
    from bayes_meta_envs.agents.lstm.torch_families import torch_log_likelihood
    from bayes_meta_envs.agents.lstm.trainer import LSTMTrainer, train

__all__ = [
    "ALGO",
    "DEMO_CONFIG",
    "LSTMAgent",
    "LSTMConfig",
    "LSTMTrainer",
    "latest_checkpoint",
    "load_agent",
    "torch_log_likelihood",
    "train",
]

#: The recipe's config class (the name every recipe package has).
Config = LSTMConfig

# name -> the module (needing torch) that defines it
_LAZY = {
    "LSTMAgent": "agent",
    "LSTMTrainer": "trainer",
    "train": "trainer",
    "load_agent": "agent",
    "torch_log_likelihood": "torch_families",
}
_EXTRAS = {"torch": "train", "safetensors": "train", "tqdm": "train", "tensorboard": "train"}


__getattr__, __dir__ = attach(__name__, _LAZY, _EXTRAS)
