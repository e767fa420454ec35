"""Fuzz the command line (issue 34): every option of every subcommand, given a bad value, exits
with status 2 and an error line, never a traceback.

The subcommands and their options are read from the argparse parser
(:func:`bayes_meta_envs.cli.build_parser`), so a new option is fuzzed without anyone adding it.
Each option gets the bad values of its kind (:func:`bad_values`: its ``choices``, its ``type``);
the rest of the command line is :data:`BASE`, a cheap valid call, so that a value the command
accepts costs a short run rather than a long one (the test then only asks that it did not crash).
An error is either the command's one line (``bayes-meta CMD: error: ...``) or argparse's usage
and error lines.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from bayes_meta_envs.cli import build_parser, main
from tests import fuzz_harness as fh

#: A cheap valid command line per subcommand (the fuzzed option comes last, so it wins). The
#: sweep's unreachable address stops an accepted value before Ray starts; the report's missing
#: run stops it before any analysis.
BASE: dict[str, list[str]] = {
    "envs": [],
    "gittins": ["--max-n", "3"],
    "score": ["--agent", "random", "--episodes", "4", "--no-progress"],
    "baselines": ["--episodes", "4", "--envs", "MetaBandit-v0", "--out", "bl", "--no-progress"],
    "train": ["--out", "train", "--budget-minutes", "0.001", "--no-progress"],
    "sweep": ["--envs", "MetaBandit-v0", "--out", "sweep", "--address", "ray://nowhere.invalid:1"],
    "report": ["lstm-metabandit", "--out", "report", "--runs", "no-such-run"],
    "demo": ["--budget-minutes", "0.001", "--episodes", "4", "--no-plots", "--out", "demo"],
}
#: Subcommands fuzzed only with values argparse itself refuses, and why.
ARGPARSE_ONLY: dict[str, str] = {}
#: Seconds one command may take.
CALL_CAP_S = 60.0


def options() -> list[tuple[str, argparse.Action]]:
    """``(subcommand, action)`` of every option that takes a value."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return [
        (name, action)
        for name, parser in sub.choices.items()
        for action in parser._actions
        if action.option_strings and action.nargs != 0 and not isinstance(action, _HELP)
    ]


_HELP = (argparse._HelpAction, argparse._VersionAction)


def bad_values(action: argparse.Action) -> list[str]:
    """Values bad for every option of the kind of ``action``."""
    if action.choices is not None:
        return ["nope", ""]
    kind = getattr(action.type, "__name__", "")
    if action.type is int:
        return ["nope", "2.5", "", "-1", "99999999999999999999999"]
    if action.type is float or "float" in kind:
        return ["nope", "", "nan", "inf", "-1", "1e999"]
    return [""]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # commands write their outputs here
    old = signal.signal(signal.SIGALRM, fh._alarm)
    try:
        yield
    finally:
        signal.signal(signal.SIGALRM, old)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    signal.setitimer(signal.ITIMER_REAL, CALL_CAP_S)
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse
        status = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "option"),
    [(c, a.option_strings[-1]) for c, a in options()],
    ids=[f"{c}{a.option_strings[-1]}" for c, a in options()],
)
def test_bad_option_values_exit_2_in_one_line(
    command: str, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    action = next(a for c, a in options() if c == command and a.option_strings[-1] == option)
    values = bad_values(action)
    if command in ARGPARSE_ONLY:
        values = [v for v in values if not _converts(action, v)]
    for value in values:
        argv = [command, *BASE[command], f"{option}={value}"]
        status, err = _run(argv, capsys)
        lines = [line for line in err.splitlines() if line.strip() and "%|" not in line]
        assert "Traceback" not in err, f"{argv}: {err[-2000:]}"
        if status == 0:
            continue  # a value the command accepts (e.g. a huge seed): it ran, cheaply
        assert status == 2, f"{argv}: exit {status}: {err[-2000:]}"
        ours = len(lines) == 1 and lines[0].startswith(f"bayes-meta {command}: error: ")
        argparse_error = bool(lines) and lines[0].startswith("usage:") and ": error:" in lines[-1]
        assert ours or argparse_error, f"{argv}: {err[-2000:]}"


def _converts(action: argparse.Action, value: str) -> bool:
    """Whether argparse accepts ``value`` for ``action`` (so that the command's code sees it)."""
    try:
        converted = action.type(value) if callable(action.type) else value
    except (TypeError, ValueError, argparse.ArgumentTypeError):
        return False
    return action.choices is None or converted in action.choices


def test_every_subcommand_has_a_base() -> None:
    assert set(BASE) == {c for c, _ in options()} | {"envs"}
