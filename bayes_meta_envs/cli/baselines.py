"""``bayes-meta baselines``: score every baseline on every registered environment.

``bayes-meta baselines --episodes N --out DIR [--seed S] [--envs ID ...]`` writes
``DIR/scoreboard.json`` (:func:`~bayes_meta_envs.scoring.scoreboard.make_scoreboard`) and
``DIR/README.md`` (:func:`~bayes_meta_envs.scoring.scoreboard.scoreboard_markdown`, one table per
environment), atomically. The committed scoreboard is ``--episodes 100000 --seed 0``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs.scoring.scoreboard import make_scoreboard, scoreboard_markdown

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--episodes", type=int, default=100_000, metavar="N", help="episodes per agent and env"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of every run")
    parser.add_argument(
        "--out",
        default="baselines",
        metavar="DIR",
        help="output folder for scoreboard.json and README.md",
    )
    parser.add_argument(
        "--envs",
        nargs="+",
        default=None,
        metavar="ID",
        help="only these registered envs (default: all of them)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar (drawn only on a terminal)"
    )


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    board = make_scoreboard(
        args.episodes, args.seed, args.envs, progress=False if args.no_progress else None
    )
    seconds = time.perf_counter() - start
    out = Path(args.out)
    atomic_write_text(out / "scoreboard.json", json.dumps(board, indent=1, allow_nan=False) + "\n")
    atomic_write_text(out / "README.md", scoreboard_markdown(board, seconds))
    n = sum(len(e["reports"]) for e in board["envs"].values())
    print(
        f"scored {n} agent/env pairs in {seconds:.1f} s; wrote {out / 'scoreboard.json'} and "
        f"{out / 'README.md'}"
    )
    return 0
