"""Saving and loading a RecurrentPPO run folder, without pickle.

A folder written by :func:`save` (what :func:`~bayes_meta_envs.agents.recurrent_ppo.train`
writes)::

    OUT/config.json         {"algo": "recurrent-ppo", "env_id", "env_kwargs", "config", "training"}
    OUT/model.safetensors   the policy's state_dict (tensors only)
    OUT/optimizer.pt        Adam's state (tensors and numbers; read with ``weights_only=True``)
    OUT/train_log.csv       per rollout: steps, wall-clock and process CPU seconds (of this
                            session), mean episode return

SB3's own ``model.save()`` zip stores some entries with cloudpickle, so the policy's
``state_dict`` is saved with safetensors and the hyperparameters as JSON, both through
:mod:`bayes_meta_envs.agents.run_folder`; :func:`load_model` rebuilds
``RecurrentPPO(policy, env, **hyperparameters)`` and loads the tensors into it.

* :func:`load_model` returns the SB3 ``RecurrentPPO`` model itself (use it with SB3 tooling);
* :func:`load_agent` returns it wrapped by :func:`bayes_meta_envs.agents.adapters.from_sb3`, i.e.
  an object that follows the package's Agent protocol (what ``bayes-meta score`` and the zoo's
  ``load`` use).

Needs torch, safetensors and sb3-contrib (the ``train`` extra), imported at the top.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from io import StringIO
from pathlib import Path
from typing import Any

import torch
from sb3_contrib import RecurrentPPO

from bayes_meta_envs._io import atomic_write, atomic_write_text, jsonable
from bayes_meta_envs._validate import check_bool
from bayes_meta_envs.agents.adapters import SB3Agent, from_sb3
from bayes_meta_envs.agents.recurrent_ppo.config import (
    ALGO,
    FORMAT_VERSION,
    LOG_FILE,
    OPTIMIZER_FILE,
    RecurrentPPOConfig,
)
from bayes_meta_envs.agents.recurrent_ppo.policy import build_model, isolated_global_rng
from bayes_meta_envs.agents.recurrent_ppo.vec_env import make_sb3_vec_env
from bayes_meta_envs.agents.run_folder import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    load_module,
    read_config,
    save_module,
    write_config,
)
from bayes_meta_envs.errors import (
    CheckpointError,
    InvalidArgumentError,
    UnknownEnvironmentError,
)

__all__ = [
    "load_agent",
    "load_model",
    "load_weights",
    "prepare_run_folder",
    "read_log",
    "read_run_config",
    "save",
]

_LOG_FIELDS = ["timesteps", "wall_s", "cpu_s", "mean_return"]


def save(
    model: RecurrentPPO,
    out: Path,
    *,
    env_id: str,
    env_kwargs: dict[str, Any],
    config: RecurrentPPOConfig,
    seed: int,
    training: dict[str, Any],
    log_rows: list[dict[str, float]],
) -> None:
    """Write the run folder ``out`` (see the module docstring); ``config.json`` goes last."""
    out.mkdir(parents=True, exist_ok=True)
    # save_module drops the aliases of shared tensors (the features extractor is shared by the
    # policy and value branches); load_model restores them
    save_module(out / WEIGHTS_FILE, model.policy)
    optimizer_state = model.policy.optimizer.state_dict()
    atomic_write(out / OPTIMIZER_FILE, lambda tmp: torch.save(optimizer_state, tmp))
    meta = {
        "algo": ALGO,
        "format_version": FORMAT_VERSION,
        "env_id": env_id,
        "env_kwargs": jsonable(env_kwargs),
        "seed": seed,
        "config": config.to_dict(),
        "policy": "MlpLstmPolicy (shared LSTM, linear policy and value heads)",
        "weights": WEIGHTS_FILE,
        "training": training,
    }
    log = StringIO(newline="")
    writer = csv.DictWriter(log, fieldnames=_LOG_FIELDS)
    writer.writeheader()
    writer.writerows(log_rows)
    atomic_write_text(out / LOG_FILE, log.getvalue())
    # the config goes last: a folder with a config.json is a complete saved agent
    write_config(out, meta)


#: What a RecurrentPPO run folder holds once training has written into it.
RUN_FILES = (CONFIG_FILE, WEIGHTS_FILE, OPTIMIZER_FILE, LOG_FILE)


def prepare_run_folder(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Check the output folder of a training run before anything is written.

    Temporary files that a killed atomic write left (``.NAME.*.tmp*``) are removed. Without
    ``resume``, a folder holding a run (any of :data:`RUN_FILES`) is refused with
    :class:`InvalidArgumentError` unless ``overwrite``, which removes those files first.
    """
    if check_bool("overwrite", overwrite) and resume:
        raise InvalidArgumentError("resume and overwrite must not both be True")
    if out.exists() and not out.is_dir():
        raise InvalidArgumentError(f"out_dir must be a folder, got {str(out)!r} (a file)")
    if not out.is_dir():
        return
    for p in out.iterdir():
        if p.is_file() and any(p.name.startswith(f".{name}.") for name in RUN_FILES):
            p.unlink(missing_ok=True)
    if resume:
        return
    found = [name for name in RUN_FILES if (out / name).exists()]
    if found and not overwrite:
        raise InvalidArgumentError(
            f"out_dir must be a new or empty folder, got {str(out)!r}: it already holds a run "
            f"({', '.join(found)}); continue it with resume=True (--resume), choose another "
            "folder, or pass overwrite=True"
        )
    for name in found:
        (out / name).unlink()


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


