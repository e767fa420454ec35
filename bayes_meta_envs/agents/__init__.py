"""Agents: the Agent protocol, adapters for third-party agents, and the meta-learners.

The torch-based meta-learners (:mod:`bayes_meta_envs.agents.lstm`,
:mod:`bayes_meta_envs.agents.recurrent_ppo`) are imported only when used.
"""

from __future__ import annotations

from bayes_meta_envs.agents.adapters import from_callable, from_sb3
from bayes_meta_envs.agents.base import Agent, BanditBeliefAgent, BaseAgent, tie_split
from bayes_meta_envs.agents.lstm import LSTMAgent, LSTMConfig, LSTMTrainer, train_lstm
from bayes_meta_envs.agents.zoo import load

__all__ = [
    "Agent",
    "BanditBeliefAgent",
    "BaseAgent",
    "LSTMAgent",
    "LSTMConfig",
    "LSTMTrainer",
    "from_callable",
    "from_sb3",
    "load",
    "tie_split",
    "train_lstm",
]
