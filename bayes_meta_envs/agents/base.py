"""Compatibility names: the Agent protocol lives in :mod:`bayes_meta_envs.protocol` and the bandit
belief base in :mod:`bayes_meta_envs.baselines.belief`."""

from __future__ import annotations

from bayes_meta_envs.baselines.belief import BanditBeliefAgent
from bayes_meta_envs.protocol import Agent, AgentKind, BaseAgent, tie_split

__all__ = ["Agent", "AgentKind", "BanditBeliefAgent", "BaseAgent", "tie_split"]
