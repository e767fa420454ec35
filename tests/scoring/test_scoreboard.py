"""The committed scoreboard (baselines/scoreboard.json) is not stale.

Its schema is what the code writes now (same keys at every level, same baselines, same
environments and configurations), and its Bayes-optimal rows agree with the exact values:
``bayes_optimal_value`` within the confidence interval for bandits, zero excess log-loss for
prediction tasks. Regenerate with ``bayes-meta baselines --episodes 100000 --seed 0 --out
baselines/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bayes_meta_envs.baselines.bayes_optimal import bayes_optimal_value
from bayes_meta_envs.baselines.registry import baselines_for
from bayes_meta_envs.envs import ENV_SPECS
from bayes_meta_envs.scoring import ScoreReport
from bayes_meta_envs.scoring.scoreboard import (
    SCOREBOARD_KIND,
    SCOREBOARD_SCHEMA_VERSION,
    make_scoreboard,
)

BOARD = Path(__file__).resolve().parents[2] / "baselines" / "scoreboard.json"
REGENERATE = "regenerate it with `bayes-meta baselines --episodes 100000 --seed 0 --out baselines/`"


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    if not BOARD.exists():
        pytest.fail(f"{BOARD} is missing: {REGENERATE}")
    return json.loads(BOARD.read_text())


@pytest.fixture(scope="module")
def fresh() -> dict[str, Any]:
    """What the code writes now, on a few episodes."""
    return make_scoreboard(episodes=3, seed=0)


def _keys(obj: Any) -> Any:
    """The key structure of nested dicts (values of leaves dropped, list lengths kept)."""
    if isinstance(obj, dict):
        return {k: _keys(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return ("list", len(obj))
    return None


def test_scoreboard_schema_is_current(board: dict[str, Any], fresh: dict[str, Any]) -> None:
    assert board["kind"] == SCOREBOARD_KIND
    assert board["schema_version"] == SCOREBOARD_SCHEMA_VERSION, REGENERATE
    assert board["episodes"] == 100_000 and board["seed"] == 0
    assert set(board) == set(fresh), REGENERATE
    assert list(board["envs"]) == [e.id for e in ENV_SPECS], REGENERATE
    for env_id, entry in board["envs"].items():
        now = fresh["envs"][env_id]
        assert entry["env_kind"] == now["env_kind"]
        assert list(entry["reports"]) == list(baselines_for(entry["env_kind"])), REGENERATE
        for spec, report in entry["reports"].items():
            current = now["reports"][spec]
            assert _keys(report) == _keys(current), f"{env_id} / {spec}: {REGENERATE}"
            assert report["env_config"] == current["env_config"], f"{env_id}: {REGENERATE}"
            assert report["schema_version"] == current["schema_version"]
            assert report["agent"] == spec and report["episodes"] == 100_000
            assert ScoreReport.from_dict(report).to_dict() == report


def test_bayes_rows_agree_with_the_exact_values(board: dict[str, Any]) -> None:
    for env_id, entry in board["envs"].items():
        bayes = ScoreReport.from_dict(entry["reports"]["bayes"])
        if bayes.env_kind == "bandit":
            cfg = bayes.env_config
            v = bayes_optimal_value(cfg["n_arms"], cfg["horizon"], cfg["prior"])
            assert bayes.mean_return.contains(v), (env_id, bayes.mean_return, v)
            assert bayes.references["bayes_value"] == pytest.approx(v, rel=1e-12)
            assert bayes.metrics["bayes_gap"].mean == 0.0
            assert bayes.metrics["agreement"].mean == 1.0
            assert bayes.metrics["kl_to_bayes_set"].mean == 0.0
        else:
            assert bayes.metrics["excess_log_loss"].mean == 0.0
            assert bayes.metrics["kl"].mean == pytest.approx(0.0, abs=1e-12)
        # every other agent is paired with the same Bayes-optimal rollout
        for spec, data in entry["reports"].items():
            other = ScoreReport.from_dict(data)
            if bayes.env_kind == "bandit":
                assert other.metrics["bayes_return"] == bayes.mean_return, spec
            else:
                assert other.metrics["bayes_log_loss"] == bayes.metrics["log_loss"], spec
