"""The ``bayes-meta`` command.

Subcommands::

    bayes-meta envs                         list the registered environments
    bayes-meta gittins --gamma 0.9 ...      print or write a Gittins-index table
    bayes-meta score --agent SPEC --env ID  score an agent against the Bayes-optimal agent
    bayes-meta baselines --episodes N       regenerate the baseline scoreboard
    bayes-meta train --algo lstm ...        meta-train an agent
    bayes-meta sweep --envs ID ... --out D  many training runs on Ray Tune trials
    bayes-meta report RUNS... --out DIR     the paper's report on trained runs (D_s/D_o, ...)
    bayes-meta demo                         the README's main job

Each subcommand is one module of this package with ``configure(parser)`` (its options) and
``run(args)`` (its work, done by library functions); :data:`SUBCOMMANDS` is the one table of them.
The modules import only light modules at their top (torch-backed names are reached through
:mod:`bayes_meta_envs.agents` when a command runs), so ``bayes-meta --help`` imports no torch.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from bayes_meta_envs._version import __version__
from bayes_meta_envs.cli import baselines, demo, envs, gittins, report, score, sweep, train
from bayes_meta_envs.errors import BayesMetaError

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: subcommand -> (module with ``configure(parser)`` and ``run(args)``, one-line help)
SUBCOMMANDS: dict[str, tuple[ModuleType, str]] = {
    "envs": (envs, "list the registered environments"),
    "gittins": (gittins, "print a Gittins-index table (or write it as CSV)"),
    "score": (score, "score an agent against the Bayes-optimal agent"),
    "baselines": (
        baselines,
        "score every baseline on every registered env and write the scoreboard",
    ),
    "train": (train, "meta-train an LSTM or a RecurrentPPO agent"),
    "sweep": (sweep, "many training runs as Ray Tune trials, locally or on a Ray cluster"),
    "report": (report, "the paper's report: D_s/D_o both ways, controls, dynamics, MDS"),
    "demo": (
        demo,
        "meta-train an LSTM on MetaBandit-v0, score it against Bayes-optimal, write plots",
    ),
}


class _DefaultsFormatter(argparse.HelpFormatter):
    """argparse's help with each option's default, as ``ArgumentDefaultsHelpFormatter`` does,
    except where there is nothing to show (a flag, ``None``) or the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default is None
            or default is False
            or default is argparse.SUPPRESS
            or not action.option_strings
        ):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, list) else default
        if shown == "":
            return text
        return f"{text} (default: {shown})"


def build_parser() -> argparse.ArgumentParser:
    """The ``bayes-meta`` argument parser; every subcommand's help shows its options' defaults."""
    parser = argparse.ArgumentParser(
        prog="bayes-meta",
        description="Meta-RL environments with exact Bayes-optimal agents (Mikulik et al. 2020).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=_DefaultsFormatter
        )
        module.configure(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayes-meta`` console script.

    Returns the exit status: 0 on success, 2 (with one line ``bayes-meta CMD: error: ...`` on
    stderr, and the traceback only with ``-v``) for a
    :class:`~bayes_meta_envs.errors.BayesMetaError`, another anticipated failure (see
    :func:`_anticipated`) or a missing subcommand, 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s"
    )
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    module, _ = SUBCOMMANDS[args.command]
    try:
        status = int(module.run(args) or 0)
        sys.stdout.flush()  # a full or closed stdout fails here, inside the handlers below
        return status
    except BrokenPipeError:  # output piped into a pager or `head` that closed early
        _silence_stdout()
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"bayes-meta {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = _anticipated(exc)
        if message is None:
            raise
        if args.verbose:
            traceback.print_exc()
        if isinstance(exc, OSError):
            _silence_stdout()  # e.g. stdout on a full disk: the exit-time flush would fail again
        print(f"bayes-meta {args.command}: error: {message}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so that Python's flush of the unwritten output at
    exit neither fails again nor prints a second message."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (captured output)
        pass


def _anticipated(exc: Exception) -> str | None:
    """The one-line message of an anticipated failure (``None`` for a bug, which keeps its
    traceback): the package's own errors, and the file-system and input errors a user causes
    (an unwritable or full output path, a folder given as a file, a config that is not UTF-8 or
    nested too deeply, an env keyword the env does not take)."""
    if isinstance(exc, BayesMetaError):
        text = str(exc)
    elif isinstance(exc, OSError):
        where = f": {exc.filename!r}" if exc.filename is not None else ""
        text = f"{exc.strerror or type(exc).__name__}{where}"
    elif isinstance(exc, UnicodeDecodeError):
        text = f"a file is not valid UTF-8 text ({exc.reason} at byte {exc.start})"
    elif isinstance(exc, RecursionError):
        text = "an input (JSON config?) is nested too deeply"
    elif isinstance(exc, MemoryError):
        text = "out of memory (an input asks for a problem too large for this machine)"
    elif isinstance(exc, TypeError) and "unexpected keyword argument" in str(exc):
        text = f"unknown keyword argument: {exc}"
    else:
        return None
    return " ".join(text.split())  # one line
