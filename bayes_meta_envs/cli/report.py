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
from bayes_meta_envs.cli._common import option
from bayes_meta_envs.errors import InvalidArgumentError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agents", nargs="*", metavar="AGENT", help="zoo name or agent folder")
    parser.add_argument("--out", required=True, metavar="DIR", help="where REPORT.md goes")
    runs = "run folders with checkpoints, or folders holding them (default: none, no dynamics)"
    option(parser, "--runs", [], "DIR", runs, type=None, nargs="*")
    histories = "input histories for the simulation maps, embeddings and behaviour"
    option(parser, "--episodes", 2000, "N", histories)
    per_checkpoint = "histories per checkpoint for the training dynamics and the MDS"
    option(parser, "--dynamics-episodes", 500, "N", per_checkpoint)
    every = "read every K-th saved checkpoint of each run"
    option(parser, "--checkpoint-every", 1, "K", every)
    option(parser, "--checkpoints", 12, "N", "log-spaced checkpoints per run")
    parser.add_argument(
        "--robustness-episodes",
        type=int,
        nargs=2,
        default=None,
        metavar=("BASE", "LARGER"),
        help="the robustness table's episodes (default: no table)",
    )
    option(parser, "--notes", None, "FILE", "Markdown: what was run", type=None)
    option(parser, "--seed", 0, "S", "seed of the analysis")
    option(parser, "--jobs", 1, "N", "tasks analysed at once (processes)")


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
