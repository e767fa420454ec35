"""Meta-training sb3-contrib's RecurrentPPO: :func:`train`, its clock and its callback.

:func:`train` runs PPO (Schulman et al. 2017) with an LSTM policy (sb3-contrib's
``RecurrentPPO``) on any registered environment, for a fixed number of environment steps or a
wall-clock budget, and writes a run folder (:mod:`bayes_meta_envs.agents.recurrent_ppo.io`).
:class:`BudgetCallback` stops at the budget, decays the entropy bonus and logs each rollout;
:class:`Clock` measures progress for it and for the :class:`LinearLr` learning-rate schedule.

Global random state: SB3 draws from the global generators; :func:`train` seeds them from
``seed`` inside and restores the caller's state on exit
(:func:`~bayes_meta_envs.agents.recurrent_ppo.policy.isolated_global_rng`).

Needs torch and sb3-contrib (the ``train`` extra), imported at the top of this module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import RecurrentPPO
from stable_baselines3.common.callbacks import BaseCallback

from bayes_meta_envs._io import jsonable
from bayes_meta_envs._validate import check_bool, check_mapping, check_number, check_seed
from bayes_meta_envs.agents.recurrent_ppo.config import RecurrentPPOConfig
from bayes_meta_envs.agents.recurrent_ppo.io import (
    load_weights,
    prepare_run_folder,
    read_log,
    read_run_config,
    save,
)
from bayes_meta_envs.agents.recurrent_ppo.policy import (
    build_model,
    isolated_global_rng,
    seed_global_rng,
)
from bayes_meta_envs.agents.recurrent_ppo.vec_env import make_sb3_vec_env, reseed_vec_env
from bayes_meta_envs.envs import register_envs
from bayes_meta_envs.errors import CheckpointError, UnknownEnvironmentError, invalid, wrong_type

__all__ = ["BudgetCallback", "Clock", "LinearLr", "train"]

logger = logging.getLogger(__name__)

_INFO_EVERY_S = 30.0


class Clock:
    """Training progress in [0, 1]: the larger of wall-clock and step fractions.

    The step fraction counts the whole run (``offset_steps`` done by earlier sessions plus
    ``steps`` of this one), so a resumed run follows the schedules of an uninterrupted one.
    """

    def __init__(
        self,
        budget_s: float | None,
        total_steps: int,
        offset_s: float = 0.0,
        offset_steps: int = 0,
    ) -> None:
        self.budget_s = budget_s
        self.offset_s = offset_s
        self.offset_steps = offset_steps
        self.total_steps = total_steps
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.steps = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def cpu(self) -> float:
        return time.process_time() - self.cpu_start

    def progress(self) -> float:
        p = (self.offset_steps + self.steps) / self.total_steps
        if self.budget_s is not None:
            p = max(p, self.elapsed() / self.budget_s)
        return min(p, 1.0)


class LinearLr:
    """``lr * (1 - progress)`` with progress read from the clock (floored at 1% of ``lr``)."""

    def __init__(self, lr: float, clock: Clock) -> None:
        self.lr = lr
        self.clock = clock

    def __call__(self, _progress_remaining: float) -> float:
        return self.lr * max(1.0 - self.clock.progress(), 0.01)


class BudgetCallback(BaseCallback):
    """Stop at the wall-clock budget; decay the entropy bonus; log each rollout's mean return.

    Each rollout appends a row ``{timesteps, wall_s, cpu_s, mean_return}`` to ``log_rows``.
    """

    model: RecurrentPPO

    def __init__(
        self,
        clock: Clock,
        log_rows: list[dict[str, float]],
        config: RecurrentPPOConfig,
        checkpoint: Callable[[], None] | None = None,
        restart: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(verbose=0)
        self.clock = clock
        self.log_rows = log_rows
        self.config = config
        self.checkpoint = checkpoint
        self.restart = restart
        self.start_steps = 0
        self.rollouts = 0
        self.last_info_s = float("-inf")

    def _on_training_start(self) -> None:
        self.start_steps = self.model.num_timesteps

    def _on_rollout_start(self) -> None:
        # the previous rollout has been trained on: a consistent point to save the run
        if (
            self.checkpoint is not None
            and self.rollouts
            and self.rollouts % self.config.checkpoint_every == 0
        ):
            self.checkpoint()
            if self.restart is not None:
                self.restart()

    def _on_step(self) -> bool:
        # SB3 stops at total_timesteps itself; this stops at the wall-clock budget (the
        # rollout in progress is then dropped, not trained on)
        clock = self.clock
        clock.steps = self.model.num_timesteps - self.start_steps
        return clock.budget_s is None or clock.elapsed() < clock.budget_s

    def _on_rollout_end(self) -> None:
        # entropy coefficient: linear from ent_coef to ent_coef_final over the run
        clock, cfg = self.clock, self.config
        p = clock.progress()
        self.model.ent_coef = cfg.ent_coef + p * (cfg.ent_coef_final - cfg.ent_coef)
        buf = self.model.ep_info_buffer
        mean_ret = float(np.mean([e["r"] for e in buf])) if buf else float("nan")
        row = {
            "timesteps": float(self.model.num_timesteps),
            "wall_s": round(clock.offset_s + clock.elapsed(), 3),
            "cpu_s": round(clock.cpu(), 3),
            "mean_return": mean_ret,
        }
        self.log_rows.append(row)
        self.rollouts += 1
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


def _segment_seed(seed: int, steps: int) -> int:
    """The seed of the training segment that starts at ``steps`` (a save point)."""
    return int(np.random.SeedSequence([seed, steps]).generate_state(1)[0])


def _check_env_id(env_id: Any, env_kwargs: Any) -> dict[str, Any]:
    """``env_kwargs`` as a dict, once ``env_id`` is known to be a registered environment."""
    register_envs()
    if not isinstance(env_id, str):
        raise wrong_type("env_id", env_id, "a registered environment id (str)")
    if env_id not in gym.registry:
        raise UnknownEnvironmentError(f"env_id {env_id!r} is not a registered environment")
    return check_mapping("env_kwargs", env_kwargs)


def train(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    config: RecurrentPPOConfig | None = None,
    budget_minutes: float | None = None,
    out_dir: str | Path | None = None,
    resume: bool = False,
    seed: int | None = None,
    overwrite: bool = False,
) -> Path:
    """Meta-train RecurrentPPO on ``env_id`` and save it to ``out_dir``; return ``out_dir``.

    Training runs PPO's loop (collect ``n_envs * n_steps`` steps with the LSTM policy, then
    ``n_epochs`` of clipped-surrogate updates over episode-aligned sequences; Schulman et al.
    2017, sb3-contrib's ``RecurrentPPO``) until ``config.total_timesteps`` steps or
    ``budget_minutes`` of wall-clock time, whichever comes first (checked at every step).

    ``out_dir`` defaults to ``runs/recurrent-ppo-<env_id>``. With ``resume=True`` the folder
    must hold a saved run: its config and weights are loaded (a ``config`` argument, if given,
    must equal the saved one), training continues from its step count up to
    ``config.total_timesteps`` (a finished run is left as it is), and the budget applies to this
    call; ``seed`` (default: the saved one) must be the saved run's. Without ``resume``, a
    folder that already holds a run is refused unless ``overwrite`` (its run files are then
    removed first). The run folder is saved every ``config.checkpoint_every`` rollouts, so an
    interrupted run resumes from its last save (``seed`` defaults to 0 for a new run). Each
    save starts a new segment as a resumed session starts it (global generators and env streams
    seeded from ``(seed, steps)``, fresh episodes, zero LSTM states; schedules follow the whole
    run's steps), so an interrupted and resumed run ends with the same weights as an
    uninterrupted one (without a wall-clock budget, which makes the schedules time-dependent).
    """
    env_kwargs = _check_env_id(env_id, env_kwargs)
    if config is not None and not isinstance(config, RecurrentPPOConfig):
        raise wrong_type("config", config, "a RecurrentPPOConfig or None")
    if budget_minutes is not None:
        check_number(
            "budget_minutes", budget_minutes, 0.0, low_open=True, expected="a float > 0 or None"
        )
    seed = check_seed("seed", seed, allow_none=True)
    out = Path(out_dir) if out_dir is not None else Path("runs") / f"recurrent-ppo-{env_id}"
    prepare_run_folder(out, resume=check_bool("resume", resume), overwrite=overwrite)

    prior_steps = 0
    prior_wall = 0.0
    log_rows: list[dict[str, float]] = []
    saved: dict[str, Any] | None = None
    if resume:
        saved = read_run_config(out)
        saved_config = RecurrentPPOConfig.from_dict(saved["config"])
        if config is not None and config != saved_config:
            raise invalid("config", config, f"the config saved in {out} when resume=True")
        if saved["env_id"] != env_id or saved["env_kwargs"] != jsonable(env_kwargs):
            raise invalid(
                "env_id/env_kwargs",
                (env_id, env_kwargs),
                f"the env saved in {out}: {saved['env_id']!r} {saved['env_kwargs']!r}",
            )
        saved_seed = saved.get("seed")
        if seed is not None and seed != saved_seed:
            raise CheckpointError(
                f"the run saved in {str(out)!r} belongs to another run: it was trained with "
                f"seed={saved_seed!r}, this call has seed={seed!r}; resume with the run's seed"
            )
        seed = saved_seed if isinstance(saved_seed, int) and saved_seed >= 0 else 0
        config = saved_config
        prior_steps = int(saved["training"]["timesteps"])
        prior_wall = float(saved["training"]["wall_time_s"])
        log_rows = read_log(out)
    seed = 0 if seed is None else seed
    cfg = config if config is not None else RecurrentPPOConfig()
    if resume and prior_steps >= cfg.total_timesteps:
        logger.info(
            "recurrent-ppo: %s already holds %d >= total_timesteps steps; nothing to train",
            out,
            prior_steps,
        )
        return out

    run_seed = _segment_seed(seed, prior_steps)
    budget_s = None if budget_minutes is None else 60.0 * float(budget_minutes)
    total = max(cfg.total_timesteps - prior_steps, 1)
    clock = Clock(budget_s, cfg.total_timesteps, prior_wall, prior_steps)
    lr: Any = (
        cfg.learning_rate if cfg.lr_schedule == "constant" else LinearLr(cfg.learning_rate, clock)
    )
    sessions = (saved["training"].get("sessions", 1) + 1) if saved else 1

    def checkpoint() -> None:
        save(
            model,
            out,
            env_id=env_id,
            env_kwargs=env_kwargs,
            config=cfg,
            seed=seed,
            training={
                "timesteps": int(model.num_timesteps),
                "wall_time_s": round(prior_wall + clock.elapsed(), 3),
                "budget_minutes": jsonable(budget_minutes),
                "sessions": sessions,
                "torch_threads": int(torch.get_num_threads()),
            },
            log_rows=log_rows,
        )

    def restart() -> None:
        # every save starts a segment the way a session resuming from it starts: global
        # generators and env streams seeded from (seed, steps), fresh episodes, zero LSTM states
        segment = _segment_seed(seed, model.num_timesteps)
        seed_global_rng(segment)
        model._last_obs = reseed_vec_env(env, segment)
        model._last_episode_starts = np.ones((env.num_envs,), dtype=bool)
        states: Any = model._last_lstm_states
        for state in (*states.pi, *states.vf):
            state.zero_()

    with isolated_global_rng(run_seed):
        env = make_sb3_vec_env(env_id, env_kwargs, cfg.n_envs, run_seed, cfg.vectorization)
        model = build_model(cfg, env, lr)
        if resume:
            load_weights(model, out, optimizer=True)
            model.num_timesteps = prior_steps
            # where an uninterrupted run stands at this step (see restart)
            seed_global_rng(run_seed)
            p = min(prior_steps / cfg.total_timesteps, 1.0)
            model.ent_coef = cfg.ent_coef + p * (cfg.ent_coef_final - cfg.ent_coef)
        callback = BudgetCallback(clock, log_rows, cfg, checkpoint, restart)
        with torch.inference_mode(False):
            model.learn(total_timesteps=total, callback=callback, reset_num_timesteps=not resume)
        env.close()
    logger.info("recurrent-ppo: trained %d steps in %.1f s", model.num_timesteps, clock.elapsed())
    checkpoint()
    return out
