"""Fault test (issue 34): a sweep command killed with SIGKILL mid-trial and started again finishes
every trial exactly once.

The command runs as a user runs it, with a local Ray of its own (2 CPUs). It is killed without
warning once a trial has checkpointed (the driver dies; the Ray daemons it started are then
stopped by their process ids: the command's descendants), and the same command is run again to completion. Every trial must
then be finished, once: one run folder each, a score written once, and the trials finished before
the kill not run again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("torch")
pytest.importorskip("safetensors")

from bayes_meta_envs.sweep import read_summary

pytestmark = [pytest.mark.xdist_group("ray"), pytest.mark.slow]

CONFIG = {
    "hidden_size": 8,
    "embed_size": 8,
    "num_envs": 16,
    "total_updates": 20,
    "n_epochs": 1,
    "ppo_minibatches": 2,
    "eval_every": 10,
    "eval_episodes": 64,
    "checkpoint_every": 5,
    "tensorboard": False,
}


def _descendants(pid: int) -> set[int]:
    """The process ids of every process below ``pid`` (the command's Ray daemons and workers)."""
    ps = subprocess.run(["ps", "-eo", "pid,ppid"], capture_output=True, text=True, check=True)
    children: dict[int, list[int]] = {}
    for line in ps.stdout.splitlines()[1:]:
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _sweep(argv: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-m", "bayes_meta_envs.cli", "sweep", *argv, "--num-cpus", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _stop(pids: set[int]) -> None:
    """Stop the processes the killed command left behind (ours: its descendants, by id)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.5)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_killed_sweep_finishes_every_trial_once(tmp_path: Path) -> None:
    config = tmp_path / "base.json"
    config.write_text(json.dumps(CONFIG))
    out = tmp_path / "sweep"
    argv = ["--envs", "MetaBandit-v0", "--env-kwargs", '{"horizon": 10}', "--seeds", "3"]
    argv += ["--config", str(config), "--score-episodes", "100", "--out", str(out)]
    proc = _sweep(argv)
    left: set[int] = set()
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob("runs/*/checkpoints/*")):
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no checkpoint in 240 s"
            time.sleep(0.05)
        left = _descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    finally:
        if proc.poll() is None:
            left |= _descendants(proc.pid)
            proc.kill()
            proc.communicate()
        _stop(left)
    finished_before = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("runs/*/score.json")}
    assert len(finished_before) < 3, "the kill came too late: every trial had finished"

    again = _sweep(argv)
    try:
        stdout, stderr = again.communicate(timeout=600)
    finally:
        if again.poll() is None:
            _stop(_descendants(again.pid))
            again.kill()
            again.communicate()
    assert again.returncode == 0, stderr[-3000:]

    summary = read_summary(out)
    assert sorted(r.status for r in summary.rows) == ["ok"] * 3
    assert len({r.trial for r in summary.rows}) == 3
    runs = sorted(p.name for p in (out / "runs").iterdir() if p.is_dir())
    assert len(runs) == 3, runs  # one folder a trial, none started twice under another name
    for run in runs:
        assert (out / "runs" / run / "score.json").is_file()
    for run, mtime in finished_before.items():  # finished once: not run again
        assert (out / "runs" / run / "score.json").stat().st_mtime_ns == mtime
