"""What a sweep runs: :class:`SweepSpec` and the :class:`TrialSpec` of each of its trials.

A sweep is the product ``envs x grid settings x seeds``; each combination is one training run
(one Ray Tune trial) with the base ``config`` updated by the setting, the env and the seed. The
spec is plain JSON (``sweep.json`` in the sweep folder), so a sweep started again can be checked
to be the same sweep. Nothing here imports Ray or torch; the configs are validated by the trial
that builds them, so an invalid setting fails its own trials only.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from bayes_meta_envs._io import jsonable
from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._validate import check_choice, check_int, check_mapping, check_seed
from bayes_meta_envs.agents._recipe import flatten_config
from bayes_meta_envs.agents.recipes import RECIPES
from bayes_meta_envs.errors import invalid, wrong_type

__all__ = ["ALGOS", "RUNS_DIR", "SweepSpec", "TrialSpec"]

#: The recipes a sweep can run (:data:`bayes_meta_envs.agents.recipes.RECIPES`).
ALGOS = tuple(RECIPES)
#: The folder of the sweep folder that holds one run folder per trial.
RUNS_DIR = "runs"
#: Fields a grid or a base config may not set: each trial sets them itself.
_RESERVED = ("algo", "env_id", "env_kwargs", "seed")


@dataclass(frozen=True)
class TrialSpec:
    """One training run of a sweep: its name (and run folder name), env, seed and settings.

    ``config`` is the base config of the sweep updated by ``settings`` (the grid values of this
    trial); ``env_id``, ``env_kwargs`` and ``seed`` are set by the trial itself.
    """

    name: str
    algo: str
    env_id: str
    env_kwargs: dict[str, Any]
    seed: int
    settings: dict[str, Any]
    config: dict[str, Any]
    score_episodes: int
    score_seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "algo": self.algo,
            "env_id": self.env_id,
            "env_kwargs": jsonable(self.env_kwargs),
            "seed": self.seed,
            "settings": jsonable(self.settings),
            "config": jsonable(self.config),
            "score_episodes": self.score_episodes,
            "score_seed": self.score_seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialSpec:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def _envs(value: Any) -> tuple[tuple[str, dict[str, Any]], ...]:
    """``envs`` as ``((env_id, env_kwargs), ...)``: each item an id or an ``(id, kwargs)`` pair."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise invalid("envs", value, "a non-empty list of env ids or (env_id, env_kwargs) pairs")
    out: list[tuple[str, dict[str, Any]]] = []
    for item in value:
        if isinstance(item, str):
            out.append((item, {}))
        elif isinstance(item, Sequence) and len(item) == 2 and isinstance(item[0], str):
            out.append((item[0], check_mapping("env_kwargs", item[1])))
        else:
            raise invalid("envs", item, "an env id or an (env_id, env_kwargs) pair")
    return tuple(out)


