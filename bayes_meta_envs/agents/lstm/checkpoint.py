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
from bayes_meta_envs.errors import CheckpointError

__all__ = [
    "CHECKPOINT_DIR",
    "CHECKPOINT_FILES",
    "FORMAT_VERSION",
    "Restored",
    "latest_checkpoint",
    "read_checkpoint",
    "rng_from_json",
    "rng_to_json",
    "write_checkpoint",
]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FILES = ("model.safetensors", "optimizer.pt", "rng.safetensors", "trainer_state.json")
#: Fields that must agree between a checkpoint and the config resuming from it.
_MODEL_FIELDS = ("env_id", "env_kwargs", "hidden_size", "embed_size", "symlog_inputs")


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
    try:
        state = json.loads((ck / "trainer_state.json").read_text(encoding="utf-8"))
        update = int(state["update"])
        elapsed = float(state["elapsed"])
        history = list(state["history"])
        np_state = state["numpy_rng"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"checkpoint {str(ck)!r}: trainer_state.json is corrupt: {exc}"
        ) from None
    saved_cfg = state.get("config")
    if saved_cfg is not None:
        current = config.to_dict()
        diff = [k for k in _MODEL_FIELDS if saved_cfg.get(k) != current.get(k)]
        if diff:
            raise CheckpointError(
                f"checkpoint {str(ck)!r} was written with a different model/env config "
                f"(fields {diff}); resume with the same config"
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
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"checkpoint {str(ck)!r}: numpy RNG state is corrupt: {exc}"
        ) from None
    logger.info("resumed from %s (update %d)", ck, update)
    return Restored(update, elapsed, history, rng)
