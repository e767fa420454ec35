"""The rough edges a user hits in the first hour: defaults in every ``--help``, this package's ids
on a bad ``--env``, the zoo's names on an unknown agent, and display names without a stray ``()``."""

from __future__ import annotations

import argparse

import pytest

from bayes_meta_envs.cli import build_parser, main
from bayes_meta_envs.envs import ENV_SPECS
from bayes_meta_envs.errors import CheckpointError, UnknownEnvironmentError
from bayes_meta_envs.task import task_of

#: the subcommands whose options this test holds to the rule (train and sweep have their own)
CHECKED = ["envs", "gittins", "score", "baselines", "report", "demo"]


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return next(a.choices for a in parser._actions if isinstance(a.choices, dict))


@pytest.mark.parametrize("command", CHECKED)
def test_every_option_has_help_and_shows_its_default(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = _subparsers()[command]
    text = sub.format_help()
    for action in sub._actions:
        if not action.option_strings or action.dest == "help":
            continue
        assert action.help, f"bayes-meta {command} {action.option_strings[0]} has no help"
        lines = text.splitlines()
        start = next(
            i for i, ln in enumerate(lines) if ln.strip().startswith(action.option_strings[0])
        )
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("-")),
            len(lines),
        )
        line = " ".join(lines[start:end])  # the option and its help, however argparse wraps it
        if action.default not in (None, False) and not action.required:
            assert "default" in line, line


def test_defaults_formatter_shows_the_value() -> None:
    text = _subparsers()["score"].format_help()
    assert "(default: 10000)" in " ".join(text.split())  # --episodes
    assert "(default: MetaBandit-v0)" in " ".join(text.split())


@pytest.mark.parametrize("bad", ["Nope-v0", "MetaBandit-v9", "MetaBandt-v0"])
def test_a_bad_env_lists_this_packages_ids(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UnknownEnvironmentError) as info:
        task_of(bad)
    message = str(info.value)
    assert "Did you mean" not in message
    assert all(spec.id in message for spec in ENV_SPECS)
    status = main(["score", "--agent", "bayes", "--env", bad, "--episodes", "10"])
    err = capsys.readouterr().err
    assert status == 2 and "MetaPredictGaussian-v0" in err and "Did you mean" not in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_agent_lists_the_zoo() -> None:
    from bayes_meta_envs.agents import load, zoo_names

    with pytest.raises(CheckpointError, match="zoo_names") as info:
        load("no-such")
    assert all(name in str(info.value) for name in zoo_names())


def test_display_names_have_no_stray_parentheses() -> None:
    pytest.importorskip("torch")
    from bayes_meta_envs.agents import load
    from bayes_meta_envs.baselines import ThompsonAgent
    from bayes_meta_envs.scoring.report import agent_display_name

    lstm = load("lstm-metabandit")
    assert repr(lstm) == "LSTMAgent(MetaBandit-v0, hidden=32)"
    assert agent_display_name(lstm) == "LSTMAgent(MetaBandit-v0, hidden=32)"
    assert repr(ThompsonAgent()).count("(") == 1 and repr(ThompsonAgent()).endswith(")")


def test_no_progress_bar_into_a_pipe_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")
    from bayes_meta_envs.scoring import _score

    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert _score._progress_bar(None, 10**6, "scoring") is None  # a pipe: no bar
    bar = _score._progress_bar(True, 10**6, "scoring")  # asked for: a bar
    assert bar is not None
    bar.close()
