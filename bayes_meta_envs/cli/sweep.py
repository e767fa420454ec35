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
import json
from pathlib import Path
from typing import Any

from bayes_meta_envs import sweep
from bayes_meta_envs.agents._recipe import flatten_config
from bayes_meta_envs.cli._common import parse_env_kwargs
from bayes_meta_envs.errors import InvalidArgumentError, invalid

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--envs", nargs="+", required=True, metavar="ID", help="registered environment ids"
    )
    parser.add_argument(
        "--env-kwargs", default=None, metavar="JSON", help="kwargs of every env, a JSON object"
    )
    parser.add_argument(
        "--seeds", type=int, default=1, metavar="N", help="train seeds 0 .. N-1 (default 1)"
    )
    parser.add_argument(
        "--config", default=None, metavar="FILE", help="base config of every run (JSON object)"
    )
    parser.add_argument(
        "--grid",
        default=None,
        metavar="JSON",
        help="config values to combine, e.g. '{\"hidden_size\": [16, 32]}'",
    )
    parser.add_argument("--algo", choices=sweep.ALGOS, default="lstm")
    parser.add_argument(
        "--address",
        default=None,
        metavar="A",
        help="a Ray cluster ('auto', 'ray://host:10001'); default: a local Ray on this machine",
    )
    parser.add_argument(
        "--num-cpus", type=int, default=None, metavar="C", help="CPUs of the local Ray"
    )
    parser.add_argument(
        "--cpus-per-trial", type=int, default=1, metavar="C", help="CPUs (torch threads) a trial"
    )
    parser.add_argument(
        "--score-episodes",
        type=int,
        default=10_000,
        metavar="E",
        help="episodes of the final score of each run",
    )
    parser.add_argument(
        "--max-failures", type=int, default=0, metavar="K", help="Tune's retries of a trial"
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="when resuming, run failed trials again"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="the sweep folder")


def _json_object(option: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(option, text, f"a JSON object ({exc})") from None
    if not isinstance(value, dict):
        raise invalid(option, text, "a JSON object")
    return value


def _spec(args: argparse.Namespace) -> sweep.SweepSpec:
    config: dict[str, Any] = {}
    if args.config is not None:
        path = Path(args.config)
        if not path.is_file():
            raise InvalidArgumentError(f"--config file {str(path)!r} does not exist")
        # a run's config.json (of any version) works as a base config: its fields, in today's
        # names, without those every trial sets
        config = flatten_config(_json_object("--config", path.read_text(encoding="utf-8")))
        for key in ("env_id", "env_kwargs", "seed"):
            config.pop(key, None)
    grid = _json_object("--grid", args.grid) if args.grid is not None else {}
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
