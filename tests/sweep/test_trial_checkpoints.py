"""A trial's checkpoints handed to Tune, and the outcome of a trial that never started (no Ray
instance needed)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("ray")
pytest.importorskip("torch")

from bayes_meta_envs.sweep import runner, trial


@pytest.mark.filterwarnings("ignore:`get_checkpoint` is meant:UserWarning")
def test_a_checkpoint_is_handed_to_tune_at_most_once_an_interval(tmp_path: Path) -> None:
    session = trial._Session(tmp_path / "run", lambda _: False)
    first, second = tmp_path / "ckpt_000010", tmp_path / "ckpt_000020"
    assert session.checkpoint_due(first)  # nothing handed yet
    session.reported_ckpt, session.reported_at = first.name, time.perf_counter()
    assert not session.checkpoint_due(first)  # the same one
    assert not session.checkpoint_due(second)  # a new one, too soon
    session.reported_at -= trial.TUNE_CHECKPOINT_SECONDS
    assert session.checkpoint_due(second)
    assert not session.checkpoint_due(first)


def test_a_trial_that_never_started_is_named_from_its_folder() -> None:
    # Ctrl-C before a trial starts: Tune's result has no config and a FileNotFoundError
    error = FileNotFoundError("Could not fetch metrics: both result.json and progress.csv ...")
    result = SimpleNamespace(
        metrics={}, config={}, path="/out/tune/004-MetaBandit-v0-g0-s4", error=error
    )
    name, outcome = runner._outcome(result)  # type: ignore[arg-type]
    assert name == "004-MetaBandit-v0-g0-s4"
    assert not outcome.done and "result.json" in (outcome.error or "")
