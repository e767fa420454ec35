"""Adapters that turn third-party agents into :class:`~bayes_meta_envs.protocol.Agent` s.

* :func:`from_sb3` wraps a stable-baselines3 model (``PPO``, ``A2C``, sb3-contrib
  ``RecurrentPPO``, or any model whose policy has ``get_distribution``). Its output is read from
  the policy's action distribution, so the scorer gets the model's action *probabilities*.
* :func:`from_callable` wraps a plain function ``fn(obs_batch) -> actions``. It gives actions, not
  probabilities, so metrics that need probabilities (the KL to the Bayes-optimal policy on bandits)
  are reported as unavailable rather than guessed.
* :func:`from_predict` wraps any object with stable-baselines3's recurrent ``predict(observation,
  state, episode_start, deterministic) -> (actions, state)``: hand-written and ported agents. Its
  state is threaded from step to step and ``episode_start`` is true at each episode's first step.
  It gives actions, as a callable does.

Both follow the protocol's loop (``s = update(s, obs)``, then ``output(s)``); the scorer adapts
models and callables automatically, so most users never call these directly.

State conventions (what the traces record as the agent's state):

* feed-forward SB3 policies and callables: the state is the last observation, ``(B, obs_dim)``
  (these agents have no memory beyond what the observation carries);
* ``predict`` agents (:func:`from_predict`): ``(B, 2)``, the number of steps taken in the episode
  and a handle to the agent's own state, which stays inside the adapter (it may be anything);
* ``RecurrentPPO``: the actor's LSTM states, flattened to ``(B, 2 * n_layers * hidden)`` as
  ``[h (layer 0..L-1) | c (layer 0..L-1)]``, zeros at the start of an episode (sb3-contrib's own
  reset); the critic's LSTM is not needed to act and is not part of the state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

from bayes_meta_envs.errors import invalid, require, wrong_type
from bayes_meta_envs.protocol import AgentKind, BaseAgent
from bayes_meta_envs.task import KIND_TRAITS, check_kind

__all__ = [
    "CallableAgent",
    "PredictAgent",
    "SB3Agent",
    "as_agent",
    "from_callable",
    "from_predict",
    "from_sb3",
    "is_sb3_model",
]


def _as_obs(obs: np.ndarray) -> np.ndarray:
    arr = np.asarray(obs)
    if arr.ndim != 2:
        raise invalid("obs", arr.shape, "an array of shape (B, obs_dim)")
    return arr


class _Adapter(BaseAgent):
    """What every adapter shares: the display name it was given or derived at construction."""

    _name: str

    @property
    def name(self) -> str:
        return self._name


class _KindAdapter(_Adapter):
    """An adapter whose output depends on the task kind it was adapted for."""

    kind: AgentKind

    kind_fixed: bool

    def _adopt_kind(self, kind: object) -> None:
        """Take ``kind`` (``None``: a bandit until the scorer adapts it to its env's kind)."""
        fixed = check_kind("kind", kind, allow_none=True)
        self.kind = fixed or "bandit"
        self.kind_fixed = fixed is not None

    @property
    def provides_probabilities(self) -> bool:
        """False for bandits (``output`` gives actions); True for prediction (the output is the
        full predictive)."""
        return not KIND_TRAITS[self.kind].samples_actions

    def act(self, out: np.ndarray, deterministic: bool = False) -> np.ndarray:
        return KIND_TRAITS[self.kind].as_action(out)


class CallableAgent(_KindAdapter):
    """A plain function ``fn(obs_batch) -> actions`` behind the Agent protocol.

    The state is the last observation; ``output(state)`` returns ``fn(state)``: the actions
    ``(B,)`` (ints) for bandits, the predictive parameters ``(B, P)`` for prediction tasks. For
    bandits ``provides_probabilities`` is False: ``output`` gives actions, not probabilities.

    Use :func:`from_callable` to build one.
    """

    def __init__(
        self,
        fn: Callable[[np.ndarray], Any],
        *,
        kind: AgentKind | None = None,
        name: str | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        if not callable(fn):
            raise wrong_type("fn", fn, "a callable fn(obs_batch) -> actions")
        self._adopt_kind(kind)
        self.fn = fn
        self._name = name if name is not None else getattr(fn, "__name__", type(fn).__name__)

    def initial_state(self, batch_size: int) -> np.ndarray:
        # the obs dimension is unknown until the first update; a (B, 0) state is replaced then
        return np.zeros((int(batch_size), 0))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        return np.array(_as_obs(obs), dtype=np.float64, copy=True)

    def output(self, state: np.ndarray) -> np.ndarray:
        return np.asarray(self.fn(np.asarray(state, dtype=np.float32)))

    def __repr__(self) -> str:
        return f"from_callable({self._name})"


def from_callable(
    fn: Callable[[np.ndarray], Any],
    *,
    kind: AgentKind | None = None,
    name: str | None = None,
) -> CallableAgent:
    """Wrap ``fn(obs_batch) -> actions`` as an agent.

    Args:
        fn: maps a float32 batch of observations ``(B, obs_dim)`` to actions: ``(B,)`` ints for a
            bandit, ``(B, action_dim)`` predictive parameters for a prediction task. It sees only
            the current observation (which carries the previous action and reward); an agent with
            memory should implement the Agent protocol instead.
        kind: ``"bandit"`` or ``"prediction"``; ``None`` (default) adopts the kind of the env it
            is scored on.
        name: the name shown in reports (default: ``fn.__name__``).

    Example::

        def win_stay_lose_shift(obs):
            prev = obs[:, :2].argmax(axis=1)
            return np.where(obs[:, 2] > 0.5, prev, 1 - prev)

        report = bayes_meta_envs.score(win_stay_lose_shift, "MetaBandit-v0", episodes=1000, seed=0)
    """
    return CallableAgent(fn, kind=kind, name=name)


def is_sb3_model(obj: object) -> bool:
    """True when ``obj`` looks like a stable-baselines3 model (no import of SB3 needed)."""
    if isinstance(obj, type):
        return False
    for cls in type(obj).__mro__:
        if cls.__name__ == "BaseAlgorithm" and cls.__module__.startswith("stable_baselines3"):
            return True
    return False


class SB3Agent(_Adapter):
    """A stable-baselines3 model behind the Agent protocol. Build it with :func:`from_sb3`.

    Discrete action spaces give bandit agents whose output is the policy's action probabilities
    ``model.policy.get_distribution(obs).distribution.probs``. Box action spaces give prediction
    agents whose output (and action) is the *mean* of the policy's Gaussian, clipped to the action
    space as ``model.predict(deterministic=True)`` does: the predictor is scored deterministically.
    See the module docstring for the state layout.
    """

    def __init__(self, model: Any, *, name: str | None = None) -> None:
        super().__init__(seed=None)
        if not is_sb3_model(model):
            raise wrong_type("model", model, "a stable-baselines3 model (PPO, A2C, RecurrentPPO)")
        self.torch = require("torch", "train")
        self.model = model
        self.policy = model.policy
        if not hasattr(self.policy, "get_distribution"):
            raise invalid("model", model, "a model whose policy has get_distribution()")
        space = model.action_space
        if isinstance(space, spaces.Discrete):
            self.kind = "bandit"
            self.n_actions = int(space.n)
            self._read: Callable[[Any], np.ndarray] = self._probabilities
        elif isinstance(space, spaces.Box) and len(space.shape) == 1:
            self.kind = "prediction"
            self.low = np.asarray(space.low, dtype=np.float64)
            self.high = np.asarray(space.high, dtype=np.float64)
            self._read = self._clipped_mean
        else:
            raise invalid("model.action_space", space, "Discrete(K) or a 1-d Box")
        obs_space = model.observation_space
        if not isinstance(obs_space, spaces.Box) or len(obs_space.shape) != 1:
            raise invalid("model.observation_space", obs_space, "a 1-d Box")
        self.obs_dim = int(obs_space.shape[0])
        self.recurrent = hasattr(self.policy, "lstm_actor")
        if self.recurrent:
            lstm = self.policy.lstm_actor
            self.n_layers = int(lstm.num_layers)
            self.hidden = int(lstm.hidden_size)
        self._name = name if name is not None else f"from_sb3({type(model).__name__})"
        self.kind_fixed = True
        self.provides_probabilities = True

    @property
    def state_dim(self) -> int:
        return 2 * self.n_layers * self.hidden if self.recurrent else self.obs_dim

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((int(batch_size), self.state_dim), dtype=np.float32)

    def _tensor(self, obs: np.ndarray) -> Any:
        arr = _as_obs(obs).astype(np.float32, copy=False)
        if arr.shape[1] != self.obs_dim:
            raise invalid("obs", arr.shape, f"an array of shape (B, {self.obs_dim})")
        tensor, _ = self.policy.obs_to_tensor(arr)
        return tensor

    def _split(self, state: np.ndarray) -> tuple[Any, Any]:
        th = self.torch
        st = th.as_tensor(np.asarray(state, dtype=np.float32), device=self.policy.device)
        b, size = st.shape[0], self.n_layers * self.hidden
        h = st[:, :size].reshape(b, self.n_layers, self.hidden).transpose(0, 1).contiguous()
        c = st[:, size:].reshape(b, self.n_layers, self.hidden).transpose(0, 1).contiguous()
        return h, c

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        if not self.recurrent:
            return np.array(_as_obs(obs), dtype=np.float32, copy=True)
        th = self.torch
        with th.no_grad():
            tensor = self._tensor(obs)
            h, c = self._split(state)
            starts = th.zeros(tensor.shape[0], device=self.policy.device)
            _, (h, c) = self.policy.get_distribution(tensor, (h, c), starts)
            b = tensor.shape[0]
            flat = th.cat([h.transpose(0, 1).reshape(b, -1), c.transpose(0, 1).reshape(b, -1)], 1)
        return flat.cpu().numpy()

    def _distribution(self, state: np.ndarray) -> Any:
        if not self.recurrent:
            return self.policy.get_distribution(self._tensor(state))
        h, _ = self._split(state)
        latent = self.policy.mlp_extractor.forward_actor(h[-1])
        return self.policy._get_action_dist_from_latent(latent)

    def output(self, state: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return self._read(self._distribution(state))

    @staticmethod
    def _probabilities(dist: Any) -> np.ndarray:
        """A bandit's output: the policy's action probabilities."""
        return np.asarray(dist.distribution.probs.cpu().numpy().astype(np.float64))

    def _clipped_mean(self, dist: Any) -> np.ndarray:
        """A predictor's output: the Gaussian's mean, clipped as ``predict`` clips it."""
        mean = dist.mode().cpu().numpy().astype(np.float64)
        return np.clip(mean, self.low, self.high)

    def __repr__(self) -> str:
        return self._name


def from_sb3(model: Any, *, name: str | None = None) -> SB3Agent:
    """Wrap a stable-baselines3 model (``PPO``, ``A2C``, sb3-contrib ``RecurrentPPO``) as an agent.

    Bandits (Discrete actions): ``output`` is the policy's action probabilities. Prediction tasks
    (Box actions): ``output`` is the mean of the policy's Gaussian clipped to the action bounds, the
    action ``model.predict(obs, deterministic=True)`` would take. RecurrentPPO's LSTM state is the
    agent state, reset to zeros at each episode start. Observation normalisation done outside the
    policy (``VecNormalize``) is not applied: wrap such a model yourself.
    """
    return SB3Agent(model, name=name)


class PredictAgent(_KindAdapter):
    """An object with stable-baselines3's recurrent ``predict`` behind the Agent protocol.

    ``update(state, obs)`` calls ``obj.predict(obs, inner_state, episode_start, deterministic)``
    with the state ``predict`` returned at the previous step (``None`` at the first) and
    ``episode_start`` true for rows at their episode's first step; ``output`` gives the actions it
    returned: ints ``(B,)`` for bandits, predictive parameters ``(B, P)`` for prediction tasks.
    The protocol's state is ``(B, 2)``: ``[steps taken in the episode, handle]``, the handle naming
    the agent's own state, kept here (the last few only: the scorer reads each state once).
    For bandits ``provides_probabilities`` is False. Use :func:`from_predict` to build one.
    """

    #: how many of the agent's own states are kept (a rollout reads only the latest)
    KEEP = 4

    def __init__(
        self,
        obj: Any,
        *,
        kind: AgentKind | None = None,
        name: str | None = None,
        deterministic: bool = False,
    ) -> None:
        super().__init__(seed=None)
        if not callable(getattr(obj, "predict", None)) or isinstance(obj, type):
            raise wrong_type(
                "agent", obj, "an object with predict(obs, state, episode_start, deterministic)"
            )
        self._adopt_kind(kind)
        self.obj = obj
        self.deterministic = bool(deterministic)
        self._name = name if name is not None else type(obj).__name__
        self._states: dict[int, tuple[Any, np.ndarray]] = {}
        self._next = 0

    def with_kind(self, kind: AgentKind, deterministic: bool = False) -> PredictAgent:
        """The same object adapted for ``kind`` (and acting deterministically or not)."""
        return PredictAgent(self.obj, kind=kind, name=self._name, deterministic=deterministic)

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((int(batch_size), 2))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        arr = _as_obs(obs).astype(np.float32, copy=False)
        st = np.asarray(state, dtype=np.float64)
        starts = st[:, 0] == 0
        handle = int(st[0, 1]) if st.shape[0] and not starts.all() else -1
        inner = None if handle < 0 else self._states[handle][0]
        result = self.obj.predict(arr, inner, starts, self.deterministic)
        if not isinstance(result, tuple) or len(result) != 2:
            raise invalid(
                f"{self._name}.predict(...)", type(result).__name__, "a pair (actions, state)"
            )
        actions, inner = result
        self._next += 1
        self._states[self._next] = (inner, np.asarray(actions))
        self._states.pop(self._next - self.KEEP, None)
        out = np.empty((arr.shape[0], 2))
        out[:, 0] = st[:, 0] + 1
        out[:, 1] = self._next
        return out

    def output(self, state: np.ndarray) -> np.ndarray:
        handle = int(np.asarray(state)[0, 1])
        if handle not in self._states:
            raise invalid("state", "an old or initial state", "the state update() returned last")
        return self._states[handle][1]

    def __repr__(self) -> str:
        return f"from_predict({self._name})"


def from_predict(
    obj: Any, *, kind: AgentKind | None = None, name: str | None = None
) -> PredictAgent:
    """Wrap an object with stable-baselines3's recurrent ``predict`` as an agent.

    Args:
        obj: has ``predict(observation, state, episode_start, deterministic) -> (actions,
            state)``, as SB3 models, sb3-contrib's ``RecurrentPPO`` and most hand-written or ported
            agents do. ``observation`` is a float32 batch ``(B, obs_dim)``; ``state`` is what the
            previous call returned (``None`` at an episode's first step) and may be anything;
            ``episode_start`` is a bool array ``(B,)``, true at each episode's first step.
        kind: ``"bandit"`` or ``"prediction"``; ``None`` (default) adopts the kind of the env it
            is scored on.
        name: the name shown in reports (default: the object's class name).

    Example::

        class StayOnWin:
            def predict(self, obs, state=None, episode_start=None, deterministic=False):
                prev = obs[:, :2].argmax(axis=1)
                return np.where(obs[:, 2] > 0.5, prev, 1 - prev), state

        report = bayes_meta_envs.score(StayOnWin(), "MetaBandit-v0", episodes=1000, seed=0)
    """
    return PredictAgent(obj, kind=kind, name=name)


def as_agent(agent: Any) -> Any:
    """Return ``agent`` if it implements the Agent protocol; adapt an SB3 model with
    :func:`from_sb3`, an object with SB3's ``predict`` with :func:`from_predict` and a plain
    callable with :func:`from_callable`; raise otherwise."""
    if all(callable(getattr(agent, m, None)) for m in ("initial_state", "update", "output")):
        if isinstance(agent, type):
            raise wrong_type("agent", agent, "an agent instance, not a class")
        return agent
    if is_sb3_model(agent):
        return from_sb3(agent)
    if callable(getattr(agent, "predict", None)) and not isinstance(agent, type):
        return from_predict(agent)
    if callable(agent) and not isinstance(agent, type):
        return from_callable(agent)
    raise wrong_type(
        "agent",
        agent,
        "an Agent (initial_state/update/output), a stable-baselines3 model, an object with "
        "predict(obs, state, episode_start, deterministic), a callable fn(obs_batch) -> actions, "
        "or an agent SPEC string such as 'zoo:lstm-metabandit' or 'thompson'",
    )
