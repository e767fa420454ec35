"""Sweeps: many training runs as Ray Tune trials, on this machine or on a Ray cluster.

A :class:`SweepSpec` lists env ids, seeds and a grid of config settings; :func:`run_sweep` runs
one Tune trial per combination, each writing a normal run folder (that
:func:`bayes_meta_envs.agents.load` reads) and reporting its evaluations to Tune, and returns the
:class:`SweepSummary` (also written as ``summary.json`` / ``summary.md``). Started again on the
same folder, a sweep resumes (Tune's restore): finished trials are not rerun, interrupted ones
continue from their checkpoints.

Modules: :mod:`.spec` (the spec and its trials) and :mod:`.summary` (the summary) are light;
:mod:`.runner` (:func:`run_sweep`) and :mod:`.trial` (the Tune trainable) need Ray Tune (the
``sweep`` extra) and torch (the ``train`` extra), and are imported on first use of their names,
so ``import bayes_meta_envs.sweep`` imports neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayes_meta_envs._lazy import attach
from bayes_meta_envs.sweep.spec import ALGOS, RUNS_DIR, SweepSpec, TrialSpec
from bayes_meta_envs.sweep.summary import (
    SUMMARY_JSON,
    SUMMARY_MD,
    SweepSummary,
    TrialRow,
    read_summary,
)

if TYPE_CHECKING:
    from bayes_meta_envs.sweep import runner, trial
    from bayes_meta_envs.sweep.runner import run_sweep

__all__ = [
    "ALGOS",
    "RUNS_DIR",
    "SUMMARY_JSON",
    "SUMMARY_MD",
    "SweepSpec",
    "SweepSummary",
    "TrialRow",
    "TrialSpec",
    "read_summary",
    "run_sweep",
    "runner",
    "trial",
]

# name -> the module (needing Ray and torch) that defines it
_LAZY = {"run_sweep": "runner", "runner": None, "trial": None}
# the optional dependencies of those modules, and the extra that provides each
_EXTRAS = {"ray": "sweep", "pyarrow": "sweep", "torch": "train", "safetensors": "train"}


__getattr__, __dir__ = attach(__name__, _LAZY, _EXTRAS)