def read_run_config(path: Path) -> dict[str, Any]:
    """Read and check ``path/config.json``; raise :class:`CheckpointError` when unusable."""
    meta = read_config(path, algo=ALGO)
    file = path / CONFIG_FILE
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{str(file)!r} has format_version {meta.get('format_version')!r}, "
            f"this version reads {FORMAT_VERSION}"
        )
    missing = [k for k in ("env_id", "env_kwargs", "config", "training") if k not in meta]
    if missing:
        raise CheckpointError(f"{str(file)!r} lacks the entries {missing}")
    try:
        RecurrentPPOConfig.from_dict(meta["config"])
    except (InvalidArgumentError, TypeError) as exc:
        raise CheckpointError(f"{str(file)!r} holds an invalid config: {exc}") from exc
    return meta


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


def _folder(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.parent if p.name == CONFIG_FILE and p.is_file() else p


def load_model(path: str | os.PathLike[str]) -> RecurrentPPO:
    """Rebuild the saved sb3-contrib ``RecurrentPPO`` model from ``path`` (no unpickling).

    Reads ``config.json`` (hyperparameters and env), builds ``RecurrentPPO("MlpLstmPolicy",
    env, **hyperparameters)`` on a native vector env of the saved env, and loads the policy's
    tensors from ``model.safetensors`` (strict: every key and shape must match). Raises
    :class:`CheckpointError` if a file is missing or corrupt.
    """
    folder = _folder(path)
    meta = read_run_config(folder)
    cfg = RecurrentPPOConfig.from_dict(meta["config"])
    with isolated_global_rng(0):
        try:
            env = make_sb3_vec_env(meta["env_id"], meta["env_kwargs"], 1, 0, cfg.vectorization)
        except (UnknownEnvironmentError, InvalidArgumentError, TypeError) as exc:
            raise CheckpointError(
                f"the env saved in {str(folder)!r} cannot be built: {exc}"
            ) from exc
        model = build_model(dataclasses.replace(cfg, n_envs=1), env)
    load_weights(model, folder)
    model.policy.set_training_mode(False)
    return model


def load_agent(path: str | os.PathLike[str]) -> SB3Agent:
    """The saved RecurrentPPO as an Agent: ``from_sb3(load_model(path))``.

    The adapter (:func:`bayes_meta_envs.agents.adapters.from_sb3`) reads action probabilities
    from the policy's distribution and resets the LSTM state at each episode start. This is what
    the zoo's ``load`` returns for ``"algo": "recurrent-ppo"``; use :func:`load_model` for the
    SB3 model itself.
    """
    return from_sb3(load_model(path))
