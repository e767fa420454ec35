"""Running a sweep on Ray Tune: :func:`run_sweep`.

Layout of a sweep folder ``out_dir``::

    sweep.json             the spec (a sweep started again must be the same sweep)
    runs/<trial>/          one normal run folder per trial (config.json, checkpoints/,
                           history.json, model.safetensors, score.json): ``agents.load`` reads it
    tune/                  Ray Tune's experiment folder (its state, results and checkpoints)
    summary.json, summary.md

Ray: by default a local Ray instance sized to this machine's cores (``num_cpus``) is started for
the sweep and shut down after it; ``address="auto"`` (a cluster started on this machine with
``ray start --head``) or ``address="ray://host:10001"`` runs the same sweep on a cluster, whose
nodes must see ``out_dir`` (a shared file system) and have this package installed. When Ray is
already initialised in this process, that instance is used and left running.

Needs Ray Tune (the ``sweep`` extra), imported at the top of this module.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ray
from ray import tune
from ray.tune import Result
from ray.tune.experiment import Trial

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs._validate import check_bool, check_int
from bayes_meta_envs.errors import InvalidArgumentError, invalid, wrong_type
from bayes_meta_envs.sweep.spec import RUNS_DIR, SweepSpec, TrialSpec
from bayes_meta_envs.sweep.summary import Outcome, SweepSummary
from bayes_meta_envs.sweep.trial import _trial_config, run_trial

__all__ = ["SPEC_FILE", "TUNE_DIR", "run_sweep"]

logger = logging.getLogger(__name__)

SPEC_FILE = "sweep.json"
TUNE_DIR = "tune"


def _trial_name(trial: Trial) -> str:
    """Tune's name and folder name of a trial: the sweep's trial name."""
    return str(trial.config["point"]["trial"]["name"])


def _check_same_sweep(out: Path, spec: SweepSpec) -> None:
    """Write ``sweep.json``, or check that the one there describes ``spec``."""
    path = out / SPEC_FILE
    if path.is_file():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"{str(path)!r} is not valid JSON: {exc}") from None
        if saved != json.loads(spec.to_json()):
            raise invalid(
                "out_dir",
                str(out),
                f"a new folder, or the folder of this same sweep ({SPEC_FILE} there describes "
                "another sweep)",
            )
    else:
        atomic_write_text(path, spec.to_json())


def _error_text(error: BaseException | None) -> str | None:
    """One line naming a failed trial's exception (the original one, not Ray's wrapper)."""
    if error is None:
        return None
    cause = getattr(error, "cause", None) or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}".strip()


#: Seconds to wait for a cluster address to answer before refusing it.
_CONNECT_TIMEOUT_S = 5.0


def _init_ray(address: str | None, num_cpus: int | None) -> bool:
    """Start or join Ray; return whether this call started it (and must shut it down)."""
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address is None:
        ncpu = num_cpus if num_cpus is not None else (os.cpu_count() or 1)
        ray.init(address="local", num_cpus=ncpu, **quiet)
    else:
        try:
            ray.init(address=address, log_to_driver=False)
        except ConnectionError as exc:  # "auto" with no cluster on this machine, say
            raise invalid(
                "address", address, f"the address of a running Ray cluster ({exc})"
            ) from None
    return True


def _check_address(address: str) -> None:
    """Refuse, before anything starts, a ``host:port`` or ``ray://host:port`` address that
    nothing answers on (Ray itself would wait, then print only "ConnectionError")."""
    if address in ("auto", "local"):
        return
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise invalid("address", address, "'auto', 'host:port' or 'ray://host:port'")
    try:
        socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise invalid(
            "address", address, f"a reachable Ray cluster (connecting to {host}:{port}: {exc})"
        ) from None


def run_sweep(
    spec: SweepSpec,
    out_dir: str | os.PathLike[str],
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    cpus_per_trial: int = 1,
    max_failures: int = 0,
    retry_failed: bool = False,
) -> SweepSummary:
    """Run every trial of ``spec`` as a Ray Tune trial; write and return the summary.

    Each trial trains one run into ``out_dir/runs/<trial>`` (see :mod:`.trial`) with
    ``cpus_per_trial`` CPUs reserved and as many torch threads (unless the config sets
    ``num_threads``). Started again on the same ``out_dir`` (after an interruption, a crash, or
    to read the summary again), the sweep is restored with :meth:`ray.tune.Tuner.restore`:
    finished trials are not run again, interrupted ones resume from their last checkpoint, and
    failed ones stay failed unless ``retry_failed``. A failing trial (an invalid config, say)
    does not stop the others: its row in the summary holds the error. ``max_failures`` is Tune's
    number of retries of a failing trial within one run (``FailureConfig``).

    Args:
        spec: what to run (a :class:`~bayes_meta_envs.sweep.spec.SweepSpec`).
        out_dir: the sweep folder (see the module docstring).
        address: ``None`` for a local Ray instance, or a cluster's address (``"auto"``,
            ``"ray://host:10001"``).
        num_cpus: CPUs of the local Ray instance (default: this machine's cores).

    Raises:
        InvalidArgumentError: bad arguments, or ``out_dir`` holds another sweep.
    """
    if not isinstance(spec, SweepSpec):
        raise wrong_type("spec", spec, "a SweepSpec")
    if address is not None and (not isinstance(address, str) or not address):
        raise invalid("address", address, "None (a local Ray) or a Ray address such as 'auto'")
    if num_cpus is not None:
        num_cpus = check_int("num_cpus", num_cpus, 1)
    cpus_per_trial = check_int("cpus_per_trial", cpus_per_trial, 1)
    max_failures = check_int("max_failures", max_failures, -1)
    retry_failed = check_bool("retry_failed", retry_failed)
    trials = spec.trials()
    for t in trials:  # every trial's config, before any folder or Ray: a typo fails at once
        _trial_config(t, cpus_per_trial)
    if address is not None:
        _check_address(address)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    _check_same_sweep(out, spec)
    run_dirs = {t.name: out / RUNS_DIR / t.name for t in trials}
    started = _init_ray(address, num_cpus)
    try:
        tuner = _tuner(out, trials, run_dirs, cpus_per_trial, max_failures, retry_failed)
        results = tuner.fit()
    finally:
        if started:
            ray.shutdown()
    outcomes = dict(_outcome(results[i]) for i in range(len(results)))
    summary = SweepSummary.build(out, trials, outcomes, run_dirs)
    summary.write()
    return summary


def _tuner(
    out: Path,
    trials: list[TrialSpec],
    run_dirs: dict[str, Path],
    cpus_per_trial: int,
    max_failures: int,
    retry_failed: bool,
) -> tune.Tuner:
    """The Tune experiment of the sweep in ``out``: restored when it exists, else new."""
    trainable = tune.with_resources(run_trial, {"cpu": cpus_per_trial})
    experiment = out / TUNE_DIR
    if tune.Tuner.can_restore(experiment):
        logger.info("restoring the sweep in %s", experiment)
        return tune.Tuner.restore(
            str(experiment), trainable, resume_unfinished=True, resume_errored=retry_failed
        )
    space = [
        {"trial": t.to_dict(), "run_dir": str(run_dirs[t.name]), "threads": cpus_per_trial}
        for t in trials
    ]
    return tune.Tuner(
        trainable,
        param_space={"point": tune.grid_search(space)},
        tune_config=tune.TuneConfig(
            reuse_actors=True,  # a worker process (torch imported) runs many trials
            trial_name_creator=_trial_name,
            trial_dirname_creator=_trial_name,
        ),
        run_config=tune.RunConfig(
            name=TUNE_DIR,
            storage_path=str(out),
            failure_config=tune.FailureConfig(max_failures=max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
            verbose=0,
        ),
    )


def _outcome(result: Result) -> tuple[str, Outcome]:
    """``(trial name, Outcome)`` of one Tune result. A trial that never started (the sweep was
    interrupted first) has no config: its name is its folder's (``trial_dirname_creator``)."""
    metrics = result.metrics or {}
    wall = metrics.get("trial_seconds")
    point = (result.config or {}).get("point")
    name = point["trial"]["name"] if point else Path(result.path).name
    return name, Outcome(
        error=_error_text(result.error),
        wall_seconds=None if wall is None else float(wall),
        done=bool(metrics.get("done", False)),
    )
