"""Smoke test of examples/score_your_agent.py."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "score_your_agent.py"


def test_score_your_agent_example(capsys: pytest.CaptureFixture[str]) -> None:
    module = runpy.run_path(str(EXAMPLE))
    report = module["main"](500)
    out = capsys.readouterr().out
    assert "win_stay_lose_shift" in out and "Bayes gap" in out
    assert report.metrics["kl_to_bayes_set"] is None and report.metrics["kl_tie_split"] is None
    # win-stay lose-shift beats random play but not the Bayes-optimal agent
    assert 0 < report.metrics["normalised_score"].mean < 1
