"""Meta-training sb3-contrib's RecurrentPPO: :func:`train` and its SB3 callback.

:func:`train` runs PPO (Schulman et al. 2017) with an LSTM policy (sb3-contrib's
``RecurrentPPO``) on the config's environment, for ``total_timesteps`` environment steps or
``budget_minutes`` of wall clock, whichever comes first, and writes a run folder
(:mod:`bayes_meta_envs.agents.recurrent_ppo.io`). :class:`RecipeCallback` (SB3's public callback
hooks) stops at the budget, decays the entropy bonus, logs each rollout and writes the
checkpoints; :class:`LinearLr` is the learning-rate schedule read from the run's
:class:`~bayes_meta_envs.agents._progress.BudgetClock`.

Global random state: SB3 draws from the global generators; :func:`train` seeds them from
``config.seed`` inside and restores the caller's state on exit
(:func:`~bayes_meta_envs.agents.recurrent_ppo.policy.isolated_global_rng`).

Needs torch and sb3-contrib (the ``train`` extra), imported at the top of this module.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import RecurrentPPO
from sb3_contrib.common.recurrent.type_aliases import RNNStates
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv

from bayes_meta_envs.agents import run_folder
from bayes_meta_envs.agents._progress import BudgetClock, ProgressBar
from bayes_meta_envs.agents._threads import torch_threads
from bayes_meta_envs.agents.recurrent_ppo.config import RecurrentPPOConfig
from bayes_meta_envs.agents.recurrent_ppo.io import (
    TrainState,
    load_weights,
    read_train_state,
    save_agent,
    write_train_checkpoint,
)
from bayes_meta_envs.agents.recurrent_ppo.policy import (
    build_model,
    isolated_global_rng,
    seed_global_rng,
)
from bayes_meta_envs.agents.recurrent_ppo.vec_env import make_sb3_vec_env, reseed_vec_env
from bayes_meta_envs.agents.run_folder import RunFolder, TrainEvent
from bayes_meta_envs.envs import register_envs
from bayes_meta_envs.errors import UnknownEnvironmentError, wrong_type

__all__ = ["LinearLr", "RecipeCallback", "train"]

logger = logging.getLogger(__name__)

_INFO_EVERY_S = 30.0


class LinearLr:
    """``lr * (1 - progress)`` with progress read from the clock (floored at 1% of ``lr``)."""

    def __init__(self, lr: float, clock: BudgetClock) -> None:
        self.lr = lr
        self.clock = clock

    def __call__(self, _progress_remaining: float) -> float:
        return self.lr * max(1.0 - self.clock.progress(), 0.01)


def _segment_seed(seed: int, steps: int) -> int:
    """The seed of the training segment that starts at ``steps`` (a save point)."""
    return int(np.random.SeedSequence([seed, steps]).generate_state(1)[0])


def _ent_coef(config: RecurrentPPOConfig, progress: float) -> float:
    """The entropy coefficient: linear from ``ent_coef`` to ``ent_coef_final`` over the run."""
    return config.ent_coef + progress * (config.ent_coef_final - config.ent_coef)


class RecipeCallback(BaseCallback):
    """The recipe's side of SB3's ``learn()``, through SB3's public callback hooks.

    Stops at the wall-clock budget; decays the entropy bonus; logs each rollout's mean return
    (a row of ``state.log_rows``); every ``checkpoint_every`` rollouts writes a checkpoint and
    starts a new segment (:meth:`restart`); hands a :class:`TrainEvent` to ``callback`` after
    each rollout.
    """

    model: RecurrentPPO

    def __init__(
        self,
        config: RecurrentPPOConfig,
        out: Path,
        state: TrainState,
        clock: BudgetClock,
        bar: ProgressBar,
        callback: Callable[[TrainEvent], None] | None,
    ) -> None:
        super().__init__(verbose=0)
        self.config, self.out, self.state = config, out, state
        self.clock, self.bar, self.callback = clock, bar, callback
        self.start_steps = 0
        self.last_info_s = float("-inf")
        self.last_checkpoint: Path | None = None

    def _on_training_start(self) -> None:
        self.start_steps = self.model.num_timesteps

    def _on_rollout_start(self) -> None:
        # the previous rollout has been trained on: a consistent point to save the run
        rollouts = self.state.rollouts
        if rollouts and rollouts % self.config.checkpoint_every == 0:
            self.save()
            self.restart()
        if self.callback is not None and rollouts:
            self.callback(self.event())

    def _on_step(self) -> bool:
        # SB3 stops at total_timesteps itself; this stops at the wall-clock budget (the
        # rollout in progress is then dropped, not trained on)
        self.clock.done = self.state.timesteps_before + (
            self.model.num_timesteps - self.start_steps
        )
        return not self.clock.out_of_time()

    def _on_rollout_end(self) -> None:
        self.model.ent_coef = _ent_coef(self.config, self.clock.progress())
        buf = self.model.ep_info_buffer
        mean_ret = float(np.mean([e["r"] for e in buf])) if buf else float("nan")
        row = {
            "timesteps": float(self.model.num_timesteps),
            "wall_s": round(self.clock.elapsed(), 3),
            "cpu_s": round(self.clock.cpu_seconds(), 3),
            "mean_return": mean_ret,
        }
        self.state.log_rows.append(row)
        self.state.rollouts += 1
        self.bar.update({"steps": self.model.num_timesteps, "mean_return": f"{mean_ret:.3f}"})
        # every rollout at DEBUG level; at INFO level at most every 30 seconds
        loud = row["wall_s"] - self.last_info_s >= _INFO_EVERY_S
        if loud:
            self.last_info_s = row["wall_s"]
        logger.log(
            logging.INFO if loud else logging.DEBUG,
            "recurrent-ppo: %d steps, %.0f s, mean return %.3f",
            self.model.num_timesteps,
            row["wall_s"],
            mean_ret,
        )

    def event(self) -> TrainEvent:
        ckpt, self.last_checkpoint = self.last_checkpoint, None
        record = self.state.log_rows[-1] if self.state.log_rows else None
        return TrainEvent(self.state.rollouts, int(self.model.num_timesteps), record, ckpt)

    def save(self) -> Path:
        """Write the checkpoint ``checkpoints/ckpt_<rollouts>`` of the run as it stands."""
        self.state.timesteps = int(self.model.num_timesteps)
        self.state.elapsed = self.clock.elapsed()
        self.last_checkpoint = write_train_checkpoint(self.model, self.out, self.config, self.state)
        return self.last_checkpoint

    def restart(self) -> None:
        """Start a segment the way a session resuming from this save starts it: global
        generators and env streams seeded from (seed, steps), fresh episodes, zero LSTM states.

        SB3 has no public way to reset the collection state in the middle of ``learn()``, so
        this sets three private attributes of ``OnPolicyAlgorithm``/``RecurrentPPO``:
        ``_last_obs`` (the observation the next rollout starts from), ``_last_episode_starts``
        and ``_last_lstm_states``; without them an interrupted and resumed run would not end
        with the weights of an uninterrupted one.
        """
        model = self.model
        segment = _segment_seed(self.config.seed, model.num_timesteps)
        seed_global_rng(segment)
        env = model.get_env()
        assert env is not None  # learn() runs with the env train() built
        model._last_obs = reseed_vec_env(env, segment)
        model._last_episode_starts = np.ones((env.num_envs,), dtype=bool)
        states: RNNStates | None = model._last_lstm_states
        if states is not None:
            for tensor in (*states.pi, *states.vf):
                tensor.zero_()


def _check_env(config: RecurrentPPOConfig) -> None:
    register_envs()
    if config.env_id not in gym.registry:
        raise UnknownEnvironmentError(f"env_id {config.env_id!r} is not a registered environment")


def _start(config: RecurrentPPOConfig, out: Path, ck: Path | None) -> TrainState:
    """The state the run starts this session from: fresh, or that of the checkpoint ``ck``
    (checked to belong to this run)."""
    if ck is None:
        return TrainState()
    state = read_train_state(ck)
    run_folder.check_same_run(ck, state.config, config)
    state.sessions += 1
    return state


def _learn(
    config: RecurrentPPOConfig,
    out: Path,
    state: TrainState,
    ck: Path | None,
    progress: bool | None,
    callback: Callable[[TrainEvent], None] | None,
) -> tuple[RecurrentPPO, RecipeCallback]:
    """Build the model (from the checkpoint ``ck`` when resuming) and run SB3's ``learn()``."""
    clock = BudgetClock(
        config.budget_minutes,
        config.total_timesteps,
        done=state.timesteps,
        elapsed_before=state.elapsed,
    )
    state.timesteps_before = state.timesteps
    lr = LinearLr(config.learning_rate, clock) if config.lr_schedule == "linear" else None
    run_seed = _segment_seed(config.seed, state.timesteps)
    bar = ProgressBar(clock, "steps", progress=progress)
    env: VecEnv = make_sb3_vec_env(
        config.env_id, config.env_kwargs, config.num_envs, run_seed, config.vectorization
    )
    model = build_model(config, env, lr)
    if ck is not None:
        load_weights(model, ck, optimizer=True)
        model.num_timesteps = state.timesteps
        # where an uninterrupted run stands at this step (see RecipeCallback.restart)
        seed_global_rng(run_seed)
        model.ent_coef = _ent_coef(config, min(state.timesteps / config.total_timesteps, 1.0))
    hooks = RecipeCallback(config, out, state, clock, bar, callback)
    try:
        with torch.inference_mode(False):
            model.learn(
                total_timesteps=max(config.total_timesteps - state.timesteps, 1),
                callback=hooks,
                reset_num_timesteps=ck is None,
            )
    finally:
        bar.close()
        env.close()
    return model, hooks


