"""``bayes-meta train``: options, resume, and errors (the trainers themselves are tested in
tests/agents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bayes_meta_envs.cli import main


def test_train_cli_and_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from bayes_meta_envs.agents import LSTMAgent, load
    from bayes_meta_envs.agents.lstm import LSTMConfig, latest_checkpoint

    cfg = LSTMConfig(
        env_id="MetaPredictBernoulli-v0",
        hidden_size=8,
        embed_size=8,
        num_envs=16,
        total_updates=4,
        eval_every=3,
        eval_episodes=64,
        checkpoint_every=2,
        tensorboard=False,
    )
    cfg.save(tmp_path / "c.json")
    out = tmp_path / "run"
    argv = ["train", "--algo", "lstm", "--config", str(tmp_path / "c.json"), "--out", str(out)]
    assert main([*argv, "--num-threads", "1", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "trained 4 updates" in printed and "final evaluation (fixed batch): " in printed
    agent = load(out)
    assert isinstance(agent, LSTMAgent) and agent.kind == "prediction"
    checkpoint = latest_checkpoint(out)
    assert checkpoint is not None and checkpoint.name == "ckpt_000004"
    # resuming a finished run trains nothing more and keeps the weights
    before = agent.net.state_dict()
    assert main([*argv, "--resume", "--num-threads", "1", "--no-progress"]) == 0
    after = load(out).net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_train_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--algo", "lstm", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "--env" in capsys.readouterr().err
    pytest.importorskip("torch")
    rc = main(
        [
            "train",
            "--algo",
            "lstm",
            "--env",
            "MetaBandit-v0",
            "--out",
            str(tmp_path / "x"),
            "--resume",
            "--no-progress",
        ]
    )
    assert rc == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_train_bad_env_kwargs(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train", "--env", "MetaBandit-v0", "--env-kwargs", "{nope", "--no-progress"]
    assert main(argv) == 2
    assert "--env-kwargs must be a JSON object" in capsys.readouterr().err


def test_train_recurrent_ppo_needs_an_env(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sb3_contrib")
    assert main(["train", "--algo", "recurrent-ppo", "--no-progress"]) == 2
    assert "--env must be a registered environment id (or give --config), got None" in (
        capsys.readouterr().err
    )


def test_train_cli_signal_and_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from bayes_meta_envs.agents.lstm import LSTMConfig

    cfg = LSTMConfig(
        hidden_size=4,
        embed_size=4,
        num_envs=8,
        total_updates=1,
        eval_episodes=16,
        tensorboard=False,
    )
    cfg.save(tmp_path / "c.json")
    base = ["train", "--algo", "lstm", "--config", str(tmp_path / "c.json"), "--no-progress"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    assert "learning signal: sampled" in capsys.readouterr().out
    argv = [*base, "--out", str(tmp_path / "b"), "--reward-signal", "regret", "--device", "cpu"]
    assert main(argv) == 0
    assert "learning signal: regret" in capsys.readouterr().out
    saved = LSTMConfig.from_json(tmp_path / "b" / "config.json")
    assert saved.reward_signal == "regret" and saved.device == "cpu"
