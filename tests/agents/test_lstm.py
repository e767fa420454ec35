"""Tests of the LSTM meta-learner: maths, agent protocol, learning, checkpoints and resume."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from bayes_meta_envs.agents.lstm import (  # noqa: E402
    LSTMAgent,
    LSTMConfig,
    LSTMTrainer,
    latest_checkpoint,
    torch_log_likelihood,
)
from bayes_meta_envs.errors import (  # noqa: E402
    CheckpointError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
)
from bayes_meta_envs.families import (  # noqa: E402
    BetaBernoulli,
    DirichletCategorical,
    GammaExponential,
    NormalNormal,
)

PREDICT_IDS = [
    "MetaPredictBernoulli-v0",
    "MetaPredictCategorical-v0",
    "MetaPredictGaussian-v0",
    "MetaPredictExponential-v0",
]


def tiny(**kw):
    base = dict(
        hidden_size=8,
        embed_size=8,
        num_envs=16,
        total_updates=6,
        eval_every=3,
        eval_episodes=64,
        checkpoint_every=3,
        tensorboard=False,
    )
    base.update(kw)
    return LSTMConfig(**base)


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


# --- torch log-likelihoods against families.py ------------------------------------------------


@pytest.mark.parametrize(
    "family",
    [
        BetaBernoulli(2.0, 0.5),
        DirichletCategorical([1.0, 2.0, 0.5, 3.0]),
        NormalNormal(1.0, 2.0, 0.5),
        GammaExponential(2.0, 3.0),
    ],
    ids=lambda f: f.name,
)
def test_torch_log_likelihood_matches_numpy(family):
    rng = np.random.default_rng(0)
    n = 500
    tasks = family.sample_tasks(rng, n)
    x = family.sample_observations(rng, tasks, 1)[:, 0]
    action = rng.normal(0.0, 2.0, size=(n, family.action_dim))
    expected = family.log_likelihood(action, x)
    got = torch_log_likelihood(
        family, torch.as_tensor(action, dtype=torch.float64), torch.as_tensor(x)
    ).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_torch_log_likelihood_rejects_unknown_family():
    with pytest.raises(InvalidArgumentError, match="family"):
        torch_log_likelihood(object(), torch.zeros(2, 1), torch.zeros(2))


# --- config --------------------------------------------------------------------------------------


def test_config_round_trip(tmp_path):
    cfg = tiny(env_id="MetaPredictGaussian-v0", env_kwargs={"sigma": 2.0}, budget_minutes=1.5)
    cfg.save(tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["algo"] == "lstm"
    assert LSTMConfig.from_json(tmp_path / "c.json") == cfg


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"hidden_size": 0}, InvalidArgumentError, "hidden_size must be an int >= 1, got 0"),
        ({"num_envs": 2.5}, InvalidArgumentTypeError, "num_envs must be"),
        ({"learning_rate": -1.0}, InvalidArgumentError, "learning_rate"),
        ({"gae_lambda": 1.5}, InvalidArgumentError, "gae_lambda"),
        ({"reward_signal": "bogus"}, InvalidArgumentError, "reward_signal"),
        ({"budget_minutes": 0}, InvalidArgumentError, "budget_minutes"),
        ({"ppo_minibatches": 32, "num_envs": 16}, InvalidArgumentError, "ppo_minibatches"),
    ],
)
def test_config_rejects_bad_values(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        tiny(**kwargs)


def test_config_rejects_unknown_keys_and_algo():
    with pytest.raises(InvalidArgumentError, match="hiden_size"):
        LSTMConfig.from_dict({"hiden_size": 3})
    with pytest.raises(InvalidArgumentError, match="recurrent-ppo"):
        LSTMConfig.from_dict({"algo": "recurrent-ppo"})


# --- agent protocol ---------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", ["MetaBandit-v0", *PREDICT_IDS])
def test_agent_protocol_and_sequence_consistency(env_id):
    """Step-by-step ``update`` equals the trainer's whole-sequence forward pass."""
    import gymnasium as gym

    cfg = tiny(env_id=env_id)
    agent = LSTMAgent(cfg)
    env = gym.make(env_id).unwrapped.make_vector(5)
    obs, _ = env.reset(seed=3)
    s = agent.initial_state(5)
    assert s.shape == (5, 16) and np.all(s == 0)
    seq = []
    for _ in range(4):
        seq.append(obs)
        s = agent.update(s, obs)
        out = agent.output(s)
        if agent.kind == "bandit":
            assert out.shape == (5, 2)
            np.testing.assert_allclose(out.sum(axis=1), 1.0)
            action = agent.act(out)
        else:
            action = out.astype(np.float32)
            fam = env.family
            assert np.all(out >= fam.action_low) and np.all(out <= fam.action_high)
        obs, *_ = env.step(action)
    with torch.no_grad():
        hidden, _ = agent.net(torch.as_tensor(np.stack(seq), dtype=torch.float32))
    np.testing.assert_allclose(s[:, :8], hidden[-1].numpy(), rtol=1e-5, atol=1e-6)


