"""``bayes-meta train``: meta-train an agent on a registered environment.

::

    bayes-meta train [--algo lstm|recurrent-ppo] --env MetaBandit-v0 [--config FILE]
                     [--budget-minutes M] [--out DIR] [--resume] [--seed S]

Every recipe (:mod:`bayes_meta_envs.agents.recipes`) is run the same way: its config (from
``--config``, from the run folder when resuming, or the defaults for ``--env``), the options
overriding its fields, then ``recipe.train(config, out, resume=..., overwrite=...)``. Both
recipes need the ``train`` extra (torch), imported only when the command runs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bayes_meta_envs.agents import recipes
from bayes_meta_envs.agents._recipe import RecipeConfig
from bayes_meta_envs.agents.run_folder import CONFIG_FILE
from bayes_meta_envs.cli._common import evaluation_line, parse_env_kwargs, positive_float
from bayes_meta_envs.errors import invalid
from bayes_meta_envs.task import task_of

__all__ = ["configure", "run"]

#: Options that set a config field of the same name (``--num-threads`` sets ``num_threads``).
_FIELD_OPTIONS = ("budget_minutes", "seed", "num_threads", "device", "reward_signal")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--algo", choices=list(recipes.RECIPES), default="lstm")
    parser.add_argument("--env", default=None, metavar="ID", help="registered environment id")
    parser.add_argument(
        "--env-kwargs", default=None, metavar="JSON", help="environment kwargs as a JSON object"
    )
    parser.add_argument("--config", default=None, metavar="FILE", help="config JSON file")
    parser.add_argument(
        "--budget-minutes",
        type=positive_float,
        default=None,
        metavar="M",
        help="stop after M minutes of training (wall clock)",
    )
    parser.add_argument("--out", default=None, metavar="DIR", help="output folder")
    parser.add_argument(
        "--resume", action="store_true", help="continue from the last checkpoint in --out"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="train into an --out that already holds a run, removing that run's files",
    )
    parser.add_argument("--seed", type=int, default=None, metavar="S", help="training seed")
    parser.add_argument(
        "--num-threads",
        type=int,
        default=None,
        metavar="N",
        help="torch threads (default: the config's num_threads, 1)",
    )
    parser.add_argument(
        "--device",
        choices=["cpu", "cuda", "auto"],
        default=None,
        help="LSTM: where the network trains (default: the config's device, cpu)",
    )
    parser.add_argument(
        "--reward-signal",
        choices=["sampled", "expected", "regret"],
        default=None,
        help="LSTM bandits: the learning signal (default: the config's, 'sampled', the reward "
        "the agent observes; the others read the task's arm probabilities)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (with a budget the bar counts seconds of the budget)",
    )


def run(args: argparse.Namespace) -> int:
    recipe = recipes.get(args.algo)
    config = _config(args, recipe.Config)
    out = Path(args.out) if args.out else Path("runs") / f"{recipe.ALGO}-{config.env_id}"
    t0 = time.perf_counter()
    result = recipe.train(
        config,
        out,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=False if args.no_progress else None,
    )
    wall = time.perf_counter() - t0
    print(
        f"trained {result.updates} updates ({result.env_steps:,} env steps) in "
        f"{result.wall_seconds:.1f} s of training ({wall:.1f} s with evaluation and saving)"
        + (" (stopped by the budget)" if result.stopped_by_budget else "")
        + (f"; learning signal: {_signal(config)}" if _signal(config) else "")
    )
    line = evaluation_line(result.history)
    if line is not None:
        print(line)
    print(f"wrote {out}")
    return 0


def _signal(config: RecipeConfig) -> str | None:
    """The learning signal of an LSTM run (bandits: its reward signal; prediction: the
    log-loss); None for a recipe without one."""
    signal = getattr(config, "reward_signal", None)
    if signal is None:
        return None
    return task_of(config.env_id, **config.env_kwargs).traits.fixed_signal or str(signal)


def _config(args: argparse.Namespace, cls: type[RecipeConfig]) -> RecipeConfig:
    """The config of the run: ``--config``, the run folder's when resuming, or the defaults for
    ``--env``; then the options that were given replace its fields."""
    if args.config is not None:
        config = cls.from_json(args.config)
    elif args.resume and args.out is not None and (Path(args.out) / CONFIG_FILE).is_file():
        config = cls.from_json(Path(args.out) / CONFIG_FILE)
    else:
        if args.env is None:
            raise invalid("--env", None, "a registered environment id (or give --config)")
        config = cls(env_id=args.env)
    changes: dict[str, Any] = {}
    if args.env is not None and args.env != config.env_id:
        changes["env_id"] = args.env
        changes["env_kwargs"] = {}
    kwargs = parse_env_kwargs(args.env_kwargs)
    if kwargs is not None:
        changes["env_kwargs"] = kwargs
    fields = cls.field_names()
    for name in _FIELD_OPTIONS:
        value = getattr(args, name)
        if value is None:
            continue
        if name not in fields:
            option = "--" + name.replace("_", "-")
            raise invalid(option, value, f"not given: the {config.ALGO} recipe has no {name}")
        changes[name] = value
    return config.replace(**changes) if changes else config
