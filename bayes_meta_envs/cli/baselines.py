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
from bayes_meta_envs.cli._common import flag, option
from bayes_meta_envs.scoring.scoreboard import make_scoreboard, scoreboard_markdown


def configure(parser: argparse.ArgumentParser) -> None:
    option(parser, "--episodes", 100_000, "N", "episodes per agent and env")
    option(parser, "--seed", 0, "S", "seed of every run")
    out = "output folder for scoreboard.json and README.md"
    option(parser, "--out", "baselines", "DIR", out, type=None)
    envs = "only these registered envs (default: all of them)"
    option(parser, "--envs", None, "ID", envs, type=None, nargs="+")
    flag(parser, "--no-progress", "no progress bar (drawn only on a terminal)")


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
