"""``bayes-meta envs``: list the registered environments (a table, or JSON with ``--json``)."""

from __future__ import annotations

import argparse
import json

from bayes_meta_envs.envs import ENV_SPECS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    if args.json:
        rows = [{"id": e.id, "description": e.description, "kwargs": e.kwargs} for e in ENV_SPECS]
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(e.id) for e in ENV_SPECS)
    for e in ENV_SPECS:
        kwargs = ", ".join(f"{k}={v!r}" for k, v in e.kwargs.items())
        print(f"{e.id:<{width}}  {e.description}")
        print(f"{'':<{width}}  kwargs: {kwargs}")
    return 0
