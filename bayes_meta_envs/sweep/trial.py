"""One trial of a sweep, run by Ray Tune in a worker process: :func:`run_trial`.

The trial trains one run into its normal run folder (``config.json``, ``checkpoints/``,
``history.json``, ``model.safetensors``) with the package's own trainer, reports every new
evaluation record to Tune (:func:`ray.tune.report`), and finally scores the trained agent
(:func:`~bayes_meta_envs.scoring.score`, written as ``score.json``).

Checkpoints: each new LSTM checkpoint of the run folder is also handed to Tune (a copy of the
``checkpoints/ckpt_NNNNNN`` folder beside a small ``sweep_trial.json``). When Tune restarts the
trial (the sweep was interrupted and started again, or Tune's fault tolerance retries it),
:func:`ray.tune.get_checkpoint` returns the last one: it is put back into the run folder (when
missing there) and the trainer resumes from the newest checkpoint of the run folder (a checkpoint
written just before the interruption and not yet handed to Tune counts too, when the run folder
holds this trial's config), so the run ends with the same weights as an uninterrupted one (on
CPU). Without a Tune checkpoint or a matching run folder the trial starts afresh.
A RecurrentPPO trial hands Tune nothing until it has trained; restarted, it resumes from the
recipe's periodic save in its run folder when that folder holds this trial's run.

Needs Ray Tune (the ``sweep`` extra) and torch (the ``train`` extra), imported at the top.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from ray import tune

from bayes_meta_envs._io import atomic_write_text, jsonable
from bayes_meta_envs.agents import recurrent_ppo, run_folder, zoo
from bayes_meta_envs.agents.lstm.checkpoint import CHECKPOINT_DIR, latest_checkpoint
from bayes_meta_envs.agents.lstm.config import LSTMConfig
from bayes_meta_envs.agents.lstm.trainer import LSTMTrainer
from bayes_meta_envs.errors import BayesMetaError
from bayes_meta_envs.scoring import score
from bayes_meta_envs.sweep.spec import TrialSpec
from bayes_meta_envs.sweep.summary import SCORE_FILE

__all__ = ["TRIAL_STATE", "run_trial"]

#: The file of a Tune checkpoint that names the run-folder checkpoint beside it.
TRIAL_STATE = "sweep_trial.json"


def _holds_lstm_run(run_dir: Path, config: LSTMConfig) -> bool:
    """Whether the run folder ``run_dir`` holds an LSTM run of ``config``."""
    try:
        return LSTMConfig.from_dict(run_folder.read_config(run_dir, algo="lstm")) == config
    except BayesMetaError:
        return False


def _holds_recurrent_ppo_run(
    run_dir: Path, trial: TrialSpec, config: recurrent_ppo.RecurrentPPOConfig
) -> bool:
    """Whether ``run_dir`` holds a RecurrentPPO run (a periodic save) of this trial."""
    try:
        saved = run_folder.read_config(run_dir, algo="recurrent-ppo")
    except BayesMetaError:
        return False
    return (
        saved.get("env_id") == trial.env_id
        and saved.get("env_kwargs") == jsonable(trial.env_kwargs)
        and saved.get("seed") == trial.seed
        and saved.get("config") == config.to_dict()
    )


class _Session:
    """The trial's side of Tune: its wall clock over sessions, and what it has reported."""

    def __init__(self, run_dir: Path, holds_trial: Callable[[Path], bool]) -> None:
        self.run_dir = run_dir
        self.start = time.perf_counter()
        self.prior_seconds = 0.0
        self.reported_evals = 0
        self.reported_ckpt: str | None = None
        self.restored: dict[str, Any] | None = None
        checkpoint = tune.get_checkpoint()
        if checkpoint is not None:
            with checkpoint.as_directory() as d:
                self.restored = json.loads((Path(d) / TRIAL_STATE).read_text(encoding="utf-8"))
                name = self.restored.get("checkpoint")
                if name is not None:  # put the run-folder checkpoint back when it is missing
                    target = run_dir / CHECKPOINT_DIR / name
                    if not target.is_dir():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copytree(Path(d) / name, target)
            self.prior_seconds = float(self.restored["trial_seconds"])
            self.reported_ckpt = name
        elif run_dir.exists() and not holds_trial(run_dir):
            shutil.rmtree(run_dir)  # a fresh start: nothing of another attempt is kept

    def seconds(self) -> float:
        return self.prior_seconds + time.perf_counter() - self.start

    def report(self, metrics: dict[str, Any], ckpt: Path | None = None, **state: Any) -> None:
        """Report ``metrics`` to Tune, with a Tune checkpoint when there is a new run-folder
        checkpoint ``ckpt`` or trial ``state`` to keep (it holds the last run-folder checkpoint
        reported, so that a restart finds it)."""
        metrics = {**metrics, "trial_seconds": self.seconds()}
        if ckpt is None and not state:
            tune.report(metrics)
            return
        name = ckpt.name if ckpt is not None else self.reported_ckpt
        state = {**state, "checkpoint": name, "trial_seconds": metrics["trial_seconds"]}
        with tempfile.TemporaryDirectory(prefix="bayes-meta-sweep-") as tmp:
            if name is not None:
                shutil.copytree(self.run_dir / CHECKPOINT_DIR / name, Path(tmp) / name)
            (Path(tmp) / TRIAL_STATE).write_text(json.dumps(state), encoding="utf-8")
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))
        self.reported_ckpt = name


