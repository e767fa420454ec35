"""``bayes-meta score`` and ``bayes-meta baselines``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from bayes_meta_envs.agents.resolve import resolve_agent
from bayes_meta_envs.cli import main
from bayes_meta_envs.scoring import ScoreReport, load_traces
from bayes_meta_envs.task import task_of


def test_score_writes_json_and_traces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, tr = tmp_path / "r.json", tmp_path / "t.npz"
    argv = [
        "score",
        "--agent",
        "thompson",
        "--episodes",
        "200",
        "--seed",
        "3",
        "--json",
        str(out),
        "--traces",
        str(tr),
        "--trace-episodes",
        "7",
        "--no-progress",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "thompson on MetaBandit-v0" in text and "Bayes gap" in text
    report = ScoreReport.from_json(out.read_text())
    assert report.agent == "thompson" and report.episodes == 200 and report.seed == 3
    traces = load_traces(tr)
    assert traces.n_episodes == 7 and traces.metadata["agent"] == "thompson"
    assert sorted(os.listdir(tmp_path)) == ["r.json", "t.npz"]


def test_score_prediction_env_with_kwargs(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "score",
        "--agent",
        "plugin",
        "--env",
        "MetaPredictCategorical-v0",
        "--env-kwargs",
        '{"n_categories": 4}',
        "--episodes",
        "50",
        "--no-progress",
    ]
    assert main(argv) == 0
    assert "excess log-loss" in capsys.readouterr().out


def test_user_agents_from_module_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_agents.py").write_text(
        "import numpy as np\n"
        "from bayes_meta_envs.baselines.classic import GreedyAgent\n"
        "def stay(obs):\n    return np.zeros(obs.shape[0], dtype=int)\n"
        "INSTANCE = GreedyAgent()\n"
        "class Mine(GreedyAgent):\n    pass\n"
    )
    monkeypatch.chdir(tmp_path)
    task = task_of("MetaBandit-v0")
    assert callable(resolve_agent("my_agents:stay", task))
    assert resolve_agent("my_agents:INSTANCE", task).__class__.__name__ == "GreedyAgent"
    assert resolve_agent("my_agents:Mine", task).__class__.__name__ == "Mine"  # via for_env
    assert resolve_agent(f"{tmp_path / 'my_agents.py'}:stay", task).__name__ == "stay"
    assert main(["score", "--agent", "my_agents:stay", "--episodes", "20", "--no-progress"]) == 0


def test_score_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    argv = ["score", "--agent", "thompson", "--episodes", "100", "--no-progress"]
    assert main([*argv, "--deterministic", "--json", str(out)]) == 0
    assert "arg-max of the agent's probabilities" in capsys.readouterr().out
    assert ScoreReport.from_json(out.read_text()).deterministic is True
    assert (
        main([*argv, "--deterministic", "--env", "MetaPredictBernoulli-v0", "--agent", "plugin"])
        == 2
    )
    assert "deterministic=True applies to bandit environments" in capsys.readouterr().err


def test_score_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--agent", "nope", "--episodes", "5"]) == 2
    assert "--agent must be a baseline (bayes, gittins:0.9, thompson" in capsys.readouterr().err
    assert main(["score", "--agent", "thompson", "--env", "MetaPredictBernoulli-v0"]) == 2
    assert "a baseline for prediction tasks: bayes, plugin, prior" in capsys.readouterr().err
    assert main(["score", "--agent", "no_such_module:x", "--episodes", "5"]) == 2
    assert "importable module" in capsys.readouterr().err
    assert main(["score", "--agent", "numpy:no_such_attr", "--episodes", "5"]) == 2
    assert "has an attribute 'no_such_attr'" in capsys.readouterr().err
    assert main(["score", "--agent", "bayes", "--env-kwargs", "[1]"]) == 2
    assert "--env-kwargs must be a JSON object" in capsys.readouterr().err
    assert main(["score", "--agent", "bayes", "--episodes", "0"]) == 2
    assert "episodes must be an int >= 1, got 0" in capsys.readouterr().err


def test_saved_agent_folder_gives_a_clear_error_when_it_cannot_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # an empty folder: agents.load refuses it, naming the folder
    assert main(["score", "--agent", str(tmp_path), "--episodes", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayes-meta score: error: ") and str(tmp_path) in err


def test_baselines_writes_scoreboard_and_readme(tmp_path: Path) -> None:
    argv = [
        "baselines",
        "--episodes",
        "30",
        "--out",
        str(tmp_path),
        "--envs",
        "MetaBandit-v0",
        "MetaPredictBernoulli-v0",
        "--no-progress",
    ]
    assert main(argv) == 0
    board = json.loads((tmp_path / "scoreboard.json").read_text())
    assert list(board["envs"]) == ["MetaBandit-v0", "MetaPredictBernoulli-v0"]
    assert list(board["envs"]["MetaBandit-v0"]["reports"]) == [
        "bayes",
        "gittins:0.9",
        "thompson",
        "ucb1",
        "greedy",
        "random",
    ]
    assert list(board["envs"]["MetaPredictBernoulli-v0"]["reports"]) == ["bayes", "plugin", "prior"]
    bayes = ScoreReport.from_dict(board["envs"]["MetaBandit-v0"]["reports"]["bayes"])
    gap = bayes.metrics["bayes_gap"]
    assert gap is not None and gap.mean == 0.0 and bayes.episodes == 30
    readme = (tmp_path / "README.md").read_text()
    assert "## MetaBandit-v0" in readme and "| `gittins:0.9` |" in readme
    assert bayes.mean_return is not None and np.isfinite(bayes.mean_return.mean)


def test_baselines_unknown_env(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["baselines", "--episodes", "5", "--out", str(tmp_path), "--envs", "Nope-v0"]
    assert main(argv) == 2
    assert "--envs must be one of" in capsys.readouterr().err
    assert not (tmp_path / "scoreboard.json").exists()