def _grid(value: Any) -> dict[str, list[Any]]:
    grid = check_mapping("grid", value)
    out: dict[str, list[Any]] = {}
    for key, values in grid.items():
        if key in _RESERVED:
            raise invalid(f"grid[{key!r}]", values, f"no {key!r}: every trial sets it itself")
        if isinstance(values, str) or not isinstance(values, Sequence) or not values:
            raise invalid(f"grid[{key!r}]", values, "a non-empty list of values")
        out[key] = list(values)
    return out


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: ``envs`` x ``grid`` settings x ``seeds``, each one training run.

    Args:
        envs: env ids, or ``(env_id, env_kwargs)`` pairs.
        seeds: the training seeds (an int ``N`` means ``0 .. N-1``).
        config: the base config of every run (fields of the recipe's config:
            :class:`~bayes_meta_envs.agents.lstm.LSTMConfig`,
            :class:`~bayes_meta_envs.agents.recurrent_ppo.RecurrentPPOConfig`; 0.2 names are
            accepted).
        grid: ``{field: [values]}``; the trials take every combination (the Cartesian product).
        algo: the recipe, one of :data:`ALGOS`: ``"lstm"`` (the fast LSTM trainer) or
            ``"recurrent-ppo"`` (the sb3-contrib recipe).
        score_episodes, score_seed: the final :func:`~bayes_meta_envs.scoring.score` of each
            run (written as ``score.json`` in its run folder).
    """

    envs: Sequence[Any]
    seeds: int | Sequence[int] = 1
    config: Mapping[str, Any] = field(default_factory=dict)
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    algo: str = "lstm"
    score_episodes: int = 10_000
    score_seed: int = 0

    def __post_init__(self) -> None:
        self._set("envs", _envs(self.envs))
        seeds = self.seeds
        if isinstance(seeds, int) and not isinstance(seeds, bool):
            n = check_int("seeds", seeds, 1)
            # one trial (a config and a run folder) per seed: about 1 KiB each before any work
            check_memory(nbytes(n, 1024, itemsize=1), "the sweep's trials", seeds=n)
            seeds = list(range(n))
        if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
            raise invalid("seeds", self.seeds, "an int >= 1 or a non-empty list of seeds")
        seeds = tuple(int(check_seed("seeds", s) or 0) for s in seeds)
        if len(set(seeds)) != len(seeds):
            raise invalid("seeds", self.seeds, "distinct seeds")
        self._set("seeds", seeds)
        config = check_mapping("config", self.config)
        for key in _RESERVED:
            if key in config and key != "algo":
                raise invalid(f"config[{key!r}]", config[key], "absent: every trial sets it")
        check_choice("algo", self.algo, ALGOS)
        if config.get("algo", self.algo) != self.algo:
            raise invalid("config['algo']", config["algo"], f"{self.algo!r} (the sweep's algo)")
        # today's field names (0.2's are mapped), so that equal sweeps have equal sweep.json
        self._set("config", flatten_config(config))
        grid = _grid(self.grid)
        self._set("grid", flatten_config(grid) if grid else grid)
        self._set("score_episodes", check_int("score_episodes", self.score_episodes, 1))
        self._set("score_seed", check_int("score_seed", self.score_seed, 0))

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def settings(self) -> list[dict[str, Any]]:
        """Every combination of the grid's values (``[{}]`` for an empty grid), in order."""
        keys = list(self.grid)
        return [dict(zip(keys, combo)) for combo in itertools.product(*self.grid.values())]

    def trials(self) -> list[TrialSpec]:
        """The trials, env by env, setting by setting, seed by seed; named
        ``NNN-<env id>-g<setting>-s<seed>`` (also the name of their run folders)."""
        base = dict(self.config)
        out = []
        seeds = cast(Sequence[int], self.seeds)  # a tuple once checked
        combos = itertools.product(enumerate(self.envs), enumerate(self.settings()), seeds)
        for i, ((_, (env_id, kwargs)), (g, setting), seed) in enumerate(combos):
            out.append(
                TrialSpec(
                    name=f"{i:03d}-{env_id.replace(':', '.')}-g{g}-s{seed}",
                    algo=self.algo,
                    env_id=env_id,
                    env_kwargs=dict(kwargs),
                    seed=seed,
                    settings=dict(setting),
                    config={**base, **setting},
                    score_episodes=self.score_episodes,
                    score_seed=self.score_seed,
                )
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-serialisable data (what ``sweep.json`` holds)."""
        return {
            "envs": [[env_id, jsonable(kwargs)] for env_id, kwargs in self.envs],
            "seeds": list(cast(Sequence[int], self.seeds)),
            "config": jsonable(dict(self.config)),
            "grid": jsonable(dict(self.grid)),
            "algo": self.algo,
            "score_episodes": self.score_episodes,
            "score_seed": self.score_seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepSpec:
        if not isinstance(data, Mapping):
            raise wrong_type("spec", data, "a JSON object")
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - names)
        if unknown:
            raise invalid("spec", unknown, f"keys among {sorted(names)} (unknown keys)")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
