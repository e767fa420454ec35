"""Observation layout shared by every meta-task environment.

Every observation is one flat float32 vector::

    [ observation features | previous action | previous reward | (t / horizon) ]

Bandits have no observation features and encode the previous action one-hot. At reset the previous
action and reward are zeros. :class:`ObsLayout` names the slices so that agents and analysis code
never hard-code offsets; :func:`bayes_meta_envs.observation_layout` returns an env's layout.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ObsLayout"]


class ObsLayout(NamedTuple):
    """Where each part of a meta-task observation lives."""

    features: slice
    prev_action: slice
    prev_reward: int
    time: int | None
    size: int

    @classmethod
    def build(cls, feature_dim: int, action_dim: int, include_time: bool) -> ObsLayout:
        a0 = feature_dim
        r = a0 + action_dim
        t = r + 1 if include_time else None
        size = r + 1 + int(include_time)
        return cls(slice(0, a0), slice(a0, r), r, t, size)

    def describe(self) -> str:
        parts = []
        if self.features.stop > self.features.start:
            parts.append(f"[{self.features.start}:{self.features.stop}] observation features")
        parts.append(f"[{self.prev_action.start}:{self.prev_action.stop}] previous action")
        parts.append(f"[{self.prev_reward}] previous reward")
        if self.time is not None:
            parts.append(f"[{self.time}] t / horizon")
        return ", ".join(parts)
