"""``bayes-meta train``: meta-train an agent on a registered environment.

::

    bayes-meta train --algo lstm --env MetaBandit-v0 [--config FILE] [--budget-minutes M]
                     [--out DIR] [--resume] [--seed S]
    bayes-meta train --algo recurrent-ppo --env MetaBandit-v0 ...

``lstm`` runs :func:`bayes_meta_envs.agents.lstm.train_lstm` with an
:class:`~bayes_meta_envs.agents.lstm.config.LSTMConfig` (from ``--config``, from the run folder
when resuming, or the defaults for ``--env``), the options overriding its fields;
``recurrent-ppo`` runs :func:`bayes_meta_envs.agents.recurrent_ppo.train`. Both need the
``train`` extra (torch), imported only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bayes_meta_envs import agents
from bayes_meta_envs.agents.lstm.config import LSTMConfig
from bayes_meta_envs.agents.run_folder import CONFIG_FILE
from bayes_meta_envs.cli._common import evaluation_line, parse_env_kwargs, positive_float
from bayes_meta_envs.errors import invalid, require
from bayes_meta_envs.task import task_of

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--algo", choices=["lstm", "recurrent-ppo"], default="lstm")
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
    if args.algo == "recurrent-ppo":
        return _run_recurrent_ppo(args)
    config = _lstm_config(args)
    out = Path(args.out) if args.out else Path("runs") / f"lstm-{config.env_id}"
    t0 = time.perf_counter()
    _, result = agents.train_lstm(
        config, out, resume=args.resume, overwrite=args.overwrite, progress=not args.no_progress
    )
    wall = time.perf_counter() - t0
    bandit = task_of(config.env_id, **config.env_kwargs).is_bandit
    signal = config.reward_signal if bandit else "log_loss"
    print(
        f"trained {result.updates} updates ({result.env_steps:,} env steps) in "
        f"{result.wall_seconds:.1f} s of training ({wall:.1f} s with evaluation and saving)"
        + (" (stopped by the budget)" if result.stopped_by_budget else "")
        + f"; learning signal: {signal}"
    )
    line = evaluation_line(result.history)
    if line is not None:
        print(line)
    print(f"wrote {out}")
    return 0


def _lstm_config(args: argparse.Namespace) -> LSTMConfig:
    """The config of an LSTM run: ``--config``, the run folder's when resuming, or the defaults
    for ``--env``; then the options that were given replace its fields."""
    if args.config is not None:
        config = LSTMConfig.from_json(args.config)
    elif args.resume and args.out is not None and (Path(args.out) / CONFIG_FILE).is_file():
        config = LSTMConfig.from_json(Path(args.out) / CONFIG_FILE)
    else:
        if args.env is None:
            raise invalid("--env", None, "a registered environment id (or give --config)")
        config = LSTMConfig(env_id=args.env)
    changes: dict[str, Any] = {}
    if args.env is not None and args.env != config.env_id:
        changes["env_id"] = args.env
        changes["env_kwargs"] = {}
    kwargs = parse_env_kwargs(args.env_kwargs)
    if kwargs is not None:
        changes["env_kwargs"] = kwargs
    if args.budget_minutes is not None:
        changes["budget_minutes"] = args.budget_minutes
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.num_threads is not None:
        changes["num_threads"] = args.num_threads
    if args.device is not None:
        changes["device"] = args.device
    if args.reward_signal is not None:
        changes["reward_signal"] = args.reward_signal
    return config.replace(**changes) if changes else config


def _run_recurrent_ppo(args: argparse.Namespace) -> int:
    recurrent_ppo = agents.recurrent_ppo
    config = None
    env_id = args.env
    env_kwargs = parse_env_kwargs(args.env_kwargs)
    if args.config is not None:
        config = recurrent_ppo.RecurrentPPOConfig.from_json(args.config)
        data = json.loads(Path(args.config).read_text())
        if isinstance(data, dict) and "env_id" in data:
            env_id = env_id or data["env_id"]
            if env_kwargs is None and data.get("env_id") == env_id:
                env_kwargs = data.get("env_kwargs")
    if env_id is None:
        raise invalid("--env", None, "a registered environment id")
    if args.num_threads is not None:
        require("torch", "train").set_num_threads(args.num_threads)
    out = recurrent_ppo.train(
        env_id,
        env_kwargs,
        config,
        args.budget_minutes,
        args.out,
        args.resume,
        args.seed,  # None: the saved run's seed when resuming, else 0
        overwrite=args.overwrite,
    )
    print(f"wrote {out}")
    return 0
