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

import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._validate import (
    StrictArguments,
    check_bool,
    check_int,
    check_number,
    check_real_array,
    check_seed,
)
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


class BaseAgent(StrictArguments, ABC):
    """Base class of the package's agents: the protocol plus stable-baselines3's ``predict``.

    Subclasses set ``kind`` ("bandit" or "prediction") and implement ``initial_state``, ``update``
    and ``output``. ``seed`` seeds the generator that ``predict`` uses to sample actions; agents
    never touch global random state.
    """

    kind: AgentKind = "bandit"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Guard the protocol methods each subclass defines, and its public methods that read a
        state (one parameter, ``state``: ``counts``, ``posterior``, ...), with
        :func:`_guarded`, so that every agent of the package refuses a bad batch size, state or
        observation with a package error naming it, whichever subclass implements the method.
        (Unknown constructor keywords are refused by :class:`StrictArguments`.)"""
        super().__init_subclass__(**kwargs)
        for name, fn in list(cls.__dict__.items()):
            if not inspect.isfunction(fn) or getattr(fn, "__isabstractmethod__", False):
                continue
            if name in ("initial_state", "update", "output"):
                setattr(cls, name, _guarded(name, name, fn))
            elif not name.startswith("_") and _parameters(fn) == ["self", "state"]:
                setattr(cls, name, _guarded("output", name, fn))  # reads a state as output does

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
        deterministic = check_bool("deterministic", deterministic)
        out = _real_matrix("out", out, None, None, "")
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


def _guarded(kind: str, attr: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (the method ``attr`` of a :class:`BaseAgent` subclass, checked as the protocol
    method ``kind``) behind the checks of its arguments: ``batch_size`` an int >= 1 whose
    states fit the memory budget; ``state`` a real ``(B, D)`` array of the width
    :meth:`~BaseAgent.initial_state` gives; ``obs`` a real ``(B, obs_dim)`` array with the
    state's rows (of the layout's width when the agent knows it). Arrays are passed on as they
    are (no copy, no cast). Only the outermost call is checked: a subclass that calls its
    parent's method (``super().update(state[:, :-1], obs)``) may hand it a narrower state."""
    if getattr(fn, "__guarded__", False):
        return fn

    def outermost(self: BaseAgent) -> bool:
        return getattr(type(self), attr, None) is wrapper

    @functools.wraps(fn)
    def initial_state(self: BaseAgent, batch_size: int) -> np.ndarray:
        if not outermost(self):
            return fn(self, batch_size)
        batch_size = check_int("batch_size", batch_size, 1)
        width = _state_width(self) or 1
        check_memory(nbytes(batch_size, width), "the states", batch_size=batch_size)
        state = fn(self, batch_size)
        shape = np.shape(state)
        self.__dict__["_guard_state_width"] = shape[-1] if len(shape) == 2 else None
        return state

    @functools.wraps(fn)
    def update(self: BaseAgent, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        if not outermost(self):
            return fn(self, state, obs)
        s = _state_batch(self, state)
        width = getattr(getattr(self, "layout", None), "size", None)
        o = _real_matrix("obs", obs, s.shape[0], width, "the state's rows")
        return fn(self, s, o)

    @functools.wraps(fn)
    def output(self: BaseAgent, state: np.ndarray) -> np.ndarray:
        return fn(self, _state_batch(self, state) if outermost(self) else state)

    wrappers: dict[str, Callable[..., Any]] = {
        "initial_state": initial_state,
        "update": update,
        "output": output,
    }
    wrapper = wrappers[kind]
    wrapper.__guarded__ = True  # type: ignore[attr-defined]
    return wrapper


def _parameters(fn: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(fn).parameters)


def _state_width(agent: BaseAgent) -> int | None:
    """The width ``D`` of the states ``agent.initial_state`` gave last (recorded by its guard,
    so no extra call is made: an agent may count its calls); ``None`` before its first call or
    when it is 0 (an adapter whose width is known only after its first update)."""
    width = agent.__dict__.get("_guard_state_width")
    return None if not width else int(width)


def _state_batch(agent: BaseAgent, state: object) -> np.ndarray:
    return _real_matrix("state", state, None, _state_width(agent), "initial_state's width")


def _real_matrix(
    name: str, value: object, rows: int | None, width: int | None, why: str
) -> np.ndarray:
    """``value`` as a real 2-d array (itself when it is one) with ``rows`` rows and ``width``
    columns when given."""
    dims = f"({'B' if rows is None else rows}, {'D' if width is None else width})"
    expected = f"a real array of shape {dims}"
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        arr = value
    else:
        arr = check_real_array(name, value, expected)
    if arr.ndim != 2 or (rows is not None and arr.shape[0] != rows) or arr.shape[0] < 1:
        raise invalid(name, f"<array of shape {arr.shape}>", expected)
    if width is not None and arr.shape[1] != width:
        raise invalid(name, f"<array of shape {arr.shape}>", f"{expected} ({why})")
    return arr


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
