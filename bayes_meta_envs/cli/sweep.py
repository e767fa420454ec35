"""``bayes-meta sweep``: many training runs as Ray Tune trials, locally or on a Ray cluster.

::

    bayes-meta sweep --envs ID [ID ...] [--env-kwargs JSON] --seeds N [--config FILE] [--grid JSON]
                     [--algo lstm|recurrent-ppo] [--address A] [--num-cpus C] --out DIR

Runs :func:`bayes_meta_envs.sweep.run_sweep` on the product envs x grid settings x seeds, then
prints the summary table (also written as ``DIR/summary.json`` and ``DIR/summary.md``). The same
command started again resumes the sweep (Ctrl-C stops it: Tune keeps its state and the table
shows the unfinished trials). Exit status 0 when every trial finished, 1 when some
failed or were interrupted. Needs the ``sweep`` extra (Ray Tune), imported only when the command
runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bayes_meta_envs import sweep
from bayes_meta_envs.agents._recipe import flatten_config
from bayes_meta_envs.cli._common import flag, json_object, option, parse_env_kwargs
from bayes_meta_envs.errors import InvalidArgumentError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--envs", nargs="+", required=True, metavar="ID", help="registered environment ids"
    )
    kwargs_help = "kwargs of every env, a JSON object"
    option(parser, "--env-kwargs", None, "JSON", kwargs_help, type=None)
    option(parser, "--seeds", 1, "N", "train seeds 0 .. N-1 (default 1)")
    config = "base config of every run (JSON object)"
    option(parser, "--config", None, "FILE", config, type=None)
    grid = "config values to combine, e.g. '{\"hidden_size\": [16, 32]}'"
    option(parser, "--grid", None, "JSON", grid, type=None)
    parser.add_argument("--algo", choices=sweep.ALGOS, default="lstm")
    address = "a Ray cluster ('auto', 'ray://host:10001'); default: a local Ray on this machine"
    option(parser, "--address", None, "A", address, type=None)
    option(parser, "--num-cpus", None, "C", "CPUs of the local Ray")
    option(parser, "--cpus-per-trial", 1, "C", "CPUs (torch threads) a trial")
    final = "episodes of the final score of each run"
    option(parser, "--score-episodes", 10_000, "E", final)
    option(parser, "--max-failures", 0, "K", "Tune's retries of a trial")
    flag(parser, "--retry-failed", "when resuming, run failed trials again")
    parser.add_argument("--out", required=True, metavar="DIR", help="the sweep folder")


def _spec(args: argparse.Namespace) -> sweep.SweepSpec:
    config: dict[str, Any] = {}
    if args.config is not None:
        path = Path(args.config)
        if not path.is_file():
            raise InvalidArgumentError(f"--config file {str(path)!r} does not exist")
        # a run's config.json (of any version) works as a base config: its fields, in today's
        # names, without those every trial sets
        config = flatten_config(json_object("--config", path.read_text(encoding="utf-8")))
        for key in ("env_id", "env_kwargs", "seed"):
            config.pop(key, None)
    grid = json_object("--grid", args.grid) if args.grid is not None else {}
    env_kwargs = parse_env_kwargs(args.env_kwargs) or {}
    return sweep.SweepSpec(
        envs=[(env_id, env_kwargs) for env_id in args.envs],
        seeds=args.seeds,
        config=config,
        grid=grid,
        algo=args.algo,
        score_episodes=args.score_episodes,
    )


def run(args: argparse.Namespace) -> int:
    spec = _spec(args)
    summary = sweep.run_sweep(
        spec,
        args.out,
        address=args.address,
        num_cpus=args.num_cpus,
        cpus_per_trial=args.cpus_per_trial,
        max_failures=args.max_failures,
        retry_failed=args.retry_failed,
    )
    print(summary.table(), end="")
    out = Path(summary.out_dir)
    print(f"wrote {out / sweep.SUMMARY_JSON} and {out / sweep.SUMMARY_MD}")
    failed = summary.failed
    if failed:
        print(f"{len(failed)} of {len(summary.rows)} trials did not finish (see the table)")
        return 1
    return 0
