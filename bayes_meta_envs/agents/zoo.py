"""Loading saved agents: ``load(path)`` for any run folder or zoo entry.

A run folder (``agents/NAME/`` in the repository, or any folder written by ``bayes-meta train``)
holds a ``config.json`` whose ``"algo"`` field says which recipe wrote it
(:mod:`bayes_meta_envs.agents.run_folder`):

* ``"lstm"``: :class:`bayes_meta_envs.agents.lstm.LSTMAgent` (``config.json`` +
  ``model.safetensors``);
* ``"recurrent-ppo"``: :func:`bayes_meta_envs.agents.recurrent_ppo.load_agent` (an SB3
  RecurrentPPO model wrapped into the Agent protocol).

Nothing is unpickled: weights are safetensors, configs JSON. Both recipes need the ``train``
extra (torch), imported only when an agent is loaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bayes_meta_envs.agents.run_folder import KNOWN_ALGOS, read_algo
from bayes_meta_envs.errors import CheckpointError

__all__ = ["ZOO_ALGOS", "load", "read_algo", "zoo_folders"]

ZOO_ALGOS = KNOWN_ALGOS


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
        from bayes_meta_envs.agents.lstm.agent import LSTMAgent  # torch: the `train` extra

        return LSTMAgent.load(path, seed=seed)
    from bayes_meta_envs.agents.recurrent_ppo.io import load_agent  # torch and sb3-contrib

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
