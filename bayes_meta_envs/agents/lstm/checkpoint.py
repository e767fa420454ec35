"""Checkpoints of an LSTM training run: written atomically, read back bit for bit.

A checkpoint is the folder ``checkpoints/ckpt_NNNNNN`` (``NNNNNN`` the update count) of a run::

    model.safetensors     the network's weights
    optimizer.pt          Adam's state (read with ``torch.load(weights_only=True)``: no pickle)
    rng.safetensors       the torch generator's state
    trainer_state.json    update count, elapsed time, numpy generator state, history, config

It is written into a temporary folder renamed into place, so a checkpoint folder is complete.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bayes_meta_envs.agents import run_folder
from bayes_meta_envs.agents.lstm.config import LSTMConfig
from bayes_meta_envs.errors import CheckpointError, invalid

__all__ = [
    "CHECKPOINT_DIR",
    "CHECKPOINT_FILES",
    "FORMAT_VERSION",
    "RUN_CONTROL_FIELDS",
    "RUN_FILES",
    "Restored",
    "clean_temporaries",
    "latest_checkpoint",
    "prepare_run_folder",
    "read_checkpoint",
    "rng_from_json",
    "rng_to_json",
    "write_checkpoint",
]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FILES = ("model.safetensors", "optimizer.pt", "rng.safetensors", "trainer_state.json")
#: Config fields that may differ between a checkpoint and the config resuming from it: how long
#: and where the run goes on, not which run it is. Every other field (the seed included) must agree.
RUN_CONTROL_FIELDS = ("total_updates", "budget_minutes", "num_threads", "tensorboard", "device")
#: What a run folder holds once training has written into it.
RUN_FILES = ("config.json", "model.safetensors", "history.json", CHECKPOINT_DIR, "tb")


@dataclass(frozen=True)
class Restored:
    """The counters and the numpy generator read back by :func:`read_checkpoint`."""

    update: int
    elapsed: float
    history: list[dict[str, float]]
    rng: np.random.Generator


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> Path | None:
    """The newest ``checkpoints/ckpt_NNNNNN`` folder of a run, or None when there is none."""
    ckdir = Path(run_dir) / CHECKPOINT_DIR
    if not ckdir.is_dir():
        return None
    found = sorted(
        p
        for p in ckdir.iterdir()
        if p.is_dir() and p.name.startswith("ckpt_") and p.name[5:].isdigit()
    )
    return found[-1] if found else None


def clean_temporaries(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove the hidden temporary folders (``checkpoints/.ckpt_*``) that a checkpoint write
    killed before its rename (SIGKILL, power loss) leaves behind; return what was removed."""
    ckdir = Path(run_dir) / CHECKPOINT_DIR
    if not ckdir.is_dir():
        return []
    stale = [p for p in ckdir.iterdir() if p.name.startswith(".ckpt_")]
    for p in stale:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    if stale:
        logger.info("removed %d unfinished checkpoint folder(s) in %s", len(stale), ckdir)
    return stale


def prepare_run_folder(
    run_dir: str | os.PathLike[str], *, resume: bool, overwrite: bool
) -> Path | None:
    """Check the output folder of a training run before anything is written; return the
    checkpoint to resume from (``None`` for a fresh run).

    * ``resume``: unfinished checkpoint writes are cleaned away and the newest checkpoint is
      returned (:class:`CheckpointError` when there is none);
    * otherwise a folder that already holds trained work (weights, ``history.json`` or a
      checkpoint) is refused with :class:`~bayes_meta_envs.errors.InvalidArgumentError`, unless
      ``overwrite``; the run files found (:data:`RUN_FILES`: those, or the bare ``config.json``
      and ``tb/`` of an attempt killed before its first checkpoint) are removed first (other
      files in the folder are left alone).
    """
    out = Path(run_dir)
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
    work = [n for n in found if n not in ("config.json", "tb")]
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


def rng_to_json(rng: np.random.Generator) -> dict[str, Any]:
    """The state of a numpy generator as a JSON object."""
    return dict(rng.bit_generator.state)


def rng_from_json(state: Mapping[str, Any]) -> np.random.Generator:
    """A PCG64 numpy generator in the state written by :func:`rng_to_json`."""
    name = state.get("bit_generator")
    if name != "PCG64":
        raise CheckpointError(f"unsupported numpy bit generator in checkpoint: {name!r}")
    bg = np.random.PCG64()
    bg.state = dict(state)  # type: ignore[assignment]
    return np.random.Generator(bg)


