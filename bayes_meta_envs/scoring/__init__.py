"""Scoring: run any agent beside the exact Bayes-optimal agent and compare them.

* :func:`score` -> :class:`ScoreReport` (:mod:`bayes_meta_envs.scoring.score`);
* :class:`Traces` (:mod:`bayes_meta_envs.scoring.traces`): per-step records, saved as ``.npz``;
* the ``bayes-meta score`` and ``bayes-meta baselines`` commands
  (:mod:`bayes_meta_envs.scoring.cli`).
"""

from __future__ import annotations

from bayes_meta_envs.scoring.score import Curve, Estimate, ScoreReport, score
from bayes_meta_envs.scoring.traces import Traces, load_traces

__all__ = ["Curve", "Estimate", "ScoreReport", "Traces", "load_traces", "score"]
