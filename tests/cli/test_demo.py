"""``bayes-meta demo`` end to end with a tiny budget (what CI runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bayes_meta_envs.cli import main


def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    out = tmp_path / "demo"
    rc = main(
        [
            "demo",
            "--budget-minutes",
            "0.05",
            "--episodes",
            "400",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    for name in (
        "LSTM (observed rewards)",
        "Bayes-optimal",
        "Greedy",
        "Thompson",
        "Random",
    ):
        assert name in printed
    assert "final evaluation (fixed batch): " in printed and "bayes_gap=" in printed
    for f in ("scores.json", "table.txt", "bayes_gap_training.png", "bayes_action_probability.png"):
        assert (out / f).is_file(), f
    assert (out / "bayes_gap_training.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "agent" / "model.safetensors").is_file()
    assert any((out / "agent" / "checkpoints").iterdir())
    data = json.loads((out / "scores.json").read_text())
    assert data["run"]["episodes"] == 400
    # the demo learns from the rewards the agent observes, and says so
    assert "reward_signal='sampled'" in printed and data["run"]["reward_signal"] == "sampled"
    assert json.loads((out / "agent" / "config.json").read_text())["reward_signal"] == "sampled"
    assert list(data["scores"]) == [
        "LSTM (observed rewards)",
        "Bayes-optimal",
        "Gittins (gamma=0.9)",
        "Thompson sampling",
        "UCB1",
        "Greedy (posterior mean)",
        "Random",
    ]
    lstm = data["scores"]["LSTM (observed rewards)"]
    bayes = data["scores"]["Bayes-optimal"]
    assert lstm["episodes"] == 400
    # the Bayes-optimal agent scored against itself has a Bayes gap of exactly zero
    assert bayes["metrics"]["bayes_gap"]["mean"] == 0.0


def test_demo_rejects_bad_episodes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["demo", "--episodes", "0", "--out", str(tmp_path), "--no-progress"])
    assert rc == 2
    assert "--episodes must be an int >= 1, got 0" in capsys.readouterr().err


def test_demo_rejects_a_non_positive_budget(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--budget-minutes", "0"])
    assert exc.value.code == 2
    assert "expected a number > 0, got '0'" in capsys.readouterr().err
