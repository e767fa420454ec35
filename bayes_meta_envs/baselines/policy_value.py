"""Exact expected return of a belief-state bandit policy, and its exact Bayes gap.

For an agent whose action probabilities are a function of the Beta posterior of every arm and
the time step (every :class:`~bayes_meta_envs.baselines.belief.BanditBeliefAgent`: Gittins,
finite-horizon Gittins, Thompson, UCB1, greedy, epsilon-greedy, random), the expected total reward
from the prior follows from the same layers of belief states as the Bayes-optimal DP
(:mod:`bayes_meta_envs.baselines.bandit_dp`), with the maximum replaced by the policy's average
(policy evaluation, Puterman 1994, section 4.2)::

    V^pi_H(x)    = 0
    Q^pi_t(x, k) = p_k(x) (1 + V^pi_{t+1}(x + success on k)) + (1 - p_k(x)) V^pi_{t+1}(x + failure)
    V^pi_t(x)    = sum_k pi_t(k | x) Q^pi_t(x, k)

No Monte Carlo: the result is exact up to floating point. States of exchangeable arms (identical
priors) are stored once, as in the DP, so the policy must treat such arms symmetrically (all the
package's belief agents do: ties are split uniformly); pass ``exploit_symmetry=False`` for any
other. The Bayes gap ``V* - V^pi`` (:func:`exact_bayes_gap`) is the expected regret of the agent
against the Bayes-optimal agent, the statistic :func:`~bayes_meta_envs.scoring.score` estimates.
"""

from __future__ import annotations

import numpy as np

from bayes_meta_envs._validate import check_bool
from bayes_meta_envs.baselines.bandit_dp import _enumerate, _pair_counts, solve_bandit
from bayes_meta_envs.baselines.belief import BanditBeliefAgent
from bayes_meta_envs.baselines.limits import check_dp_size
from bayes_meta_envs.errors import wrong_type

__all__ = ["exact_bayes_gap", "exact_policy_value"]

_CHUNK = 200_000  # belief states handed to the agent's output at once


def exact_policy_value(agent: BanditBeliefAgent, *, exploit_symmetry: bool = True) -> float:
    """Expected total reward of ``agent`` from the prior, by exact policy evaluation.

    Args:
        agent: a :class:`~bayes_meta_envs.baselines.belief.BanditBeliefAgent` (its ``n_arms``,
            ``horizon`` and ``prior`` define the problem; its ``output`` gives the policy).
        exploit_symmetry: store the states of exchangeable arms once (the policy must be
            symmetric in them; see the module docstring).

    Raises:
        InvalidArgumentTypeError: ``agent`` is not a belief-state bandit agent.
        ProblemTooLargeError: the state space exceeds the DP's memory limit, before allocating.
    """
    if not isinstance(agent, BanditBeliefAgent):
        raise wrong_type("agent", agent, "a BanditBeliefAgent (a belief-state bandit agent)")
    symmetric = check_bool("exploit_symmetry", exploit_symmetry)
    prior, h, k = agent.prior, agent.horizon, agent.n_arms
    if symmetric:
        _, counts = np.unique(prior, axis=0, return_counts=True)
        check_dp_size(k, h, [int(c) for c in counts])
    else:
        check_dp_size(k, h, [1] * k)
    codec, layer_ranks, _, successors = _enumerate(prior, h, symmetric)
    perm = codec.perm
    a_int, b_int = prior[perm, 0], prior[perm, 1]
    n_of, s_of = _pair_counts(h)
    v_next = np.zeros(layer_ranks[h].shape[0])
    for t in range(h - 1, -1, -1):
        r = layer_ranks[t]
        s, f = s_of[r], n_of[r] - s_of[r]
        p = (a_int + s) / (a_int + b_int + s + f)
        succ = successors[t]
        q = p * (1.0 + v_next[succ[:, :, 0]]) + (1.0 - p) * v_next[succ[:, :, 1]]
        v = np.empty(r.shape[0])
        for lo in range(0, r.shape[0], _CHUNK):
            hi = min(lo + _CHUNK, r.shape[0])
            state = np.empty((hi - lo, 2 * k + 1))
            state[:, perm] = a_int + s[lo:hi]  # original arm perm[j] sits at internal j
            state[:, k + perm] = b_int + f[lo:hi]
            state[:, 2 * k] = t
            probs = np.asarray(agent.output(state), dtype=np.float64)[:, perm]
            v[lo:hi] = np.sum(probs * q[lo:hi], axis=1)
        v_next = v
    return float(v_next[0])


def exact_bayes_gap(agent: BanditBeliefAgent, *, exploit_symmetry: bool = True) -> float:
    """``V* - V^agent``: the agent's exact expected regret against the Bayes-optimal agent
    (:func:`exact_policy_value` and :func:`~bayes_meta_envs.baselines.solve_bandit`)."""
    value = exact_policy_value(agent, exploit_symmetry=exploit_symmetry)
    best = solve_bandit(agent.n_arms, agent.horizon, agent.prior).value
    return best - value
