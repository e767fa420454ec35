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

each record also holds ``update``, ``env_steps`` and ``wall_seconds``. Past the exact DP (a
bandit too large for it) the evaluation runs beside the finite-horizon Gittins reference policy
instead, and its records hold ``"bayes_exact": 0.0``: their ``bayes_gap`` is the gap to that
reference, not to the Bayes-optimal agent.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from bayes_meta_envs.agents import run_folder
from bayes_meta_envs.agents._progress import BudgetClock, ProgressBar
from bayes_meta_envs.agents._threads import torch_threads
from bayes_meta_envs.agents.lstm.agent import LSTMAgent
from bayes_meta_envs.agents.lstm.checkpoint import read_checkpoint, write_checkpoint
from bayes_meta_envs.agents.lstm.config import LSTMConfig
from bayes_meta_envs.agents.lstm.net import build_net, resolve_device
from bayes_meta_envs.agents.lstm.updates import bandit_update, prediction_update
from bayes_meta_envs.agents.run_folder import RunFolder, TrainEvent
from bayes_meta_envs.baselines.bounds import reference_agent
from bayes_meta_envs.errors import require, wrong_type
from bayes_meta_envs.rollout import paired_rollout
from bayes_meta_envs.task import task_of

if TYPE_CHECKING:  # tensorboard is optional: imported when a run logs to it
    from torch.utils.tensorboard import SummaryWriter

__all__ = [
    "LSTMTrainer",
    "train",
]

logger = logging.getLogger(__name__)


