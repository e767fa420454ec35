"""Tests of the sb3-contrib RecurrentPPO recipe: config, vectorisation, training, saving, loading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sb3_contrib")
torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

import gymnasium as gym  # noqa: E402

from bayes_meta_envs.agents import recurrent_ppo as rp  # noqa: E402
from bayes_meta_envs.agents.recurrent_ppo.policy import build_model  # noqa: E402
from bayes_meta_envs.agents.run_folder import latest_checkpoint  # noqa: E402
from bayes_meta_envs.errors import (  # noqa: E402
    CheckpointError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    UnknownEnvironmentError,
)

TINY = rp.RecurrentPPOConfig(
    num_envs=8,
    n_steps=20,
    batch_size=80,
    n_epochs=2,
    hidden_size=8,
    embed_size=4,
    total_timesteps=480,
    seed=3,
)


def _state(run: Path) -> dict:
    """The trainer state of the run's newest checkpoint."""
    return json.loads((latest_checkpoint(run) / "trainer_state.json").read_text())


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rppo") / "agent"
    run = rp.train(TINY, out)
    assert (run.path, run.algo, run.env_steps) == (out, "recurrent-ppo", 480)
    return run.path


# ---------------------------------------------------------------------------------------------
# config


def test_config_json_round_trip(tmp_path: Path) -> None:
    cfg = rp.RecurrentPPOConfig(num_envs=4, learning_rate=5e-4, lr_schedule="constant", gamma=0.99)
    path = tmp_path / "cfg.json"
    cfg.save(path)
    back = rp.RecurrentPPOConfig.from_json(path)
    assert back == cfg
    assert json.loads(path.read_text())["num_envs"] == 4
    assert rp.RecurrentPPOConfig.from_json(cfg.to_json()) == cfg


def test_config_rejects_bad_values() -> None:
    with pytest.raises(InvalidArgumentError, match=r"num_envs must be an int >= 1, got 0"):
        rp.RecurrentPPOConfig(num_envs=0)
    with pytest.raises(InvalidArgumentTypeError, match=r"batch_size must be an int"):
        rp.RecurrentPPOConfig(batch_size=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"gamma must be a float in \[0, 1\], got 1.5"):
        rp.RecurrentPPOConfig(gamma=1.5)
    with pytest.raises(InvalidArgumentError, match=r"vectorization must be 'native' or 'dummy'"):
        rp.RecurrentPPOConfig(vectorization="subproc")  # type: ignore[arg-type]
    with pytest.raises(
        InvalidArgumentError,
        match=r"config has unknown keys \['lstm_size'\]; .* fields are .*'num_envs'",
    ):
        rp.RecurrentPPOConfig.from_dict({"lstm_size": 3})


def test_config_from_saved_agent_config(trained: Path) -> None:
    assert rp.RecurrentPPOConfig.from_json(trained / "config.json") == TINY


# ---------------------------------------------------------------------------------------------
# vectorisation


def _run(venv: object, actions: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    steps = []
    obs = venv.reset()  # type: ignore[attr-defined]
    for a in actions:
        nxt, rew, done, infos = venv.step(a)  # type: ignore[attr-defined]
        steps.append((obs, nxt, rew, done, infos))
        obs = nxt
    return steps


@pytest.mark.parametrize("vectorization", ["native", "dummy"])
def test_sb3_vec_env_autoreset(vectorization: str) -> None:
    """SB3's contract: done at the horizon, terminal obs in infos, reset obs returned."""
    n, horizon = 3, 4
    venv = rp.make_sb3_vec_env(
        "MetaBandit-v0",
        {"horizon": horizon},
        n,
        seed=5,
        vectorization=vectorization,  # type: ignore[arg-type]
    )
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 2, size=(3 * horizon, n))
    steps = _run(venv, actions)
    returns = np.zeros(n)
    for t, (_, nxt, rew, done, infos) in enumerate(steps):
        returns += rew
        end = (t + 1) % horizon == 0
        assert done.tolist() == [end] * n
        if not end:
            # the observation is [one-hot previous action | previous reward]
            onehot = np.eye(2)[actions[t]]
            np.testing.assert_array_equal(nxt[:, :2], onehot)
            np.testing.assert_array_equal(nxt[:, 2], rew)
            continue
        np.testing.assert_array_equal(nxt, 0.0)  # first observation of the next episode
        for i, info in enumerate(infos):
            term = info["terminal_observation"]
            assert term[actions[t, i]] == 1.0 and term[2] == rew[i]
            assert info["episode"]["l"] == horizon
            assert info["episode"]["r"] == pytest.approx(returns[i])
        returns[:] = 0.0
    venv.close()


