"""The checked agent: every call of the user's agent checked, every failure a :class:`ScoringError`.

:class:`Guard` wraps the agent being scored and follows the Agent protocol itself, so that
:func:`~bayes_meta_envs.rollout.paired_rollout` runs it like any other agent. It checks what each
call returns for the task's :data:`~bayes_meta_envs.rollout.OutputKind`:

* states: a 2-d array with one row per episode of the batch;
* ``"probabilities"``: finite, real, non-negative action probabilities of shape ``(B, K)``
  summing to 1 (within ``1e-6``; negatives within that tolerance are set to 0 and the row
  renormalised, so that the KL stays finite);
* ``"actions"``: integer-valued actions in ``[0, K)`` of shape ``(B,)`` (returned as int64);
* ``"predictive"``: finite predictive parameters of shape ``(B, P)`` within the family's bounds.

A failure (the agent raised, or returned something else) raises
:class:`~bayes_meta_envs.errors.ScoringError` naming the agent, the episode (its global index in
the run) and the step, which it reads from the :class:`~bayes_meta_envs.rollout.Cursor` the rollout
updates. When the fault lies in one row (a NaN, an invalid action, a row that makes the agent
raise), the message names that row's episode; a fault of the whole batch (a wrong shape) names the
batch's range of episodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayes_meta_envs.errors import ScoringError
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.rollout import Cursor, OutputKind
from bayes_meta_envs.task import MetaTask

__all__ = ["PROB_ATOL", "Guard"]

#: Tolerance of the probability checks (sum to 1, non-negative).
PROB_ATOL = 1e-6
_LOCATE_MAX_ROWS = 10_000  # rows tried one by one to find the one that makes the agent raise


class Guard:
    """Calls ``agent`` and checks what it returns; see the module docstring.

    Args:
        agent: the agent being scored (Agent protocol).
        name: its name in error messages.
        task: the task it runs on (gives ``K`` or the predictive family).
        outputs: what the agent's ``output`` holds.
        cursor: where the rollout is (updated by the rollout, read here for the messages).
    """

    def __init__(
        self,
        agent: Agent,
        name: str,
        task: MetaTask,
        outputs: OutputKind,
        cursor: Cursor | None = None,
    ) -> None:
        self.agent = agent
        self.name = name
        self.task = task
        self.outputs = outputs
        self.cursor = cursor if cursor is not None else Cursor()
        self._n = 0

    def fail(self, row: int | None, what: str) -> ScoringError:
        """The error for a fault in ``row`` of the batch (``None``: the whole batch)."""
        first, t = self.cursor.first, self.cursor.t
        where = (
            f"episode {first + row}"
            if row is not None
            else f"one of episodes {first}..{first + self._n - 1}"
        )
        return ScoringError(f"agent {self.name!r} failed at {where}, step {t}: {what}")

    # --- the Agent protocol ---
    def initial_state(self, batch_size: int) -> np.ndarray:
        self._n = batch_size
        try:
            state = self.agent.initial_state(batch_size)
        except Exception as exc:
            raise self.fail(
                None, f"initial_state({batch_size}) raised {type(exc).__name__}: {exc}"
            ) from exc
        return self._state(state, "initial_state")

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        return self._state(self._call("update", state, obs), "update")

    def output(self, state: np.ndarray) -> np.ndarray:
        out = self._call("output", state)
        out = np.asarray(out) if not isinstance(out, np.ndarray) else out
        if self.outputs == "probabilities":
            return self._probabilities(out)
        if self.outputs == "actions":
            return self._actions(out)
        return self._predictive(out)

    # --- calls ---
    def _call(self, method: str, *args: np.ndarray) -> Any:
        fn = getattr(self.agent, method)
        try:
            return fn(*args)
        except Exception as exc:
            row = _locate(fn, args)
            raise self.fail(row, f"{method}() raised {type(exc).__name__}: {exc}") from exc

    def _state(self, s: Any, method: str) -> np.ndarray:
        if not isinstance(s, np.ndarray) or s.ndim != 2 or s.shape[0] != self._n:
            shape = getattr(s, "shape", type(s).__name__)
            raise self.fail(
                None, f"{method}() returned a state of shape {shape}, expected ({self._n}, D)"
            )
        return s

    # --- outputs ---
    def _probabilities(self, raw: np.ndarray) -> np.ndarray:
        kind = np.asarray(raw).dtype.kind
        if kind not in "iuf":  # complex, strings, objects would be coerced silently
            raise self.fail(None, f"output() returned probabilities of dtype {kind!r}, not real")
        out = np.asarray(raw, dtype=np.float64)
        k = self.task.n_arms
        if out.shape != (self._n, k):
            raise self.fail(
                None,
                f"output() returned shape {out.shape}, expected action probabilities "
                f"of shape ({self._n}, {k})",
            )
        # fast path: one row sum and one minimum (NaN and inf fail the sum test)
        total = out.sum(axis=1)
        if (np.abs(total - 1.0) <= PROB_ATOL).all() and out.min() >= -PROB_ATOL:
            if out.min() < 0.0:  # the documented rounding: a tiny negative becomes 0
                out = np.maximum(out, 0.0)
                out /= out.sum(axis=1, keepdims=True)
            return out
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(i, f"output() returned non-finite probabilities {out[i].tolist()}")
        bad = (out < -PROB_ATOL).any(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(i, f"output() returned negative probabilities {out[i].tolist()}")
        bad = np.abs(out.sum(axis=1) - 1.0) > PROB_ATOL
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(
                i,
                f"output() returned probabilities {out[i].tolist()} that sum to "
                f"{float(out[i].sum())!r}, not 1",
            )
        return out

    def _actions(self, out: np.ndarray) -> np.ndarray:
        k = self.task.n_arms
        if out.shape != (self._n,):
            raise self.fail(None, f"returned actions of shape {out.shape}, expected ({self._n},)")
        if out.dtype.kind in "iu":
            a = out.astype(np.int64)
        elif out.dtype.kind == "f" or out.dtype.kind == "b":
            with np.errstate(invalid="ignore"):
                a = np.where(np.isfinite(out), out, -1).astype(np.int64)
            bad = a != out
            if bad.any():
                i = int(np.argmax(bad))
                raise self.fail(
                    i,
                    f"returned the invalid action {out[i].item()!r}: actions are ints in [0, {k})",
                )
        else:
            raise self.fail(None, f"returned actions of dtype {out.dtype}, expected ints")
        bad = (a < 0) | (a >= k)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(
                i, f"returned the invalid action {out[i].item()!r}: actions are ints in [0, {k})"
            )
        return a

    def _predictive(self, raw: np.ndarray) -> np.ndarray:
        out = np.asarray(raw, dtype=np.float64)
        family = self.task.family
        p = family.action_dim
        if out.shape != (self._n, p):
            raise self.fail(
                None,
                f"output() returned shape {out.shape}, expected predictive parameters "
                f"({', '.join(family.action_names)}) of shape ({self._n}, {p})",
            )
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(
                i, f"output() returned non-finite predictive parameters {out[i].tolist()}"
            )
        bad = ((out < family.action_low) | (out > family.action_high)).any(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(
                i,
                f"output() returned the invalid action {out[i].tolist()}: the bounds are "
                f"{family.action_low.tolist()} to {family.action_high.tolist()}",
            )
        return out


def _locate(fn: Any, args: tuple[np.ndarray, ...]) -> int | None:
    """The first row whose one-row call raises (None if none does, e.g. a batch-only bug)."""
    n = args[0].shape[0] if args and hasattr(args[0], "shape") and args[0].ndim >= 1 else 0
    for i in range(min(n, _LOCATE_MAX_ROWS)):
        try:
            fn(*(a[i : i + 1] for a in args))
        except Exception:
            return i
    return None
