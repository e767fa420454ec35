"""score() on MetaBandit: checked against exact values computed independently of the scorer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent, bayes_optimal_value
from bayes_meta_envs.baselines.classic import GreedyAgent, RandomAgent, ThompsonAgent, UCB1Agent
from bayes_meta_envs.scoring import ScoreReport, score

ENV = "MetaBandit-v0"


def exact_policy_value(agent, n_arms: int, horizon: int, prior) -> float:
    """Expected total reward of a belief-state policy, by propagating the probability mass of
    every belief state [alphas | betas | t] forward through the belief MDP (no simulation)."""
    prior = np.broadcast_to(np.asarray(prior, dtype=np.float64), (n_arms, 2))
    states = np.concatenate([prior[:, 0], prior[:, 1], [0.0]])[None, :]
    mass = np.ones(1)
    total = 0.0
    k = n_arms
    for _ in range(horizon):
        pi = agent.output(states)
        p = states[:, :k] / (states[:, :k] + states[:, k : 2 * k])
        total += float(np.sum(mass[:, None] * pi * p))
        nxt, w = [], []
        for arm in range(k):
            for success, prob in ((1.0, p[:, arm]), (0.0, 1.0 - p[:, arm])):
                s = states.copy()
                s[:, arm if success else k + arm] += 1.0
                s[:, 2 * k] += 1.0
                nxt.append(s)
                w.append(mass * pi[:, arm] * prob)
        allstates, allw = np.concatenate(nxt), np.concatenate(w)
        keep = allw > 0
        states, inverse = np.unique(allstates[keep], axis=0, return_inverse=True)
        mass = np.bincount(inverse.reshape(-1), weights=allw[keep], minlength=states.shape[0])
    return total


def test_bayes_gap_is_exactly_zero_and_return_matches_the_dp_value() -> None:
    agent = BayesOptimalAgent.for_env(ENV)
    report = score(agent, ENV, episodes=20_000, seed=1)
    gap = report.metrics["bayes_gap"]
    assert gap is not None and gap.mean == 0.0 and gap.ci95 == 0.0
    assert report.metrics["kl_tie_split"].mean == 0.0
    assert report.metrics["kl_to_bayes_set"].mean == 0.0
    assert report.metrics["agreement"].mean == 1.0
    assert report.metrics["normalised_score"].mean == 1.0
    assert report.mean_return.contains(bayes_optimal_value(2, 20, (1.0, 1.0)))
    assert report.references["bayes_value"] == pytest.approx(bayes_optimal_value(2, 20, (1, 1)))


def test_bayes_on_three_arms_with_an_asymmetric_prior() -> None:
    kwargs = {"n_arms": 3, "horizon": 8, "prior": [[1, 1], [2, 1], [1, 3]], "include_time": True}
    agent = BayesOptimalAgent.for_env(ENV, **kwargs)
    report = score(agent, ENV, env_kwargs=kwargs, episodes=20_000, seed=2)
    assert report.metrics["bayes_gap"].mean == 0.0
    v = bayes_optimal_value(3, 8, kwargs["prior"])
    assert report.mean_return.contains(v)
    assert report.env_config["n_arms"] == 3 and report.env_kwargs == kwargs


@pytest.mark.parametrize("cls", [ThompsonAgent, GreedyAgent, UCB1Agent, RandomAgent])
def test_classic_agents_match_their_exact_belief_mdp_values(cls) -> None:
    agent = cls.for_env(ENV)
    exact = exact_policy_value(agent, 2, 20, (1.0, 1.0))
    report = score(agent, ENV, episodes=20_000, seed=3)
    assert report.mean_return.contains(exact), (report.mean_return, exact)
    # pseudo-regret: H * E[max(p1, p2)] - E[return], with E[max of two uniforms] = 2/3
    assert report.metrics["regret"].contains(20 * 2 / 3 - exact)
    # normalised score: (E[return] - random) / (V* - random), random = 10 exactly
    v_star = bayes_optimal_value(2, 20, (1.0, 1.0))
    assert report.metrics["normalised_score"].contains((exact - 10.0) / (v_star - 10.0))


def test_random_agent_kl_and_agreement_have_closed_forms() -> None:
    # along any trajectory: the Bayes-optimal output is a tie split over 1 or 2 arms; the random
    # agent puts 1/2 on each arm. Ties: KL 0, agreement 1; no tie: KL log 2, agreement 1/2.
    report = score(RandomAgent.for_env(ENV), ENV, episodes=2_000, seed=4, record_traces=True)
    tr = report.traces
    tie = (tr.bayes_output > 0).sum(axis=2) == 2
    kl = np.where(tie, 0.0, np.log(2.0)).mean(axis=1).mean()
    agree = np.where(tie, 1.0, 0.5).mean(axis=1).mean()
    assert report.metrics["kl_tie_split"].mean == pytest.approx(kl, rel=1e-12)
    # -log pi(A*): 0 at a tie (both arms optimal), log 2 otherwise: the same numbers here
    assert report.metrics["kl_to_bayes_set"].mean == pytest.approx(kl, rel=1e-12)
    assert report.metrics["agreement"].mean == pytest.approx(agree, rel=1e-12)
    assert tie[:, 0].all()  # at the prior both arms are optimal


def test_bayes_rollout_is_paired_across_agents() -> None:
    # the Bayes-optimal rollout inside any report is the Bayes agent's own run on the same seed
    bayes = score(BayesOptimalAgent.for_env(ENV), ENV, episodes=3_000, seed=5)
    for agent in (GreedyAgent.for_env(ENV), RandomAgent.for_env(ENV)):
        rep = score(agent, ENV, episodes=3_000, seed=5)
        assert rep.metrics["bayes_return"] == bayes.mean_return
        assert rep.metrics["bayes_regret"] == bayes.metrics["regret"]


def test_same_seed_same_report_and_batch_size_does_not_matter() -> None:
    agent = ThompsonAgent.for_env(ENV)
    a = score(agent, ENV, episodes=1_000, seed=7)
    b = score(agent, ENV, episodes=1_000, seed=7)
    assert a == b and a.to_json() == b.to_json()
    c = score(agent, ENV, episodes=1_000, seed=7, batch_size=300)  # last batch partial
    for name, est in a.metrics.items():
        assert c.metrics[name] == est, name  # per-episode values: identical
    for name, curve in a.curves.items():
        np.testing.assert_allclose(c.curves[name].mean, curve.mean, rtol=1e-12, atol=1e-14)
    d = score(agent, ENV, episodes=1_000, seed=8)
    assert d.mean_return != a.mean_return


def test_first_episodes_do_not_depend_on_the_number_of_episodes() -> None:
    agent = GreedyAgent.for_env(ENV)
    short = score(agent, ENV, episodes=50, seed=9, record_traces=True)
    long = score(agent, ENV, episodes=500, seed=9, record_traces=50, batch_size=64)
    assert long.traces.n_episodes == 50
    assert dataclasses.replace(long.traces, metadata=short.traces.metadata) == short.traces


def test_callable_agent_is_scored_without_probabilities() -> None:
    def win_stay_lose_shift(obs: np.ndarray) -> np.ndarray:
        prev = obs[:, :2].argmax(axis=1)
        return np.where(obs[:, 2] > 0.5, prev, 1 - prev)

    report = score(win_stay_lose_shift, ENV, episodes=2_000, seed=0, record_traces=True)
    assert report.probabilities is False
    for key in ("kl_to_bayes_set", "kl_tie_split"):
        assert report.metrics[key] is None and report.curves[key] is None
    assert "n/a" in report.summary()
    tr = report.traces
    assert tr.agent_output.shape == (2_000, 20, 0)
    # agreement of sampled actions: whether each action is in the Bayes-optimal set
    hit = np.take_along_axis(tr.bayes_output > 0, tr.action[..., None], axis=2)[..., 0]
    assert report.metrics["agreement"].mean == pytest.approx(hit.mean(axis=1).mean(), rel=1e-12)
    # the actions are the function's own
    np.testing.assert_array_equal(
        tr.action, win_stay_lose_shift(tr.obs.reshape(-1, 3)).reshape(2_000, 20)
    )
    assert report.agent == "from_callable(win_stay_lose_shift)"


def test_report_json_round_trip_with_infinite_kl() -> None:
    report = score(GreedyAgent.for_env(ENV), ENV, episodes=500, seed=0)
    # greedy gives probability 0 to a tied Bayes-optimal action, and some to a non-optimal one
    assert report.metrics["kl_tie_split"].mean == np.inf
    text = report.to_json()
    assert "Infinity" not in text and "NaN" not in text
    again = ScoreReport.from_json(text)
    assert again == report
    assert again.to_json() == text
    assert "KL(Bayes tie-split || agent)" in report.summary()


class _ArgMaxOf:
    """The oracle's view of ``score(deterministic=True)``: a one-hot policy on the first
    arg-max of ``agent``'s probabilities."""

    def __init__(self, agent) -> None:
        self.agent = agent

    def output(self, states: np.ndarray) -> np.ndarray:
        probs = self.agent.output(states)
        return np.eye(probs.shape[1])[probs.argmax(axis=1)]


