"""Sweeps on a local Ray started by these tests (2 CPUs): run folders, summary, restore,
interruption, failing trials; and no Ray process left behind.

One Ray instance serves the module (started and shut down by the ``ray_session`` fixture); the
interrupted sweep is the command run as a user runs it, with a local Ray of its own, stopped with
SIGINT, then resumed on the module's Ray.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from bayes_meta_envs.agents import load  # noqa: E402
from bayes_meta_envs.agents.run_folder import load_tensors  # noqa: E402
from bayes_meta_envs.cli import main  # noqa: E402
from bayes_meta_envs.scoring import score  # noqa: E402
from bayes_meta_envs.sweep import SweepSpec, read_summary, run_sweep  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")

CONFIG = {
    "hidden_size": 8,
    "embed_size": 8,
    "num_envs": 16,
    "total_updates": 20,
    "ppo_epochs": 1,
    "ppo_minibatches": 2,
    "eval_every": 10,
    "eval_episodes": 64,
    "checkpoint_every": 5,
    "tensorboard": False,
}
# horizon 10: half the default's training and Bayes-optimal tables
SPEC = SweepSpec(
    envs=[("MetaBandit-v0", {"horizon": 10}), ("MetaPredictBernoulli-v0", {"horizon": 10})],
    seeds=2,
    config=CONFIG,
    score_episodes=200,
)
# the bandit half of SPEC: its trials are SPEC's first two
BANDIT_SPEC = SweepSpec(envs=SPEC.envs[:1], seeds=2, config=CONFIG, score_episodes=200)
RUN_FILES = ("config.json", "history.json", "model.safetensors", "score.json")


def _ray_processes(session_dir: str) -> list[str]:
    """Command lines of the processes that belong to the Ray session ``session_dir``."""
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True)
    return [line for line in ps.stdout.splitlines() if session_dir in line]


@pytest.fixture(scope="module")
def ray_session():
    ctx = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    session_dir = ctx.address_info["session_dir"]
    yield ctx
    ray.shutdown()
    deadline = time.monotonic() + 20
    while _ray_processes(session_dir) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _ray_processes(session_dir) == [], "Ray processes left behind"


@pytest.fixture(scope="module")
def tiny(ray_session, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "tiny"
    return run_sweep(SPEC, out)


def _snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def _weights(run_dir: str | Path) -> dict[str, torch.Tensor]:
    return load_tensors(Path(run_dir) / "model.safetensors")


def test_tiny_sweep_writes_loadable_run_folders(tiny):
    assert [r.status for r in tiny.rows] == ["ok"] * 4
    assert [(r.env_id, r.seed) for r in tiny.rows] == [
        ("MetaBandit-v0", 0),
        ("MetaBandit-v0", 1),
        ("MetaPredictBernoulli-v0", 0),
        ("MetaPredictBernoulli-v0", 1),
    ]
    assert [r.metric for r in tiny.rows] == ["bayes_gap_q"] * 2 + ["excess_log_loss"] * 2
    for row in tiny.rows:
        run = Path(row.run_dir)
        assert run.parent == Path(tiny.out_dir) / "runs"
        for name in RUN_FILES:
            assert (run / name).is_file(), f"{run} lacks {name}"
        assert (run / "checkpoints" / "ckpt_000020").is_dir()
        history = json.loads((run / "history.json").read_text())
        assert [h["update"] for h in history] == [0, 10, 20]
        config = json.loads((run / "config.json").read_text())
        assert (config["env_id"], config["seed"], config["num_threads"]) == (
            row.env_id,
            row.seed,
            1,
        )
        # every evaluation went to Tune as the run trained (the trial's results in tune/)
        results = Path(tiny.out_dir) / "tune" / row.trial / "result.json"
        reported = [json.loads(line) for line in results.read_text().splitlines()]
        evals = [r for r in reported if row.metric in r]
        assert [r["update"] for r in evals] == [h["update"] for h in history]
        assert [r[row.metric] for r in evals] == [h[row.metric] for h in history]
        assert reported[-1]["done"] is True
        # the summary's value is the score of the saved agent: scoring it again agrees exactly
        agent = load(run)
        report = score(agent, row.env_id, env_kwargs={"horizon": 10}, episodes=200, seed=0)
        assert report.metric(row.metric).mean == pytest.approx(row.value, abs=1e-12)
        assert row.wall_seconds is not None and row.wall_seconds > 0
    # two seeds give two different networks
    w0, w1 = _weights(tiny.rows[0].run_dir), _weights(tiny.rows[1].run_dir)
    assert any(not torch.equal(w0[k], w1[k]) for k in w0)
    again = read_summary(tiny.out_dir)
    assert again == tiny
    md = (Path(tiny.out_dir) / "summary.md").read_text()
    assert md.count("| ok |") == 4


def test_rerun_trains_nothing_new(tiny):
    runs = Path(tiny.out_dir) / "runs"
    before = _snapshot(runs)
    again = run_sweep(SPEC, tiny.out_dir)
    assert _snapshot(runs) == before
    assert again.rows == tiny.rows


def _ray_daemons() -> set[str]:
    """The pids of the Ray daemons (raylet, GCS server) now running on this machine."""
    ps = subprocess.run(["ps", "-eo", "pid,comm"], capture_output=True, text=True, check=True)
    return {
        line.split()[0]
        for line in ps.stdout.splitlines()[1:]
        if line.split()[-1] in ("raylet", "gcs_server")
    }


def test_interrupted_command_resumes_to_the_same_weights(tiny, tmp_path):
    # the command as a user runs it (its own local Ray), stopped with Ctrl-C once a checkpoint
    # is in; then the same sweep started again (here from Python, on this module's Ray)
    config = tmp_path / "base.json"
    config.write_text(json.dumps(CONFIG))
    out = tmp_path / "interrupted"
    argv = ["sweep", "--envs", "MetaBandit-v0", "--env-kwargs", '{"horizon": 10}', "--seeds", "2"]
    argv += ["--config", str(config), "--score-episodes", "200", "--out", str(out)]
    before = _ray_daemons()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bayes_meta_envs.cli", *argv, "--num-cpus", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not list(out.glob("tune/*/checkpoint_*")):
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no checkpoint reported in 180 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, stderr[-3000:]
    assert "unfinished" in stdout
    deadline = time.monotonic() + 20
    while _ray_daemons() - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _ray_daemons() - before == set(), "the command left its Ray running"
    runs = sorted((out / "runs").iterdir())
    mid_way = [r for r in runs if (r / "checkpoints").is_dir() and not (r / "score.json").exists()]
    assert mid_way, "the interruption came too late: no trial was stopped mid-way"
    # resumed, not started over: the checkpoints written before the interruption stay as they are
    kept = {str(p): p.stat().st_mtime_ns for r in mid_way for p in r.glob("checkpoints/*/*")}
    assert kept

    resumed = run_sweep(BANDIT_SPEC, out)  # the same sweep as the command's (sweep.json agrees)
    assert {p: Path(p).stat().st_mtime_ns for p in kept} == kept
    assert [r.status for r in resumed.rows] == ["ok"] * 2
    assert [r.trial for r in resumed.rows] == [r.trial for r in tiny.rows[:2]]
    for a, b in zip(tiny.rows[:2], resumed.rows):
        wa, wb = _weights(a.run_dir), _weights(b.run_dir)
        assert wa.keys() == wb.keys()
        for k in wa:
            assert torch.equal(wa[k], wb[k]), f"{b.trial}: {k} differs after the resume"
        assert (a.metric, a.value, a.ci95) == (b.metric, b.value, b.ci95)


def test_invalid_grid_value_is_refused_before_any_trial(tmp_path, capsys):
    # issue 34: every trial's config is built before Ray or any folder, so a bad value in the
    # grid is one line and exit status 2, not a failed trial after the others ran
    config = tmp_path / "base.json"
    config.write_text(json.dumps({**CONFIG, "total_updates": 5, "eval_every": 5}))
    out = tmp_path / "bad"
    argv = ["sweep", "--envs", "MetaPredictBernoulli-v0", "--seeds", "1", "--config", str(config)]
    argv += ["--grid", '{"hidden_size": [8, -1]}', "--score-episodes", "50", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hidden_size" in err[0] and "-1" in err[0], err
    assert not out.exists()


PPO_CONFIG = {
    "n_envs": 4,  # 0.2's name (num_envs): a sweep config may use it
    "n_steps": 10,
    "batch_size": 20,
    "n_epochs": 1,
    "hidden_size": 8,
    "embed_size": 8,
    "total_timesteps": 80,
}
PPO_SPEC = SweepSpec(
    envs=[("MetaPredictBernoulli-v0", {"horizon": 10})],
    algo="recurrent-ppo",
    config=PPO_CONFIG,
    score_episodes=50,
)


def test_recurrent_ppo_trial_writes_a_loadable_run_folder(ray_session, tmp_path):
    pytest.importorskip("sb3_contrib")
    (row,) = run_sweep(PPO_SPEC, tmp_path / "ppo").rows
    assert (row.status, row.metric) == ("ok", "excess_log_loss")
    saved = json.loads((Path(row.run_dir) / "config.json").read_text())
    assert saved["algo"] == "recurrent-ppo"
    assert (saved["total_timesteps"], saved["num_envs"]) == (80, 4)
    report = score(
        load(row.run_dir),
        "MetaPredictBernoulli-v0",
        env_kwargs={"horizon": 10},
        episodes=50,
        seed=0,
    )
    assert report.metric("excess_log_loss").mean == pytest.approx(row.value, abs=1e-12)


@pytest.mark.parametrize("same_run", [True, False])
def test_restarted_recurrent_ppo_trial_resumes_from_its_save(ray_session, tmp_path, same_run):
    pytest.importorskip("sb3_contrib")
    from bayes_meta_envs.agents import recurrent_ppo
    from bayes_meta_envs.sweep.spec import RUNS_DIR

    (trial,) = PPO_SPEC.trials()
    run_dir = tmp_path / "ppo" / RUNS_DIR / trial.name
    # an earlier attempt stopped after its first save (here: by a tiny budget); with another
    # seed the folder is another run's, which the trial must not continue
    seed = trial.seed if same_run else trial.seed + 1
    config = recurrent_ppo.RecurrentPPOConfig.from_dict(
        {**PPO_CONFIG, "env_id": trial.env_id, "env_kwargs": trial.env_kwargs, "seed": seed}
    )
    recurrent_ppo.train(config.replace(budget_minutes=1e-6), run_dir)
    before = _ppo_state(run_dir)
    assert 0 < before["timesteps"] < PPO_CONFIG["total_timesteps"]

    (row,) = run_sweep(PPO_SPEC, tmp_path / "ppo").rows
    saved = json.loads((run_dir / "config.json").read_text())
    after = _ppo_state(run_dir)
    assert row.status == "ok"
    assert saved["seed"] == trial.seed
    assert after["timesteps"] >= PPO_CONFIG["total_timesteps"]
    assert after["sessions"] == (2 if same_run else 1)


def _ppo_state(run_dir: Path) -> dict:
    from bayes_meta_envs.agents.run_folder import latest_checkpoint

    return json.loads((latest_checkpoint(run_dir) / "trainer_state.json").read_text())
