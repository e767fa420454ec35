"""How often a trial hands its run folder's checkpoints to Tune (no Ray instance needed)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("torch")

from bayes_meta_envs.sweep import trial


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
