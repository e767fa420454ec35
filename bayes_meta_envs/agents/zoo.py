"""Loading saved agents: ``load(path)`` for any run folder, ``load(NAME)`` for a zoo agent.

The zoo ships inside the package (package data, :data:`ZOO_DIR` = ``bayes_meta_envs/zoo/``): one
run folder per agent (``config.json``, ``model.safetensors``, ``history.json``, ``score.json``
and ``checkpoints/ckpt_NNNNNN/`` with the weights at about every 10% of training), so
``load("lstm-metabandit")`` works from an installed wheel; :func:`zoo_names` lists them and
:func:`zoo_path` gives a folder. The model cards live in the repository's ``agents/NAME/``.

A run folder (a zoo entry, or any folder written by ``bayes-meta train``) holds a ``config.json``
whose ``"algo"`` field says which recipe wrote it (:mod:`bayes_meta_envs.agents.run_folder`);
that recipe's ``load_agent`` loads it (:mod:`bayes_meta_envs.agents.recipes`):

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

from bayes_meta_envs._validate import check_path
from bayes_meta_envs.agents import recipes
from bayes_meta_envs.agents.run_folder import KNOWN_ALGOS, read_algo, run_of
from bayes_meta_envs.errors import CheckpointError, invalid, wrong_type
from bayes_meta_envs.protocol import Agent

__all__ = [
    "ZOO_ALGOS",
    "ZOO_DIR",
    "ZOO_PREFIX",
    "load",
    "read_algo",
    "zoo_folders",
    "zoo_names",
    "zoo_path",
]

ZOO_ALGOS = KNOWN_ALGOS
#: Where the zoo's agents are installed (package data).
ZOO_DIR = Path(__file__).resolve().parent.parent / "zoo"
#: ``"zoo:NAME"`` names a zoo agent explicitly (``bayes-meta score --agent zoo:NAME``).
ZOO_PREFIX = "zoo:"


def zoo_names() -> list[str]:
    """The names of the agents shipped in the package's zoo, sorted."""
    return [p.name for p in zoo_folders(ZOO_DIR)]


def zoo_path(name: str) -> Path:
    """The installed folder of the zoo agent ``name`` (``"zoo:"`` prefix allowed).

    Raises:
        InvalidArgumentError: ``name`` is not a zoo agent (the message lists them).
    """
    if not isinstance(name, str):
        raise wrong_type("name", name, "the name of a zoo agent (a str)")
    bare = name[len(ZOO_PREFIX) :] if name.startswith(ZOO_PREFIX) else name
    names = zoo_names()
    if bare not in names:
        raise invalid("name", name, f"the name of a zoo agent, one of {names}")
    return ZOO_DIR / bare


def load(path: str | os.PathLike[str], *, seed: int | None = None) -> Agent:
    """Load a saved agent folder, or a zoo agent by name, as an object following the Agent
    protocol.

    ``path`` is a folder, or the name of a zoo agent (:func:`zoo_names`; ``"zoo:NAME"`` too):
    a name is looked up in the zoo when no folder of that name exists; a checkpoint folder
    (``checkpoints/ckpt_NNNNNN`` of an LSTM run) loads with its run's config. Dispatches on the
    ``"algo"`` field of ``config.json`` (see the module docstring). ``seed`` seeds the generator
    the LSTM agent's ``predict`` samples actions with.

    Raises:
        CheckpointError: the folder, its config or its weights are missing or corrupt (a path that
            does not exist gets a message listing :func:`zoo_names`).
        InvalidArgumentError: a ``"zoo:NAME"`` that names no zoo agent.
        MissingDependencyError: torch (or sb3-contrib) is not installed.
    """
    check_path("path", path)  # a str or os.PathLike, not None or a number
    if isinstance(path, str) and (
        path.startswith(ZOO_PREFIX) or (not os.path.exists(path) and path in zoo_names())
    ):
        path = zoo_path(path)
    if isinstance(path, (str, os.PathLike)) and not os.path.exists(path):
        raise CheckpointError(
            f"agent folder {os.fspath(path)!r} does not exist, and it is not the name of a zoo "
            f"agent (zoo_names(): {zoo_names()})"
        )
    algo = read_algo(run_of(Path(path)))  # a checkpoint folder loads with its run's config
    return recipes.get(algo).load_agent(Path(path), seed=seed)


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
