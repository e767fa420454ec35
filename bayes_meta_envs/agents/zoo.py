"""Loading the agents zoo: ``load(path)`` for any saved agent folder.

A zoo folder (``agents/NAME/`` in the repository, or any run folder written by ``bayes-meta
train``) holds a ``config.json`` whose ``"algo"`` field says which recipe wrote it:

* ``"lstm"``: :class:`bayes_meta_envs.agents.lstm.LSTMAgent` (``config.json`` +
  ``model.safetensors``);
* ``"recurrent-ppo"``: :func:`bayes_meta_envs.agents.recurrent_ppo.load_agent` (an SB3
  RecurrentPPO model wrapped into the Agent protocol).

Nothing is unpickled: weights are safetensors, configs JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bayes_meta_envs.errors import CheckpointError

__all__ = ["ZOO_ALGOS", "load", "read_algo", "zoo_folders"]

ZOO_ALGOS = ("lstm", "recurrent-ppo")


def read_algo(path: str | os.PathLike[str]) -> str:
    """The ``"algo"`` field of ``path/config.json``; raises :class:`CheckpointError` when the
    folder, the file or the field is missing or unreadable."""
    p = Path(path)
    if not p.is_dir():
        raise CheckpointError(f"agent folder {str(p)!r} does not exist or is not a folder")
    cfg = p / "config.json"
    if not cfg.is_file():
        raise CheckpointError(f"agent folder {str(p)!r} has no config.json")
    try:
        data = json.loads(cfg.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{str(cfg)!r} is not valid JSON: {exc}") from None
    algo = data.get("algo") if isinstance(data, dict) else None
    if algo not in ZOO_ALGOS:
        raise CheckpointError(f"{str(cfg)!r} has algo={algo!r}; expected one of {list(ZOO_ALGOS)}")
    return str(algo)


def load(path: str | os.PathLike[str], *, seed: int | None = None) -> Any:
    """Load a saved agent folder as an object following the Agent protocol.

    Dispatches on the ``"algo"`` field of ``path/config.json`` (see the module docstring).
    ``seed`` seeds the generator the LSTM agent's ``predict`` samples actions with.

    Raises:
        CheckpointError: the folder, its config or its weights are missing or corrupt.
        MissingDependencyError: torch (or sb3-contrib) is not installed.
    """
    algo = read_algo(path)
    if algo == "lstm":
        from bayes_meta_envs.agents.lstm import LSTMAgent

        return LSTMAgent.load(path, seed=seed)
    from bayes_meta_envs.agents.recurrent_ppo import load_agent

    return load_agent(Path(path))


def zoo_folders(root: str | os.PathLike[str]) -> list[Path]:
    """The agent folders (those with a ``config.json`` naming a known algo) directly under
    ``root``, sorted by name."""
    out: list[Path] = []
    r = Path(root)
    if not r.is_dir():
        return out
    for p in sorted(r.iterdir()):
        try:
            read_algo(p)
        except CheckpointError:
            continue
        out.append(p)
    return out