class LSTMTrainer:
    """Meta-trains an LSTM on its config's environment, with checkpoints and TensorBoard logs.

    Layout of ``out_dir`` (see :mod:`bayes_meta_envs.agents.run_folder`)::

        config.json, model.safetensors    the agent (loadable with LSTMAgent.load / agents.load)
        history.json                      evaluations on the fixed batch over training
        checkpoints/ckpt_NNNNNN/          model, optimizer, RNG states, trainer state (all kept)
        tb/                               TensorBoard event files

    A folder that already holds a run is refused unless ``resume`` (continue it: the checkpoint's
    config must equal ``config`` but for the run-control fields
    :attr:`LSTMConfig.RUN_CONTROL_FIELDS <bayes_meta_envs.agents.lstm.LSTMConfig>`, the seed
    included) or ``overwrite`` (its run files are removed first).
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
        self.clock = BudgetClock(config.budget_minutes, config.total_updates)
        self.history: list[dict[str, float]] = []
        self.vec = self.task.make_vector(config.num_envs)
        ck = run_folder.prepare_run_folder(self.out_dir, resume=resume, overwrite=overwrite)
        if ck is not None:
            self.load_checkpoint(ck)

    @property
    def update_count(self) -> int:
        """Updates done over the whole run."""
        return self.clock.done

    @update_count.setter
    def update_count(self, value: int) -> None:
        self.clock.done = value

    @property
    def steps_per_update(self) -> int:
        return self.config.num_envs * self.task.horizon

    # --- schedules ---
    def progress(self) -> float:
        """Fraction of training done (:meth:`BudgetClock.progress
        <bayes_meta_envs.agents._progress.BudgetClock.progress>`)."""
        return self.clock.progress(at_lap=True)

    def entropy_coef(self) -> float:
        """The entropy term's coefficient now: from ``ent_coef`` to ``ent_coef_final`` over the
        first ``ent_decay_fraction`` of training, then held (negative: a penalty)."""
        c = self.config
        f = min(self.progress() / c.ent_decay_fraction, 1.0)
        return c.ent_coef + (c.ent_coef_final - c.ent_coef) * f

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
            elapsed=self.clock.lapped,
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
        self.clock.done, self.clock.elapsed_before = restored.update, restored.elapsed
        self.clock.restart()
        self.history = restored.history

    # --- one update, and the evaluation ---
    def update(self) -> dict[str, float]:
        """One update (see :mod:`~bayes_meta_envs.agents.lstm.updates`); returns its logs."""
        reset_seed = int(self.rng.integers(2**63 - 1))
        self.net.train()
        return _UPDATES[self.task.kind](self, reset_seed)

    def _bandit_update(self, reset_seed: int) -> dict[str, float]:
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

    def _prediction_update(self, reset_seed: int) -> dict[str, float]:
        return prediction_update(
            self.net, self.optimizer, self.vec, reset_seed, self.task, self.config.max_grad_norm
        )

    def evaluate(self) -> dict[str, float]:
        """Evaluate the current weights on the fixed evaluation episodes (``eval_seed``).

        One :func:`~bayes_meta_envs.rollout.paired_rollout` beside the Bayes-optimal agent, as
        :func:`~bayes_meta_envs.scoring.score` runs it; the statistics are named as in the score
        report (see the module docstring). A bandit whose exact DP is not used
        (:func:`~bayes_meta_envs.baselines.bounds.dp_fits`) is evaluated beside the reference
        policy, the finite-horizon Gittins index, instead, and its record says so with
        ``"bayes_exact": 0.0`` (its ``bayes_gap`` is then the gap to the reference).
        """
        task = self.task
        reference = reference_agent(task)
        run = paired_rollout(
            self.agent(),
            task,
            episodes=self.config.eval_episodes,
            seed=self.config.eval_seed,
            reference=reference,
        )
        record = {} if reference is None else {"bayes_exact": 0.0}
        for name in self.task.traits.eval_metrics:
            if name.endswith("_ci95"):
                record[name] = run.estimate(name.removesuffix("_ci95")).ci95
            else:
                record[name] = run.estimate(name).mean
        return record

    # --- the loop ---
    def agent(self, *, seed: int | None = None) -> LSTMAgent:
        """An :class:`LSTMAgent` (on the CPU) holding a copy of the current weights."""
        weights = {k: v.detach().cpu() for k, v in self.net.state_dict().items()}
        return LSTMAgent(self.config, weights, seed=seed)

    @property
    def signal(self) -> str:
        """The learning signal, as ``history.json`` names it: ``config.reward_signal`` for
        bandits, ``"log_loss"`` for prediction tasks."""
        return self.task.traits.fixed_signal or self.config.reward_signal

    def save_agent(self) -> None:
        """Write ``model.safetensors``, ``history.json`` and ``config.json`` into ``out_dir``.

        Each record of ``history.json`` also names the learning signal (``"reward_signal"``).
        """
        self.agent().save(self.out_dir)
        records = [{**rec, "reward_signal": self.signal} for rec in self.history]
        run_folder.write_history(self.out_dir, records)

    def train(
        self,
        *,
        progress: bool | None = None,
        callback: Callable[[TrainEvent], None] | None = None,
        stop_after: int | None = None,
    ) -> RunFolder:
        """Train until ``total_updates`` (or the budget, or ``stop_after`` more updates).

        Evaluates every ``eval_every`` updates (and at the end), writes a checkpoint every
        ``checkpoint_every`` updates (and at the end), logs to TensorBoard under ``out_dir/tb``
        when enabled, and finally saves the agent into ``out_dir``. ``callback`` gets a
        :class:`~bayes_meta_envs.agents.run_folder.TrainEvent` after each update; ``progress``
        draws a bar on stderr (None: when stderr is a terminal). torch uses
        ``config.num_threads`` threads meanwhile (its default, one per core, makes two runs side
        by side wait on each other's threads: seven times slower on 2 cores).
        """
        with torch_threads(self.config.num_threads):
            return self._train(progress, callback, stop_after)

    def _train(
        self,
        progress: bool | None,
        callback: Callable[[TrainEvent], None] | None,
        stop_after: int | None,
    ) -> RunFolder:
        c = self.config
        self.clock.restart()  # the budget counts training from here (and earlier sessions)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        run_folder.write_config(self.out_dir, c.to_dict())
        writer = self._writer()
        bar = ProgressBar(self.clock, "upd", progress=progress)
        start, stopped_by_budget = self.update_count, False
        if self.update_count == 0 and not self.history:
            first = self._record_eval(writer)  # the untrained net: the curve's first point
            if callback is not None:
                callback(self._event(first, None))
        last_ckpt, shown = self.update_count, {}
        try:
            while self.update_count < c.total_updates:
                if stop_after is not None and self.update_count - start >= stop_after:
                    break
                if self.clock.out_of_time(at_lap=True):
                    stopped_by_budget = True
                    break
                logs = self._timed_update()
                if writer is not None:
                    for k, v in logs.items():
                        writer.add_scalar(f"train/{k}", v, self.update_count)
                record: dict[str, float] | None = None
                if self.update_count % c.eval_every == 0:
                    record = self._record_eval(writer)
                    shown = {k: f"{record[k]:.4f}" for k in self._shown(record)}
                bar.update({"update": self.update_count, **shown})
                ckpt = None
                if self.update_count % c.checkpoint_every == 0:
                    ckpt = self.save_checkpoint()
                    last_ckpt = self.update_count
                if callback is not None:
                    callback(self._event(record, ckpt))
        finally:
            bar.close()
        self._finish(writer, last_ckpt, callback)
        return self._result(stopped_by_budget)

    def _result(self, stopped_by_budget: bool) -> RunFolder:
        return RunFolder(
            path=self.out_dir,
            algo=self.config.ALGO,
            updates=self.update_count,
            env_steps=self.update_count * self.steps_per_update,
            wall_seconds=self.clock.lapped,
            stopped_by_budget=stopped_by_budget,
            history=list(self.history),
        )

    def _writer(self) -> SummaryWriter | None:
        """A TensorBoard writer under ``out_dir/tb`` (None when ``tensorboard`` is off)."""
        if not self.config.tensorboard:
            return None
        tb = require("torch.utils.tensorboard", "train")
        return tb.SummaryWriter(log_dir=str(self.out_dir / "tb"), purge_step=self.update_count)

    def _timed_update(self) -> dict[str, float]:
        """One update at the scheduled learning rate; its logs with its speed and rate."""
        for g in self.optimizer.param_groups:
            g["lr"] = self.learning_rate()
        t0 = time.perf_counter()
        logs = self.update()
        self.clock.tick()
        self.clock.lap()
        logs["steps_per_second"] = self.steps_per_update / max(time.perf_counter() - t0, 1e-9)
        logs["learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return logs

    def _event(self, record: dict[str, float] | None, ckpt: Path | None) -> TrainEvent:
        return TrainEvent(
            self.update_count, self.update_count * self.steps_per_update, record, ckpt
        )

    def _finish(
        self,
        writer: SummaryWriter | None,
        last_ckpt: int,
        callback: Callable[[TrainEvent], None] | None,
    ) -> None:
        """The final evaluation and checkpoint (when the loop did not just make them), then the
        agent's files."""
        record = ckpt = None
        if not self.history or self.history[-1]["update"] != self.update_count:
            record = self._record_eval(writer)
        if last_ckpt != self.update_count:
            ckpt = self.save_checkpoint()
        if writer is not None:
            writer.close()
        self.save_agent()
        if callback is not None and (record is not None or ckpt is not None):
            callback(self._event(record, ckpt))

    def _shown(self, rec: dict[str, float]) -> list[str]:
        """The evaluation statistics of a record (no intervals): the progress bar's status."""
        names = self.task.traits.eval_metrics
        return [k for k in names if k in rec and not k.endswith("_ci95")]

    def _record_eval(self, writer: SummaryWriter | None) -> dict[str, float]:
        rec = {
            "update": float(self.update_count),
            "env_steps": float(self.update_count * self.steps_per_update),
            "wall_seconds": float(self.clock.lapped),
            **self.evaluate(),
        }
        self.history.append(rec)
        names = self.task.traits.eval_metrics
        if writer is not None:
            for k in names:
                writer.add_scalar(f"eval/{k}", rec[k], self.update_count)
        logger.info(
            "update %d: %s", self.update_count, ", ".join(f"{k}={rec[k]:.4f}" for k in names)
        )
        return rec


#: One update of each kind of task: actor-critic for bandits, BPTT on the log-loss for prediction.
_UPDATES: dict[str, Callable[[LSTMTrainer, int], dict[str, float]]] = {
    "bandit": LSTMTrainer._bandit_update,
    "prediction": LSTMTrainer._prediction_update,
}


def train(
    config: LSTMConfig,
    out_dir: str | os.PathLike[str],
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    callback: Callable[[TrainEvent], None] | None = None,
) -> RunFolder:
    """Train an LSTM meta-learner into the run folder ``out_dir`` (see :class:`LSTMTrainer`).

    The recipe protocol every recipe follows (:mod:`bayes_meta_envs.agents.recipes`): the env,
    its kwargs, the seed and the budget are fields of ``config``; ``resume`` continues the run
    in ``out_dir`` from its newest checkpoint, ``overwrite`` replaces a run there. torch uses
    ``config.num_threads`` threads for the duration of the call. ``progress``: draw a bar on
    stderr (None: when stderr is a terminal); ``callback``: called with a
    :class:`~bayes_meta_envs.agents.run_folder.TrainEvent` after each update.
    Load the trained agent with ``agents.load(run.path)``.
    """
    if not isinstance(config, LSTMConfig):
        raise wrong_type("config", config, "an LSTMConfig")
    trainer = LSTMTrainer(config, out_dir, resume=resume, overwrite=overwrite)
    return trainer.train(progress=progress, callback=callback)
