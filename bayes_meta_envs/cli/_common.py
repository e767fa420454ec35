"""Option parsing shared by several subcommands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bayes_meta_envs.errors import invalid

#: Bookkeeping fields of a training history record; the others are evaluation statistics.
_BOOKKEEPING = ("update", "env_steps", "wall_seconds")


def option(
    parser: argparse.ArgumentParser,
    name: str,
    default: object,
    metavar: str | None,
    help: str,
    type: Callable[[str], Any] | None = int,
    **more: Any,
) -> None:
    """Add the option ``name`` (an int by default; ``type=None``: a string) in one call."""
    if type is not None:
        more["type"] = type
    parser.add_argument(name, default=default, metavar=metavar, help=help, **more)


def flag(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    """Add the on/off option ``name`` (``--no-progress``, ``--resume``, ...)."""
    parser.add_argument(name, action="store_true", help=help)


def json_object(option: str, text: str) -> dict[str, Any]:
    """The JSON object ``text`` given to ``option``; anything else is refused naming both."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(option, text, f"a JSON object ({exc})") from None
    if not isinstance(value, dict):
        raise invalid(option, text, "a JSON object")
    return value


def parse_env_kwargs(text: str | None) -> dict[str, Any] | None:
    """The value of an ``--env-kwargs JSON`` option: a dict, or ``None`` when not given."""
    return None if text is None else json_object("--env-kwargs", text)


def positive_float(text: str) -> float:
    """An argparse ``type``: a number > 0 (``--budget-minutes``)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return v


def evaluation_line(history: Sequence[Mapping[str, float]]) -> str | None:
    """The line printed after training: the statistics of the last evaluation record of a
    ``history.json`` (``None`` when there is none)."""
    if not history:
        return None
    shown = ", ".join(f"{k}={v:.4f}" for k, v in history[-1].items() if k not in _BOOKKEEPING)
    return f"final evaluation (fixed batch): {shown}"
