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
from bayes_meta_envs.cli._common import (
    evaluation_line,
    flag,
    option,
    parse_env_kwargs,
    positive_float,
)
from bayes_meta_envs.errors import invalid
from bayes_meta_envs.task import task_of

#: Options that set a config field of the same name (``--num-threads`` sets ``num_threads``).
_FIELD_OPTIONS = ("budget_minutes", "seed", "num_threads", "device", "reward_signal")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--algo", choices=list(recipes.RECIPES), default="lstm")
    option(parser, "--env", None, "ID", "registered environment id", type=None)
    kwargs_help = "environment kwargs as a JSON object"
    option(parser, "--env-kwargs", None, "JSON", kwargs_help, type=None)
    option(parser, "--config", None, "FILE", "config JSON file", type=None)
    budget = "stop after M minutes of training (wall clock)"
    option(parser, "--budget-minutes", None, "M", budget, type=positive_float)
    option(parser, "--out", None, "DIR", "output folder", type=None)
    flag(parser, "--resume", "continue from the last checkpoint in --out")
    flag(
        parser,
        "--overwrite",
        "train into an --out that already holds a run, removing that run's files",
    )
    option(parser, "--seed", None, "S", "training seed")
    threads = "torch threads (default: the config's num_threads, 1)"
    option(parser, "--num-threads", None, "N", threads)
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
    no_bar = "no progress bar (with a budget the bar counts seconds of the budget)"
    flag(parser, "--no-progress", no_bar)


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