def _lstm(trial: TrialSpec, run_dir: Path, threads: int) -> Any:
    fields = {"num_threads": threads, **trial.config}
    config = LSTMConfig.from_dict(
        {**fields, "env_id": trial.env_id, "env_kwargs": trial.env_kwargs, "seed": trial.seed}
    )
    torch.set_num_threads(config.num_threads)
    # the run folder's own checkpoints count too: one written just before an interruption, and
    # not yet handed to Tune, is resumed from rather than trained again
    session = _Session(run_dir, lambda d: _holds_lstm_run(d, config))
    trainer = LSTMTrainer(config, run_dir, resume=latest_checkpoint(run_dir) is not None)
    session.reported_evals = len(trainer.history)

    def report(tr: LSTMTrainer, _logs: Any = None) -> None:
        # each new evaluation record as it is (its own update count), then a new checkpoint
        for record in tr.history[session.reported_evals :]:
            session.report(dict(record))
        session.reported_evals = len(tr.history)
        ck = latest_checkpoint(run_dir)
        if ck is not None and ck.name != session.reported_ckpt:
            session.report({"update": tr.update_count}, ck)

    trainer.train(progress=False, callback=report)
    report(trainer)  # the final evaluation and checkpoint
    return session, trainer.agent()


def _recurrent_ppo(trial: TrialSpec, run_dir: Path, threads: int) -> Any:
    fields = dict(trial.config)
    budget = fields.pop("budget_minutes", None)
    config = recurrent_ppo.RecurrentPPOConfig.from_dict(fields)
    torch.set_num_threads(threads)
    session = _Session(run_dir, lambda d: _holds_recurrent_ppo_run(d, trial, config))
    if session.restored is None or not session.restored.get("trained"):
        # sb3-contrib is imported here, on first use, not by the LSTM trials; a retried or
        # restarted trial resumes from the recipe's periodic save in its run folder (the
        # session kept the folder only when it holds this trial's run)
        resume = (run_dir / run_folder.CONFIG_FILE).is_file()
        recurrent_ppo.train(
            trial.env_id, trial.env_kwargs, config, budget, run_dir, resume, trial.seed
        )
        session.report({}, trained=True)
    return session, zoo.load(run_dir)


def run_trial(params: dict[str, Any]) -> None:
    """The Tune trainable: train, report and score one trial.

    ``params["point"]`` holds ``trial`` (a :class:`TrialSpec` as a dict), ``run_dir`` (its run
    folder) and ``threads`` (torch threads, unless the config sets ``num_threads``).
    """
    point = params["point"]
    trial = TrialSpec.from_dict(point["trial"])
    run_dir = Path(point["run_dir"])
    threads = int(point["threads"])
    train = _lstm if trial.algo == "lstm" else _recurrent_ppo
    session, agent = train(trial, run_dir, threads)
    report = score(
        agent,
        trial.env_id,
        env_kwargs=trial.env_kwargs,
        episodes=trial.score_episodes,
        seed=trial.score_seed,
        progress=False,
        agent_name=trial.name,
    )
    atomic_write_text(run_dir / SCORE_FILE, report.to_json())
    name = "bayes_gap_q" if report.env_kind == "bandit" else "excess_log_loss"
    est = report.metric(name)
    final = {"final_" + name: None if est is None else est.mean, "done": True}
    session.report(final, None, trained=True, scored=True)
