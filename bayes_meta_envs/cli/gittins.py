"""``bayes-meta gittins``: print a Gittins-index table, or write it as CSV with ``--out``.

The tables are :func:`~bayes_meta_envs.baselines.gittins_text.gittins_table_text` (aligned, 6
decimals) and :func:`~bayes_meta_envs.baselines.gittins_text.gittins_table_csv` (columns
``a,b,index``, 10 decimals), written atomically.
"""

from __future__ import annotations

import argparse

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs.baselines.gittins_text import gittins_table_csv, gittins_table_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gamma", type=float, default=0.9, help="discount factor in (0, 1)")
    parser.add_argument("--max-n", type=int, default=20, help="largest pseudo-count shown")
    parser.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="write CSV to this file (default: print an aligned table)",
    )


def run(args: argparse.Namespace) -> int:
    if args.out is None:
        print(gittins_table_text(args.gamma, args.max_n))
        return 0
    csv = gittins_table_csv(args.gamma, args.max_n)
    atomic_write_text(args.out, csv)
    n = csv.count("\n") - 1  # one line per state after the header
    print(f"wrote {n} Gittins indices (gamma={args.gamma:g}, a + b <= {args.max_n}) to {args.out}")
    return 0
