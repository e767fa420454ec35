"""Meta-training of the LSTM: the loop, its schedules, evaluation, checkpoints and logs.

Training runs ``num_envs`` tasks in parallel through the task's native vector env; each update is
one episode per sub-env (:mod:`~bayes_meta_envs.agents.lstm.updates`). Every ``eval_every``
updates the current weights are evaluated with :func:`~bayes_meta_envs.rollout.paired_rollout` on
``eval_episodes`` episodes seeded with ``eval_seed`` (the same episodes every time), and the record
joins ``history.json`` under the names :class:`~bayes_meta_envs.scoring.ScoreReport` uses:

* bandits: ``bayes_gap`` (mean paired pseudo-regret difference with the Bayes-optimal agent),
  ``bayes_gap_ci95`` (the half-width of its 95% interval), ``bayes_gap_q`` and
  ``bayes_gap_q_ci95`` (the same expectation from the exact Bayes-optimal Q-values along the
  agent's trajectory: far less noisy, the curve to read), ``return`` and ``agreement``;
* prediction: ``log_loss``, ``excess_log_loss``, ``excess_log_loss_ci95`` and ``kl``;

each record also holds ``update``, ``env_steps`` and ``wall_seconds``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs._validate import check_bool
from bayes_meta_envs.agents import run_folder
from bayes_meta_envs.agents.lstm.agent import LSTMAgent
from bayes_meta_envs.agents.lstm.checkpoint import (
    prepare_run_folder,
    read_checkpoint,
    write_checkpoint,
)
from bayes_meta_envs.agents.lstm.config import LSTMConfig
from bayes_meta_envs.agents.lstm.net import build_net, resolve_device
from bayes_meta_envs.agents.lstm.updates import bandit_update, prediction_update
from bayes_meta_envs.errors import require, wrong_type
from bayes_meta_envs.rollout import paired_rollout
from bayes_meta_envs.task import task_of

__all__ = [
    "BANDIT_EVAL_METRICS",
    "HISTORY_FILE",
    "PREDICTION_EVAL_METRICS",
    "LSTMTrainer",
    "TrainResult",
    "train_lstm",
]

logger = logging.getLogger(__name__)

HISTORY_FILE = "history.json"
#: The statistics of each evaluation record (named as in ScoreReport), by task kind.
BANDIT_EVAL_METRICS = (
    "bayes_gap",
    "bayes_gap_ci95",
    "bayes_gap_q",
    "bayes_gap_q_ci95",
    "return",
    "agreement",
)
PREDICTION_EVAL_METRICS = ("log_loss", "excess_log_loss", "excess_log_loss_ci95", "kl")


@dataclass(frozen=True)
class TrainResult:
    """What :meth:`LSTMTrainer.train` returns."""

    out_dir: Path
    updates: int
    env_steps: int
    wall_seconds: float
    history: list[dict[str, float]]
    stopped_by_budget: bool

    @property
    def final_eval(self) -> dict[str, float]:
        """The last evaluation record (empty when none was made)."""
        return self.history[-1] if self.history else {}


class LSTMTrainer:
    """Meta-trains an LSTM on its config's environment, with checkpoints and TensorBoard logs.

    Layout of ``out_dir``::

        config.json, model.safetensors    the agent (loadable with LSTMAgent.load / agents.load)
        history.json                      evaluations on the fixed batch over training
        checkpoints/ckpt_NNNNNN/          model, optimizer, RNG states, trainer state (all kept)
        tb/                               TensorBoard event files

    A folder that already holds a run is refused unless ``resume`` (continue it: the checkpoint's
    config must equal ``config`` but for the run-control fields ``total_updates``,
    ``budget_minutes``, ``num_threads``, ``tensorboard``, ``device``; the seed included) or
    ``overwrite`` (its run files are removed first).
    With ``resume=True`` training continues from the newest checkpoint in ``out_dir`` (weights,
    optimizer, torch and numpy generator states, update count, history), so an interrupted run
    finishes with the same weights as an uninterrupted one.
    """

    def __init__(
        self,
        config: LSTMConfig,
        out_dir: str | os.PathLike[str],
        *,
        resume: bool = False,
        overwrite: bool = False,
    ) -> None:
        if not isinstance(config, LSTMConfig):
            raise wrong_type("config", config, "an LSTMConfig")
        self.config = config
        self.out_dir = Path(out_dir)
        self.task = task_of(config.env_id, **config.env_kwargs)
        self.device = resolve_device(config.device)
        self.net = build_net(config, self.task, config.seed).to(self.device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=config.learning_rate)
        seeds = np.random.SeedSequence(config.seed).spawn(2)
        self.rng = np.random.Generator(np.random.PCG64(seeds[0]))
        self.torch_gen = torch.Generator(device=self.device).manual_seed(
            int(seeds[1].generate_state(1)[0])
        )
        self.update_count = 0
        self.elapsed = 0.0
        self.history: list[dict[str, float]] = []
        self.vec = self.task.make_vector(config.num_envs)
        ck = prepare_run_folder(
            self.out_dir,
            resume=check_bool("resume", resume),
            overwrite=check_bool("overwrite", overwrite),
        )
        if ck is not None:
            self.load_checkpoint(ck)

    # --- schedules ---
    def progress(self) -> float:
        """Fraction of training done: updates over ``total_updates``, or the elapsed fraction of
        the budget when that is larger."""
        frac = self.update_count / self.config.total_updates
        if self.config.budget_minutes is not None:
            frac = max(frac, self.elapsed / (60.0 * self.config.budget_minutes))
        return min(frac, 1.0)

    def entropy_coef(self) -> float:
        """The entropy term's coefficient now: from ``entropy_start`` to ``entropy_end`` over the
        first ``entropy_decay_fraction`` of training, then held (negative: a penalty)."""
        c = self.config
        f = min(self.progress() / c.entropy_decay_fraction, 1.0)
        return c.entropy_start + (c.entropy_end - c.entropy_start) * f

    def logit_cap(self) -> float | None:
        """The cap on the policy's logit spread now: ``logit_cap`` over the first
        ``logit_cap_fraction`` of training, then ``None`` (released)."""
        c = self.config
        if c.logit_cap is None or self.progress() >= c.logit_cap_fraction:
            return None
        return c.logit_cap

    def learning_rate(self) -> float:
        c = self.config
        if not c.lr_decay:
            return c.learning_rate
        if c.lr_schedule == "exponential":  # geometric: the same factor every equal stretch
            return c.learning_rate * c.lr_final_fraction ** self.progress()
        if c.lr_schedule == "cosine":
            left = 0.5 * (1.0 + math.cos(math.pi * self.progress()))  # 1 -> 0
            return c.learning_rate * (c.lr_final_fraction + (1.0 - c.lr_final_fraction) * left)
        return c.learning_rate * (1.0 - (1.0 - c.lr_final_fraction) * self.progress())

    # --- checkpoints ---
    def save_checkpoint(self) -> Path:
        """Write ``checkpoints/ckpt_<update>`` atomically."""
        return write_checkpoint(
            self.out_dir,
            config=self.config,
            net=self.net,
            optimizer=self.optimizer,
            torch_gen=self.torch_gen,
            rng=self.rng,
            update=self.update_count,
            elapsed=self.elapsed,
            history=self.history,
        )

    def load_checkpoint(self, path: str | os.PathLike[str]) -> None:
        """Restore weights, optimizer, generator states and counters from a checkpoint folder."""
        restored = read_checkpoint(
            path,
            config=self.config,
            net=self.net,
            optimizer=self.optimizer,
            torch_gen=self.torch_gen,
        )
        self.rng = restored.rng
        self.update_count, self.elapsed = restored.update, restored.elapsed
        self.history = restored.history

    # --- one update, and the evaluation ---
    def update(self) -> dict[str, float]:
        """One update (see :mod:`~bayes_meta_envs.agents.lstm.updates`); returns its logs."""
        reset_seed = int(self.rng.integers(2**63 - 1))
        self.net.train()
        if self.task.is_bandit:
            return bandit_update(
                self.net,
                self.optimizer,
                self.vec,
                reset_seed,
                self.torch_gen,
                self.config,
                self.task.horizon,
                self.entropy_coef(),
                self.logit_cap(),
            )
        return prediction_update(
            self.net, self.optimizer, self.vec, reset_seed, self.task, self.config.max_grad_norm
        )

    def evaluate(self) -> dict[str, float]:
        """Evaluate the current weights on the fixed evaluation episodes (``eval_seed``).

        One :func:`~bayes_meta_envs.rollout.paired_rollout` beside the Bayes-optimal agent, as
        :func:`~bayes_meta_envs.scoring.score` runs it; the statistics are named as in the score
        report (see the module docstring).
        """
        run = paired_rollout(
            self.agent(), self.task, episodes=self.config.eval_episodes, seed=self.config.eval_seed
        )
        if self.task.is_bandit:
            gap, gap_q = run.estimate("bayes_gap"), run.estimate("bayes_gap_q")
            return {
                "bayes_gap": gap.mean,
                "bayes_gap_ci95": gap.ci95,
                "bayes_gap_q": gap_q.mean,
                "bayes_gap_q_ci95": gap_q.ci95,
                "return": run.estimate("return").mean,
                "agreement": run.estimate("agreement").mean,
            }
        excess = run.estimate("excess_log_loss")
        return {
            "log_loss": run.estimate("log_loss").mean,
            "excess_log_loss": excess.mean,
            "excess_log_loss_ci95": excess.ci95,
            "kl": run.estimate("kl").mean,
        }

    # --- the loop ---
    def agent(self, *, seed: int | None = None) -> LSTMAgent:
        """An :class:`LSTMAgent` (on the CPU) holding a copy of the current weights."""
        weights = {k: v.detach().cpu() for k, v in self.net.state_dict().items()}
        return LSTMAgent(self.config, weights, seed=seed)

    @property
    def signal(self) -> str:
        """The learning signal, as ``history.json`` names it: ``config.reward_signal`` for
        bandits, ``"log_loss"`` for prediction tasks."""
        return self.config.reward_signal if self.task.is_bandit else "log_loss"

    def save_agent(self) -> None:
        """Write ``model.safetensors``, ``history.json`` and ``config.json`` into ``out_dir``.

        Each record of ``history.json`` also names the learning signal (``"reward_signal"``).
        """
        self.agent().save(self.out_dir)
        records = [{**rec, "reward_signal": self.signal} for rec in self.history]
        atomic_write_text(self.out_dir / HISTORY_FILE, json.dumps(records, indent=1) + "\n")

    def train(
        self,
        *,
        progress: bool = False,
        callback: Callable[[LSTMTrainer, dict[str, float]], None] | None = None,
        stop_after: int | None = None,
    ) -> TrainResult:
        """Train until ``total_updates`` (or the budget, or ``stop_after`` more updates).

        Evaluates every ``eval_every`` updates (and at the end), writes a checkpoint every
        ``checkpoint_every`` updates (and at the end), logs to TensorBoard under ``out_dir/tb``
        when enabled, and finally saves the agent into ``out_dir``.
        """
        c = self.config
        self.out_dir.mkdir(parents=True, exist_ok=True)
        run_folder.write_config(self.out_dir, c.to_dict())
        writer = None
        if c.tensorboard:
            tb = require("torch.utils.tensorboard", "train")
            writer = tb.SummaryWriter(
                log_dir=str(self.out_dir / "tb"), purge_step=self.update_count
            )
        tqdm = require("tqdm", "train").tqdm
        budget_s = None if c.budget_minutes is None else 60.0 * c.budget_minutes
        if budget_s is None:
            bar = tqdm(
                total=c.total_updates, initial=self.update_count, disable=not progress, unit="upd"
            )
        else:  # progress against the budget, in seconds
            bar = tqdm(
                total=round(budget_s),
                initial=min(round(self.elapsed), round(budget_s)),
                disable=not progress,
                unit="s",
                bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s budget [{postfix}]",
            )
        steps_per_update = c.num_envs * self.task.horizon
        start_updates = self.update_count
        t_start = time.perf_counter() - self.elapsed
        stopped_by_budget = False
        if self.update_count == 0 and not self.history:
            self._record_eval(writer)
        last_ckpt = self.update_count
        shown: dict[str, str] = {}
        try:
            while self.update_count < c.total_updates:
                if stop_after is not None and self.update_count - start_updates >= stop_after:
                    break
                if c.budget_minutes is not None and self.elapsed >= 60.0 * c.budget_minutes:
                    stopped_by_budget = True
                    break
                for g in self.optimizer.param_groups:
                    g["lr"] = self.learning_rate()
                t0 = time.perf_counter()
                logs = self.update()
                self.update_count += 1
                dt = time.perf_counter() - t0
                self.elapsed = time.perf_counter() - t_start
                logs["steps_per_second"] = steps_per_update / max(dt, 1e-9)
                logs["learning_rate"] = self.optimizer.param_groups[0]["lr"]
                if writer is not None:
                    for k, v in logs.items():
                        writer.add_scalar(f"train/{k}", v, self.update_count)
                if self.update_count % c.eval_every == 0:
                    rec = self._record_eval(writer)
                    shown = {k: f"{rec[k]:.4f}" for k in self._shown(rec)}
                if budget_s is not None:
                    bar.set_postfix({"update": self.update_count, **shown}, refresh=False)
                    bar.update(min(self.elapsed, budget_s) - bar.n)
                else:
                    bar.set_postfix(shown, refresh=False)
                    bar.update(1)
                if callback is not None:
                    callback(self, logs)
                if self.update_count % c.checkpoint_every == 0:
                    self.save_checkpoint()
                    last_ckpt = self.update_count
        finally:
            bar.close()
        if not self.history or self.history[-1]["update"] != self.update_count:
            self._record_eval(writer)
        if last_ckpt != self.update_count:
            self.save_checkpoint()
        if writer is not None:
            writer.close()
        self.save_agent()
        return TrainResult(
            out_dir=self.out_dir,
            updates=self.update_count,
            env_steps=self.update_count * steps_per_update,
            wall_seconds=self.elapsed,
            history=list(self.history),
            stopped_by_budget=stopped_by_budget,
        )

    def _shown(self, rec: dict[str, float]) -> list[str]:
        """The evaluation statistics of a record (no intervals): the progress bar's postfix."""
        names = BANDIT_EVAL_METRICS if self.task.is_bandit else PREDICTION_EVAL_METRICS
        return [k for k in names if k in rec and not k.endswith("_ci95")]

    def _record_eval(self, writer: Any) -> dict[str, float]:
        rec = {
            "update": float(self.update_count),
            "env_steps": float(self.update_count * self.config.num_envs * self.task.horizon),
            "wall_seconds": float(self.elapsed),
            **self.evaluate(),
        }
        self.history.append(rec)
        names = BANDIT_EVAL_METRICS if self.task.is_bandit else PREDICTION_EVAL_METRICS
        if writer is not None:
            for k in names:
                writer.add_scalar(f"eval/{k}", rec[k], self.update_count)
        logger.info(
            "update %d: %s", self.update_count, ", ".join(f"{k}={rec[k]:.4f}" for k in names)
        )
        return rec


def train_lstm(
    config: LSTMConfig,
    out_dir: str | os.PathLike[str],
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    set_threads: bool = True,
) -> tuple[LSTMAgent, TrainResult]:
    """Train an LSTM meta-learner (see :class:`LSTMTrainer`); return the agent and the result.

    With ``set_threads`` the number of torch threads is set to ``config.num_threads`` for the
    duration of the call (and restored afterwards).
    """
    old = torch.get_num_threads()
    if set_threads:
        torch.set_num_threads(config.num_threads)
    try:
        trainer = LSTMTrainer(config, out_dir, resume=resume, overwrite=overwrite)
        result = trainer.train(progress=progress)
        return trainer.agent(), result
    finally:
        if set_threads:
            torch.set_num_threads(old)
