"""Smoke tests of the client examples (rl-zoo3, torchrl, tianshou) on every registered id.

Each is skipped when its client is not installed (the optional ``clients`` extra, which CI does
not install); they run in seconds per id on a tiny budget.
"""

from __future__ import annotations

import importlib.util
import runpy
import sys
from pathlib import Path

import pytest

import bayes_meta_envs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IDS = [spec.id for spec in bayes_meta_envs.ENV_SPECS]


def test_rl_zoo3_trains_every_id_and_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zoo_train = pytest.importorskip("rl_zoo3.train", reason="needs the clients extra")
    example = runpy.run_path(str(EXAMPLES / "rl_zoo3_train.py"))
    overrides = ["n_envs:1", "n_steps:20", "batch_size:20"]
    # the example's command lines, run in this process (one import of rl-zoo3 instead of ten)
    for env_id in IDS:
        monkeypatch.setattr(
            sys, "argv", ["train", *example["train_args"](env_id, 20, tmp_path, overrides)]
        )
        zoo_train.train()
        assert (tmp_path / "ppo_lstm" / f"{env_id}_1" / f"{env_id}.zip").is_file()
    if importlib.util.find_spec("moviepy") is None:
        pytest.skip("rl-zoo's video recorder needs moviepy")
    for env_id in ("MetaBandit-v0", "MetaPredictGaussian-v0"):  # one frame kind each
        monkeypatch.setattr(
            sys, "argv", ["record_video", *example["record_args"](env_id, tmp_path, 20)]
        )
        runpy.run_module("rl_zoo3.record_video", run_name="__main__")
        videos = (tmp_path / "ppo_lstm" / f"{env_id}_1" / "videos").glob("*.mp4")
        assert any(v.stat().st_size > 0 for v in videos)


@pytest.mark.filterwarnings("ignore:Creating .*WeightUpdater:DeprecationWarning")  # torchrl's own
def test_torchrl_wraps_every_id() -> None:
    pytest.importorskip("torchrl", reason="needs the clients extra")
    example = runpy.run_path(str(EXAMPLES / "torchrl_envs.py"))
    returns = example["main"](["--frames", "40"])
    assert set(returns) == set(IDS)
    assert 0 <= returns["MetaBandit-v0"] <= 20  # 20 Bernoulli rewards


@pytest.mark.slow  # tianshou's numba kernels compile on first use: about 30 s
def test_tianshou_trains_on_every_id() -> None:
    pytest.importorskip("tianshou", reason="needs the clients extra")
    example = runpy.run_path(str(EXAMPLES / "tianshou_ppo.py"))
    best = example["main"](
        ["--env", *IDS, "--epochs", "1", "--steps", "40", "--test-episodes", "2"]
    )
    assert set(best) == set(IDS)
    assert 0 <= best["MetaBandit-v0"] <= 20
