"""The one reader and writer of a run folder, for every training recipe.

A run folder (what ``bayes-meta train`` writes, what a zoo entry is, what :func:`agents.load
<bayes_meta_envs.agents.load>` reads) holds::

    config.json          {"algo": "lstm" | "recurrent-ppo", "format_version": 2, ...the config}
    model.safetensors    the network's tensors
    history.json         the recipe's records over training (evaluations, or rollout logs)
    checkpoints/ckpt_NNNNNN/   the resumable state after NNNNNN updates: model.safetensors, the
                         optimizer, trainer_state.json (counters, generator states, the config)

Nothing is ever unpickled: configs are JSON, tensors safetensors. Every failure to read raises
:class:`~bayes_meta_envs.errors.CheckpointError` naming the file. A checkpoint is written into a
temporary folder renamed into place (:func:`write_checkpoint_folder`), so a checkpoint folder is
complete; :func:`prepare_run_folder` is the one check of an output folder before training, and
:class:`RunFolder` what every recipe's ``train`` returns.

This module imports no torch at import time; the tensor functions need the ``train`` extra.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bayes_meta_envs._io import atomic_write, atomic_write_text
from bayes_meta_envs._validate import check_bool, check_path
from bayes_meta_envs.agents._recipe import RecipeConfig, flatten_config
from bayes_meta_envs.errors import CheckpointError, invalid, require

if TYPE_CHECKING:  # torch is reached only by the tensor functions (the `train` extra)
    import torch

__all__ = [
    "CHECKPOINT_DIR",
    "CONFIG_FILE",
    "HISTORY_FILE",
    "KNOWN_ALGOS",
    "RUN_FILES",
    "TRAINER_STATE_FILE",
    "WEIGHTS_FILE",
    "RunFolder",
    "TrainEvent",
    "check_same_run",
    "checkpoint_run",
    "clean_temporaries",
    "latest_checkpoint",
    "load_module",
    "load_tensors",
    "prepare_run_folder",
    "read_algo",
    "read_config",
    "read_history",
    "read_json_object",
    "run_of",
    "save_module",
    "save_tensors",
    "write_checkpoint_folder",
    "write_config",
    "write_history",
]

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
HISTORY_FILE = "history.json"
CHECKPOINT_DIR = "checkpoints"
#: The file of a checkpoint folder that holds its counters and config (and no config.json).
TRAINER_STATE_FILE = "trainer_state.json"
#: The recipes whose run folders this package reads (see :mod:`bayes_meta_envs.agents.recipes`).
KNOWN_ALGOS = ("lstm", "recurrent-ppo")
#: What a run folder holds once training has written into it (any recipe).
RUN_FILES = (
    CONFIG_FILE,
    WEIGHTS_FILE,
    HISTORY_FILE,
    CHECKPOINT_DIR,
    "tb",
    "optimizer.pt",
    "train_log.csv",
)


def read_json_object(file: Path, what: str) -> dict[str, Any]:
    """The JSON object in ``file``; :class:`CheckpointError` naming ``what`` and the file
    otherwise."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{what} {str(file)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CheckpointError(
            f"{what} {str(file)!r} must hold a JSON object, got {type(data).__name__}"
        )
    return data


def read_config(
    path: str | os.PathLike[str],
    *,
    algo: str | None = None,
    algos: Sequence[str] = KNOWN_ALGOS,
) -> dict[str, Any]:
    """The JSON object of ``path/config.json``, checked to name ``algo`` (any of ``algos`` if
    None). ``path`` may also be the config file itself, or a checkpoint folder
    ``checkpoints/ckpt_NNNNNN`` (its run's config is read).
    """
    p = Path(path)
    file = p if p.is_file() and p.name == CONFIG_FILE else run_of(p) / CONFIG_FILE
    if file.parent == p and not p.is_dir():
        raise CheckpointError(f"agent folder {str(p)!r} does not exist or is not a folder")
    if not file.is_file():
        raise CheckpointError(f"agent folder {str(file.parent)!r} has no {CONFIG_FILE}")
    data = read_json_object(file, "config")
    found = data.get("algo")
    expected = tuple(algos) if algo is None else (algo,)
    if found not in expected:
        raise CheckpointError(
            f"{str(file)!r} has algo={found!r}; expected "
            + (repr(algo) if algo is not None else f"one of {list(expected)}")
        )
    return data


def run_of(path: Path) -> Path:
    """The run folder of ``path``: ``path`` itself, or the run of a checkpoint folder (one
    holding ``trainer_state.json`` and no ``config.json``)."""
    if not (path / CONFIG_FILE).is_file() and (path / TRAINER_STATE_FILE).is_file():
        return path.parent.parent
    return path


