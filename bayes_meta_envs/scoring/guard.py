"""The checked agent: every call of the user's agent checked, every failure a :class:`ScoringError`.

:class:`Guard` wraps the agent being scored and follows the Agent protocol itself, so that
:func:`~bayes_meta_envs.rollout.paired_rollout` runs it like any other agent. It checks what each
call returns for the task's :data:`~bayes_meta_envs.rollout.OutputKind`:

* states: a finite, real 2-d array with one row per episode of the batch, whose width stays the
  one of the first ``update`` (a state that changes shape is a bug that would silently corrupt
  the traces and the analysis);
* ``"probabilities"``: finite, real, non-negative action probabilities of shape ``(B, K)``
  summing to 1 (within ``1e-6``; negatives within that tolerance are set to 0 and the row
  renormalised, so that the KL stays finite);
* ``"actions"``: integer actions in ``[0, K)`` of shape ``(B,)`` (returned as int64); floats and
  bools are refused, as ``env.step`` refuses them;
* ``"predictive"``: finite predictive parameters of shape ``(B, P)`` within the family's bounds.

With ``time_limit`` (seconds), each call of the agent runs in a helper thread and a call that
takes longer ends the run with a :class:`~bayes_meta_envs.errors.ScoringError` (the hung thread
is abandoned: Python cannot stop it, but it does not keep the process alive).

``check_rollout_memory`` (:mod:`bayes_meta_envs.rollout`) refuses, before the run, a number of
episodes (and of recorded traces) whose arrays exceed the memory budget
(:mod:`bayes_meta_envs._limits`).

A failure (the agent raised, or returned something else) raises
:class:`~bayes_meta_envs.errors.ScoringError` naming the agent, the episode (its global index in
the run) and the step, which it reads from the :class:`~bayes_meta_envs.rollout.Cursor` the rollout
updates. When the fault lies in one row (a NaN, an invalid action, a row that makes the agent
raise), the message names that row's episode; a fault of the whole batch (a wrong shape) names the
batch's range of episodes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from bayes_meta_envs._validate import check_number
from bayes_meta_envs.errors import ScoringError
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.rollout import Cursor, OutputKind
from bayes_meta_envs.task import MetaTask

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
        time_limit: seconds one call of the agent may take (``None``: no limit).
    """

    def __init__(
        self,
        agent: Agent,
        name: str,
        task: MetaTask,
        outputs: OutputKind,
        cursor: Cursor | None = None,
        time_limit: float | None = None,
    ) -> None:
        self.agent = agent
        self.name = name
        self.task = task
        self.outputs = outputs
        self.cursor = cursor if cursor is not None else Cursor()
        self.time_limit = (
            None
            if time_limit is None
            else check_number("time_limit", time_limit, 0.0, low_open=True)
        )
        self._n = 0
        self._width: int | None = None  # the state's width, fixed by the first update

    def fail(self, row: int | None, what: str) -> ScoringError:
        """The error for a fault in ``row`` of the batch (``None``: the whole batch)."""
        first, t = self.cursor.first, self.cursor.t
        where = (
            f"episode {first + row}"
            if row is not None
            else f"one of episodes {first}..{first + self._n - 1}"
        )
        return ScoringError(f"agent {self.name!r} failed at {where}, step {t}: {what}")

    def refuse_rows(self, bad: ArrayLike, what: Callable[[int], str]) -> None:
        """Raise :meth:`fail` at the first row where ``bad`` holds, saying ``what(row)``."""
        mask = np.asarray(bad, dtype=bool)
        if mask.any():
            i = int(np.argmax(mask))
            raise self.fail(i, what(i))

    # --- the Agent protocol ---
    def initial_state(self, batch_size: int) -> np.ndarray:
        self._n = batch_size
        try:
            state = self._timed(self.agent.initial_state, "initial_state", (batch_size,))
        except ScoringError:
            raise
        except Exception as exc:
            raise self.fail(
                None, f"initial_state({batch_size}) raised {type(exc).__name__}: {exc}"
            ) from exc
        return self._state(state, "initial_state")

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        s = self._state(self._call("update", state, obs), "update")
        if self._width is None:
            self._width = s.shape[1]
        elif s.shape[1] != self._width:
            raise self.fail(
                None,
                f"update() returned a state of shape {s.shape}, but its earlier states had "
                f"{self._width} columns: a state must keep its shape",
            )
        return s

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
            return self._timed(fn, method, args)
        except ScoringError:
            raise
        except Exception as exc:
            row = _locate(fn, args)
            raise self.fail(row, f"{method}() raised {type(exc).__name__}: {exc}") from exc

    def _timed(self, fn: Callable[..., Any], method: str, args: tuple[Any, ...]) -> Any:
        """``fn(*args)``, in a helper thread bounded by ``time_limit`` when there is one."""
        if self.time_limit is None:
            return fn(*args)
        box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
        threading.Thread(target=_run_into, args=(box, fn, args), daemon=True).start()
        try:
            ok, value = box.get(timeout=self.time_limit)
        except queue.Empty:
            raise self.fail(
                None, f"{method}() did not return within time_limit={self.time_limit!r} seconds"
            ) from None
        if not ok:
            raise value
        return value

    def _state(self, s: object, method: str) -> np.ndarray:
        if not isinstance(s, np.ndarray) or s.ndim != 2 or s.shape[0] != self._n:
            shape = getattr(s, "shape", type(s).__name__)
            raise self.fail(
                None, f"{method}() returned a state of shape {shape}, expected ({self._n}, D)"
            )
        if s.dtype.kind not in "iuf":
            raise self.fail(None, f"{method}() returned a state of dtype {s.dtype}, not real")
        finite = np.isfinite(s).all(axis=1)
        if not finite.all():
            i = int(np.argmin(finite))
            raise self.fail(i, f"{method}() returned a non-finite state {s[i].tolist()[:8]}")
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
        self.refuse_rows(
            ~np.isfinite(out).all(axis=1),
            lambda i: f"output() returned non-finite probabilities {out[i].tolist()}",
        )
        self.refuse_rows(
            (out < -PROB_ATOL).any(axis=1),
            lambda i: f"output() returned negative probabilities {out[i].tolist()}",
        )
        self.refuse_rows(
            np.abs(out.sum(axis=1) - 1.0) > PROB_ATOL,
            lambda i: (
                f"output() returned probabilities {out[i].tolist()} that sum to "
                f"{float(out[i].sum())!r}, not 1"
            ),
        )
        return out

    def _actions(self, out: np.ndarray) -> np.ndarray:
        k = self.task.n_arms
        if out.shape != (self._n,):
            raise self.fail(None, f"returned actions of shape {out.shape}, expected ({self._n},)")
        if out.dtype.kind not in "iu":  # floats and bools too, as env.step refuses them
            shown = out[:3].tolist() if out.ndim else out.item()
            raise self.fail(
                None,
                f"returned actions of dtype {out.dtype} ({shown}...), expected ints in [0, {k})",
            )
        a = out.astype(np.int64)
        self.refuse_rows(
            (a < 0) | (a >= k),
            lambda i: (
                f"returned the invalid action {out[i].item()!r}: actions are ints in [0, {k})"
            ),
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
        self.refuse_rows(
            ~np.isfinite(out).all(axis=1),
            lambda i: f"output() returned non-finite predictive parameters {out[i].tolist()}",
        )
        self.refuse_rows(
            ((out < family.action_low) | (out > family.action_high)).any(axis=1),
            lambda i: (
                f"output() returned the invalid action {out[i].tolist()}: the bounds are "
                f"{family.action_low.tolist()} to {family.action_high.tolist()}"
            ),
        )
        return out


def _run_into(
    box: queue.Queue[tuple[bool, Any]], fn: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    try:
        box.put((True, fn(*args)))
    except BaseException as exc:  # handed to the caller's thread
        box.put((False, exc))


def _locate(fn: Callable[..., Any], args: tuple[np.ndarray, ...]) -> int | None:
    """The first row whose one-row call raises (None if none does, e.g. a batch-only bug)."""
    n = args[0].shape[0] if args and hasattr(args[0], "shape") and args[0].ndim >= 1 else 0
    for i in range(min(n, _LOCATE_MAX_ROWS)):
        try:
            fn(*(a[i : i + 1] for a in args))
        except Exception:
            return i
    return None
