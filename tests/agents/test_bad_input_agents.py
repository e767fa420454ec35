"""Bad input and lost work in the training recipes (issue 9): reused output folders, resuming
another run's checkpoint, unfinished checkpoint writes, corrupt trainer state, the loader
contract, RecurrentPPO interruption, and batch-size invariance of the LSTM agent."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sb3_contrib")

from bayes_meta_envs.agents import recurrent_ppo as rp  # noqa: E402
from bayes_meta_envs.agents.lstm.agent import MIN_BATCH, LSTMAgent  # noqa: E402
from bayes_meta_envs.agents.lstm.trainer import LSTMTrainer  # noqa: E402
from bayes_meta_envs.agents.recurrent_ppo.training import RecipeCallback  # noqa: E402
from bayes_meta_envs.agents.run_folder import latest_checkpoint  # noqa: E402
from bayes_meta_envs.errors import (  # noqa: E402
    CheckpointError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
)
from bayes_meta_envs.scoring import score  # noqa: E402
from tests.agents.helpers import tiny_config  # noqa: E402


def tiny(**kw):
    return tiny_config(**{"num_envs": 8, "eval_episodes": 16, **kw})


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished LSTM run with seed 0 (read-only: copy it before changing it)."""
    out = tmp_path_factory.mktemp("lstm") / "run"
    LSTMTrainer(tiny(seed=0), out).train()
    return out


def _copy(run, tmp_path):
    dst = tmp_path / "run"
    shutil.copytree(run, dst)
    return dst


# --- class 1: a reused folder, and resuming another run ------------------------------------------


def test_training_into_a_folder_holding_a_run_is_refused(finished_run, tmp_path):
    run = _copy(finished_run, tmp_path)
    with pytest.raises(InvalidArgumentError, match="already holds a run.*" + re.escape(str(run))):
        LSTMTrainer(tiny(seed=1), run)


def test_the_issue_scenario_resume_of_another_seed_is_refused(finished_run, tmp_path):
    # seed 0 trained to the end in S; seed 1 into S (interrupted) then --resume: refused
    run = _copy(finished_run, tmp_path)
    with pytest.raises(CheckpointError, match=r"belongs to another run.*seed=0.*seed=1"):
        LSTMTrainer(tiny(seed=1), run, resume=True)


@pytest.mark.parametrize(
    "change",
    [
        {"seed": 7},
        {"learning_rate": 1e-2},
        {"env_kwargs": {"n_arms": 3}},
        {"reward_signal": "expected"},
    ],
    ids=repr,
)
def test_resume_checks_the_whole_config(finished_run, tmp_path, change):
    run = _copy(finished_run, tmp_path)
    name = next(iter(change))
    with pytest.raises(CheckpointError, match=rf"belongs to another run.*{name}="):
        LSTMTrainer(tiny(**change), run, resume=True)


def test_resume_may_extend_a_run(finished_run, tmp_path):
    run = _copy(finished_run, tmp_path)
    trainer = LSTMTrainer(tiny(total_updates=6, num_threads=2), run, resume=True)
    assert trainer.update_count == 4


def test_overwrite_replaces_the_run(finished_run, tmp_path):
    run = _copy(finished_run, tmp_path)
    (run / "notes.txt").write_text("mine")
    trainer = LSTMTrainer(tiny(seed=1, total_updates=2), run, overwrite=True)
    assert not (run / "checkpoints").exists() and (run / "notes.txt").read_text() == "mine"
    trainer.train()
    assert latest_checkpoint(run).name == "ckpt_000002"


def test_an_attempt_killed_before_its_first_checkpoint_is_replaced(tmp_path):
    run = tmp_path / "run"
    (run / "tb").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    (run / "checkpoints").mkdir()
    LSTMTrainer(tiny(total_updates=2), run).train()
    assert latest_checkpoint(run).name == "ckpt_000002"
    assert json.loads((run / "config.json").read_text())["total_updates"] == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"resume": True, "overwrite": True}, InvalidArgumentError, r"\(True, True\)"),
        ({"resume": "yes"}, InvalidArgumentTypeError, "'yes'"),
        ({"overwrite": 1}, InvalidArgumentTypeError, "1"),
    ],
)
def test_bad_resume_flags(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        LSTMTrainer(tiny(), tmp_path / "x", **kwargs)


def test_out_dir_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InvalidArgumentError, match=re.escape(str(f))):
        LSTMTrainer(tiny(), f)


