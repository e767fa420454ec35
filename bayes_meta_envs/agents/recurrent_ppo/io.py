"""Saving and loading a RecurrentPPO run folder, without pickle.

The folder :func:`~bayes_meta_envs.agents.recurrent_ppo.train` writes (the layout of every
recipe's run folder, :mod:`bayes_meta_envs.agents.run_folder`)::

    OUT/config.json         the RecurrentPPOConfig, flat, with "algo": "recurrent-ppo"
    OUT/model.safetensors   the policy's state_dict (tensors only)
    OUT/train_log.csv       per rollout: steps, wall-clock seconds over the run, process CPU
                            seconds of the session, mean episode return
    OUT/checkpoints/ckpt_NNNNNN/   after NNNNNN rollouts: model.safetensors, optimizer.pt
                            (Adam's state, read with ``weights_only=True``), trainer_state.json

SB3's own ``model.save()`` zip stores some entries with cloudpickle, so the policy's
``state_dict`` is saved with safetensors and the hyperparameters as JSON, both through
:mod:`bayes_meta_envs.agents.run_folder`; :func:`load_model` rebuilds
``RecurrentPPO(policy, env, **hyperparameters)`` and loads the tensors into it. 0.2's folders
(a nested ``config.json``, no checkpoints) load too.

* :func:`load_model` returns the SB3 ``RecurrentPPO`` model itself (use it with SB3 tooling);
* :func:`load_agent` returns it wrapped by :func:`bayes_meta_envs.agents.adapters.from_sb3`, i.e.
  an object that follows the package's Agent protocol (what ``bayes-meta score`` and the zoo's
  ``load`` use).

Needs torch, safetensors and sb3-contrib (the ``train`` extra), imported at the top.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import torch
from sb3_contrib import RecurrentPPO

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs._validate import check_path
from bayes_meta_envs.agents import run_folder
from bayes_meta_envs.agents.adapters import SB3Agent, from_sb3
from bayes_meta_envs.agents.recurrent_ppo.config import (
    ALGO,
    LOG_FILE,
    OPTIMIZER_FILE,
    RecurrentPPOConfig,
)
from bayes_meta_envs.agents.recurrent_ppo.policy import build_model, isolated_global_rng
from bayes_meta_envs.agents.recurrent_ppo.vec_env import make_sb3_vec_env
from bayes_meta_envs.agents.run_folder import (
    CONFIG_FILE,
    TRAINER_STATE_FILE,
    WEIGHTS_FILE,
    load_module,
    save_module,
    write_config,
)
from bayes_meta_envs.errors import (
    CheckpointError,
    InvalidArgumentError,
    UnknownEnvironmentError,
)

__all__ = [
    "TrainState",
    "load_agent",
    "load_model",
    "load_weights",
    "read_config",
    "read_log",
    "read_train_state",
    "save_agent",
    "write_train_checkpoint",
]

_LOG_FIELDS = ["timesteps", "wall_s", "cpu_s", "mean_return"]
_STATE_FORMAT = 1


@dataclass
class TrainState:
    """Where a run stands: rollouts and steps done, training seconds, sessions, the per-rollout
    log and the config JSON it was written with (what ``trainer_state.json`` holds)."""

    rollouts: int = 0
    timesteps: int = 0
    elapsed: float = 0.0
    sessions: int = 1
    log_rows: list[dict[str, float]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    #: the steps done before this session (not saved)
    timesteps_before: int = 0


def write_train_checkpoint(
    model: RecurrentPPO, out: Path, config: RecurrentPPOConfig, state: TrainState
) -> Path:
    """Write ``out/checkpoints/ckpt_<rollouts>`` (atomically): weights, optimizer, state."""
    state.config = config.to_dict()
    payload = {
        "format_version": _STATE_FORMAT,
        **{k: v for k, v in dataclasses.asdict(state).items() if k != "timesteps_before"},
    }
    optimizer_state = model.policy.optimizer.state_dict()

    def write(tmp: Path) -> None:
        # save_module drops the aliases of shared tensors (the features extractor is shared by
        # the policy and value branches); load_model restores them
        save_module(tmp / WEIGHTS_FILE, model.policy)
        torch.save(optimizer_state, tmp / OPTIMIZER_FILE)
        (tmp / TRAINER_STATE_FILE).write_text(json.dumps(payload), encoding="utf-8")

    return run_folder.write_checkpoint_folder(out, state.rollouts, write)


def read_train_state(ck: Path) -> TrainState:
    """The :class:`TrainState` of the checkpoint folder ``ck``; :class:`CheckpointError` naming
    the file when it is missing or corrupt."""
    file = ck / TRAINER_STATE_FILE
    if not file.is_file():
        raise CheckpointError(f"checkpoint {str(ck)!r} is incomplete: missing {TRAINER_STATE_FILE}")
    data = run_folder.read_json_object(file, "checkpoint state")
    try:
        state = TrainState(
            rollouts=int(data["rollouts"]),
            timesteps=int(data["timesteps"]),
            elapsed=float(data["elapsed"]),
            sessions=int(data["sessions"]),
            log_rows=[{k: float(v) for k, v in row.items()} for row in data["log_rows"]],
            config=dict(data["config"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{str(file)!r} is corrupt: {exc!r}") from None
    if min(state.rollouts, state.timesteps) < 0 or not math.isfinite(state.elapsed):
        raise CheckpointError(f"{str(file)!r} is corrupt: negative or infinite counters")
    return state


def save_agent(
    model: RecurrentPPO, out: Path, config: RecurrentPPOConfig, state: TrainState
) -> None:
    """Write the trained agent into ``out``: weights, the log, and ``config.json`` last."""
    out.mkdir(parents=True, exist_ok=True)
    save_module(out / WEIGHTS_FILE, model.policy)
    log = StringIO(newline="")
    writer = csv.DictWriter(log, fieldnames=_LOG_FIELDS)
    writer.writeheader()
    writer.writerows(state.log_rows)
    atomic_write_text(out / LOG_FILE, log.getvalue())
    # the config goes last: a folder with a config.json is a complete saved agent
    write_config(out, config.to_dict())


def read_log(out: Path) -> list[dict[str, float]]:
    """The rows of ``out/train_log.csv`` (none when the file is absent)."""
    path = out / LOG_FILE
    if not path.is_file():
        return []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]
    except (OSError, UnicodeDecodeError, csv.Error, TypeError, ValueError) as exc:
        raise CheckpointError(f"{str(path)!r} is corrupt or unreadable: {exc}") from None


def read_config(path: Path) -> RecurrentPPOConfig:
    """The config of the run folder (or checkpoint folder) ``path``, 0.2's nested format
    included; :class:`CheckpointError` when unusable."""
    meta = run_folder.read_config(path, algo=ALGO)
    try:
        return RecurrentPPOConfig.from_dict(meta)
    except (InvalidArgumentError, TypeError) as exc:
        file = run_folder.run_of(path) / CONFIG_FILE
        raise CheckpointError(f"{str(file)!r} holds an invalid config: {exc}") from exc


def load_weights(model: RecurrentPPO, path: Path, *, optimizer: bool = False) -> None:
    """Load ``path/model.safetensors`` into ``model.policy`` (strict), and with ``optimizer``
    Adam's state from ``path/optimizer.pt`` (``torch.load(weights_only=True)``)."""
    load_module(path / WEIGHTS_FILE, model.policy)
    if not optimizer:
        return
    opt_file = path / OPTIMIZER_FILE
    if not opt_file.is_file():
        raise CheckpointError(f"{OPTIMIZER_FILE} is missing from {str(path)!r} (resume)")
    try:
        opt_state = torch.load(opt_file, weights_only=True)
        model.policy.optimizer.load_state_dict(opt_state)
    except Exception as exc:  # unpickling refusals, corrupt zip, mismatched groups
        raise CheckpointError(f"{str(opt_file)!r} could not be loaded: {exc}") from exc


