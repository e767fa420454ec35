"""The sweep's light parts, no Ray started: the spec and its trials, the summary, the lazy
import of Ray, argument errors and the command's option errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bayes_meta_envs.cli import main
from bayes_meta_envs.errors import InvalidArgumentError, InvalidArgumentTypeError
from bayes_meta_envs.sweep import SweepSpec, SweepSummary, read_summary
from bayes_meta_envs.sweep.summary import Outcome, final_metric


def test_trials_are_the_product_of_envs_settings_and_seeds():
    spec = SweepSpec(
        envs=["MetaBandit-v0", ("MetaPredictBernoulli-v0", {"horizon": 5})],
        seeds=[7, 3],
        config={"hidden_size": 8, "num_envs": 16},
        grid={"learning_rate": [0.1, 0.2], "num_envs": [4]},
    )
    trials = spec.trials()
    assert len(trials) == 2 * 2 * 2
    assert [t.name for t in trials[:3]] == [
        "000-MetaBandit-v0-g0-s7",
        "001-MetaBandit-v0-g0-s3",
        "002-MetaBandit-v0-g1-s7",
    ]
    assert trials[-1].name == "007-MetaPredictBernoulli-v0-g1-s3"
    assert trials[-1].env_kwargs == {"horizon": 5}
    # the grid's values replace the base config's
    assert trials[2].config == {"hidden_size": 8, "num_envs": 4, "learning_rate": 0.2}
    assert trials[2].settings == {"learning_rate": 0.2, "num_envs": 4}
    assert len({t.name for t in trials}) == len(trials)
    assert SweepSpec(envs=["MetaBandit-v0"], seeds=3).seeds == (0, 1, 2)
    assert SweepSpec(envs=["MetaBandit-v0"]).settings() == [{}]


def test_spec_round_trips_through_json():
    spec = SweepSpec(
        envs=[("MetaBandit-v0", {"num_arms": 3})], seeds=2, grid={"hidden_size": [4, 8]}
    )
    again = SweepSpec.from_dict(json.loads(spec.to_json()))
    assert again.to_dict() == spec.to_dict()
    assert [t.to_dict() for t in again.trials()] == [t.to_dict() for t in spec.trials()]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"envs": []}, "envs"),
        ({"envs": "MetaBandit-v0"}, "envs"),
        ({"envs": [3]}, "envs"),
        ({"seeds": 0}, "seeds"),
        ({"seeds": [1, 1]}, "distinct"),
        ({"seeds": [-1]}, "seeds"),
        ({"grid": {"hidden_size": []}}, r"grid\['hidden_size'\]"),
        ({"grid": {"hidden_size": 8}}, r"grid\['hidden_size'\]"),
        ({"grid": {"seed": [1, 2]}}, r"grid\['seed'\]"),
        ({"config": {"env_id": "MetaBandit-v0"}}, r"config\['env_id'\]"),
        ({"algo": "dqn"}, "algo"),
        ({"score_episodes": 0}, "score_episodes"),
    ],
)
def test_bad_spec_names_argument(kwargs, match):
    args = {"envs": ["MetaBandit-v0"], **kwargs}
    with pytest.raises((InvalidArgumentError, InvalidArgumentTypeError), match=match):
        SweepSpec(**args)


def test_unknown_spec_keys_are_named():
    with pytest.raises(InvalidArgumentError, match="seed_count"):
        SweepSpec.from_dict({"envs": ["MetaBandit-v0"], "seed_count": 2})


def _score_file(run_dir, kind, mean, names=None):
    if names is None:
        names = ["bayes_gap_q"] if kind == "bandit" else ["excess_log_loss"]
    run_dir.mkdir(parents=True)
    metrics = {name: {"mean": mean + i, "ci95": 0.01} for i, name in enumerate(names)}
    (run_dir / "score.json").write_text(json.dumps({"env_kind": kind, "metrics": metrics}))


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["bayes_gap", "bayes_gap_q"], ("bayes_gap_q", 1.5)),  # the precise estimate first
        (["bayes_gap_q", "bayes_gap"], ("bayes_gap_q", 0.5)),
        (["bayes_gap"], ("bayes_gap", 0.5)),  # a score written before bayes_gap_q existed
    ],
)
def test_final_metric_prefers_the_q_value_gap(tmp_path, names, expected):
    _score_file(tmp_path / "run", "bandit", 0.5, names)
    assert final_metric(tmp_path / "run") == (*expected, 0.01)


def test_summary_rows_tell_each_outcome(tmp_path):
    spec = SweepSpec(envs=["MetaBandit-v0", "MetaPredictBernoulli-v0"], seeds=2)
    trials = spec.trials()
    dirs = {t.name: tmp_path / "runs" / t.name for t in trials}
    _score_file(dirs[trials[0].name], "bandit", 0.5)
    _score_file(dirs[trials[2].name], "prediction", 0.25)
    outcomes = {
        trials[0].name: Outcome(None, 3.0, True),
        trials[1].name: Outcome("InvalidArgumentError: bad | value", 0.5, False),
        trials[2].name: Outcome(None, 2.0, True),
    }
    summary = SweepSummary.build(tmp_path, trials, outcomes, dirs)
    assert [r.status for r in summary.rows] == ["ok", "error", "ok", "not run"]
    assert [(r.metric, r.value) for r in summary.rows] == [
        ("bayes_gap_q", 0.5),
        (None, None),
        ("excess_log_loss", 0.25),
        (None, None),
    ]
    assert [r.trial for r in summary.failed] == [trials[1].name, trials[3].name]
    table = summary.table()
    assert table.count("\n") == 2 + 4
    assert "error: InvalidArgumentError: bad / value" in table  # no stray column
    assert "| 0.5000 ± 0.0100 | 3.0 |" in table
    summary.write()
    assert read_summary(tmp_path) == summary
    # a run that ended without its score is an error; one that stopped mid-way is unfinished
    finished_no_score = SweepSummary.build(
        tmp_path, trials[3:], {trials[3].name: Outcome(None, 1.0, True)}, dirs
    )
    assert finished_no_score.rows[0].status == "error"
    assert "score.json" in (finished_no_score.rows[0].error or "")
    stopped = SweepSummary.build(
        tmp_path, trials[3:], {trials[3].name: Outcome(None, 1.0, False)}, dirs
    )
    assert stopped.rows[0].status == "unfinished"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_import_does_not_import_ray():
    code = (
        "import sys, bayes_meta_envs, bayes_meta_envs.sweep, bayes_meta_envs.cli\n"
        "print(sorted(m for m in ('ray', 'torch') if m in sys.modules))\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_missing_ray_names_the_extra():
    code = (
        "import sys\n"
        "sys.modules['ray'] = None\n"
        "from bayes_meta_envs import sweep\n"
        "try:\n"
        "    sweep.run_sweep\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("MissingDependencyError")
    assert "pip install 'bayes-meta-envs[sweep]'" in out.stdout


def test_another_sweep_in_the_same_folder_is_refused(tmp_path):
    pytest.importorskip("ray")
    pytest.importorskip("torch")
    from bayes_meta_envs.sweep import run_sweep

    (tmp_path / "sweep.json").write_text(SweepSpec(envs=["MetaBandit-v0"]).to_json())
    with pytest.raises(InvalidArgumentError, match="another sweep"):
        run_sweep(SweepSpec(envs=["MetaBandit-v0"], seeds=2), tmp_path)  # before Ray starts
    with pytest.raises(InvalidArgumentError, match="address"):
        run_sweep(SweepSpec(envs=["MetaBandit-v0"]), tmp_path, address="")


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--grid", "[1]"], "--grid"),
        (["--grid", "{bad"], "--grid"),
        (["--grid", '{"seed": [1]}'], "grid"),
        (["--seeds", "0"], "seeds"),
        (["--config", "no-such-file.json"], "no-such-file.json"),
    ],
)
def test_command_errors_are_one_line(argv, match, tmp_path, capsys):
    code = main(["sweep", "--envs", "MetaBandit-v0", "--out", str(tmp_path / "s"), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("bayes-meta sweep: error: ")
    assert err.count("\n") == 1
    assert match in err
    assert not (tmp_path / "s").exists()