def read_algo(path: str | os.PathLike[str], algos: Sequence[str] = KNOWN_ALGOS) -> str:
    """The recipe (``"algo"``) that wrote the run folder ``path``."""
    return str(read_config(path, algos=algos)["algo"])


def write_config(path: str | os.PathLike[str], data: dict[str, Any]) -> Path:
    """Write ``data`` as ``path/config.json`` (atomically); ``path`` is the folder."""
    return atomic_write_text(Path(path) / CONFIG_FILE, json.dumps(data, indent=2) + "\n")


def save_tensors(path: str | os.PathLike[str], tensors: dict[str, Any]) -> Path:
    """Write a dict of torch tensors as a safetensors file (atomically)."""
    sf = require("safetensors.torch", "train")
    owned = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    return atomic_write(path, lambda tmp: sf.save_file(owned, str(tmp)))


def load_tensors(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a safetensors file into a dict of torch tensors."""
    sf = require("safetensors.torch", "train")
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"weights file {str(p)!r} is missing")
    try:
        return dict(sf.load_file(str(p)))
    except Exception as exc:  # safetensors raises its own error types
        raise CheckpointError(f"weights file {str(p)!r} is corrupt or unreadable: {exc}") from None


def save_module(path: str | os.PathLike[str], module: torch.nn.Module) -> Path:
    """Write a torch module's parameters and buffers as safetensors (shared tensors once)."""
    sf = require("safetensors.torch", "train")
    return atomic_write(path, lambda tmp: sf.save_model(module, str(tmp)))


def load_module(path: str | os.PathLike[str], module: torch.nn.Module) -> None:
    """Load a safetensors file written by :func:`save_module` into ``module`` (strict)."""
    sf = require("safetensors.torch", "train")
    load_tensors(path)  # a missing or corrupt file fails here, with its own message
    try:
        sf.load_model(module, str(path), strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"{str(path)!r} does not match the network described by its config.json: {exc}"
        ) from None


def write_history(run_dir: str | os.PathLike[str], records: list[dict[str, Any]]) -> Path:
    """Write ``run_dir/history.json`` (atomically): one JSON object per record."""
    return atomic_write_text(Path(run_dir) / HISTORY_FILE, json.dumps(records, indent=1) + "\n")


def read_history(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of ``run_dir/history.json`` (none when the file is absent)."""
    file = Path(run_dir) / HISTORY_FILE
    if not file.is_file():
        return []
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{str(file)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise CheckpointError(f"{str(file)!r} must hold a list of JSON objects")
    return data


# --- checkpoints ---


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> Path | None:
    """The newest ``checkpoints/ckpt_NNNNNN`` folder of a run, or None when there is none."""
    ckdir = check_path("run_dir", run_dir) / CHECKPOINT_DIR
    if not ckdir.is_dir():
        return None
    found = sorted(
        p
        for p in ckdir.iterdir()
        if p.is_dir() and p.name.startswith("ckpt_") and p.name[5:].isdigit()
    )
    return found[-1] if found else None


def checkpoint_run(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The config JSON saved with the newest checkpoint of ``run_dir`` (None: no readable
    checkpoint): what says which run a folder holds."""
    ck = latest_checkpoint(run_dir)
    if ck is None or not (ck / TRAINER_STATE_FILE).is_file():
        return None
    try:
        config = read_json_object(ck / TRAINER_STATE_FILE, "checkpoint state").get("config")
    except CheckpointError:
        return None
    return config if isinstance(config, dict) else None


def clean_temporaries(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove the hidden temporary folders (``checkpoints/.ckpt_*``) that a checkpoint write
    killed before its rename (SIGKILL, power loss) leaves behind, and the temporary files of a
    killed atomic write in the run folder; return what was removed."""
    out = Path(run_dir)
    ckdir = out / CHECKPOINT_DIR
    stale = [p for p in ckdir.iterdir() if p.name.startswith(".ckpt_")] if ckdir.is_dir() else []
    if out.is_dir():
        stale += [
            p
            for p in out.iterdir()
            if p.is_file() and any(p.name.startswith(f".{name}.") for name in RUN_FILES)
        ]
    for p in stale:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    if stale:
        logger.info("removed %d unfinished write(s) in %s", len(stale), out)
    return stale


def write_checkpoint_folder(
    run_dir: str | os.PathLike[str], step: int, write: Callable[[Path], None]
) -> Path:
    """Write ``run_dir/checkpoints/ckpt_<step>`` atomically: ``write(folder)`` fills a temporary
    folder, which is then renamed into place."""
    ckdir = Path(run_dir) / CHECKPOINT_DIR
    ckdir.mkdir(parents=True, exist_ok=True)
    final = ckdir / f"ckpt_{step:06d}"
    clean_temporaries(run_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=ckdir))
    try:
        write(tmp)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.debug("checkpoint written: %s", final)
    return final


def prepare_run_folder(
    run_dir: str | os.PathLike[str], *, resume: bool, overwrite: bool
) -> Path | None:
    """Check the output folder of a training run before anything is written; return the
    checkpoint to resume from (``None`` for a fresh run).

    * ``resume``: unfinished writes are cleaned away and the newest checkpoint is returned
      (:class:`CheckpointError` when there is none);
    * otherwise a folder that already holds trained work (weights, ``history.json`` or a
      checkpoint) is refused with :class:`~bayes_meta_envs.errors.InvalidArgumentError`, unless
      ``overwrite``; the run files found (:data:`RUN_FILES`: those, or the bare ``config.json``
      and ``tb/`` of an attempt killed before its first checkpoint) are removed first (other
      files in the folder are left alone).
    """
    out = Path(run_dir)
    resume, overwrite = check_bool("resume", resume), check_bool("overwrite", overwrite)
    if out.exists() and not out.is_dir():
        raise invalid("out_dir", str(out), "a folder (this path is a file)")
    if resume and overwrite:
        raise invalid("resume, overwrite", (resume, overwrite), "not both True")
    if resume:
        clean_temporaries(out)
        ck = latest_checkpoint(out)
        if ck is None:
            raise CheckpointError(
                f"cannot resume: no checkpoint under {str(out / CHECKPOINT_DIR)!r}"
            )
        return ck
    found = [name for name in RUN_FILES if (out / name).exists()]
    # trained work: weights, evaluations or a checkpoint; a bare config.json / tb/ is what an
    # attempt killed before its first checkpoint leaves, with nothing to lose or to mix up
    work = [n for n in found if n not in (CONFIG_FILE, "tb")]
    if work == [CHECKPOINT_DIR] and not any((out / CHECKPOINT_DIR).iterdir()):
        work = []
    if work and not overwrite:
        raise invalid(
            "out_dir",
            str(out),
            f"a new or empty folder: it already holds a run ({', '.join(found)}); continue it "
            "with resume=True (--resume), choose another folder, or pass overwrite=True",
        )
    if found:
        logger.info("removing the files of an earlier run in %s: %s", out, found)
    for name in found:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    return None


@dataclass(frozen=True)
class RunFolder:
    """What every recipe's ``train`` returns: the run folder it wrote and how training went.

    ``updates``: training iterations (LSTM updates, PPO rollouts) over the whole run;
    ``env_steps``: environment steps over the whole run; ``wall_seconds``: training time over
    the whole run; ``stopped_by_budget``: this call stopped at ``budget_minutes``; ``history``:
    the records of ``history.json`` (the LSTM's evaluations on its fixed batch, named as in
    :class:`~bayes_meta_envs.scoring.ScoreReport`; RecurrentPPO's per-rollout logs).
    Load the trained agent with :func:`bayes_meta_envs.agents.load` (``load(run.path)``).
    """

    path: Path
    algo: str
    updates: int
    env_steps: int
    wall_seconds: float
    stopped_by_budget: bool
    history: list[dict[str, float]]

    @property
    def final_eval(self) -> dict[str, float]:
        """The last record of the history (empty when there is none)."""
        return self.history[-1] if self.history else {}


@dataclass(frozen=True)
class TrainEvent:
    """What a recipe's ``train`` hands its ``callback`` after each iteration (an LSTM update, a
    PPO rollout): the counts over the whole run, and the history record and the checkpoint
    folder this iteration made (None when it made none)."""

    updates: int
    env_steps: int
    record: dict[str, float] | None = None
    checkpoint: Path | None = None


def check_same_run(ck: Path, saved: Mapping[str, Any], config: RecipeConfig) -> None:
    """Raise :class:`CheckpointError` unless the checkpoint ``ck``, written with the config JSON
    ``saved``, belongs to the run of ``config`` (equal but for its run-control fields)."""
    diff = config.differences(saved)
    if diff:
        old, new = flatten_config(saved), flatten_config(config.to_dict())
        raise CheckpointError(
            f"checkpoint {str(ck)!r} belongs to another run: it was written with "
            + ", ".join(f"{k}={old.get(k)!r}" for k in diff)
            + ", this config has "
            + ", ".join(f"{k}={new.get(k)!r}" for k in diff)
            + "; resume with the run's own config (only "
            + ", ".join(config.RUN_CONTROL_FIELDS)
            + " may change)"
        )
