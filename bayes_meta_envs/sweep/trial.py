"""One trial of a sweep, run by Ray Tune in a worker process: :func:`run_trial`.

The trial trains one run into its normal run folder with its recipe's ``train`` (any recipe of
:mod:`bayes_meta_envs.agents.recipes`, through the one recipe protocol), reports every new
history record to Tune (:func:`ray.tune.report`), and finally scores the trained agent
(:func:`~bayes_meta_envs.scoring.score`, written as ``score.json``).

Checkpoints: the newest checkpoint of the run folder (``checkpoints/ckpt_NNNNNN``, every recipe
writes them) is also handed to Tune (a copy of the folder beside a small ``sweep_trial.json``),
at most once every :data:`TUNE_CHECKPOINT_SECONDS` and once more when training ends: a recipe
may checkpoint several times a second (the study's runs every 10 updates), and each Tune
checkpoint makes Tune snapshot the experiment.
When Tune restarts the trial (the sweep was interrupted and started again, or Tune's fault
tolerance retries it), :func:`ray.tune.get_checkpoint` returns the last one: it is put back into
the run folder (when missing there) and the recipe resumes from the newest checkpoint of the run
folder (a checkpoint written just before the interruption and not yet handed to Tune counts
too, when it holds this trial's run), so the run ends with the same weights as an uninterrupted
one (on CPU). Without a Tune checkpoint or a matching run folder the trial starts afresh.

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

import torch  # noqa: F401 - the recipes' training needs it; a missing one fails here
from ray import tune

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs.agents import recipes, run_folder, zoo
from bayes_meta_envs.agents._recipe import RecipeConfig
from bayes_meta_envs.agents.run_folder import CHECKPOINT_DIR, TrainEvent
from bayes_meta_envs.scoring import score
from bayes_meta_envs.sweep.spec import TrialSpec
from bayes_meta_envs.sweep.summary import SCORE_FILE
from bayes_meta_envs.task import KIND_TRAITS

__all__ = ["TRIAL_STATE", "run_trial"]

#: The file of a Tune checkpoint that names the run-folder checkpoint beside it.
TRIAL_STATE = "sweep_trial.json"

#: The least time between two checkpoints handed to Tune (the run folder keeps all of its own).
TUNE_CHECKPOINT_SECONDS = 30.0


def _holds_run(run_dir: Path, config: RecipeConfig) -> bool:
    """Whether the newest checkpoint of ``run_dir`` belongs to the run of ``config``."""
    saved = run_folder.checkpoint_run(run_dir)
    return saved is not None and not config.differences(saved)


class _Session:
    """The trial's side of Tune: its wall clock over sessions, and what it has reported."""

    def __init__(self, run_dir: Path, holds_trial: Callable[[Path], bool]) -> None:
        self.run_dir = run_dir
        self.start = time.perf_counter()
        self.prior_seconds = 0.0
        self.reported_ckpt: str | None = None
        self.reported_at = -float("inf")
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
        self.reported_at = time.perf_counter()

    def checkpoint_due(self, ckpt: Path) -> bool:
        """Whether ``ckpt`` is new and the last one handed to Tune is old enough."""
        waited = time.perf_counter() - self.reported_at
        return ckpt.name != self.reported_ckpt and waited >= TUNE_CHECKPOINT_SECONDS


def _trial_config(trial: TrialSpec, threads: int) -> RecipeConfig:
    """The trial's config: the sweep's settings, its env and seed, ``threads`` torch threads
    (unless the settings name ``num_threads``)."""
    fields = {"num_threads": threads, **trial.config}
    fields.update(env_id=trial.env_id, env_kwargs=trial.env_kwargs, seed=trial.seed)
    return recipes.config_of(trial.algo, fields)


def _reporter(session: _Session) -> Callable[[TrainEvent], None]:
    """The recipe's callback: each new history record to Tune, then a new checkpoint when one is
    due (:meth:`_Session.checkpoint_due`)."""

    def report(event: TrainEvent) -> None:
        if event.record is not None:
            session.report(dict(event.record))
        if event.checkpoint is not None and session.checkpoint_due(event.checkpoint):
            session.report({"update": event.updates}, event.checkpoint)

    return report


def run_trial(params: dict[str, Any]) -> None:
    """The Tune trainable: train, report and score one trial.

    ``params["point"]`` holds ``trial`` (a :class:`TrialSpec` as a dict), ``run_dir`` (its run
    folder) and ``threads`` (torch threads, unless the config sets ``num_threads``).
    """
    point = params["point"]
    trial = TrialSpec.from_dict(point["trial"])
    run_dir = Path(point["run_dir"])
    config = _trial_config(trial, int(point["threads"]))
    # the run folder's own checkpoints count too: one written just before an interruption, and
    # not yet handed to Tune, is resumed from rather than trained again
    session = _Session(run_dir, lambda d: _holds_run(d, config))
    if session.restored is None or not session.restored.get("trained"):
        resume = _holds_run(run_dir, config)
        recipes.get(trial.algo).train(
            config,
            run_dir,
            resume=resume,
            overwrite=not resume,
            progress=False,
            callback=_reporter(session),
        )
        session.report({}, run_folder.latest_checkpoint(run_dir), trained=True)
    report = score(
        zoo.load(run_dir),
        trial.env_id,
        env_kwargs=trial.env_kwargs,
        episodes=trial.score_episodes,
        seed=trial.score_seed,
        progress=False,
        agent_name=trial.name,
    )
    atomic_write_text(run_dir / SCORE_FILE, report.to_json())
    name = KIND_TRAITS[report.env_kind].headline
    est = report.metric(name)
    final = {"final_" + name: None if est is None else est.mean, "done": True}
    session.report(final, None, trained=True, scored=True)
