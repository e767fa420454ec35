"""Every subcommand under failing file-system conditions and bad input files: exit status 2, one
line on stderr naming the problem, no traceback (issue 9). Tracebacks are kept for ``-v``."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from bayes_meta_envs.cli import SUBCOMMANDS, main


@pytest.fixture
def fs(tmp_path):
    """Paths that make a command fail: a plain file, a folder, a non-UTF-8 file, JSON nested too
    deeply, and a finished LSTM-looking run folder."""
    paths = {}
    paths["file"] = tmp_path / "a_file"
    paths["file"].write_text("x")
    paths["dir"] = tmp_path / "a_dir"
    paths["dir"].mkdir()
    paths["latin1"] = tmp_path / "latin1.json"
    paths["latin1"].write_bytes(b'{"env_id": "MetaBandit-v0", "x": "\xe9"}')
    paths["deep"] = tmp_path / "deep.json"
    paths["deep"].write_text("[" * 100_000 + "]" * 100_000)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"algo": "lstm", "env_id": "MetaBandit-v0"}))
    (run / "model.safetensors").write_bytes(b"weights of another run")
    (run / "checkpoints" / "ckpt_000001").mkdir(parents=True)
    paths["run"] = run
    agent = tmp_path / "agent"
    agent.mkdir()
    (agent / "config.json").write_bytes(b'{"algo": "lstm", "env_id": "\xe9"}')
    paths["agent_latin1"] = agent
    return paths


_FIXTURE_KEYS = ("file", "dir", "latin1", "deep", "run", "agent_latin1")


def _cases(p):
    under_file = str(p["file"] / "out")
    score = ["score", "--agent", "random", "--episodes", "3", "--no-progress"]
    train = ["train", "--env", "MetaBandit-v0", "--no-progress"]
    return {
        # gittins: output under a file, into a folder, an impossible size
        "gittins-out-under-file": ["gittins", "--out", under_file],
        "gittins-out-folder": ["gittins", "--out", str(p["dir"])],
        "gittins-too-large": ["gittins", "--gamma", "0.999999"],
        # score: outputs, the output set, env kwargs, seeds, agent folders
        "score-json-under-file": [*score, "--json", under_file],
        "score-traces-folder": [*score, "--traces", str(p["dir"])],
        "score-json-folder": [*score, "--json", str(p["dir"])],
        "score-same-file": [*score, "--json", str(p["dir"] / "x"), "--traces", str(p["dir"] / "x")],
        "score-trace-episodes-0": [
            *score,
            "--traces",
            str(p["dir"] / "t.npz"),
            "--trace-episodes",
            "0",
        ],
        "score-unknown-kwarg": [*score, "--env-kwargs", '{"bogus": 1}'],
        "score-kwargs-not-json": [*score, "--env-kwargs", "{n_arms: 3}"],
        "score-reference-too-large": [*score, "--env-kwargs", '{"n_arms": 10, "horizon": 5000}'],
        "score-seed-negative": [*score, "--seed", "-1"],
        "score-agent-file": ["score", "--agent", str(p["file"]), "--episodes", "3"],
        "score-agent-missing": ["score", "--agent", str(p["dir"] / "nope"), "--episodes", "3"],
        "score-agent-config-latin1": [
            "score",
            "--agent",
            str(p["agent_latin1"]),
            "--episodes",
            "3",
        ],
        # baselines: output folder under a file
        "baselines-out-under-file": [
            "baselines",
            "--out",
            under_file,
            "--episodes",
            "3",
            "--envs",
            "MetaBandit-v0",
            "--no-progress",
        ],
        # train: config files, output folders
        "train-config-latin1": [*train, "--config", str(p["latin1"])],
        "train-config-folder": [*train, "--config", str(p["dir"])],
        "train-config-deep": [*train, "--config", str(p["deep"])],
        "train-config-missing": [*train, "--config", str(p["dir"] / "missing.json")],
        "train-out-is-file": [*train, "--out", str(p["file"])],
        "train-out-holds-run": [*train, "--out", str(p["run"])],
        "train-unknown-kwarg": [*train, "--env-kwargs", '{"bogus": 1}'],
        "train-ppo-config-folder": [
            "train",
            "--algo",
            "recurrent-ppo",
            "--env",
            "MetaBandit-v0",
            "--config",
            str(p["dir"]),
        ],
        "train-ppo-out-holds-run": [
            "train",
            "--algo",
            "recurrent-ppo",
            "--env",
            "MetaBandit-v0",
            "--out",
            str(p["run"]),
        ],
        # demo: output under a file
        "demo-out-under-file": [
            "demo",
            "--out",
            under_file,
            "--budget-minutes",
            "0.01",
            "--episodes",
            "10",
            "--no-plots",
            "--no-progress",
        ],
        # envs: an unknown option is argparse's (exit 2 too)
        "envs-bad-option": ["envs", "--bogus"],
    }


CASE_NAMES = sorted(_cases({k: Path("/x") for k in _FIXTURE_KEYS}))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_failure_is_one_line_and_exit_2(fs, capsys, name):
    argv = _cases(fs)[name]
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, err
    assert "Traceback" not in err
    if name != "envs-bad-option":  # argparse prints usage + one error line
        assert len(lines) == 1, err
        assert lines[0].startswith(f"bayes-meta {argv[0]}: error: "), err


def test_every_subcommand_is_covered():
    covered = {_cases({k: Path("/x") for k in _FIXTURE_KEYS})[n][0] for n in CASE_NAMES}
    # sweep and report belong to optional extras; their own tests cover their arguments
    assert set(SUBCOMMANDS) - covered <= {"sweep", "report"}


def test_verbose_keeps_the_traceback(fs, capsys):
    assert main(["-v", "gittins", "--out", str(fs["file"] / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith(
        "bayes-meta gittins: error:"
    )


def _limited(size: int):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return set_limit


@pytest.mark.parametrize(
    "args",
    [
        ["gittins", "--max-n", "60", "--out", "{tmp}/g.csv"],
        [
            "score",
            "--agent",
            "random",
            "--episodes",
            "50",
            "--no-progress",
            "--json",
            "{tmp}/s.json",
            "--traces",
            "{tmp}/s.npz",
        ],
    ],
    ids=["gittins", "score"],
)
def test_full_disk(tmp_path, args):
    argv = [a.format(tmp=tmp_path) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "bayes_meta_envs.cli", *argv],
        capture_output=True,
        text=True,
        preexec_fn=_limited(2000),
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "error: File too large" in lines[0], proc.stderr
    # nothing half-written, no temporary files left
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_stdout_on_a_full_device():
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "bayes_meta_envs.cli", "envs"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["bayes-meta envs: error: No space left on device"]


def test_score_outputs_are_a_set(tmp_path, monkeypatch):
    """A failure while the second output is written leaves the previous pair untouched."""
    from bayes_meta_envs.scoring.traces import Traces

    js, tr = tmp_path / "s.json", tmp_path / "s.npz"
    base = ["score", "--agent", "random", "--episodes", "5", "--no-progress"]
    assert main([*base, "--seed", "1", "--json", str(js), "--traces", str(tr)]) == 0
    before = js.read_bytes(), tr.read_bytes()

    def failing_save(self, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(Traces, "save", failing_save)
    assert main([*base, "--seed", "2", "--json", str(js), "--traces", str(tr)]) == 2
    assert (js.read_bytes(), tr.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "s.npz"]