def load_model(path: str | os.PathLike[str]) -> RecurrentPPO:
    """Rebuild the saved sb3-contrib ``RecurrentPPO`` model from ``path`` (no unpickling).

    Reads ``config.json`` (hyperparameters and env), builds ``RecurrentPPO("MlpLstmPolicy",
    env, **hyperparameters)`` on a native vector env of the saved env, and loads the policy's
    tensors from ``model.safetensors`` (strict: every key and shape must match). Raises
    :class:`CheckpointError` if a file is missing or corrupt.
    """
    p = check_path("path", path)
    folder = p.parent if p.name == CONFIG_FILE and p.is_file() else p
    cfg = read_config(folder)
    with isolated_global_rng(0):
        try:
            env = make_sb3_vec_env(cfg.env_id, cfg.env_kwargs, 1, 0, cfg.vectorization)
        except (UnknownEnvironmentError, InvalidArgumentError, TypeError) as exc:
            raise CheckpointError(
                f"the env saved in {str(folder)!r} cannot be built: {exc}"
            ) from exc
        model = build_model(dataclasses.replace(cfg, num_envs=1), env)
    load_weights(model, folder)
    model.policy.set_training_mode(False)
    return model


def load_agent(path: str | os.PathLike[str], *, seed: int | None = None) -> SB3Agent:
    """The saved RecurrentPPO as an Agent: ``from_sb3(load_model(path))``.

    ``seed`` is accepted as every recipe's ``load_agent`` accepts it, and unused: the adapter's
    ``predict`` samples through SB3's policy.

    The adapter (:func:`bayes_meta_envs.agents.adapters.from_sb3`) reads action probabilities
    from the policy's distribution and resets the LSTM state at each episode start. This is what
    the zoo's ``load`` returns for ``"algo": "recurrent-ppo"``; use :func:`load_model` for the
    SB3 model itself.
    """
    return from_sb3(load_model(path))
