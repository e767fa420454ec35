"""``bayes-meta report``: the paper's report (D_s/D_o both ways with controls, behaviour,
embeddings, training dynamics and MDS) for meta-learners, as ``REPORT.md`` and PNGs.

``bayes-meta report AGENT... --out DIR [--runs DIR...] [--episodes N] [--dynamics-episodes N]
[--checkpoint-every K] [--seed S]``. AGENT is a zoo name (``lstm-metabandit``) or an agent or run
folder; ``--runs`` names run folders with checkpoints, or folders holding them: those of an
agent's task give its training dynamics and the MDS of runs. Needs the ``analysis`` extra.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from bayes_meta_envs import analysis
from bayes_meta_envs.agents import load

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agents", nargs="+", metavar="AGENT", help="zoo name or agent folder")
    parser.add_argument("--out", required=True, metavar="DIR", help="where REPORT.md goes")
    parser.add_argument(
        "--runs", nargs="*", default=[], metavar="DIR", help="run folders with checkpoints"
    )
    parser.add_argument("--episodes", type=int, default=2000, metavar="N")
    parser.add_argument("--dynamics-episodes", type=int, default=500, metavar="N")
    parser.add_argument("--checkpoint-every", type=int, default=1, metavar="K")
    parser.add_argument("--seed", type=int, default=0, metavar="S")


def run(args: argparse.Namespace) -> int:
    agents = {spec.rstrip("/").split("/")[-1]: load(spec) for spec in args.agents}
    command = "bayes-meta " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    path = analysis.write_report(
        agents,
        args.out,
        runs=args.runs,
        episodes=args.episodes,
        dynamics_episodes=args.dynamics_episodes,
        checkpoint_every=args.checkpoint_every,
        seed=args.seed,
        command=command if sys.argv[1:2] == ["report"] else "",
    )
    print(path)
    return 0
