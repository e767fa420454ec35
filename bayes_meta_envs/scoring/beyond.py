"""Scoring a bandit agent past the exact DP: regret against a reference, and a Bayes-gap bracket.

Where the exact Bayes-optimal DP does not fit under its memory limit (for instance 10 arms over
100 pulls; see :func:`bayes_meta_envs.baselines.bounds.dp_fits`), :func:`~bayes_meta_envs.scoring.score` runs the agent beside the *reference policy*,
the finite-horizon Gittins index (:class:`~bayes_meta_envs.baselines.FiniteGittinsAgent`), on the
same tasks and noise, and reports, instead of the exact Bayes gap:

* ``reference_return``, ``reference_regret``: the reference's return and pseudo-regret;
* ``reference_gap``: ``regret - reference_regret``, paired by episode;
* ``bayes_gap_lower``: a lower bound on the Bayes gap ``V* - V_agent``. Since ``V* >= V_ref``,
  ``V* - V_agent >= V_ref - V_agent = E[reference_gap]``, and a Bayes gap is never negative, so
  its estimate is ``max(0, mean reference_gap)`` with the reference gap's interval;
* ``bayes_gap_upper``: an upper bound. ``V_agent = H E[max_k p_k] - E[regret]`` and
  ``V* <= U`` (``U`` the least of the Lagrangian bound of
  :func:`~bayes_meta_envs.baselines.lagrangian_bound`, perfect information and, where its work
  fits, the information-relaxation bound of
  :func:`~bayes_meta_envs.baselines.information_relaxation_bound`: a Monte Carlo estimate plus
  1.96 standard errors, 2,000 samples, seed 0), so ``V* - V_agent <= U - H E[max p] + E[regret]``, estimated
  per episode with the regret's interval;
* ``kl_to_reference_set``, ``agreement_reference``: the divergence from, and agreement with, the
  reference's arg-max set along the agent's trajectory.

Both bounds are expectations estimated from the episodes (with 95% intervals); the references
``bayes_value_upper`` (``U``) and ``perfect_information`` are numbers (``U`` is exact unless the
information relaxation gave it, which is then a 97.5% confidence bound). The report's
``bayes_exact`` is false, and its summary, table and JSON call every such figure a bound.
"""

from __future__ import annotations

from bayes_meta_envs.baselines import expected_max_mean, lagrangian_bound
from bayes_meta_envs.baselines.info_relaxation import MAX_WORK, information_relaxation_bound
from bayes_meta_envs.rollout import Curve, Estimate, PairedRollout

__all__ = ["beyond_dp_metrics"]

_RELAXATION_SAMPLES = 2000


def beyond_dp_metrics(
    run: PairedRollout, probs_available: bool
) -> tuple[dict[str, Estimate | None], dict[str, Curve | None], dict[str, float]]:
    """Metrics, curves and exact references of a run beside the reference (module docstring)."""
    task = run.task
    h = task.horizon
    upper, _ = lagrangian_bound(task.n_arms, h, task.arms.prior)
    pi = h * expected_max_mean(task.arms.prior)
    bound = min(upper, pi)
    if float(_RELAXATION_SAMPLES) * task.n_arms * h * h <= MAX_WORK:
        relaxed = information_relaxation_bound(
            task.n_arms, h, task.arms.prior, episodes=_RELAXATION_SAMPLES, seed=0
        )
        bound = min(bound, relaxed.upper)
    ref_gap = Estimate.from_samples(run.per_episode["bayes_gap"])
    metrics: dict[str, Estimate | None] = {
        "return": run.estimate("return"),
        "regret": run.estimate("regret"),
        "reference_return": run.estimate("bayes_return"),
        "reference_regret": run.estimate("bayes_regret"),
        "reference_gap": ref_gap,
        "bayes_gap_lower": Estimate(max(0.0, ref_gap.mean), ref_gap.ci95, ref_gap.n),
        "bayes_gap_upper": Estimate.from_samples(run.per_episode["regret"] + (bound - pi)),
        "kl_to_reference_set": run.estimate("kl_to_bayes_set") if probs_available else None,
        "agreement_reference": run.estimate("agreement"),
    }
    curves: dict[str, Curve | None] = {
        "reward": run.curve("reward"),
        "regret": run.curve("regret"),
        "reference_gap": run.curve("bayes_gap"),
        "kl_to_reference_set": run.curve("kl_to_bayes_set") if probs_available else None,
        "agreement_reference": run.curve("agreement"),
    }
    refs = {
        "random_return": float(run.references["random_return"]),
        "bayes_value_upper": float(bound),
        "perfect_information": float(pi),
    }
    return metrics, curves, refs
