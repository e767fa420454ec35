"""The ``bayes-meta`` command.

Subcommands::

    bayes-meta envs                         list the registered environments
    bayes-meta gittins --gamma 0.9 ...      print or write a Gittins-index table
    bayes-meta score --agent SPEC --env ID  score an agent against the Bayes-optimal agent
    bayes-meta baselines --episodes N       regenerate the baseline scoreboard
    bayes-meta train --algo lstm ...        meta-train an agent
    bayes-meta demo                         the README's main job

Each subcommand's options and implementation live beside the code they drive (``configure_*`` and
``run_*`` functions); this module only assembles them, so ``bayes-meta --help`` stays cheap.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bayes_meta_envs.errors import BayesMetaError

__all__ = ["build_parser", "main", "parse_env_kwargs"]

# subcommand -> (module, configure function, run function, one-line help)
_SUBCOMMANDS: dict[str, tuple[str, str, str, str]] = {
    "envs": (
        "bayes_meta_envs.cli",
        "configure_envs",
        "run_envs",
        "list the registered environments",
    ),
    "gittins": (
        "bayes_meta_envs.cli",
        "configure_gittins",
        "run_gittins",
        "print a Gittins-index table (or write it as CSV)",
    ),
    "score": (
        "bayes_meta_envs.scoring.cli",
        "configure_score",
        "run_score",
        "score an agent against the Bayes-optimal agent",
    ),
    "baselines": (
        "bayes_meta_envs.scoring.cli",
        "configure_baselines",
        "run_baselines",
        "score every baseline on every registered env and write the scoreboard",
    ),
    "train": (
        "bayes_meta_envs.agents.cli",
        "configure_train",
        "run_train",
        "meta-train an LSTM or a RecurrentPPO agent",
    ),
    "demo": (
        "bayes_meta_envs.agents.cli",
        "configure_demo",
        "run_demo",
        "meta-train an LSTM on MetaBandit-v0, score it against Bayes-optimal, write plots",
    ),
}


def parse_env_kwargs(text: str | None) -> dict[str, Any] | None:
    """The value of an ``--env-kwargs JSON`` option: a dict, or ``None`` when not given."""
    import json

    from bayes_meta_envs.errors import invalid

    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid("--env-kwargs", text, f"a JSON object ({exc})") from None
    if not isinstance(value, dict):
        raise invalid("--env-kwargs", text, "a JSON object")
    return value


def configure_envs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run_envs(args: argparse.Namespace) -> int:
    import json

    from bayes_meta_envs.envs import ENV_SPECS

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


def configure_gittins(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gamma", type=float, default=0.9, help="discount factor in (0, 1)")
    parser.add_argument("--max-n", type=int, default=20, help="largest pseudo-count shown")
    parser.add_argument("--out", default=None, help="write CSV to this file instead of printing")


def run_gittins(args: argparse.Namespace) -> int:
    from bayes_meta_envs.baselines.gittins import gittins_cli

    print(gittins_cli(args.gamma, args.max_n, args.out))
    return 0


def _load(module: str, name: str) -> Callable[..., Any]:
    fn: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return fn


def build_parser() -> argparse.ArgumentParser:
    """The ``bayes-meta`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="bayes-meta",
        description="Meta-RL environments with exact Bayes-optimal agents (Mikulik et al. 2020).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, configure, run, help_text) in _SUBCOMMANDS.items():
        try:
            configure_fn = _load(module, configure)
        except ModuleNotFoundError as exc:  # a subcommand whose module is not installed
            if exc.name != module:
                raise
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure_fn(p)
        p.set_defaults(_run=(module, run))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayes-meta`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s"
    )
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    module, run = args._run
    try:
        return int(_load(module, run)(args) or 0)
    except BayesMetaError as exc:
        print(f"bayes-meta {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a pager or `head` that closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"bayes-meta {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
