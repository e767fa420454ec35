"""Fault tests (issue 34): a training run killed with SIGKILL at random points resumes to the
weights of an uninterrupted run, bit for bit on CPU, for both recipes.

Each run is a real ``bayes-meta train`` process: it is killed at a random moment after a random
checkpoint (sometimes while it writes the next one), started again with ``--resume``, killed
again, and finally left to finish. Its saved weights must equal those of a run never interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
pytest.importorskip("sb3_contrib")

pytestmark = pytest.mark.slow

CONFIGS = {
    "lstm": {
        "algo": "lstm",
        "env_id": "MetaBandit-v0",
        "hidden_size": 8,
        "embed_size": 8,
        "num_envs": 16,
        "total_updates": 60,
        "eval_every": 1000,
        "eval_episodes": 16,
        "checkpoint_every": 5,
        "tensorboard": False,
    },
    "recurrent-ppo": {
        "algo": "recurrent-ppo",
        "env_id": "MetaBandit-v0",
        "num_envs": 4,
        "n_steps": 20,
        "batch_size": 40,
        "n_epochs": 1,
        "hidden_size": 8,
        "embed_size": 8,
        "total_timesteps": 4 * 20 * 24,
        "checkpoint_every": 2,
    },
}
KILLS = 2
START_LIMIT_S = 120


def _train(config: Path, out: Path, algo: str, *, resume: bool) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "bayes_meta_envs.cli", "train", "--algo", algo]
    argv += ["--config", str(config), "--out", str(out), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [*argv, *(["--resume"] if resume else [])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def _checkpoints(out: Path) -> list[str]:
    folder = out / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _finish(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]


def _weights(out: Path) -> dict[str, object]:
    files = sorted(out.glob("*.safetensors"))
    assert files, f"no weights in {out}"
    return {f"{f.name}:{k}": v for f in files for k, v in safetensors_torch.load_file(f).items()}


@pytest.mark.parametrize("algo", sorted(CONFIGS))
def test_killed_training_resumes_bit_identically(algo: str, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIGS[algo]))
    full = tmp_path / "full"
    _finish(_train(config, full, algo, resume=False))

    rng = np.random.default_rng(sum(map(ord, algo)))
    out = tmp_path / "killed"
    seen: list[str] = []
    for kill in range(KILLS):
        proc = _train(config, out, algo, resume=kill > 0)
        start = time.monotonic()
        # wait for a checkpoint beyond the last one seen (a random one of the next few)
        wanted = len(seen) + int(rng.integers(1, 3))
        while len(_checkpoints(out)) < wanted and proc.poll() is None:
            assert time.monotonic() - start < START_LIMIT_S, "no checkpoint appeared"
            time.sleep(0.02)
        time.sleep(float(rng.uniform(0.0, 0.3)))  # sometimes mid-way through the next one
        if proc.poll() is not None:
            break  # finished before the kill: nothing left to interrupt
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen = _checkpoints(out)
        assert seen, "killed before its first checkpoint"
    _finish(_train(config, out, algo, resume=True))

    a, b = _weights(full), _weights(out)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), "resumed weights differ from uninterrupted"
