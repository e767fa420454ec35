"""The training recipes by name, and the protocol they follow.

Every recipe is a sub-package of :mod:`bayes_meta_envs.agents` with the same four names, so
that the CLI (``bayes-meta train --algo NAME``), the sweep and :func:`agents.load
<bayes_meta_envs.agents.load>` drive any of them without knowing which (the :class:`Recipe`
protocol):

* ``ALGO``: its name, the ``"algo"`` of the ``config.json`` it writes;
* ``Config``: its config class, a frozen dataclass deriving from
  :class:`~bayes_meta_envs.agents._recipe.RecipeConfig` (the env, its kwargs, the seed, the budget
  and the torch threads are fields; shared hyperparameters have shared names);
* ``train(config, out_dir, *, resume=False, overwrite=False, progress=None, callback=None)
  -> RunFolder``;
* ``load_agent(path, *, seed=None)``: the trained agent of a run folder (or checkpoint folder).

A third recipe (a GRU, say) is one more sub-package with those names and one more line in
:data:`RECIPES`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from bayes_meta_envs.agents import lstm, recurrent_ppo, run_folder
from bayes_meta_envs.agents._recipe import RecipeConfig
from bayes_meta_envs.agents.run_folder import RunFolder, TrainEvent
from bayes_meta_envs.errors import CheckpointError, InvalidArgumentError, invalid, wrong_type
from bayes_meta_envs.protocol import Agent

__all__ = ["RECIPES", "Recipe", "config_of", "get", "read_run_config"]


class Recipe(Protocol):
    """What a recipe package provides (see the module docstring)."""

    ALGO: str

    @property
    def Config(self) -> type[RecipeConfig]: ...

    def train(
        self,
        config: RecipeConfig,
        out_dir: str | os.PathLike[str],
        *,
        resume: bool = False,
        overwrite: bool = False,
        progress: bool | None = None,
        callback: Callable[[TrainEvent], None] | None = None,
    ) -> RunFolder: ...

    def load_agent(self, path: str | os.PathLike[str], *, seed: int | None = None) -> Agent: ...


#: The recipes by name (``ALGO``); the order is the CLI's.
RECIPES: dict[str, Recipe] = {lstm.ALGO: lstm, recurrent_ppo.ALGO: recurrent_ppo}  # type: ignore[dict-item]
if tuple(RECIPES) != run_folder.KNOWN_ALGOS:  # pragma: no cover - a recipe left out of one list
    raise ImportError("agents.recipes.RECIPES and agents.run_folder.KNOWN_ALGOS disagree")


def get(algo: str) -> Recipe:
    """The recipe named ``algo`` (one of :data:`RECIPES`)."""
    if not isinstance(algo, str):
        raise wrong_type("algo", algo, f"a recipe name, one of {list(RECIPES)}")
    if algo not in RECIPES:
        raise invalid("algo", algo, f"one of {list(RECIPES)}")
    return RECIPES[algo]


def config_of(algo: str, data: Mapping[str, Any]) -> RecipeConfig:
    """The config of recipe ``algo`` built from a JSON object (old names and formats accepted;
    unknown fields raise, listing the valid names)."""
    return get(algo).Config.from_dict(data)


def read_run_config(path: str | os.PathLike[str]) -> RecipeConfig:
    """The config of the run folder (or checkpoint folder) ``path``, whichever recipe wrote it;
    :class:`CheckpointError` naming the file when it is missing or invalid."""
    data = run_folder.read_config(path)
    try:
        return config_of(str(data["algo"]), data)
    except (InvalidArgumentError, TypeError) as exc:
        file = run_folder.run_of(Path(path)) / run_folder.CONFIG_FILE
        raise CheckpointError(f"{str(file)!r} holds an invalid config: {exc}") from None
