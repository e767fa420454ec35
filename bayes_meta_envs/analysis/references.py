"""Reference agents for the structural comparison: what each direction of simulation can tell.

A small D_s in one direction is only evidence if agents that do *not* implement the Bayes-optimal
agent score badly in that direction. Two such agents, for every task (the bandit and the four
prediction tasks), usable as ``control`` of :func:`~bayes_meta_envs.analysis.simulate`:

* :class:`ClockAgent`: its state is the step count and nothing else. It outputs what a
  step-only agent can: the prior predictive (the marginal predictive of every step of an
  exchangeable sequence) or the uniform policy. Onto the Bayes agent it scores a step-conditional
  D_s of about 1: the step says nothing about the posterior beyond its mean at that step.
* :class:`MemorizerAgent`: its state is the raw history, the relevant part of the observation of
  update ``t`` in slot ``t`` (prediction: the observation features; bandits: the previous action,
  one-hot, and reward) with a flag that the slot is filled. It outputs the Bayes-optimal output
  computed from that memory, so it *behaves* exactly as the Bayes-optimal agent, yet its state is
  not the Bayes state: a memory maps onto the Bayes state (meta -> Bayes small), but the Bayes
  state cannot tell which step brought which observation (Bayes -> memorizer large).

:class:`LogStatsAgent` is the Bayes predictor of a family with positive statistics seen through
the logarithm of its statistics (an invertible reparametrisation): on the exponential task the
raw statistic ``b + sum(x)`` is heavy-tailed, so equal distances in it mean very different
beliefs; in log-statistics they mean comparable ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from bayes_meta_envs._validate import check_int, check_real_array
from bayes_meta_envs.baselines import BayesPredictorAgent, bayes_agent
from bayes_meta_envs.envs import ObsLayout
from bayes_meta_envs.errors import invalid, wrong_type
from bayes_meta_envs.protocol import BaseAgent
from bayes_meta_envs.task import MetaTask, task_of

__all__ = ["ClockAgent", "LogStatsAgent", "MemorizerAgent"]


def _task(env: Any, env_kwargs: Mapping[str, Any] | None) -> MetaTask:
    if env_kwargs is not None and not isinstance(env_kwargs, Mapping):
        raise wrong_type("env_kwargs", env_kwargs, "a mapping or None")
    return task_of(env, **dict(env_kwargs or {}))


def _check(agent: BaseAgent, name: str, value: Any, dim: int, batch: int | None) -> np.ndarray:
    arr = check_real_array(name, value)
    if arr.ndim != 2 or arr.shape[1] != dim or (batch is not None and arr.shape[0] != batch):
        rows = "B" if batch is None else str(batch)
        raise invalid(name, arr.shape, f"an array of shape ({rows}, {dim}) for {agent.name}")
    return arr


class ClockAgent(BaseAgent):
    """A reference agent whose state is the step count only (see the module docstring).

    Args:
        env: env, registered id or :class:`~bayes_meta_envs.task.MetaTask`; env_kwargs: for an id.

    Example::

        clock = ClockAgent("MetaPredictGaussian-v0")
        s = clock.update(clock.initial_state(4), obs)   # [[1.], [1.], [1.], [1.]]
    """

    def __init__(self, env: Any, env_kwargs: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.task = _task(env, env_kwargs)
        self.kind = self.task.kind
        self._out = self.task.uninformed_output

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((check_int("batch_size", batch_size, 1), 1))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        st = _check(self, "state", state, 1, None)
        _check(self, "obs", obs, self.task.obs_dim, st.shape[0])
        return st + 1.0

    def output(self, state: np.ndarray) -> np.ndarray:
        st = _check(self, "state", state, 1, None)
        return np.tile(self._out, (st.shape[0], 1))

    def __repr__(self) -> str:
        return f"ClockAgent({self.task.name})"


class MemorizerAgent(BaseAgent):
    """A reference agent whose state is the raw history, update ``t`` in slot ``t``, and whose
    output is the Bayes-optimal output computed from it (see the module docstring).

    State ``(B, horizon * (1 + w))``: per slot ``[filled | record]`` where ``record`` is the
    observation features (prediction, ``w = feature_dim``) or the previous action, one-hot, and
    the previous reward (bandits, ``w = K + 1``). ``update`` fills the first empty slot and
    refuses a state whose slots are all filled.

    Args:
        env: env, registered id or :class:`~bayes_meta_envs.task.MetaTask`; env_kwargs: for an id.
    """

    def __init__(self, env: Any, env_kwargs: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.task = _task(env, env_kwargs)
        self.kind = self.task.kind
        self.bayes = bayes_agent(self.task)
        record, self._recall = _MEMORY[self.kind]
        self._record = record(self.task.layout)
        self.width = 1 + self._record.size
        self.dim = self.task.horizon * self.width

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((check_int("batch_size", batch_size, 1), self.dim))

    def _slots(self, state: np.ndarray) -> np.ndarray:
        return state.reshape(state.shape[0], self.task.horizon, self.width)

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        st = _check(self, "state", state, self.dim, None)
        ob = _check(self, "obs", obs, self.task.obs_dim, st.shape[0])
        slots = self._slots(st.copy())
        filled = slots[..., 0] > 0.5
        if filled.all(axis=1).any():
            raise invalid("state", st, f"a memory with an empty slot (horizon {self.task.horizon})")
        first = np.argmax(~filled, axis=1)
        rows = np.arange(st.shape[0])
        slots[rows, first, 0] = 1.0
        slots[rows, first, 1:] = ob[:, self._record]
        return slots.reshape(st.shape[0], self.dim)

    def replay(self, state: np.ndarray) -> np.ndarray:
        """The Bayes-optimal agent's state after reading the remembered observations."""
        st = _check(self, "state", state, self.dim, None)
        slots = self._slots(st)
        n = st.shape[0]
        b = self.bayes.initial_state(n)
        for t in range(self.task.horizon):
            obs = np.zeros((n, self.task.obs_dim))
            obs[:, self._record] = self._recall(slots[:, t, 1:], self.task)
            keep = slots[:, t, 0] > 0.5
            b = np.where(keep[:, None], self.bayes.update(b, obs), b)
        return np.asarray(b)

    def output(self, state: np.ndarray) -> np.ndarray:
        return np.asarray(self.bayes.output(self.replay(state)), dtype=np.float64)

    def __repr__(self) -> str:
        return f"MemorizerAgent({self.task.name})"