def test_native_adapter_matches_single_env_episodes() -> None:
    """The native env's sub-env i, episode k equals the single env's episode k * N + i."""
    n, horizon = 2, 3
    venv = rp.make_sb3_vec_env("MetaBandit-v0", {"horizon": horizon}, n, seed=11)
    actions = np.array([[0, 1], [1, 1], [0, 0]] * 2)
    steps = _run(venv, actions)
    got = np.array([s[2] for s in steps])  # (2 * horizon, n)
    env = gym.make("MetaBandit-v0", horizon=horizon)
    env.reset(seed=11)
    for k in range(2):
        for i in range(n):
            if k or i:
                env.reset()
            want = [env.step(int(actions[k * horizon + t, i]))[1] for t in range(horizon)]
            np.testing.assert_array_equal(got[k * horizon : (k + 1) * horizon, i], want)


def test_native_adapter_rejects_other_envs() -> None:
    venv = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync")
    with pytest.raises(UnknownEnvironmentError, match="native vector env"):
        rp.wrap_native_vec_env(venv)


# ---------------------------------------------------------------------------------------------
# training, saving, loading


def test_train_writes_folder_and_reloads_identically(trained: Path) -> None:
    meta = json.loads((trained / "config.json").read_text())
    assert meta["algo"] == "recurrent-ppo"
    assert meta["env_id"] == "MetaBandit-v0"
    assert _state(trained)["timesteps"] == TINY.total_timesteps
    saved = safetensors_torch.load_file(str(trained / "model.safetensors"))
    model = rp.load_model(trained)
    params = model.policy.state_dict()
    for key, value in saved.items():
        torch.testing.assert_close(params[key], value, rtol=0, atol=0)
    # every parameter of the network was saved (shared aliases restored by the loader)
    shared = {k for k in params if k.startswith(("pi_features", "vf_features"))}
    assert set(params) - shared <= set(saved) | shared
    # training moved the weights away from a fresh initialisation
    fresh = build_model(TINY, rp.make_sb3_vec_env("MetaBandit-v0", None, 1, 0))
    moved = [
        not torch.equal(fresh.policy.state_dict()[k], v)
        for k, v in saved.items()
        if k.startswith(("lstm_actor", "action_net"))
    ]
    assert all(moved)


def test_loaded_model_predicts(trained: Path) -> None:
    model = rp.load_model(trained)
    obs = np.zeros((4, 3), dtype=np.float32)
    actions, state = model.predict(obs, state=None, episode_start=np.ones(4, dtype=bool))
    assert actions.shape == (4,) and set(actions.tolist()) <= {0, 1}
    assert state is not None
    assert state[0].shape == (1, 4, TINY.hidden_size)


def test_load_agent_is_an_agent(trained: Path) -> None:
    pytest.importorskip("bayes_meta_envs.agents.adapters")
    agent = rp.load_agent(trained)
    s = agent.update(agent.initial_state(5), np.zeros((5, 3)))
    probs = agent.output(s)
    assert probs.shape == (5, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)


