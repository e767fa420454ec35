"""The fast LSTM meta-learner: typed config, network, agent, trainer and checkpoints.

A linear input layer, one LSTM layer and linear heads (Mikulik et al., "Meta-trained agents
implement Bayes-optimal agents", NeurIPS 2020, section 4), meta-trained on the task's native
vector env: PPO/A2C with GAE for bandits, BPTT on the log-loss for prediction tasks.

Modules: :mod:`.config` (:class:`LSTMConfig`, :data:`DEMO_CONFIG`; torch-free), :mod:`.net`
(:class:`~.net.LSTMNet`), :mod:`.torch_families` (torch twins of the family log-likelihoods),
:mod:`.agent` (:class:`LSTMAgent`), :mod:`.checkpoint`, :mod:`.updates` (one training update) and
:mod:`.trainer` (:class:`LSTMTrainer`, :func:`train_lstm`).

Importing this package does not import torch: the torch-backed names are loaded on first access
(and a missing torch raises :class:`~bayes_meta_envs.errors.MissingDependencyError` naming the
``train`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayes_meta_envs._lazy import attach
from bayes_meta_envs.agents.lstm.config import DEMO_CONFIG, LSTMConfig

if TYPE_CHECKING:
    from bayes_meta_envs.agents.lstm.agent import LSTMAgent
    from bayes_meta_envs.agents.lstm.checkpoint import latest_checkpoint
    from bayes_meta_envs.agents.lstm.torch_families import torch_log_likelihood
    from bayes_meta_envs.agents.lstm.trainer import LSTMTrainer, TrainResult, train_lstm

__all__ = [
    "DEMO_CONFIG",
    "LSTMAgent",
    "LSTMConfig",
    "LSTMTrainer",
    "TrainResult",
    "latest_checkpoint",
    "torch_log_likelihood",
    "train_lstm",
]

# name -> the module (needing torch) that defines it
_LAZY = {
    "LSTMAgent": "agent",
    "LSTMTrainer": "trainer",
    "TrainResult": "trainer",
    "train_lstm": "trainer",
    "latest_checkpoint": "checkpoint",
    "torch_log_likelihood": "torch_families",
}
_EXTRAS = {"torch": "train", "safetensors": "train", "tqdm": "train", "tensorboard": "train"}


__getattr__, __dir__ = attach(__name__, _LAZY, _EXTRAS)
