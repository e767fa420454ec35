"""Traces: what an agent saw, did and computed, step by step, beside the Bayes-optimal agent.

A :class:`Traces` holds arrays indexed ``(episode, step, ...)`` for ``N`` episodes of ``H`` steps:

======================  ====================  ===================================================
field                   shape                 meaning
======================  ====================  ===================================================
``episode``             ``(N,)`` int64        global index of the episode in the scoring run
``task``                ``(N, task_dim)``     the task parameters (``info["task"]``)
``obs``                 ``(N, H, obs_dim)``   the observation fed to ``update`` at step t (t = 0:
                                              the reset observation), float32 as the env emits
``action``              ``(N, H)`` int64 or   the action taken at step t (bandits: the arm;
                        ``(N, H, P)``         prediction: the predictive parameters)
``reward``              ``(N, H)`` float64    the reward of that action
``agent_output``        ``(N, H, O)``         ``agent.output`` after the update at step t (bandit
                                              probabilities ``O = K``; ``O = 0`` for a callable
                                              that gives actions only)
``agent_state``         ``(N, H, D)``         the agent's state after the update at step t (the
                                              agent's own dtype)
``bayes_state``         ``(N, H, Db)``        the Bayes-optimal agent's state after consuming the
                                              *same* inputs (the agent's trajectory)
``bayes_output``        ``(N, H, O_b)``       the Bayes-optimal output from that state
======================  ====================  ===================================================

plus ``metadata`` (a JSON-serialisable dict: agent, env id and configuration, seed, ...).
:meth:`Traces.from_recorded` builds one from the arrays a
:func:`~bayes_meta_envs.rollout.paired_rollout` kept (``PairedRollout.recorded``).

Memory: about ``H * (4 obs_dim + 16 + 8 O + itemsize * D + 8 Db + 8 O_b)`` bytes per episode:
2.8 kB for the Bayes-optimal agent on the default MetaBandit-v0 (280 MB for 100,000 episodes);
an LSTM with 2 x 64 state floats (float32) adds about 10 kB per episode. ``score`` therefore lets
you record only the first ``n`` episodes (``record_traces=n``; the ``bayes-meta score`` command
records the first :data:`DEFAULT_TRACE_EPISODES`).

File format (``save``/``load``): a compressed ``.npz`` holding the arrays above plus three entries:
``kind`` (the string ``"bayes_meta_envs.traces"``), ``schema_version`` (an int) and
``metadata`` (a JSON string). Everything is a plain numeric or unicode array, so it loads with
``allow_pickle=False``. Writes are atomic: a temporary file in the same directory is written,
flushed, synced and renamed over the target with :func:`os.replace`.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayes_meta_envs._io import atomic_write
from bayes_meta_envs._validate import check_mapping, check_path
from bayes_meta_envs.errors import MissingFileError, TraceSchemaError, wrong_type

__all__ = ["DEFAULT_TRACE_EPISODES", "TRACE_KIND", "TRACE_SCHEMA_VERSION", "Traces", "load_traces"]

TRACE_KIND = "bayes_meta_envs.traces"
TRACE_SCHEMA_VERSION = 1
#: How many episodes the ``bayes-meta score --traces`` command records by default.
DEFAULT_TRACE_EPISODES = 10_000

ARRAY_FIELDS: tuple[str, ...] = (
    "episode",
    "task",
    "obs",
    "action",
    "reward",
    "agent_output",
    "agent_state",
    "bayes_state",
    "bayes_output",
)
_NDIM = {
    "episode": (1,),
    "task": (2,),
    "obs": (3,),
    "action": (2, 3),
    "reward": (2,),
    "agent_output": (3,),
    "agent_state": (3,),
    "bayes_state": (3,),
    "bayes_output": (3,),
}


@dataclass(frozen=True, eq=False)
class Traces:
    """Per-episode, per-step record of a scoring run; see the module docstring for the fields."""

    episode: np.ndarray
    task: np.ndarray
    obs: np.ndarray
    action: np.ndarray
    reward: np.ndarray
    agent_output: np.ndarray
    agent_state: np.ndarray
    bayes_state: np.ndarray
    bayes_output: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        episode = self.episode
        n = episode.shape[0] if isinstance(episode, np.ndarray) and episode.ndim == 1 else -1
        for name in ARRAY_FIELDS:
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.ndim not in _NDIM[name]:
                raise TraceSchemaError(
                    f"traces field {name!r} must be an array with ndim in {_NDIM[name]}, got "
                    f"{getattr(arr, 'shape', arr)!r}"
                )
            if arr.shape[0] != n:
                raise TraceSchemaError(
                    f"traces field {name!r} must have {n} episodes (first axis), got shape "
                    f"{arr.shape}"
                )
        steps = self.obs.shape[1]
        for name in ARRAY_FIELDS[3:]:
            if getattr(self, name).shape[1] != steps:
                raise TraceSchemaError(
                    f"traces field {name!r} must have {steps} steps (second axis), got shape "
                    f"{getattr(self, name).shape}"
                )

    @property
    def n_episodes(self) -> int:
        return int(self.episode.shape[0])

    @property
    def horizon(self) -> int:
        return int(self.obs.shape[1])

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays, in bytes."""
        return int(sum(getattr(self, name).nbytes for name in ARRAY_FIELDS))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Traces):
            return NotImplemented
        return self.metadata == other.metadata and all(
            getattr(self, n).dtype == getattr(other, n).dtype
            and np.array_equal(getattr(self, n), getattr(other, n), equal_nan=True)
            for n in ARRAY_FIELDS
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Traces(episodes={self.n_episodes}, horizon={self.horizon}, "
            f"agent={self.metadata.get('agent')!r}, env={self.metadata.get('env_id')!r})"
        )

    @classmethod
    def from_recorded(
        cls, recorded: Mapping[str, np.ndarray], metadata: dict[str, Any]
    ) -> Traces | None:
        """The traces of a rollout's ``recorded`` arrays (``None`` when it recorded nothing)."""
        recorded = check_mapping("recorded", recorded, allow_none=False)
        metadata = check_mapping("metadata", metadata, allow_none=False)
        if not recorded:
            return None
        return cls(**{n: recorded[n] for n in ARRAY_FIELDS}, metadata=metadata)

    @classmethod
    def concatenate(cls, parts: list[Traces], metadata: dict[str, Any]) -> Traces:
        """Join traces of consecutive batches along the episode axis."""
        if not isinstance(parts, (list, tuple)) or not parts:
            raise wrong_type("parts", parts, "a non-empty list of Traces")
        for i, part in enumerate(parts):
            if not isinstance(part, Traces):
                raise wrong_type(f"parts[{i}]", part, "a Traces")
        metadata = check_mapping("metadata", metadata, allow_none=False)
        arrays = {n: np.concatenate([getattr(p, n) for p in parts]) for n in ARRAY_FIELDS}
        return cls(**arrays, metadata=metadata)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a compressed ``.npz`` atomically (see the module docstring); return the path.

        The path is used as given (no ``.npz`` suffix is appended).
        """
        target = check_path("path", path)
        arrays: dict[str, Any] = {n: getattr(self, n) for n in ARRAY_FIELDS}
        arrays["kind"] = np.array(TRACE_KIND)
        arrays["schema_version"] = np.array(TRACE_SCHEMA_VERSION, dtype=np.int64)
        arrays["metadata"] = np.array(json.dumps(self.metadata, sort_keys=True))
        atomic_write(target, lambda tmp: _savez(tmp, arrays))
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Traces:
        """Read traces written by :meth:`save`.

        Raises :class:`~bayes_meta_envs.errors.TraceSchemaError` for a file that is not a trace
        file (missing or different ``kind``), has a newer or unknown ``schema_version``, lacks a
        field, or is corrupt, or holds non-finite numbers;
        :class:`~bayes_meta_envs.errors.MissingFileError` (a ``FileNotFoundError``) when it does
        not exist.
        """
        p = check_path("path", path)
        if not p.exists():
            raise MissingFileError(f"path: traces file {str(p)!r} does not exist")
        try:
            with np.load(p, allow_pickle=False) as data:
                entries = {k: data[k] for k in data.files}
        except (
            zipfile.BadZipFile,
            zlib.error,  # a corrupt compressed entry
            MemoryError,  # a crafted .npy header announcing a huge array
            ValueError,
            OSError,
            EOFError,
            KeyError,
        ) as exc:
            raise TraceSchemaError(
                f"traces file {str(p)!r} is not a readable .npz trace file: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(entries, dict) or "kind" not in entries:
            raise TraceSchemaError(
                f"traces file {str(p)!r} has no 'kind' entry: not a bayes_meta_envs trace file"
            )
        kind = str(entries["kind"])
        if kind != TRACE_KIND:
            raise TraceSchemaError(
                f"traces file {str(p)!r} has kind {kind!r}, expected {TRACE_KIND!r}"
            )
        version = entries.get("schema_version")
        if version is None or version.shape != () or version.dtype.kind not in "iu":
            raise TraceSchemaError(f"traces file {str(p)!r} has no integer 'schema_version' entry")
        if int(version) > TRACE_SCHEMA_VERSION or int(version) < 1:
            raise TraceSchemaError(
                f"traces file {str(p)!r} has schema_version {int(version)}; this version of "
                f"bayes-meta-envs reads schema_version <= {TRACE_SCHEMA_VERSION} (upgrade the "
                "package to read newer files)"
            )
        missing = [n for n in (*ARRAY_FIELDS, "metadata") if n not in entries]
        if missing:
            raise TraceSchemaError(f"traces file {str(p)!r} lacks the entries {missing}")
        try:
            metadata = json.loads(str(entries["metadata"]))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise TraceSchemaError(f"traces file {str(p)!r} has invalid metadata: {exc}") from exc
        if not isinstance(metadata, dict):
            raise TraceSchemaError(f"traces file {str(p)!r} has metadata that is not an object")
        for name in ARRAY_FIELDS:
            arr = entries[name]
            if arr.dtype.kind not in "iuf":
                raise TraceSchemaError(
                    f"traces file {str(p)!r} has field {name!r} of dtype {arr.dtype}, not numeric"
                )
            if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                raise TraceSchemaError(
                    f"traces file {str(p)!r} has non-finite values (NaN or inf) in field {name!r}"
                )
        return cls(**{n: entries[n] for n in ARRAY_FIELDS}, metadata=metadata)


def load_traces(path: str | os.PathLike[str]) -> Traces:
    """:meth:`Traces.load`."""
    return Traces.load(path)


def _savez(path: Path, arrays: dict[str, Any]) -> None:
    with open(path, "wb") as f:  # a file object: numpy would append ".npz" to a bare path
        np.savez_compressed(f, **arrays)
