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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bayes_meta_envs.agents import run_folder
from bayes_meta_envs.agents.lstm.config import LSTMConfig
from bayes_meta_envs.agents.run_folder import TRAINER_STATE_FILE, check_same_run
from bayes_meta_envs.errors import CheckpointError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
CHECKPOINT_FILES = ("model.safetensors", "optimizer.pt", "rng.safetensors", TRAINER_STATE_FILE)


@dataclass(frozen=True)
class Restored:
    """The counters and the numpy generator read back by :func:`read_checkpoint`."""

    update: int
    elapsed: float
    history: list[dict[str, float]]
    rng: np.random.Generator


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

    def write(tmp: Path) -> None:
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
        (tmp / TRAINER_STATE_FILE).write_text(json.dumps(state), encoding="utf-8")

    return run_folder.write_checkpoint_folder(run_dir, update, write)


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
    update, elapsed, history, np_state, saved_cfg = _read_state(ck / TRAINER_STATE_FILE)
    check_same_run(ck, saved_cfg, config)
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