def test_agent_rejects_bad_state_and_obs():
    agent = LSTMAgent(tiny())
    with pytest.raises(InvalidArgumentError, match="state"):
        agent.update(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(InvalidArgumentError, match="obs"):
        agent.update(agent.initial_state(2), np.zeros((2, 5)))


def test_predict_and_save_load_round_trip(tmp_path):
    agent = LSTMAgent(tiny(seed=5), seed=0)
    obs = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    actions, state = agent.predict(obs)
    assert actions.shape == (2,) and state.shape == (2, 16)
    agent.save(tmp_path / "a")
    again = LSTMAgent.load(tmp_path / "a")
    s1 = agent.update(agent.initial_state(2), obs)
    s2 = again.update(again.initial_state(2), obs)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(agent.output(s1), again.output(s2))


def test_init_does_not_touch_global_torch_rng():
    before = torch.random.get_rng_state()
    LSTMAgent(tiny(seed=1))
    assert torch.equal(before, torch.random.get_rng_state())
    w1 = LSTMAgent(tiny(seed=1)).net.state_dict()
    w2 = LSTMAgent(tiny(seed=1)).net.state_dict()
    assert all(torch.equal(w1[k], w2[k]) for k in w1)


# --- learning ---------------------------------------------------------------------------------


def test_short_bandit_training_raises_the_return(tmp_path):
    cfg = LSTMConfig(
        total_updates=40,
        eval_every=40,
        eval_episodes=2048,
        checkpoint_every=1000,
        tensorboard=False,
        num_envs=128,
    )
    result = LSTMTrainer(cfg, tmp_path).train()
    first, last = result.history[0], result.history[-1]
    # a random policy is ~2.4 below Bayes-optimal; 40 updates must close most of that gap
    assert first["eval_bayes_gap"] > 2.0
    assert last["eval_bayes_gap"] < 0.5
    assert last["eval_expected_return"] > first["eval_expected_return"] + 1.5


@pytest.mark.parametrize("env_id", PREDICT_IDS)
def test_short_prediction_training_lowers_the_log_loss(tmp_path, env_id):
    cfg = LSTMConfig(
        env_id=env_id,
        total_updates=40,
        eval_every=40,
        eval_episodes=1024,
        num_envs=128,
        checkpoint_every=1000,
        tensorboard=False,
        symlog_inputs=env_id.endswith("Exponential-v0"),
    )
    result = LSTMTrainer(cfg, tmp_path).train()
    first, last = result.history[0], result.history[-1]
    assert last["eval_log_loss"] < first["eval_log_loss"]
    assert last["eval_excess_log_loss"] < 0.5 * first["eval_excess_log_loss"]


# --- checkpoints and resume -------------------------------------------------------------------


@pytest.mark.parametrize("env_id", ["MetaBandit-v0", "MetaPredictGaussian-v0"])
def test_resume_equals_uninterrupted(tmp_path, env_id):
    cfg = tiny(env_id=env_id)
    full = LSTMTrainer(cfg, tmp_path / "full")
    full.train()
    part = LSTMTrainer(cfg, tmp_path / "part")
    part.train(stop_after=3)
    assert latest_checkpoint(tmp_path / "part").name == "ckpt_000003"
    del part
    resumed = LSTMTrainer(cfg, tmp_path / "part", resume=True)
    assert resumed.update_count == 3
    resumed.train()
    a, b = full.net.state_dict(), resumed.net.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    ckpts = sorted(p.name for p in (tmp_path / "part" / "checkpoints").iterdir())
    assert ckpts == ["ckpt_000003", "ckpt_000006"]
    assert not any(p.name.startswith(".") for p in (tmp_path / "part" / "checkpoints").iterdir())
    # the saved agent is the final weights
    saved = LSTMAgent.load(tmp_path / "part")
    assert all(torch.equal(saved.net.state_dict()[k], a[k]) for k in a)


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        LSTMTrainer(tiny(), tmp_path, resume=True)


@pytest.fixture
def run_with_checkpoint(tmp_path):
    tr = LSTMTrainer(tiny(total_updates=3), tmp_path)
    tr.train()
    return tmp_path, latest_checkpoint(tmp_path)


@pytest.mark.parametrize(
    ("name", "damage", "match"),
    [
        ("optimizer.pt", "delete", r"missing \['optimizer.pt'\]"),
        ("model.safetensors", "garbage", r"model.safetensors.*corrupt"),
        ("optimizer.pt", "garbage", "optimizer.pt is corrupt"),
        ("rng.safetensors", "garbage", "rng.safetensors is corrupt"),
        ("trainer_state.json", "garbage", "trainer_state.json is corrupt"),
    ],
)
def test_corrupt_or_missing_checkpoint_files(run_with_checkpoint, name, damage, match):
    run, ck = run_with_checkpoint
    target = ck / name
    if damage == "delete":
        target.unlink()
    else:
        target.write_bytes(b"\x00not a valid file{")
    with pytest.raises(CheckpointError, match=match):
        LSTMTrainer(tiny(total_updates=3), run, resume=True)


def test_resume_with_a_different_model_config_is_refused(run_with_checkpoint):
    run, _ = run_with_checkpoint
    with pytest.raises(CheckpointError, match="hidden_size"):
        LSTMTrainer(tiny(total_updates=3, hidden_size=9), run, resume=True)


def test_load_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        LSTMAgent.load(tmp_path / "nope")
    LSTMAgent(tiny()).save(tmp_path / "a")
    (tmp_path / "a" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"model.safetensors.*missing"):
        LSTMAgent.load(tmp_path / "a")


def test_tensorboard_logs_written(tmp_path):
    pytest.importorskip("tensorboard")
    LSTMTrainer(tiny(total_updates=2, tensorboard=True), tmp_path).train()
    assert any((tmp_path / "tb").iterdir())


def test_importing_the_package_does_not_import_torch():
    code = (
        "import sys, bayes_meta_envs, bayes_meta_envs.agents, bayes_meta_envs.agents.lstm, "
        "bayes_meta_envs.agents.zoo, bayes_meta_envs.agents.cli, bayes_meta_envs.analysis.plots; "
        "bad = [m for m in ('torch', 'matplotlib') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_train_cli_and_resume(tmp_path, capsys):
    from bayes_meta_envs.agents.zoo import load
    from bayes_meta_envs.cli import main

    cfg = tiny(env_id="MetaPredictBernoulli-v0", total_updates=4, checkpoint_every=2)
    cfg.save(tmp_path / "c.json")
    out = tmp_path / "run"
    argv = ["train", "--algo", "lstm", "--config", str(tmp_path / "c.json"), "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    assert "trained 4 updates" in capsys.readouterr().out
    agent = load(out)
    assert isinstance(agent, LSTMAgent) and agent.kind == "prediction"
    assert latest_checkpoint(out).name == "ckpt_000004"
    # resuming a finished run trains nothing more and keeps the weights
    before = agent.net.state_dict()
    assert main([*argv, "--resume", "--no-progress"]) == 0
    after = load(out).net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_train_cli_errors(tmp_path, capsys):
    from bayes_meta_envs.cli import main

    assert main(["train", "--algo", "lstm", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "--env" in capsys.readouterr().err
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


def test_prediction_training_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from bayes_meta_envs.analysis.plots import plot_training_curve

    result = LSTMTrainer(tiny(env_id="MetaPredictCategorical-v0"), tmp_path).train()
    png = plot_training_curve(
        result.history, tmp_path / "p.png", metric="eval_excess_log_loss", target=0.01
    )
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InvalidArgumentError, match="metric"):
        plot_training_curve(result.history, tmp_path / "q.png", metric="eval_bayes_gap")