def train(
    config: RecurrentPPOConfig,
    out_dir: str | os.PathLike[str],
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    callback: Callable[[TrainEvent], None] | None = None,
) -> RunFolder:
    """Meta-train RecurrentPPO into the run folder ``out_dir`` (the recipe protocol of
    :mod:`bayes_meta_envs.agents.recipes`: the env, its kwargs, the seed and the budget are
    fields of ``config``).

    Training runs PPO's loop (collect ``num_envs * n_steps`` steps with the LSTM policy, then
    ``n_epochs`` of clipped-surrogate updates over episode-aligned sequences; Schulman et al.
    2017, sb3-contrib's ``RecurrentPPO``) until ``config.total_timesteps`` steps or
    ``config.budget_minutes`` of wall clock over the whole run (checked at every step).

    A checkpoint is written every ``config.checkpoint_every`` rollouts and at the end. With
    ``resume=True`` training continues from the newest checkpoint in ``out_dir`` (its config
    must equal ``config`` but for ``total_timesteps``, ``budget_minutes`` and ``num_threads``;
    a finished run is left as it is). Without ``resume``, a folder that already holds a run is
    refused unless ``overwrite`` (its run files are then removed first). Each save starts a new
    segment as a resumed session starts it (global generators and env streams seeded from
    ``(seed, steps)``, fresh episodes, zero LSTM states; schedules follow the whole run's
    steps), so an interrupted and resumed run ends with the same weights as an uninterrupted
    one (without a wall-clock budget, which makes the schedules time-dependent).
    ``progress``: a bar on stderr (None: when stderr is a terminal); ``callback``: called with a
    :class:`~bayes_meta_envs.agents.run_folder.TrainEvent` after each rollout.
    """
    if not isinstance(config, RecurrentPPOConfig):
        why = "(0.2's train(env_id, ...): the env, the seed and the budget are config fields)"
        raise wrong_type("config", config, f"a RecurrentPPOConfig {why}")
    _check_env(config)
    out = Path(out_dir)
    ck = run_folder.prepare_run_folder(out, resume=resume, overwrite=overwrite)
    state = _start(config, out, ck)
    if ck is not None and state.timesteps >= config.total_timesteps:
        logger.info(
            "recurrent-ppo: %s already holds %d steps; nothing to train", out, state.timesteps
        )
        return _result(config, out, state, stopped_by_budget=False)
    with (
        torch_threads(config.num_threads),
        isolated_global_rng(_segment_seed(config.seed, state.timesteps)),
    ):
        model, hooks = _learn(config, out, state, ck, progress, callback)
        stopped = hooks.clock.out_of_time() and model.num_timesteps < config.total_timesteps
        if ck is None or model.num_timesteps != state.timesteps:
            hooks.save()  # the final checkpoint (unless the last periodic one is it)
        save_agent(model, out, config, state)
        if callback is not None:
            callback(hooks.event())
    logger.info("recurrent-ppo: trained %d steps in %.1f s", model.num_timesteps, state.elapsed)
    return _result(config, out, state, stopped_by_budget=stopped)


def _result(
    config: RecurrentPPOConfig, out: Path, state: TrainState, *, stopped_by_budget: bool
) -> RunFolder:
    return RunFolder(
        path=out,
        algo=config.ALGO,
        updates=state.rollouts,
        env_steps=state.timesteps,
        wall_seconds=state.elapsed,
        stopped_by_budget=stopped_by_budget,
        history=list(state.log_rows),
    )
