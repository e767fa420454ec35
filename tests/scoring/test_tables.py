"""comparison_table: the demo's fixed-width table of reports side by side."""

from __future__ import annotations

from bayes_meta_envs.rollout import Estimate
from bayes_meta_envs.scoring import ScoreReport, comparison_table


def _report(metrics: dict[str, Estimate | None]) -> ScoreReport:
    return ScoreReport(
        agent="a",
        env_id="MetaBandit-v0",
        env_kind="bandit",
        env_kwargs={},
        env_config={},
        episodes=10,
        seed=0,
        horizon=20,
        probabilities=True,
        metrics=metrics,
        curves={},
        references={},
        package_version="0",
    )


def test_comparison_table_format() -> None:
    bandit = _report(
        {
            "return": Estimate(12.4313, 0.0912, 10),
            "regret": Estimate(0.75, 0.01, 10),
            "bayes_gap": Estimate(-0.00001, 0.0, 10),
            "bayes_gap_q": Estimate(0.00123, 0.00004, 10),
            "agreement": Estimate(1.0, 0.0, 10),
        }
    )
    predictor = _report({"return": Estimate(-30.53691, 0.16674, 10)})
    table = comparison_table({"Bayes-optimal": bandit, "Plug-in (maximum likelihood)": predictor})
    assert table.splitlines() == [
        "agent                            mean return            regret         Bayes gap "
        "    Bayes gap (Q)   P(Bayes action)",
        "-" * 116,
        "Bayes-optimal               12.4313 ± 0.0912   0.7500 ± 0.0100  -0.0000 ± 0.0000 "
        "  0.0012 ± 0.0000   1.0000 ± 0.0000",
        "Plug-in (maximum likelihood) -30.5369 ± 0.1667               n/a               n/a "
        "              n/a               n/a",
    ]
