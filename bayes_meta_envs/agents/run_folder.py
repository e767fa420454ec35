"""The one reader and writer of a run folder, for every training recipe.

A run folder (what ``bayes-meta train`` writes, what a zoo entry is, what :func:`agents.load
<bayes_meta_envs.agents.load>` reads) holds at least::

    config.json          {"algo": "lstm" | "recurrent-ppo", "format_version": 1, ...}
    model.safetensors    the network's tensors

``config.json`` is written last, so a folder with a readable one is a complete saved agent.
Nothing is ever unpickled: configs are JSON, tensors safetensors. Every failure to read raises
:class:`~bayes_meta_envs.errors.CheckpointError` naming the file.

This module imports no torch at import time; the tensor functions need the ``train`` extra.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bayes_meta_envs._io import atomic_write, atomic_write_text
from bayes_meta_envs.errors import CheckpointError, require

__all__ = [
    "CONFIG_FILE",
    "KNOWN_ALGOS",
    "WEIGHTS_FILE",
    "load_module",
    "load_tensors",
    "read_algo",
    "read_config",
    "save_module",
    "save_tensors",
    "write_config",
]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
KNOWN_ALGOS = ("lstm", "recurrent-ppo")


def read_config(path: str | os.PathLike[str], *, algo: str | None = None) -> dict[str, Any]:
    """The JSON object of ``path/config.json``, checked to name ``algo`` (any known one if None).

    ``path`` may also be the config file itself.
    """
    p = Path(path)
    file = p if p.is_file() and p.name == CONFIG_FILE else p / CONFIG_FILE
    if file.parent == p and not p.is_dir():
        raise CheckpointError(f"agent folder {str(p)!r} does not exist or is not a folder")
    if not file.is_file():
        raise CheckpointError(f"agent folder {str(file.parent)!r} has no {CONFIG_FILE}")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{str(file)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{str(file)!r} must hold a JSON object, got {type(data).__name__}")
    found = data.get("algo")
    expected = KNOWN_ALGOS if algo is None else (algo,)
    if found not in expected:
        raise CheckpointError(
            f"{str(file)!r} has algo={found!r}; expected "
            + (repr(algo) if algo is not None else f"one of {list(KNOWN_ALGOS)}")
        )
    return data


def read_algo(path: str | os.PathLike[str]) -> str:
    """The recipe (``"algo"``) that wrote the run folder ``path``."""
    return str(read_config(path)["algo"])


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


def save_module(path: str | os.PathLike[str], module: Any) -> Path:
    """Write a torch module's parameters and buffers as safetensors (shared tensors once)."""
    sf = require("safetensors.torch", "train")
    return atomic_write(path, lambda tmp: sf.save_model(module, str(tmp)))


def load_module(path: str | os.PathLike[str], module: Any) -> None:
    """Load a safetensors file written by :func:`save_module` into ``module`` (strict)."""
    sf = require("safetensors.torch", "train")
    load_tensors(path)  # a missing or corrupt file fails here, with its own message
    try:
        sf.load_model(module, str(path), strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"{str(path)!r} does not match the network described by its config.json: {exc}"
        ) from None