def test_resume_continues_step_count(trained: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "resumed"
    shutil.copytree(trained, out)
    with pytest.raises(CheckpointError, match=r"belongs to another run.*n_epochs"):
        rp.train(TINY.replace(n_epochs=3), out, resume=True)
    before = (out / "model.safetensors").read_bytes()
    # the saved run reached its total_timesteps: resuming leaves it as it is
    run = rp.train(TINY, out, resume=True)
    assert (out / "model.safetensors").read_bytes() == before
    assert run.env_steps == 480
    # total_timesteps is a run-control field: training continues from 480 steps to 640
    rp.train(TINY.replace(total_timesteps=640), out, resume=True)
    assert _state(out)["timesteps"] == 640
    assert _state(out)["sessions"] == 2
    rows = (out / "train_log.csv").read_text().splitlines()
    assert len(rows) == 1 + 640 // 160  # header + one row per rollout across both sessions


def test_budget_stops_training(tmp_path: Path) -> None:
    cfg = TINY.replace(total_timesteps=10**9, budget_minutes=0.02)
    run = rp.train(cfg, tmp_path / "b")
    assert run.stopped_by_budget
    assert _state(run.path)["timesteps"] == run.env_steps < 10**6
    assert run.wall_seconds < 60


def test_train_leaves_global_random_state_alone(tmp_path: Path) -> None:
    import random

    np_before = np.random.get_state()[1].copy()
    torch_before = torch.get_rng_state().clone()
    py_before = random.getstate()
    rp.train(TINY.replace(total_timesteps=160, seed=1), tmp_path / "g")
    assert np.array_equal(np.random.get_state()[1], np_before)
    assert torch.equal(torch.get_rng_state(), torch_before)
    assert random.getstate() == py_before


def test_train_leaves_no_folder_in_the_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SB3's learn() without a logger of the model's own makes an empty SB3-<date> folder there
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    rp.train(TINY.replace(total_timesteps=160, seed=1), tmp_path / "t")
    assert list(temp.glob("SB3-*")) == []


def test_train_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(UnknownEnvironmentError, match="'NoSuchEnv-v0'"):
        rp.train(TINY.replace(env_id="NoSuchEnv-v0"), tmp_path)
    with pytest.raises(InvalidArgumentError, match="budget_minutes must be None or a number"):
        TINY.replace(budget_minutes=0.0)
    with pytest.raises(InvalidArgumentTypeError, match="config must be a RecurrentPPOConfig"):
        rp.train({"num_envs": 2}, tmp_path)  # type: ignore[arg-type]
    with pytest.raises(
        InvalidArgumentTypeError, match="the env, the seed and the budget are config fields"
    ):
        rp.train("MetaBandit-v0", tmp_path)  # type: ignore[arg-type]
    with pytest.raises(CheckpointError, match=r"cannot resume: no checkpoint"):
        rp.train(TINY, tmp_path, resume=True)


def test_old_run_folder_and_config_load(tmp_path: Path) -> None:
    # 0.2's RecurrentPPO folder (the zoo's): a nested config.json with 0.2's names
    from bayes_meta_envs.agents import load, zoo

    folder = zoo.zoo_path("recurrent-ppo-metabandit")
    meta = json.loads((folder / "config.json").read_text())
    assert "config" in meta and "n_envs" in meta["config"]  # still the 0.2 format
    cfg = rp.RecurrentPPOConfig.from_json(folder / "config.json")
    assert (cfg.num_envs, cfg.hidden_size, cfg.env_id) == (
        meta["config"]["n_envs"],
        meta["config"]["lstm_hidden_size"],
        meta["env_id"],
    )
    agent = load(folder)
    probs = agent.output(agent.update(agent.initial_state(3), np.zeros((3, 3))))
    assert probs.shape == (3, 2)
    # both names at once is ambiguous
    with pytest.raises(InvalidArgumentError, match=r"'n_envs' .* and 'num_envs'"):
        rp.RecurrentPPOConfig.from_dict({"n_envs": 2, "num_envs": 3})


# ---------------------------------------------------------------------------------------------
# broken folders


def _copy(trained: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(trained, out)
    return out


def test_load_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist or is not a folder"):
        rp.load_model(tmp_path / "nothing")


def test_load_missing_files(trained: Path, tmp_path: Path) -> None:
    folder = _copy(trained, tmp_path)
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"model\.safetensors' is missing"):
        rp.load_model(folder)
    (folder / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"has no config\.json"):
        rp.load_agent(folder)


def test_load_corrupt_files(trained: Path, tmp_path: Path) -> None:
    folder = _copy(trained, tmp_path)
    (folder / "model.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match="is corrupt or unreadable"):
        rp.load_model(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="is not valid JSON"):
        rp.load_model(folder)


def test_load_wrong_algo_or_shapes(trained: Path, tmp_path: Path) -> None:
    folder = _copy(trained, tmp_path)
    meta = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**meta, "algo": "lstm"}))
    with pytest.raises(CheckpointError, match="has algo='lstm'; expected 'recurrent-ppo'"):
        rp.load_model(folder)
    meta["hidden_size"] = 16
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="does not match the network"):
        rp.load_model(folder)
    meta["num_envs"] = -1
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="invalid config: num_envs must be"):
        rp.load_model(folder)


def test_import_is_lazy() -> None:
    """Importing the sub-package and reading RecurrentPPOConfig imports neither torch nor SB3."""
    code = (
        "import sys, bayes_meta_envs, bayes_meta_envs.agents.recurrent_ppo as rp\n"
        "rp.RecurrentPPOConfig(num_envs=2).to_json()\n"
        "assert rp.ALGO == 'recurrent-ppo' and 'train' in rp.__all__\n"
        "bad = [m for m in ('torch', 'stable_baselines3', 'sb3_contrib') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "assert callable(rp.train) and 'torch' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_names_stay_functions() -> None:
    """``rp.train`` is the function even once the ``training`` module has been imported."""
    import importlib

    importlib.import_module("bayes_meta_envs.agents.recurrent_ppo.training")
    importlib.import_module("bayes_meta_envs.agents.recurrent_ppo.io")
    assert callable(rp.train) and rp.train.__name__ == "train"
    assert rp.load_agent.__module__ == "bayes_meta_envs.agents.recurrent_ppo.io"
    assert issubclass(rp.NativeVecEnv, __import__("stable_baselines3").common.vec_env.VecEnv)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        rp.nothing  # noqa: B018


def test_missing_dependency_names_the_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['sb3_contrib'] = None\n"
        "import bayes_meta_envs.agents.recurrent_ppo as rp\n"
        "from bayes_meta_envs.errors import MissingDependencyError\n"
        "rp.RecurrentPPOConfig()\n"
        "try:\n"
        "    rp.load_agent\n"
        "except MissingDependencyError as exc:\n"
        "    assert 'train' in str(exc) and 'sb3_contrib' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('no MissingDependencyError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
