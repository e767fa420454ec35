"""PNG plots of meta-training runs and scores (matplotlib, imported lazily, Agg backend).

* :func:`plot_training_curve`: a metric of the fixed evaluation batch over training (Bayes gap for
  bandits, excess log-loss for prediction tasks), against environment steps, with optional
  horizontal reference lines (e.g. the greedy baseline's gap) and the target.
* :func:`plot_bayes_action_probability`: per step of the episode, the probability each agent puts
  on the Bayes-optimal action (the ``agreement`` curve of a bandit
  :class:`~bayes_meta_envs.scoring.ScoreReport`; exactly 1 for the Bayes-optimal agent itself).
* :func:`plot_step_curves`: any per-step curve of several score reports side by side.

Every function writes one PNG and returns its path. Nothing is shown on screen.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bayes_meta_envs._io import atomic_write
from bayes_meta_envs._validate import check_number
from bayes_meta_envs.errors import invalid, require

__all__ = [
    "plot_bayes_action_probability",
    "plot_step_curves",
    "plot_training_curve",
]


def _pyplot() -> Any:
    matplotlib = require("matplotlib", "plots")
    matplotlib.use("Agg", force=True)
    return require("matplotlib.pyplot", "plots")


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    fig.tight_layout()
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        _pyplot().close(fig)


_METRIC_UNITS = {
    "bayes_gap": "Bayes gap (regret - Bayes-optimal regret, per episode)",
    "bayes_gap_q": "Bayes gap (from Bayes-optimal Q-values, per episode)",
    "excess_log_loss": "excess log-loss over Bayes (nats per step)",
    "kl": "KL(Bayes || agent) per step",
}


def plot_training_curve(
    history: Sequence[Mapping[str, float]],
    path: str | os.PathLike[str],
    *,
    metric: str = "bayes_gap",
    references: Mapping[str, float] | None = None,
    target: float | None = None,
    title: str | None = None,
    symlog_threshold: float | None = None,
) -> Path:
    """Plot ``metric`` of each evaluation record in ``history`` against ``env_steps``.

    ``history`` is what :class:`~bayes_meta_envs.agents.lstm.LSTMTrainer` records
    (``history.json``); a ``metric + "_ci95"`` field, when present, is drawn as a 95% band.
    ``references`` are horizontal lines (label -> value); ``target`` a dashed line.
    With ``symlog_threshold`` the y axis is linear from ``-symlog_threshold`` (its bottom) to
    ``symlog_threshold`` and logarithmic above it, so that a curve falling from random play to
    near zero, and references far apart, all stay readable; without it the axis is linear and
    clipped near the curve's 90th percentile.
    """
    rows = [r for r in history if metric in r]
    if not rows:
        raise invalid("metric", metric, "a field present in the history records")
    if symlog_threshold is not None:
        check_number(
            "symlog_threshold", symlog_threshold, 0.0, low_open=True, expected="a number > 0"
        )
    plt = _pyplot()
    x = np.array([r.get("env_steps", r.get("update", i)) for i, r in enumerate(rows)], float)
    y = np.array([r[metric] for r in rows], float)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(x, y, marker="o", ms=3, label="meta-learner (fixed eval batch)")
    ci_key = metric + "_ci95"
    if all(ci_key in r for r in rows):
        ci = np.array([r[ci_key] for r in rows], float)
        ax.fill_between(x, y - ci, y + ci, alpha=0.18 if symlog_threshold else 0.25)
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color=f"C{i + 1}", lw=1, label=label)
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=1, label=f"target {target:g}")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(_METRIC_UNITS.get(metric, metric.replace("_", " ")))
    ax.set_title(
        textwrap.fill(title or f"{metric.replace('_', ' ')} over training", 70), fontsize=10
    )
    finite = y[np.isfinite(y)]
    if symlog_threshold is not None:
        ax.set_yscale("symlog", linthresh=symlog_threshold)
        ax.set_ylim(bottom=-symlog_threshold)  # the band's excursions below zero are noise
    elif finite.size and finite.max() > 0:
        top = max(float(np.percentile(finite, 90)), *(references or {}).values(), target or 0.0)
        ax.set_ylim(min(0.0, float(finite.min())) - 0.02 * top, 1.15 * top)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _curve(report: Any, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    curve = getattr(report, "curves", {}).get(name)
    if curve is None:
        return None
    mean, ci = curve.as_arrays()
    return np.asarray(mean, float), np.asarray(ci, float)


def plot_step_curves(
    reports: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    curve: str,
    ylabel: str | None = None,
    title: str | None = None,
    constant: Mapping[str, float] | None = None,
) -> Path:
    """Plot the per-step curve ``curve`` (with its 95% band) of each labelled score report.

    ``constant`` adds flat lines (label -> value), e.g. the Bayes-optimal agent's agreement 1.
    Reports without that curve are skipped.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    drawn = 0
    horizon = 0
    for i, (label, report) in enumerate(reports.items()):
        c = _curve(report, curve)
        if c is None:
            continue
        mean, ci = c
        t = np.arange(1, mean.size + 1)
        horizon = max(horizon, mean.size)
        ax.plot(t, mean, marker="o", ms=3, color=f"C{i}", label=label)
        ax.fill_between(t, mean - ci, mean + ci, color=f"C{i}", alpha=0.2)
        drawn += 1
    for j, (label, value) in enumerate((constant or {}).items()):
        ax.axhline(value, color="k", ls="--" if j == 0 else ":", lw=1, label=label)
    if drawn == 0 and not constant:
        plt.close(fig)
        raise invalid("curve", curve, "a per-step curve present in at least one report")
    ax.xaxis.set_major_locator(require("matplotlib.ticker", "plots").MaxNLocator(integer=True))
    ax.set_xlabel("step of the episode")
    ax.set_ylabel(ylabel or curve.replace("_", " "))
    if title:
        ax.set_title(title)
    if horizon:
        ax.set_xlim(0.5, horizon + 0.5)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_bayes_action_probability(reports: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Per-step probability of the Bayes-optimal action: each agent (its ``agreement`` curve,
    measured on its own trajectories) against the Bayes-optimal agent (1 at every step)."""
    return plot_step_curves(
        reports,
        path,
        curve="agreement",
        ylabel="P(Bayes-optimal action)",
        title="probability of the Bayes-optimal action, per step",
        constant={"Bayes-optimal": 1.0},
    )
