"""Option parsing shared by several subcommands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from typing import Any

from bayes_meta_envs.errors import invalid

__all__ = ["evaluation_line", "parse_env_kwargs", "positive_float"]

#: Bookkeeping fields of a training history record; the others are evaluation statistics.
_BOOKKEEPING = ("update", "env_steps", "wall_seconds")


def parse_env_kwargs(text: str | None) -> dict[str, Any] | None:
    """The value of an ``--env-kwargs JSON`` option: a dict, or ``None`` when not given."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid("--env-kwargs", text, f"a JSON object ({exc})") from None
    if not isinstance(value, dict):
        raise invalid("--env-kwargs", text, "a JSON object")
    return value


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
