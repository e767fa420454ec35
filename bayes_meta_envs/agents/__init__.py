"""Agents: adapters for third-party agents, agents by name, saved agents, and the meta-learners.

The Agent protocol itself is :mod:`bayes_meta_envs.protocol` (re-exported here). The meta-learners
need torch (the ``train`` extra): :mod:`bayes_meta_envs.agents.lstm` (the fast LSTM trainer) and
:mod:`bayes_meta_envs.agents.recurrent_ppo` (the sb3-contrib recipe) are imported when one of
their names is first used, so ``import bayes_meta_envs.agents`` stays light. Both are trained
through one protocol, ``recipe.train(config, out_dir, *, resume=False, overwrite=False) ->
RunFolder`` (:mod:`bayes_meta_envs.agents.recipes`, :data:`RECIPES` by name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayes_meta_envs._lazy import TRAIN_EXTRAS, attach
from bayes_meta_envs.agents.adapters import (
    CallableAgent,
    PredictAgent,
    SB3Agent,
    as_agent,
    from_callable,
    from_predict,
    from_sb3,
)
from bayes_meta_envs.agents.recipes import RECIPES
from bayes_meta_envs.agents.resolve import resolve_agent
from bayes_meta_envs.agents.run_folder import RunFolder, TrainEvent
from bayes_meta_envs.agents.zoo import load, zoo_names
from bayes_meta_envs.baselines.belief import BanditBeliefAgent
from bayes_meta_envs.protocol import Agent, BaseAgent, tie_split

if TYPE_CHECKING:
    from bayes_meta_envs.agents import lstm, recurrent_ppo
    from bayes_meta_envs.agents.lstm import LSTMAgent, LSTMConfig, LSTMTrainer
    from bayes_meta_envs.agents.recurrent_ppo import RecurrentPPOConfig

__all__ = [
    "RECIPES",
    "Agent",
    "BanditBeliefAgent",
    "BaseAgent",
    "CallableAgent",
    "LSTMAgent",
    "LSTMConfig",
    "LSTMTrainer",
    "PredictAgent",
    "RecurrentPPOConfig",
    "RunFolder",
    "SB3Agent",
    "TrainEvent",
    "as_agent",
    "from_callable",
    "from_predict",
    "from_sb3",
    "load",
    "lstm",
    "recurrent_ppo",
    "resolve_agent",
    "tie_split",
    "zoo_names",
]

# name -> the sub-package that defines it (None: the sub-package itself); they need torch
_LAZY: dict[str, str | None] = {
    "lstm": None,
    "recurrent_ppo": None,
    **dict.fromkeys(("LSTMAgent", "LSTMConfig", "LSTMTrainer"), "lstm"),
    "RecurrentPPOConfig": "recurrent_ppo",
}


__getattr__, __dir__ = attach(__name__, _LAZY, TRAIN_EXTRAS)