# --- class 6: unfinished checkpoint writes are cleaned ------------------------------------------


def test_killed_checkpoint_write_is_cleaned_on_resume(finished_run, tmp_path):
    run = _copy(finished_run, tmp_path)
    stale = run / "checkpoints" / ".ckpt_000006.abc123"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")
    trainer = LSTMTrainer(tiny(total_updates=6), run, resume=True)
    assert not stale.exists()
    trainer.train()
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["ckpt_000002", "ckpt_000004", "ckpt_000006"]


# --- corrupt trainer state -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "match"),
    [
        ([], "JSON object is expected, got list"),
        ({"update": "4"}, r"'update' must be a int, got '4'"),
        ("nested", "corrupt"),
        ("not-utf8", "corrupt"),
    ],
)
def test_trainer_state_of_the_wrong_shape(finished_run, tmp_path, state, match):
    run = _copy(finished_run, tmp_path)
    file = latest_checkpoint(run) / "trainer_state.json"
    if state == "nested":
        file.write_text("[" * 100_000 + "]" * 100_000)
    elif state == "not-utf8":
        file.write_bytes(b"\xff\xfe{}")
    elif isinstance(state, dict):
        good = json.loads(file.read_text())
        file.write_text(json.dumps({**good, **state}))
    else:
        file.write_text(json.dumps(state))
    with pytest.raises(CheckpointError, match=match):
        LSTMTrainer(tiny(), run, resume=True)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("history", 5),
        ("history", [1, 2]),
        ("numpy_rng", []),
        ("numpy_rng", {"x": 1}),
        ("config", 3),
    ],
)
def test_trainer_state_fields_of_the_wrong_type(finished_run, tmp_path, key, value):
    run = _copy(finished_run, tmp_path)
    file = latest_checkpoint(run) / "trainer_state.json"
    good = json.loads(file.read_text())
    file.write_text(json.dumps({**good, key: value}))
    with pytest.raises(CheckpointError, match="corrupt"):
        LSTMTrainer(tiny(), run, resume=True)


# --- one loader contract ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"env_id": "NoSuchEnv-v0"}, {"env_kwargs": {"n_arms": 0}}, {"env_kwargs": {"bogus": 1}}],
    ids=repr,
)
def test_lstm_loader_raises_checkpoint_errors(finished_run, tmp_path, change):
    run = _copy(finished_run, tmp_path)
    cfg = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**cfg, **change}))
    with pytest.raises(CheckpointError, match=re.escape(str(run))):
        LSTMAgent.load(run)


# --- class 8: batch size does not change a score ---------------------------------------------------


@pytest.mark.parametrize("env_id", ["MetaPredictGaussian-v0", "MetaBandit-v0"])
def test_batch_size_does_not_change_traces(env_id):
    agent = LSTMAgent(tiny(env_id=env_id, hidden_size=32, embed_size=32))
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in agent.net.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))
    # 40 = 37 + 3: the last batch of the first run has 3 episodes (a small-matrix kernel)
    runs = [
        score(agent, env_id, episodes=40, seed=0, batch_size=b, record_traces=True)
        for b in (37, 40, 1)
    ]
    ref = runs[1].traces
    for other in (runs[0].traces, runs[2].traces):
        for name in ("action", "agent_output", "agent_state", "obs", "reward"):
            np.testing.assert_array_equal(getattr(other, name), getattr(ref, name), err_msg=name)


def test_rows_do_not_depend_on_the_batch_below_and_above_the_padding():
    agent = LSTMAgent(tiny(env_id="MetaPredictCategorical-v0", hidden_size=32, embed_size=32))
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(3, 300, agent.task.obs_dim))

    def run(b):
        s = agent.initial_state(b)
        for t in range(3):
            s = agent.update(s, obs[t, :b])
        return agent.output(s)

    full = run(300)
    for b in (1, 2, 3, 5, 7, 9, MIN_BATCH - 1, MIN_BATCH, MIN_BATCH + 1, 299):
        np.testing.assert_array_equal(run(b), full[:b], err_msg=f"batch {b}")


# --- RecurrentPPO: reused folder, seed, interruption -----------------------------------------------

TINY = rp.RecurrentPPOConfig(
    num_envs=8,
    n_steps=20,
    batch_size=80,
    n_epochs=1,
    hidden_size=8,
    embed_size=4,
    total_timesteps=640,
    checkpoint_every=1,
)


