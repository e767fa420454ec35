"""Tests of the LSTM network, its torch log-likelihoods and the LSTMAgent (protocol and I/O)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from bayes_meta_envs.agents.lstm import LSTMAgent, LSTMConfig, torch_log_likelihood  # noqa: E402
from bayes_meta_envs.errors import CheckpointError, InvalidArgumentError  # noqa: E402
from bayes_meta_envs.families import (  # noqa: E402
    BetaBernoulli,
    DirichletCategorical,
    GammaExponential,
    NormalNormal,
)
from bayes_meta_envs.task import task_of  # noqa: E402

PREDICT_IDS = [
    "MetaPredictBernoulli-v0",
    "MetaPredictCategorical-v0",
    "MetaPredictGaussian-v0",
    "MetaPredictExponential-v0",
]
ZOO = Path(__file__).resolve().parents[2] / "bayes_meta_envs" / "zoo"
LSTM_ZOO = sorted(p for p in ZOO.glob("lstm-*") if (p / "config.json").is_file())


def tiny(**kw):
    return LSTMConfig(**{"hidden_size": 8, "embed_size": 8, "num_envs": 16, **kw})


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


# --- torch log-likelihoods against families ---------------------------------------------------


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


# --- agent protocol ---------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", ["MetaBandit-v0", *PREDICT_IDS])
def test_agent_protocol_and_sequence_consistency(env_id):
    """Step-by-step ``update`` equals the trainer's whole-sequence forward pass."""
    agent = LSTMAgent(tiny(env_id=env_id))
    task = task_of(env_id)
    assert agent.task.config() == task.config() and agent.kind == task.kind
    env = task.make_vector(5)
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
            fam = task.family
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
    with pytest.raises(InvalidArgumentError, match="batch_size"):
        agent.initial_state(0)


def test_predict_and_save_load_round_trip(tmp_path):
    agent = LSTMAgent(tiny(seed=5), seed=0)
    obs = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    actions, state = agent.predict(obs)
    assert actions.shape == (2,) and state.shape == (2, 16)
    agent.save(tmp_path / "a")
    assert json.loads((tmp_path / "a" / "config.json").read_text())["algo"] == "lstm"
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


def test_load_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        LSTMAgent.load(tmp_path / "nope")
    LSTMAgent(tiny()).save(tmp_path / "a")
    (tmp_path / "a" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"model.safetensors.*missing"):
        LSTMAgent.load(tmp_path / "a")
    LSTMAgent(tiny()).save(tmp_path / "b")
    with pytest.raises(CheckpointError, match="weights do not match"):
        LSTMAgent(tiny(hidden_size=9), LSTMAgent.load(tmp_path / "b").net.state_dict())
    cfg = json.loads((tmp_path / "b" / "config.json").read_text())
    (tmp_path / "b" / "config.json").write_text(json.dumps({**cfg, "hidden_size": 0}))
    with pytest.raises(CheckpointError, match="not a valid LSTM config"):
        LSTMAgent.load(tmp_path / "b")
    (tmp_path / "b" / "config.json").write_text(json.dumps({**cfg, "algo": "recurrent-ppo"}))
    with pytest.raises(CheckpointError, match="algo"):
        LSTMAgent.load(tmp_path / "b")


@pytest.mark.skipif(not LSTM_ZOO, reason="no committed LSTM zoo folders")
@pytest.mark.parametrize("folder", LSTM_ZOO, ids=lambda p: p.name)
def test_committed_zoo_agents_load(folder):
    """The zoo's folders load (their history.json may use older key names: it is not read)."""
    agent = LSTMAgent.load(folder)
    cfg = json.loads((folder / "config.json").read_text())
    assert agent.config.env_id == cfg["env_id"] and agent.hidden_size == cfg["hidden_size"]
    s = agent.update(agent.initial_state(3), np.zeros((3, agent.task.obs_dim), np.float32))
    out = agent.output(s)
    assert out.shape == (3, agent.task.output_dim) and np.all(np.isfinite(out))
