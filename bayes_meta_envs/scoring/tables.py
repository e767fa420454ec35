"""Text tables comparing score reports side by side (the demo's table, for instance)."""

from __future__ import annotations

from collections.abc import Mapping

from bayes_meta_envs.errors import wrong_type
from bayes_meta_envs.rollout import Estimate
from bayes_meta_envs.scoring.report import ScoreReport

_WIDTH = 17  # of each number column: "mean ± ci95"


def _cell(est: Estimate | None) -> str:
    if est is None:
        return f"{'n/a':>{_WIDTH}}"
    return f"{est.mean:>8.4f} ± {est.ci95:<6.4f}"


def comparison_table(reports: Mapping[str, ScoreReport]) -> str:
    """One row per report, keyed by the row's label: mean return, pseudo-regret, the Bayes gap
    (paired, and from the Bayes-optimal Q-values: the same expectation, a narrower interval) and
    the probability of a Bayes-optimal action, each as ``mean ± 95% CI half-width``.

    Example::

        agents = {"Thompson": ThompsonAgent.for_env(env), "Random": RandomAgent.for_env(env)}
        reports = {name: score(a, env, episodes=10_000, seed=0) for name, a in agents.items()}
        print(comparison_table(reports))

    A missing metric (a prediction report has no regret) shows as ``n/a``. Past the exact DP the
    Bayes gap is a bracket of bounds, shown as ``[lower, upper]`` (means of the two bounds), the
    Q-value gap is ``n/a`` and the last column is the agreement with the reference policy.
    """
    if not isinstance(reports, Mapping) or not all(
        isinstance(r, ScoreReport) for r in reports.values()
    ):
        raise wrong_type("reports", reports, "a dict of row labels to ScoreReports")
    head = (
        f"{'agent':<26} {'mean return':>{_WIDTH}} {'regret':>{_WIDTH}} {'Bayes gap':>{_WIDTH}} "
        f"{'Bayes gap (Q)':>{_WIDTH}} {'P(Bayes action)':>{_WIDTH}}"
    )
    lines = [head, "-" * len(head)]
    bracketed = False
    for name, r in reports.items():
        bounds = r.bayes_gap_bounds
        gap = _cell(r.bayes_gap)
        agreement = r.agreement
        if bounds is not None:
            bracketed = True
            gap = f"{f'[{bounds[0].mean:.3f}, {bounds[1].mean:.3f}]':>{_WIDTH}}"
            agreement = r.metrics.get("agreement_reference")
        lines.append(
            f"{name:<26} {_cell(r.mean_return)} {_cell(r.regret)} {gap} "
            f"{_cell(r.bayes_gap_q)} {_cell(agreement)}"
        )
    if bracketed:
        lines.append(
            "[lower, upper]: bounds on the Bayes gap past the exact DP; P(Bayes action) there "
            "is the agreement with the reference policy"
        )
    return "\n".join(lines)
