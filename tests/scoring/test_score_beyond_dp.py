"""score() past the exact DP: regret against the reference and a Bayes-gap bracket, labelled."""

from __future__ import annotations

import json

import pytest

from bayes_meta_envs.baselines import (
    BayesOptimalAgent,
    GreedyAgent,
    UCB1Agent,
    exact_bayes_gap,
    limits,
)
from bayes_meta_envs.errors import ProblemTooLargeError
from bayes_meta_envs.scoring import ScoreReport, score
from bayes_meta_envs.scoring.tables import comparison_table

ENV = "MetaBandit-v0"


@pytest.fixture
def tiny_dp_limit():  # type: ignore[no-untyped-def]
    """Pretend the DP does not fit, so small problems take the past-the-DP path."""
    old = limits.set_limits(dp_max_bytes=1)
    yield
    limits.set_limits(**old)


@pytest.mark.parametrize("make", [GreedyAgent, UCB1Agent])
def test_bracket_contains_the_exact_gap(make, tiny_dp_limit) -> None:  # type: ignore[no-untyped-def]
    agent = make(3, 12)
    report = score(agent, ENV, env_kwargs={"n_arms": 3, "horizon": 12}, episodes=4000, seed=3)
    assert not report.bayes_exact
    assert report.bayes_gap is None and report.bayes_gap_q is None
    bounds = report.bayes_gap_bounds
    assert bounds is not None
    lo, hi = bounds
    limits.set_limits(dp_max_bytes=None)  # the package's budget again
    exact = exact_bayes_gap(agent)
    assert lo.mean - lo.ci95 <= exact <= hi.mean + hi.ci95
    assert lo.mean <= hi.mean
    assert report.references["bayes_value_upper"] <= report.references["perfect_information"]


def test_k10_h100_reports_reference_regret_and_bracket() -> None:
    report = score(
        GreedyAgent(10, 100), ENV, env_kwargs={"n_arms": 10, "horizon": 100}, episodes=300, seed=0
    )
    assert not report.bayes_exact
    ref = report.metric("reference_regret")
    assert ref is not None and 3 < ref.mean < 12
    lo, hi = report.bayes_gap_bounds  # type: ignore[misc]
    assert 0 <= lo.mean <= hi.mean
    text = report.summary()
    assert "LOWER BOUND" in text and "UPPER BOUND" in text and "BRACKETED" in text
    assert "[" in comparison_table({"greedy": report}).splitlines()[2]
    data = json.loads(report.to_json())
    assert data["bayes_exact"] is False and "bayes_gap_upper" in data["metrics"]
    assert ScoreReport.from_json(report.to_json()) == report
    # the DP itself still refuses
    with pytest.raises(ProblemTooLargeError, match="n_arms=10, horizon=100"):
        BayesOptimalAgent(10, 100)


def test_exact_path_unchanged_where_the_dp_fits() -> None:
    report = score(GreedyAgent(2, 10), ENV, env_kwargs={"horizon": 10}, episodes=200, seed=0)
    assert report.bayes_exact and report.bayes_gap_bounds is None
    assert report.bayes_gap is not None and "bayes_value" in report.references
    assert "bayes_exact" not in report.to_dict()  # exact reports keep their JSON (the key is
    assert ScoreReport.from_dict(report.to_dict()).bayes_exact  # written only when false)