class LogStatsAgent(BaseAgent):
    """The Bayes predictor ``bayes`` with its state ``[stats | t]`` seen as ``[log stats | t]``
    (an invertible reparametrisation; the family's statistics must be positive).

    Args:
        bayes: a :class:`~bayes_meta_envs.baselines.BayesPredictorAgent` of a family whose prior
            statistics are all > 0 (Bernoulli, categorical, exponential).
    """

    kind = "prediction"

    def __init__(self, bayes: BayesPredictorAgent) -> None:
        super().__init__()
        if not isinstance(bayes, BayesPredictorAgent):
            raise wrong_type("bayes", bayes, "a BayesPredictorAgent")
        if not np.all(bayes.family.prior_stats() > 0):
            raise invalid("bayes", bayes, "the predictor of a family with positive statistics")
        self.bayes = bayes
        self.family = bayes.family
        self.horizon = bayes.horizon
        self._d = bayes.family.stats_dim

    def _to_log(self, st: np.ndarray) -> np.ndarray:
        out = np.array(st, dtype=np.float64, copy=True)
        out[:, : self._d] = np.log(out[:, : self._d])
        return out

    def _from_log(self, st: np.ndarray) -> np.ndarray:
        out = np.array(st, dtype=np.float64, copy=True)
        out[:, : self._d] = np.exp(out[:, : self._d])
        return out

    def initial_state(self, batch_size: int) -> np.ndarray:
        return self._to_log(self.bayes.initial_state(check_int("batch_size", batch_size, 1)))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        st = _check(self, "state", state, self._d + 1, None)
        return self._to_log(self.bayes.update(self._from_log(st), obs))

    def output(self, state: np.ndarray) -> np.ndarray:
        st = _check(self, "state", state, self._d + 1, None)
        return np.asarray(self.bayes.output(self._from_log(st)), dtype=np.float64)

    def __repr__(self) -> str:
        return f"LogStatsAgent({self.bayes!r})"


def _pull_record(layout: ObsLayout) -> np.ndarray:
    """A bandit's memory of a step: the previous action, one-hot, and reward."""
    return np.r_[np.arange(layout.prev_action.start, layout.prev_action.stop), layout.prev_reward]


def _feature_record(layout: ObsLayout) -> np.ndarray:
    """A prediction task's memory of a step: the observation features."""
    return np.arange(layout.features.start, layout.features.stop)


def _recall_pull(rec: np.ndarray, task: MetaTask) -> np.ndarray:
    """A remembered pull: the largest action entry if above 1/2, reward 0/1."""
    k = task.n_arms
    act = rec[:, :k]
    pulled = act.max(axis=1) > 0.5
    onehot = np.eye(k)[np.argmax(act, axis=1)] * pulled[:, None]
    return np.concatenate([onehot, (rec[:, k:] > 0.5).astype(float)], axis=1)


def _recall_features(rec: np.ndarray, task: MetaTask) -> np.ndarray:
    return rec


#: Per kind of task, what :class:`MemorizerAgent` remembers of a step (the observation's entries)
#: and how it reads a remembered record back into an observation.
_MEMORY: dict[
    str,
    tuple[Callable[[ObsLayout], np.ndarray], Callable[[np.ndarray, MetaTask], np.ndarray]],
] = {
    "bandit": (_pull_record, _recall_pull),
    "prediction": (_feature_record, _recall_features),
}
