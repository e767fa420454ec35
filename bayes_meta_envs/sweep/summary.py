"""The summary of a sweep: one row per trial, as a table, ``summary.json`` and ``summary.md``.

A row's final metric is read from the trial's run folder (``score.json``, the final
:func:`~bayes_meta_envs.scoring.score` of the trained agent): the Bayes gap from Q-values
(``bayes_gap_q``; the paired ``bayes_gap`` for a score written before it) for bandits, the
excess log-loss for prediction tasks, with its 95% interval. Torch- and Ray-free.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs._validate import check_path
from bayes_meta_envs.errors import CheckpointError
from bayes_meta_envs.sweep.spec import TrialSpec
from bayes_meta_envs.task import KIND_TRAITS

__all__ = [
    "SCORE_FILE",
    "SUMMARY_JSON",
    "SUMMARY_MD",
    "Outcome",
    "SweepSummary",
    "TrialRow",
    "final_metric",
    "read_summary",
]

SCORE_FILE = "score.json"
SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
#: The final metric of a run, by task kind (``env_kind`` of its score report), in order of
#: preference: the kind's headline; a score written before ``bayes_gap_q`` existed falls back to
#: the paired estimate.
_METRICS = {kind: (t.headline, "bayes_gap") for kind, t in KIND_TRAITS.items()}


@dataclass(frozen=True)
class Outcome:
    """How a trial's last Tune session ended: its error (one line), its wall time, and whether
    it finished (trained and scored)."""

    error: str | None
    wall_seconds: float | None
    done: bool


@dataclass(frozen=True)
class TrialRow:
    """One trial of a sweep: what ran, how it ended, its final metric and wall time.

    ``status`` is ``"ok"`` (trained and scored), ``"error"`` (``error`` says why),
    ``"unfinished"`` (interrupted: starting the sweep again resumes it) or ``"not run"`` (the sweep
    stopped before it started); ``wall_seconds`` is the trial's wall time as
    Tune measured it (training, evaluations and the final score, over all its sessions).
    """

    trial: str
    env_id: str
    seed: int
    settings: dict[str, Any]
    status: str
    metric: str | None
    value: float | None
    ci95: float | None
    wall_seconds: float | None
    error: str | None
    run_dir: str


def final_metric(run_dir: str | os.PathLike[str]) -> tuple[str, float, float] | None:
    """``(name, mean, ci95)`` of the final metric in ``run_dir/score.json`` (None if absent)."""
    path = Path(run_dir) / SCORE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names, metrics = _METRICS[data["env_kind"]], data["metrics"]
        name = next((n for n in names if n in metrics), names[0])
        est = metrics[name]
        return name, float(est["mean"]), float(est["ci95"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{str(path)!r} is not a score report: {exc}") from None


def _fmt(v: float | None, digits: int) -> str:
    return "" if v is None or not math.isfinite(v) else f"{v:.{digits}f}"


def _settings_text(settings: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={json.dumps(v)}" for k, v in settings.items()) or "-"


@dataclass(frozen=True)
class SweepSummary:
    """The rows of a sweep, in the spec's trial order, with where it was written."""

    out_dir: str
    rows: tuple[TrialRow, ...]

    @property
    def failed(self) -> list[TrialRow]:
        """The rows whose status is not ``"ok"``."""
        return [r for r in self.rows if r.status != "ok"]

    def table(self) -> str:
        """The summary as a Markdown table (also what ``summary.md`` holds)."""
        head = "| trial | env | seed | settings | status | final metric | value ± 95% | wall s |"
        lines = [head, "|---|---|---:|---|---|---|---:|---:|"]
        for r in self.rows:
            value = "" if r.value is None else f"{_fmt(r.value, 4)} ± {_fmt(r.ci95, 4)}"
            status = r.status if r.error is None else f"{r.status}: {r.error}"
            status = status.replace("|", "/").replace("\n", " ")
            lines.append(
                f"| {r.trial} | {r.env_id} | {r.seed} | {_settings_text(r.settings)} | {status} "
                f"| {r.metric or ''} | {value} | {_fmt(r.wall_seconds, 1)} |"
            )
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": self.out_dir, "trials": [asdict(r) for r in self.rows]}

    def write(self) -> None:
        """Write ``summary.json`` and ``summary.md`` into the sweep folder (atomically)."""
        out = Path(self.out_dir)
        atomic_write_text(out / SUMMARY_JSON, json.dumps(self.to_dict(), indent=2) + "\n")
        atomic_write_text(out / SUMMARY_MD, f"# Sweep {out.name}\n\n" + self.table())

    @classmethod
    def build(
        cls,
        out_dir: str | os.PathLike[str],
        trials: Sequence[TrialSpec],
        outcomes: Mapping[str, Outcome],
        run_dirs: Mapping[str, Path],
    ) -> SweepSummary:
        """Rows for ``trials``, from the ``outcomes`` of those that ran and their run folders."""
        rows = []
        for t in trials:
            run_dir = run_dirs[t.name]
            metric = final_metric(run_dir)
            outcome = outcomes.get(t.name)
            error: str | None = None
            wall: float | None = None
            if outcome is None:
                status = "not run"
            else:
                error, wall = outcome.error, outcome.wall_seconds
                if error is not None:
                    status = "error"
                elif not outcome.done:
                    status = "not run" if wall is None else "unfinished"
                elif metric is None:
                    status, error = "error", f"no {SCORE_FILE} in {run_dir}"
                else:
                    status = "ok"
            rows.append(
                TrialRow(
                    trial=t.name,
                    env_id=t.env_id,
                    seed=t.seed,
                    settings=dict(t.settings),
                    status=status,
                    metric=None if metric is None else metric[0],
                    value=None if metric is None else metric[1],
                    ci95=None if metric is None else metric[2],
                    wall_seconds=wall,
                    error=error,
                    run_dir=str(run_dir),
                )
            )
        return cls(str(out_dir), tuple(rows))


def read_summary(out_dir: str | os.PathLike[str]) -> SweepSummary:
    """Read a sweep's ``summary.json``."""
    path = check_path("out_dir", out_dir) / SUMMARY_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = tuple(TrialRow(**r) for r in data["trials"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{str(path)!r} is not a sweep summary: {exc}") from None
    return SweepSummary(str(data["out_dir"]), rows)
