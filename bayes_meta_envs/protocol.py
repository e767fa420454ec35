"""The Agent protocol, :class:`BaseAgent` and :func:`tie_split`: below every agent of the package.

An agent is a *batched state machine* (Mikulik et al. 2020, section 3): a state, an update on each
input, and an output read from the state::

    s = agent.initial_state(B)          # (B, D) float array
    for each step:
        s = agent.update(s, obs)        # obs: (B, obs_dim), the env's observation
        out = agent.output(s)           # bandits: action probabilities (B, K)
                                        # prediction: predictive parameters (B, P) = the action

Because the state is a plain array, analysis code can read any agent's states.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayes_meta_envs._validate import check_bool, check_number, check_real_array, check_seed
from bayes_meta_envs.errors import invalid, wrong_type
from bayes_meta_envs.task import KIND_TRAITS, TaskKind

__all__ = ["Agent", "AgentKind", "BaseAgent", "kl_to_set", "tie_split"]

AgentKind = TaskKind


@runtime_checkable
class Agent(Protocol):
    """A batched state machine: see the module docstring."""

    def initial_state(self, batch_size: int) -> np.ndarray: ...

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray: ...

    def output(self, state: np.ndarray) -> np.ndarray: ...


def kl_to_set(mass: ArrayLike) -> NDArray[np.float64]:
    """The KL divergence from a policy to a *set* of optimal actions, given ``mass``, the
    probability the policy puts on the set: ``-log(mass)`` (the smallest KL from the policy to any
    distribution supported on the set; ``mass`` above 1 by rounding counts as 1, ``mass == 0``
    gives ``inf``). The one copy of the formula behind ``kl_to_bayes_set``."""
    m = np.minimum(check_real_array("mass", mass, "probabilities (an array-like)"), 1.0)
    with np.errstate(divide="ignore"):
        out: NDArray[np.float64] = -np.log(m)
    return out


def tie_split(values: ArrayLike, atol: float = 1e-9) -> NDArray[np.float64]:
    """Uniform probabilities over the maximisers of each row of ``values`` (ties within ``atol``)."""
    v = check_real_array("values", values, "a real array (..., K) with K >= 1")
    atol = check_number("atol", atol, 0.0)
    if v.ndim < 1 or v.shape[-1] < 1 or np.isnan(v).any():
        raise invalid("values", values, "a real array (..., K) with K >= 1, without NaN")
    best = v >= v.max(axis=-1, keepdims=True) - atol
    return best / best.sum(axis=-1, keepdims=True)


class BaseAgent(ABC):
    """Base class of the package's agents: the protocol plus stable-baselines3's ``predict``.

    Subclasses set ``kind`` ("bandit" or "prediction") and implement ``initial_state``, ``update``
    and ``output``. ``seed`` seeds the generator that ``predict`` uses to sample actions; agents
    never touch global random state.
    """

    kind: AgentKind = "bandit"

    def __init__(self, *, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(check_seed("seed", seed, allow_none=True))

    @abstractmethod
    def initial_state(self, batch_size: int) -> np.ndarray: ...

    @abstractmethod
    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def output(self, state: np.ndarray) -> np.ndarray: ...

    @property
    def name(self) -> str:
        return type(self).__name__

    def act(self, out: np.ndarray, deterministic: bool = False) -> np.ndarray:
        """Turn ``output`` into actions: sample (or take the argmax of) probabilities for bandits;
        the predictive parameters themselves for prediction tasks."""
        return KIND_TRAITS[self.kind].act(out, self.rng, deterministic)

    def predict(
        self,
        observation: np.ndarray,
        state: np.ndarray | tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """stable-baselines3's ``predict``: ``(actions, next_state)``.

        ``observation`` is one observation or a batch ``(B, obs_dim)``; ``state`` is the state this
        method returned last time (``None`` at the start); rows where ``episode_start`` is true are
        reset to the initial state before the observation is consumed.

        Every argument is checked (the guard of this boundary): ``observation`` real and, when
        the agent knows its env's layout, of its width; ``episode_start`` one bool (or 0/1) per
        row; ``state`` the shape :meth:`initial_state` gives; ``deterministic`` a bool.
        """
        deterministic = check_bool("deterministic", deterministic)
        obs = _observation_batch(observation, getattr(self, "layout", None))
        single = np.ndim(observation) == 1
        batch = obs.shape[0]
        init = self.initial_state(batch)
        if state is None:
            s = init
        else:
            raw = state[0] if isinstance(state, tuple) and state else state
            arr = np.asarray(raw)
            if arr.dtype.kind not in "iuf":
                raise wrong_type("state", state, "the real array predict() returned last time")
            s = np.array(arr, dtype=np.float64)
            if s.shape != init.shape:
                raise invalid("state", s.shape, f"an array of shape {init.shape}")
            if episode_start is not None:
                starts = _episode_starts(episode_start, batch)
                s[starts] = init[starts]
        s = self.update(s, obs)
        actions = self.act(self.output(s), deterministic=deterministic)
        return (actions[0] if single else actions), s

    def __repr__(self) -> str:
        name = self.name
        return name if name.endswith(")") else f"{name}()"  # LSTMAgent(env, hidden=32) has one


def _observation_batch(observation: object, layout: object) -> np.ndarray:
    """``observation`` as a float64 ``(B, obs_dim)`` batch, of the layout's width when known."""
    expected = "a real array of shape (obs_dim,) or (B, obs_dim)"
    if isinstance(observation, (str, bytes)) or observation is None:
        raise wrong_type("observation", observation, expected)
    try:
        arr = np.asarray(observation)
    except (TypeError, ValueError):
        raise wrong_type("observation", observation, expected) from None
    if arr.dtype.kind not in "iuf":
        raise wrong_type("observation", observation, expected)
    obs = arr.astype(np.float64)[None, :] if arr.ndim == 1 else arr.astype(np.float64)
    width = getattr(layout, "size", None)
    if obs.ndim != 2 or obs.shape[0] < 1 or (width is not None and obs.shape[1] != width):
        dim = "obs_dim" if width is None else str(width)
        raise invalid("observation", arr.shape, f"an array of shape ({dim},) or (B, {dim})")
    return obs


def _episode_starts(episode_start: object, batch: int) -> np.ndarray:
    """``episode_start`` as a bool ``(batch,)`` mask: bools, or numbers that are 0 or 1."""
    expected = f"{batch} bools (or 0/1 numbers), one per observation row"
    arr = np.asarray(episode_start) if not isinstance(episode_start, (str, bytes)) else None
    if arr is None or arr.dtype.kind not in "biuf":
        raise wrong_type("episode_start", episode_start, expected)
    flat = arr.reshape(-1)
    if flat.shape != (batch,) or (arr.dtype.kind != "b" and not np.isin(flat, (0, 1)).all()):
        raise invalid("episode_start", episode_start, expected)
    return flat.astype(bool)
