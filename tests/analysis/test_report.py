"""The report end to end on a tiny committed run (an LSTM with 4 units, two checkpoints)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("torch")

from bayes_meta_envs.agents import load
from bayes_meta_envs.analysis import embed, write_report
from bayes_meta_envs.analysis.dynamics import load_checkpoints
from bayes_meta_envs.baselines import bayes_agent
from bayes_meta_envs.cli import main
from bayes_meta_envs.errors import InvalidArgumentError, InvalidArgumentTypeError, MissingFileError
from bayes_meta_envs.task import task_of

RUN = Path(__file__).parent / "data" / "tiny-bernoulli"
PNG = b"\x89PNG\r\n\x1a\n"


def test_checkpoints_of_the_fixture_start_with_the_untrained_net() -> None:
    ckpts = load_checkpoints(RUN)
    assert [step for step, _ in ckpts] == [0, 10, 20]


def test_report_end_to_end_on_the_committed_fixture(tmp_path: Path) -> None:
    path = write_report({}, tmp_path, runs=[RUN], episodes=40, dynamics_episodes=20, seed=0)
    text = path.read_text()
    assert "## MetaPredictBernoulli-v0" in text and "## Headline" in text
    assert "untrained twin → Bayes" in text and "Bayes → memorizer" in text
    assert "clock → Bayes" in text and "Runs converge" in text
    assert "The rule, fixed before measuring" in text
    figures = sorted(p.name for p in tmp_path.glob("*.png"))
    slug = "MetaPredictBernoulli-v0-runs"
    assert figures == [f"{slug}-dynamics.png", f"{slug}-embedding.png", f"{slug}-mds.png"]
    for name in figures:
        assert (tmp_path / name).read_bytes()[:8] == PNG
        assert f"]({name})" in text
    data = json.loads((tmp_path / "results.json").read_text())
    task = data["tasks"][0]
    assert task["runs"][0]["forward"]["control"]["source"].startswith("untrained")
    assert task["references"]["clock"]["source"].startswith("ClockAgent")
    assert set(task["verdict"]) >= {"forward_pass", "reverse_pass", "implements"}
    assert [row["step"] for row in task["dynamics"]["tiny-bernoulli"]] == [0.0, 10.0, 20.0]


def test_the_robustness_table_and_its_fragility(tmp_path: Path) -> None:
    path = write_report(
        {"tiny": load(RUN)}, tmp_path, episodes=30, robustness_episodes=(20, 30), seed=1
    )
    text = path.read_text()
    assert "map width 512" in text and "PCA to 3 components" in text
    assert "Verdict fragile?" in text
    rows = json.loads((tmp_path / "results.json").read_text())["tasks"][0]["robustness"]
    assert len(rows) == 7 and rows[4]["setting"] == "30 episodes"


def test_tasks_analysed_in_parallel_give_the_same_report(tmp_path: Path) -> None:
    two = {"tiny": load(RUN), "categorical": load("lstm-predict-categorical")}
    kw = {"episodes": 20, "seed": 3}
    one = write_report(two, tmp_path / "one", jobs=1, **kw)
    both = write_report(two, tmp_path / "two", jobs=2, **kw)
    assert both.read_text() == one.read_text()
    results = [json.loads((p.parent / "results.json").read_text()) for p in (one, both)]
    assert [t["task"] for t in results[0]["tasks"]] == [t["task"] for t in results[1]["tasks"]]
    assert results[0] == results[1]


def test_bad_arguments_are_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InvalidArgumentTypeError, match="out"):
        write_report({"tiny": load(RUN)}, "")  # "" would be the working directory
    with pytest.raises(MissingFileError, match="nope"):
        write_report({}, out, runs=[tmp_path / "nope"])
    with pytest.raises(InvalidArgumentError, match="runs"):
        write_report({}, out, runs=[])
    with pytest.raises(InvalidArgumentTypeError, match="agents"):
        write_report({"x": object()}, out)
    with pytest.raises(InvalidArgumentError, match="seed"):
        write_report({"tiny": load(RUN)}, out, seed=2**32)
    assert not out.exists()


def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(RUN), "--out", str(tmp_path), "--episodes", "20"]) == 0
    assert (tmp_path / "REPORT.md").is_file()
    assert str(tmp_path / "REPORT.md") in capsys.readouterr().out


def test_importing_the_analysis_package_stays_light() -> None:
    code = (
        "import sys, bayes_meta_envs, bayes_meta_envs.analysis, bayes_meta_envs.cli;"
        "print(sorted(m for m in ('sklearn', 'matplotlib', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("env_id", ["MetaBandit-v0", "MetaPredictBernoulli-v0"])
def test_embed_draws_a_png(env_id: str, tmp_path: Path) -> None:
    agent = load(RUN) if env_id == "MetaPredictBernoulli-v0" else bayes_agent(task_of(env_id))
    path = embed(agent, env_id, tmp_path / "embedding.png", episodes=20, seed=1)
    assert path.read_bytes()[:8] == PNG
