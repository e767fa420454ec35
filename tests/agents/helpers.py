"""Helpers of the agents' tests."""

from __future__ import annotations

from typing import Any


def tiny_config(**changes: Any) -> Any:
    """An LSTMConfig small enough to train in a second (``changes`` override the fields)."""
    from bayes_meta_envs.agents.lstm import LSTMConfig

    fields: dict[str, Any] = {
        "hidden_size": 8,
        "embed_size": 8,
        "num_envs": 16,
        "total_updates": 4,
        "eval_every": 2,
        "eval_episodes": 32,
        "checkpoint_every": 2,
        "tensorboard": False,
    }
    fields.update(changes)
    return LSTMConfig(**fields)
