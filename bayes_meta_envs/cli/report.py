"""``bayes-meta report``: the paper's report (D_s/D_o both ways with controls, behaviour,
embeddings, training dynamics and MDS) for meta-learners, as ``REPORT.md`` and PNGs.

``bayes-meta report [AGENT...] --out DIR [--runs DIR...] [--episodes N] [--dynamics-episodes N]
[--checkpoints N] [--robustness-episodes BASE LARGER] [--notes FILE] [--seed S]``. AGENT is a zoo
name (``lstm-metabandit``) or an agent or run folder; ``--runs`` names run folders with
checkpoints, or folders holding them (a sweep's): a task's runs are its meta-learners (verdicts
across runs, training dynamics, MDS), replacing a named agent of the same task. Needs the
``analysis`` extra.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from bayes_meta_envs import analysis
from bayes_meta_envs.agents import load
from bayes_meta_envs.errors import InvalidArgumentError

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agents", nargs="*", metavar="AGENT", help="zoo name or agent folder")
    parser.add_argument("--out", required=True, metavar="DIR", help="where REPORT.md goes")
    parser.add_argument(
        "--runs",
        nargs="*",
        default=[],
        metavar="DIR",
        help="run folders with checkpoints, or folders holding them (default: none, no dynamics)",
    )
    parser.add_argument(
        "--episodes",
        type=int,
        default=2000,
        metavar="N",
        help="input histories for the simulation maps, embeddings and behaviour",
    )
    parser.add_argument(
        "--dynamics-episodes",
        type=int,
        default=500,
        metavar="N",
        help="histories per checkpoint for the training dynamics and the MDS",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=1,
        metavar="K",
        help="read every K-th saved checkpoint of each run",
    )
    parser.add_argument(
        "--checkpoints", type=int, default=12, metavar="N", help="log-spaced checkpoints per run"
    )
    parser.add_argument(
        "--robustness-episodes",
        type=int,
        nargs=2,
        default=None,
        metavar=("BASE", "LARGER"),
        help="the robustness table's episodes (default: no table)",
    )
    parser.add_argument("--notes", default=None, metavar="FILE", help="Markdown: what was run")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the analysis")
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="tasks analysed at once (processes)"
    )


def run(args: argparse.Namespace) -> int:
    if not args.agents and not args.runs:
        raise InvalidArgumentError("give at least one AGENT or --runs DIR")
    agents = {spec.rstrip("/").split("/")[-1]: load(spec) for spec in args.agents}
    notes = Path(args.notes).read_text() if args.notes else ""
    command = "bayes-meta " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    path = analysis.write_report(
        agents,
        args.out,
        runs=args.runs,
        episodes=args.episodes,
        dynamics_episodes=args.dynamics_episodes,
        checkpoint_every=args.checkpoint_every,
        checkpoints=args.checkpoints,
        robustness_episodes=tuple(args.robustness_episodes or ()),
        seed=args.seed,
        notes=notes,
        jobs=args.jobs,
        command=command if sys.argv[1:2] == ["report"] else "",
    )
    print(path)
    return 0
