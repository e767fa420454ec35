"""Scoring: run any agent beside the exact Bayes-optimal agent and compare them.

* :func:`score` -> :class:`ScoreReport` (``scoring/_score.py``, the metrics;
  :mod:`~bayes_meta_envs.scoring.report`, the report and its JSON);
* :class:`~bayes_meta_envs.scoring.guard.Guard`: the checked agent, whose every call is validated
  (a misbehaving agent raises a ``ScoringError`` naming the episode and step);
* :class:`Traces` (:mod:`~bayes_meta_envs.scoring.traces`): per-step records, saved as ``.npz``;
* :func:`make_scoreboard` and :func:`scoreboard_markdown`
  (:mod:`~bayes_meta_envs.scoring.scoreboard`): every baseline on every registered environment;
* :func:`comparison_table` (:mod:`~bayes_meta_envs.scoring.tables`): reports side by side.

The runs themselves are :func:`bayes_meta_envs.rollout.paired_rollout`'s; :class:`Estimate` and
:class:`Curve` are re-exported from :mod:`bayes_meta_envs.rollout`.
"""

from __future__ import annotations

import sys

from bayes_meta_envs.rollout import Curve, Estimate
from bayes_meta_envs.scoring import _score
from bayes_meta_envs.scoring._score import score
from bayes_meta_envs.scoring.report import ScoreReport
from bayes_meta_envs.scoring.scoreboard import (
    SCOREBOARD_KIND,
    SCOREBOARD_SCHEMA_VERSION,
    make_scoreboard,
    scoreboard_markdown,
)
from bayes_meta_envs.scoring.tables import comparison_table
from bayes_meta_envs.scoring.traces import Traces, load_traces

# the API reference lists the names in this order: score, the reason the package exists, first
__all__ = [  # noqa: RUF022
    "score",
    "SCOREBOARD_KIND",
    "SCOREBOARD_SCHEMA_VERSION",
    "Curve",
    "Estimate",
    "ScoreReport",
    "Traces",
    "comparison_table",
    "load_traces",
    "make_scoreboard",
    "scoreboard_markdown",
]

# 0.2's module path ``bayes_meta_envs.scoring.score`` keeps importing (``from ... import score``);
# the attribute ``bayes_meta_envs.scoring.score`` is the function
sys.modules.setdefault(f"{__name__}.score", _score)
