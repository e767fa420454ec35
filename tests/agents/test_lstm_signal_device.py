"""The LSTM trainer learns from what the agent sees by default, and its `device` plumbing."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from bayes_meta_envs.agents.lstm import LSTMConfig, LSTMTrainer  # noqa: E402
from bayes_meta_envs.agents.lstm.net import resolve_device  # noqa: E402
from bayes_meta_envs.agents.lstm.updates import step_baseline  # noqa: E402
from bayes_meta_envs.errors import InvalidArgumentError  # noqa: E402
from tests.agents.helpers import tiny_config  # noqa: E402

tiny = tiny_config


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


class _NoTaskInfo(dict):
    """An info dict that fails the test when the task parameters are read."""

    def __getitem__(self, key):
        if key in ("task", "expected_reward"):
            raise AssertionError(f"the trainer read info[{key!r}]")
        return super().__getitem__(key)

    def get(self, key, default=None):
        return self[key] if key in self else default


class _HidingVectorEnv:
    """A vector env whose infos refuse to give away the task."""

    def __init__(self, vec):
        self.vec = vec
        self.num_envs = vec.num_envs

    def reset(self, **kw):
        obs, info = self.vec.reset(**kw)
        return obs, _NoTaskInfo(info)

    def step(self, actions):
        obs, r, term, trunc, info = self.vec.step(actions)
        return obs, r, term, trunc, _NoTaskInfo(info)


# --- the default signal is the observed reward ----------------------------------------------------


def test_the_default_signal_is_the_sampled_reward():
    assert LSTMConfig().reward_signal == "sampled"


def test_the_trainer_never_reads_the_task_under_the_default_signal(tmp_path):
    trainer = LSTMTrainer(tiny(), tmp_path)
    trainer.vec = _HidingVectorEnv(trainer.vec)
    trainer.train()
    assert trainer.update_count == 4


def test_the_hiding_env_catches_a_privileged_signal(tmp_path):
    # the guard above can fail: the privileged signals do read info["task"]
    trainer = LSTMTrainer(tiny(reward_signal="regret"), tmp_path)
    trainer.vec = _HidingVectorEnv(trainer.vec)
    with pytest.raises(AssertionError, match="info\\['task'\\]"):
        trainer.update()


@pytest.mark.parametrize("signal", ["sampled", "regret"])
def test_history_json_names_the_signal(tmp_path, signal):
    LSTMTrainer(tiny(reward_signal=signal, total_updates=2), tmp_path).train()
    records = json.loads((tmp_path / "history.json").read_text())
    assert records and all(r["reward_signal"] == signal for r in records)


def test_history_json_names_the_log_loss_for_prediction(tmp_path):
    LSTMTrainer(tiny(env_id="MetaPredictBernoulli-v0", total_updates=2), tmp_path).train()
    records = json.loads((tmp_path / "history.json").read_text())
    assert all(r["reward_signal"] == "log_loss" for r in records)


def test_step_baseline_is_the_leave_one_out_mean_return_to_go():
    rng = np.random.default_rng(0)
    signal = rng.integers(0, 2, size=(5, 4)).astype(float)
    base = step_baseline(signal, 0.9)
    for t in range(5):
        ret = sum(0.9 ** (k - t) * signal[k] for k in range(t, 5))  # oracle: by definition
        for b in range(4):
            others = [ret[j] for j in range(4) if j != b]
            assert base[t, b] == pytest.approx(np.mean(others))
    assert not step_baseline(signal[:, :1], 1.0).any()


def test_step_baseline_can_be_switched_off(tmp_path):
    on = LSTMTrainer(tiny(total_updates=2), tmp_path / "on")
    off = LSTMTrainer(tiny(total_updates=2, step_baseline=False), tmp_path / "off")
    on.train()
    off.train()
    a, b = on.net.state_dict(), off.net.state_dict()
    assert not all(torch.equal(a[k], b[k]) for k in a)


# --- device ---------------------------------------------------------------------------------------


def test_device_defaults_to_cpu_and_is_validated():
    assert LSTMConfig().device == "cpu"
    assert LSTMConfig(device="cpu") == LSTMConfig()
    with pytest.raises(InvalidArgumentError, match="device"):
        LSTMConfig(device="tpu")


def test_explicit_cpu_trains_the_same_weights_as_the_default(tmp_path):
    a = LSTMTrainer(tiny(), tmp_path / "a")
    b = LSTMTrainer(tiny(device="cpu"), tmp_path / "b")
    a.train()
    b.train()
    assert a.device == b.device == torch.device("cpu")
    sa, sb = a.net.state_dict(), b.net.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_cuda_without_cuda_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InvalidArgumentError, match=r"device='cuda'.*no CUDA device"):
        LSTMTrainer(tiny(device="cuda"), tmp_path)


def test_auto_falls_back_to_the_cpu(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    auto = LSTMTrainer(tiny(device="auto"), tmp_path / "auto")
    cpu = LSTMTrainer(tiny(), tmp_path / "cpu")
    auto.train()
    cpu.train()
    sa, sb = auto.net.state_dict(), cpu.net.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_budget_progress_bar_counts_seconds(tmp_path, capsys):
    pytest.importorskip("tqdm")
    LSTMTrainer(tiny(budget_minutes=0.001, total_updates=1000), tmp_path).train(progress=True)
    err = capsys.readouterr().err
    assert "s budget" in err and "update" in err