@pytest.mark.parametrize("cls", [ThompsonAgent, RandomAgent, UCB1Agent])
def test_deterministic_scoring_matches_the_exact_value_of_the_arg_max_policy(cls) -> None:
    agent = cls.for_env(ENV)
    exact = exact_policy_value(_ArgMaxOf(agent), 2, 20, (1.0, 1.0))
    sampled = score(agent, ENV, episodes=20_000, seed=6)
    report = score(agent, ENV, episodes=20_000, seed=6, deterministic=True)
    assert report.deterministic and not sampled.deterministic
    assert report.mean_return.contains(exact), (report.mean_return, exact)
    assert report.metrics["regret"].contains(20 * 2 / 3 - exact)
    if cls is RandomAgent:  # the arg-max of (1/2, 1/2) is arm 0, always: E[return] = 10
        assert exact == pytest.approx(10.0)


def test_deterministic_scoring_takes_the_arg_max_and_drops_the_kl() -> None:
    agent = ThompsonAgent.for_env(ENV)
    report = score(agent, ENV, episodes=1_000, seed=7, record_traces=True, deterministic=True)
    tr = report.traces
    np.testing.assert_array_equal(
        tr.action, agent.output(tr.agent_state.reshape(-1, 5)).argmax(axis=1).reshape(1_000, 20)
    )
    assert report.probabilities is False and tr.metadata["deterministic"] is True
    for key in ("kl_to_bayes_set", "kl_tie_split"):
        assert report.metrics[key] is None and report.curves[key] is None
    hit = np.take_along_axis(tr.bayes_output > 0, tr.action[..., None], axis=2)[..., 0]
    assert report.metrics["agreement"].mean == pytest.approx(hit.mean(axis=1).mean(), rel=1e-12)
    assert "arg-max of the agent's probabilities" in report.summary()
    assert "(deterministic)" in report.summary()


def test_deterministic_bayes_optimal_agent_stays_bayes_optimal() -> None:
    # the arg-max of the Bayes-optimal tie split is a Bayes-optimal action (the first arm at
    # ties): the actions are all optimal; the gap is 0 in expectation, not per episode
    report = score(BayesOptimalAgent.for_env(ENV), ENV, episodes=20_000, seed=8, deterministic=True)
    assert report.metrics["agreement"].mean == 1.0
    assert report.bayes_gap.contains(0.0) and report.bayes_gap.ci95 > 0.0


def test_deterministic_report_json_round_trip_and_reports_without_the_key() -> None:
    report = score(GreedyAgent.for_env(ENV), ENV, episodes=500, seed=0, deterministic=True)
    again = ScoreReport.from_json(report.to_json())
    assert again == report and again.deterministic is True
    old = report.to_dict()
    del old["deterministic"]  # written before 0.2: sampled
    assert ScoreReport.from_dict(old).deterministic is False