def write_checkpoint(
    run_dir: str | os.PathLike[str],
    *,
    config: LSTMConfig,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    torch_gen: torch.Generator,
    rng: np.random.Generator,
    update: int,
    elapsed: float,
    history: list[dict[str, float]],
) -> Path:
    """Write ``run_dir/checkpoints/ckpt_<update>`` atomically (a temp folder renamed into place)."""
    ckdir = Path(run_dir) / CHECKPOINT_DIR
    ckdir.mkdir(parents=True, exist_ok=True)
    final = ckdir / f"ckpt_{update:06d}"
    clean_temporaries(run_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=ckdir))
    try:
        run_folder.save_tensors(tmp / "model.safetensors", net.state_dict())
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        run_folder.save_tensors(tmp / "rng.safetensors", {"torch_generator": torch_gen.get_state()})
        state = {
            "format_version": FORMAT_VERSION,
            "update": update,
            "elapsed": elapsed,
            "numpy_rng": rng_to_json(rng),
            "history": history,
            "config": config.to_dict(),
        }
        (tmp / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.debug("checkpoint written: %s", final)
    return final


def _read_state(
    file: Path,
) -> tuple[int, float, list[dict[str, float]], dict[str, Any], dict[str, Any]]:
    """``trainer_state.json``: update, elapsed, history, numpy RNG state and config, each checked
    for its JSON type; :class:`CheckpointError` naming the file otherwise."""

    def corrupt(why: str) -> CheckpointError:
        return CheckpointError(
            f"checkpoint {str(file.parent)!r}: trainer_state.json is corrupt: {why}"
        )

    try:
        state = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise corrupt(str(exc)) from None
    if not isinstance(state, dict):
        raise corrupt(f"a JSON object is expected, got {type(state).__name__}")
    kinds: dict[str, tuple[type, ...]] = {
        "update": (int,),
        "elapsed": (int, float),
        "history": (list,),
        "numpy_rng": (dict,),
        "config": (dict,),
    }
    for key, types in kinds.items():
        value = state.get(key)
        if isinstance(value, bool) or not isinstance(value, types):
            raise corrupt(f"{key!r} must be a {'/'.join(t.__name__ for t in types)}, got {value!r}")
    if state["update"] < 0 or not math.isfinite(state["elapsed"]) or state["elapsed"] < 0:
        raise corrupt(f"update={state['update']!r}, elapsed={state['elapsed']!r}")
    if not all(isinstance(rec, dict) for rec in state["history"]):
        raise corrupt("'history' must be a list of JSON objects")
    return (
        state["update"],
        float(state["elapsed"]),
        state["history"],
        state["numpy_rng"],
        state["config"],
    )


def read_checkpoint(
    path: str | os.PathLike[str],
    *,
    config: LSTMConfig,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    torch_gen: torch.Generator,
) -> Restored:
    """Load a checkpoint's weights, optimizer and torch generator states into ``net``,
    ``optimizer`` and ``torch_gen``; return the counters, the history and the numpy generator.

    Raises :class:`CheckpointError` naming the file when one is missing or corrupt, and when the
    checkpoint was written with a different model or env (``config`` is the resuming run's).
    """
    ck = Path(path)
    missing = [f for f in CHECKPOINT_FILES if not (ck / f).is_file()]
    if missing:
        raise CheckpointError(f"checkpoint {str(ck)!r} is incomplete: missing {missing}")
    update, elapsed, history, np_state, saved_cfg = _read_state(ck / "trainer_state.json")
    current = config.to_dict()
    diff = sorted(
        k
        for k in set(saved_cfg) | set(current)
        if k not in RUN_CONTROL_FIELDS and saved_cfg.get(k) != current.get(k)
    )
    if diff:
        shown = ", ".join(f"{k}={saved_cfg.get(k)!r}" for k in diff)
        raise CheckpointError(
            f"checkpoint {str(ck)!r} belongs to another run: it was written with {shown}, "
            f"this config has {', '.join(f'{k}={current.get(k)!r}' for k in diff)}; resume "
            "with the run's own config (only "
            f"{', '.join(RUN_CONTROL_FIELDS)} may change)"
        )
    weights = run_folder.load_tensors(ck / "model.safetensors")
    try:
        net.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint {str(ck)!r}: weights do not fit: {exc}") from None
    try:
        optimizer.load_state_dict(torch.load(ck / "optimizer.pt", weights_only=True))
    except Exception as exc:  # torch raises many error types on corrupt files
        raise CheckpointError(
            f"checkpoint {str(ck)!r}: optimizer.pt is corrupt or unreadable: {exc}"
        ) from None
    try:
        torch_gen.set_state(run_folder.load_tensors(ck / "rng.safetensors")["torch_generator"])
    except (CheckpointError, KeyError, RuntimeError, TypeError) as exc:
        raise CheckpointError(
            f"checkpoint {str(ck)!r}: rng.safetensors is corrupt or unreadable: {exc}"
        ) from None
    try:
        rng = rng_from_json(np_state)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        raise CheckpointError(
            f"checkpoint {str(ck)!r}: numpy RNG state is corrupt: {exc}"
        ) from None
    logger.info("resumed from %s (update %d)", ck, update)
    return Restored(update, elapsed, history, rng)