def _state(run: Path) -> dict:
    """The trainer state of a RecurrentPPO run's newest checkpoint."""
    return json.loads((latest_checkpoint(run) / "trainer_state.json").read_text())


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rppo") / "run"
    rp.train(TINY, out)
    return out


def test_recurrent_ppo_refuses_a_folder_holding_a_run(ppo_run, tmp_path):
    run = _copy(ppo_run, tmp_path)
    with pytest.raises(InvalidArgumentError, match="already holds a run"):
        rp.train(TINY.replace(seed=1), run)


def test_recurrent_ppo_resume_of_another_seed_is_refused(ppo_run, tmp_path):
    run = _copy(ppo_run, tmp_path)
    with pytest.raises(CheckpointError, match=r"belongs to another run.*seed=0.*seed=1"):
        rp.train(TINY.replace(seed=1), run, resume=True)


def test_recurrent_ppo_overwrite(ppo_run, tmp_path):
    run = _copy(ppo_run, tmp_path)
    (run / ".model.safetensors.x.tmp.safetensors").write_bytes(b"killed write")
    cfg = TINY.replace(total_timesteps=160, seed=2)
    rp.train(cfg, run, overwrite=True)
    assert json.loads((run / "config.json").read_text())["seed"] == 2
    assert _state(run)["timesteps"] == 160
    assert not any(p.name.startswith(".") for p in run.iterdir())


class _Interrupt(Exception):
    pass


def _train_interrupted(out: Path, monkeypatch, after_rollouts: int, config=TINY) -> None:
    real = RecipeCallback._on_rollout_start

    def interrupting(self):
        real(self)
        if self.state.rollouts == after_rollouts:
            raise _Interrupt

    with monkeypatch.context() as m:
        m.setattr(RecipeCallback, "_on_rollout_start", interrupting)
        with pytest.raises(_Interrupt):
            rp.train(config, out)


@pytest.mark.parametrize("vectorization", ["native", "dummy"])
def test_recurrent_ppo_interrupted_and_resumed_equals_uninterrupted(
    tmp_path, monkeypatch, vectorization
):
    cfg = TINY.replace(vectorization=vectorization)
    full = tmp_path / "full"
    rp.train(cfg, full)
    part = tmp_path / "part"
    _train_interrupted(part, monkeypatch, after_rollouts=2, config=cfg)
    assert _state(part)["timesteps"] == 320  # saved after the second rollout's update
    rp.train(cfg, part, resume=True)
    from safetensors.torch import load_file

    a, b = (load_file(str(o / "model.safetensors")) for o in (full, part))
    assert sorted(a) == sorted(b)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)
    opt_a, opt_b = (
        torch.load(latest_checkpoint(o) / "optimizer.pt", weights_only=True) for o in (full, part)
    )
    for k, v in opt_a["state"].items():
        for name in ("exp_avg", "exp_avg_sq"):
            assert torch.equal(v[name], opt_b["state"][k][name])
    states = [_state(o) for o in (full, part)]
    assert [st["timesteps"] for st in states] == [640, 640]
    assert states[1]["sessions"] == 2
    rows = (part / "train_log.csv").read_text().splitlines()
    assert len(rows) == 1 + 640 // 160


@pytest.mark.parametrize(
    "content", [b"\xff\xfe{}", b"[" * 100_000, None], ids=["latin1", "deep", "folder"]
)
def test_recurrent_ppo_config_files(tmp_path, content):
    path = tmp_path / "cfg.json"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(InvalidArgumentError, match=r"config file .* is not (readable|valid JSON)"):
        rp.RecurrentPPOConfig.from_json(path)


@pytest.mark.parametrize(
    "change",
    [{"env_id": "NoSuchEnv-v0"}, {"env_kwargs": {"bogus": 1}}, {"env_kwargs": {"n_arms": 0}}],
    ids=repr,
)
def test_recurrent_ppo_loader_raises_checkpoint_errors(ppo_run, tmp_path, change):
    run = _copy(ppo_run, tmp_path)
    meta = json.loads((run / "config.json").read_text())
    assert meta["env_id"] == "MetaBandit-v0"  # flat: the env is a field of the config
    (run / "config.json").write_text(json.dumps({**meta, **change}))
    with pytest.raises(CheckpointError, match=re.escape(str(run))):
        rp.load_agent(run)
