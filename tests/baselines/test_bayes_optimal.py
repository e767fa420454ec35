"""The exact Bayes-optimal agents against independent oracles.

Oracles: brute-force enumeration of every deterministic policy (tiny problems), a plain memoised
recursion over the counts (a second algorithm), exact policy evaluation of other agents on the belief
MDP, Monte Carlo in the registered environment (99% confidence intervals), numerical integration of
the likelihood against the prior (scipy.integrate) and closed-form marginal likelihoods.
"""

from __future__ import annotations

import importlib
import math
from functools import cache
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

import bayes_meta_envs  # noqa: F401  (registers the environments)
from bayes_meta_envs.baselines.bayes_optimal import (
    BayesOptimalAgent,
    BayesPredictorAgent,
    bayes_optimal_value,
    solve_bandit,
)
from bayes_meta_envs.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    UnknownEnvironmentError,
)
from bayes_meta_envs.families import (
    BetaBernoulli,
    ConjugateFamily,
    DirichletCategorical,
    GammaExponential,
    NormalNormal,
)
from bayes_meta_envs.protocol import BaseAgent

# ----------------------------------------------------------------------------------------------
# oracles
# ----------------------------------------------------------------------------------------------


def all_policy_values(prior: np.ndarray, counts: tuple[int, ...], steps: int) -> np.ndarray:
    """Expected total reward of EVERY deterministic history-dependent policy, by enumeration.

    A policy for ``steps`` pulls is an arm now plus one policy per outcome; no maximisation is done
    here, every combination is listed (2 arms, 4 steps: 32768 policies). ``counts`` holds
    ``(s_1, f_1, ..., s_K, f_K)``.
    """
    if steps == 0:
        return np.zeros(1)
    out = []
    for k in range(prior.shape[0]):
        s, f = counts[2 * k], counts[2 * k + 1]
        p = (prior[k, 0] + s) / (prior[k].sum() + s + f)
        win = list(counts)
        win[2 * k] += 1
        lose = list(counts)
        lose[2 * k + 1] += 1
        v_win = all_policy_values(prior, tuple(win), steps - 1)
        v_lose = all_policy_values(prior, tuple(lose), steps - 1)
        out.append((p * (1.0 + v_win)[:, None] + (1.0 - p) * v_lose[None, :]).ravel())
    return np.concatenate(out)


def first_arm_values(prior: np.ndarray, steps: int) -> list[np.ndarray]:
    """The values of all policies, split by the arm they pull first (root Q-value oracle)."""
    k = prior.shape[0]
    n_each = all_policy_values(prior, (0,) * (2 * k), steps).shape[0] // k
    vals = all_policy_values(prior, (0,) * (2 * k), steps)
    return [vals[i * n_each : (i + 1) * n_each] for i in range(k)]


def recursive_solver(prior: np.ndarray, horizon: int):
    """Plain memoised recursion over ``(s1, f1, s2, f2, ...)``; returns ``q(counts) -> list``."""
    k = prior.shape[0]

    @cache
    def v(counts: tuple[int, ...]) -> float:
        if sum(counts) == horizon:
            return 0.0
        return max(q(counts))

    def q(counts: tuple[int, ...]) -> list[float]:
        if sum(counts) == horizon:
            return [0.0] * k
        out = []
        for i in range(k):
            s, f = counts[2 * i], counts[2 * i + 1]
            p = (prior[i, 0] + s) / (prior[i].sum() + s + f)
            win = (*counts[: 2 * i], s + 1, f, *counts[2 * i + 2 :])
            lose = (*counts[: 2 * i], s, f + 1, *counts[2 * i + 2 :])
            out.append(p * (1.0 + v(win)) + (1.0 - p) * v(lose))
        return out

    return q


def random_count_states(rng: np.random.Generator, k: int, horizon: int, n: int):
    """``n`` random count states with at most ``horizon`` pulls: ``(successes, failures)``."""
    s = np.zeros((n, k), dtype=np.int64)
    f = np.zeros((n, k), dtype=np.int64)
    for row in range(n):
        for _ in range(rng.integers(0, horizon + 1)):
            arm = rng.integers(k)
            if rng.random() < 0.5:
                s[row, arm] += 1
            else:
                f[row, arm] += 1
    return s, f


def bandit_obs(layout: Any, arms: np.ndarray, rewards: np.ndarray) -> np.ndarray:
    obs = np.zeros((arms.shape[0], layout.size))
    obs[np.arange(arms.shape[0]), layout.prev_action.start + arms] = 1.0
    obs[:, layout.prev_reward] = rewards
    return obs


def exact_policy_value(agent: Any, prior: np.ndarray, horizon: int) -> float:
    """Expected total reward of ``agent`` on the belief MDP: every history, weighted exactly.

    The agent is only used through the Agent protocol (``initial_state``, ``update`` with the
    environment's observations, ``output`` action probabilities).
    """
    k = prior.shape[0]
    layout = agent.layout
    state = agent.update(agent.initial_state(1), np.zeros((1, layout.size)))
    s = np.zeros((1, k))
    f = np.zeros((1, k))
    prob = np.ones(1)
    total = 0.0
    for t in range(horizon):
        pi = agent.output(state)
        p = (prior[:, 0] + s) / (prior.sum(axis=1) + s + f)
        total += float(np.sum(prob[:, None] * pi * p))
        if t == horizon - 1:
            break
        n = state.shape[0]
        arm = np.repeat(np.arange(k), 2)[None, :].repeat(n, axis=0).ravel()
        win = np.tile([1.0, 0.0], k)[None, :].repeat(n, axis=0).ravel()
        rows = np.repeat(np.arange(n), 2 * k)
        pk = p[rows, arm]
        prob = prob[rows] * pi[rows, arm] * np.where(win > 0.5, pk, 1.0 - pk)
        keep = prob > 0
        rows, arm, win, prob = rows[keep], arm[keep], win[keep], prob[keep]
        state = agent.update(state[rows], bandit_obs(layout, arm, win))
        s, f = s[rows].copy(), f[rows].copy()
        s[np.arange(rows.shape[0]), arm] += win
        f[np.arange(rows.shape[0]), arm] += 1.0 - win
    return total


# ----------------------------------------------------------------------------------------------
# (1) brute force over every deterministic policy
# ----------------------------------------------------------------------------------------------

BRUTE_CASES = [
    (2, 1, (1.0, 1.0)),
    (2, 2, (1.0, 1.0)),
    (2, 3, (1.0, 1.0)),
    (2, 4, (1.0, 1.0)),
    (3, 2, (1.0, 1.0)),
    (3, 3, (1.0, 1.0)),
    (2, 4, [[1.0, 1.0], [2.0, 3.0]]),
    (2, 4, [[0.5, 0.5], [1.0, 2.0]]),
    (3, 3, [[0.5, 2.0], [2.0, 1.0], [0.5, 2.0]]),
    (1, 4, (2.0, 5.0)),
]


@pytest.mark.parametrize(("n_arms", "horizon", "prior"), BRUTE_CASES)
def test_value_is_best_over_all_deterministic_policies(n_arms, horizon, prior) -> None:
    sol = solve_bandit(n_arms, horizon, prior)
    pr = sol.prior
    best = all_policy_values(pr, (0,) * (2 * n_arms), horizon).max()
    assert sol.value == pytest.approx(best, rel=1e-12)
    assert bayes_optimal_value(n_arms, horizon, prior) == sol.value
    # the root Q-value of each arm is the best policy that starts with it
    q0 = sol.q_values(np.zeros((1, n_arms), int), np.zeros((1, n_arms), int))[0]
    expected = [v.max() for v in first_arm_values(pr, horizon)]
    np.testing.assert_allclose(q0, expected, rtol=1e-12)


def test_brute_force_oracle_counts_policies() -> None:
    # sanity of the oracle itself: P(h) = K * P(h - 1)^2 policies, and known small values
    assert all_policy_values(np.ones((2, 2)), (0,) * 4, 4).shape == (32768,)
    # one pull of a uniform arm pays 1/2; two pulls: 1/2 + (1/2 * 2/3 + 1/2 * 1/2) = 13/12
    assert all_policy_values(np.ones((2, 2)), (0,) * 4, 1).max() == pytest.approx(0.5)
    assert all_policy_values(np.ones((2, 2)), (0,) * 4, 2).max() == pytest.approx(13 / 12)


# ----------------------------------------------------------------------------------------------
# (2) a second algorithm: plain memoised recursion
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("horizon", [1, 2, 5, 10, 20, 25])
def test_two_arms_uniform_matches_recursion(horizon: int) -> None:
    prior = np.ones((2, 2))
    q = recursive_solver(prior, horizon)
    sol = solve_bandit(2, horizon)
    assert sol.value == pytest.approx(max(q((0, 0, 0, 0))), rel=1e-12)
    s, f = random_count_states(np.random.default_rng(horizon), 2, horizon, 200)
    expected = np.array([q(tuple(np.stack([s[i], f[i]], 1).ravel())) for i in range(200)])
    np.testing.assert_allclose(sol.q_values(s, f), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "prior",
    [
        [[1.0, 1.0], [1.0, 2.0]],
        [[2.0, 1.0], [1.0, 1.0]],
        [[0.5, 3.0], [1.0, 1.0]],
        [[0.3, 0.7], [4.0, 2.5]],
    ],
)
def test_distinct_priors_match_recursion(prior) -> None:
    horizon = 15
    pr = np.asarray(prior)
    q = recursive_solver(pr, horizon)
    sol = solve_bandit(2, horizon, prior)
    assert sol.value == pytest.approx(max(q((0, 0, 0, 0))), rel=1e-12)
    s, f = random_count_states(np.random.default_rng(7), 2, horizon, 150)
    expected = np.array([q(tuple(np.stack([s[i], f[i]], 1).ravel())) for i in range(150)])
    np.testing.assert_allclose(sol.q_values(s, f), expected, rtol=1e-12, atol=1e-12)


def test_three_arms_mixed_groups_match_recursion() -> None:
    # arms 0 and 2 exchangeable, arm 1 not: exercises the group permutation of the lookup
    prior = np.array([[1.0, 2.0], [1.5, 1.0], [1.0, 2.0]])
    horizon = 7
    q = recursive_solver(prior, horizon)
    sol = solve_bandit(3, horizon, prior)
    assert sol.value == pytest.approx(max(q((0,) * 6)), rel=1e-12)
    s, f = random_count_states(np.random.default_rng(3), 3, horizon, 150)
    expected = np.array([q(tuple(np.stack([s[i], f[i]], 1).ravel())) for i in range(150)])
    np.testing.assert_allclose(sol.q_values(s, f), expected, rtol=1e-12, atol=1e-12)


def test_symmetry_reduction_agrees_with_full_state_space() -> None:
    full = solve_bandit(4, 8, exploit_symmetry=False)
    sym = solve_bandit(4, 8)
    assert sym.n_states < full.n_states
    assert sym.value == pytest.approx(full.value, rel=1e-13)
    s, f = random_count_states(np.random.default_rng(11), 4, 8, 300)
    np.testing.assert_allclose(sym.q_values(s, f), full.q_values(s, f), rtol=1e-13)


def test_many_arms_use_byte_keys_and_match_recursion() -> None:
    # 20 arms: the mixed-radix state code would overflow int64, so states are keyed by bytes
    prior = np.tile([1.0, 1.0], (20, 1))
    prior[::3] = [2.0, 1.0]
    sol = solve_bandit(20, 3, prior)
    assert sol._codec.radix is None  # the path under test
    q = recursive_solver(prior, 3)
    assert sol.value == pytest.approx(max(q((0,) * 40)), rel=1e-12)
    s, f = random_count_states(np.random.default_rng(2), 20, 3, 60)
    expected = np.array([q(tuple(np.stack([s[i], f[i]], 1).ravel())) for i in range(60)])
    np.testing.assert_allclose(sol.q_values(s, f), expected, rtol=1e-12, atol=1e-12)


def test_exchangeable_arms_get_exactly_equal_q_values() -> None:
    sol = solve_bandit(3, 12)
    s, f = random_count_states(np.random.default_rng(5), 3, 6, 300)
    s[:, 2], f[:, 2] = s[:, 0], f[:, 0]  # arms 0 and 2 hold equal counts
    q = sol.q_values(s, f)
    assert np.array_equal(q[:, 0], q[:, 2])
    # permuting the arms permutes the Q-values
    perm = [2, 0, 1]
    np.testing.assert_array_equal(sol.q_values(s[:, perm], f[:, perm]), q[:, perm])
    agent = BayesOptimalAgent(3, 12)
    np.testing.assert_array_equal(agent.output(agent.initial_state(2)), np.full((2, 3), 1 / 3))


def test_value_of_one_arm_is_horizon_times_prior_mean() -> None:
    assert bayes_optimal_value(1, 9, (2.0, 3.0)) == pytest.approx(9 * 2 / 5, rel=1e-13)


# ----------------------------------------------------------------------------------------------
# (3) the Bayes value dominates other agents, evaluated exactly on the belief MDP
# ----------------------------------------------------------------------------------------------


def _other_agent(module: str, name: str, env: Any) -> Any:
    try:
        mod = importlib.import_module(f"bayes_meta_envs.baselines.{module}")
    except ImportError:
        pytest.skip(f"bayes_meta_envs.baselines.{module} is not there yet")
    cls = getattr(mod, name, None)
    if cls is None:
        pytest.skip(f"{module}.{name} is not there yet")
    return cls.for_env(env)


OTHER_AGENTS = [
    ("classic", "GreedyAgent"),
    ("classic", "ThompsonAgent"),
    ("classic", "UCB1Agent"),
    ("classic", "RandomAgent"),
    ("classic", "GittinsAgent"),
]
DOMINANCE_CASES = [(2, 6, (1.0, 1.0)), (2, 5, [[1.0, 1.0], [2.0, 3.0]]), (3, 4, (1.0, 1.0))]


@pytest.mark.parametrize(("n_arms", "horizon", "prior"), DOMINANCE_CASES)
def test_exact_policy_evaluation_of_the_bayes_agent(n_arms, horizon, prior) -> None:
    # the evaluator run on the DP agent must give back the DP value; on a uniformly random
    # agent, horizon times the mean prior mean
    agent = BayesOptimalAgent(n_arms, horizon, prior)
    assert exact_policy_value(agent, agent.prior, horizon) == pytest.approx(agent.value, rel=1e-12)

    class Uniform(BayesOptimalAgent):
        def output(self, state: np.ndarray) -> np.ndarray:
            return np.full((state.shape[0], self.n_arms), 1.0 / self.n_arms)

    uniform = Uniform(n_arms, horizon, prior)
    mean = float(np.mean(uniform.prior[:, 0] / uniform.prior.sum(axis=1)))
    assert exact_policy_value(uniform, uniform.prior, horizon) == pytest.approx(horizon * mean)


@pytest.mark.parametrize(("module", "name"), OTHER_AGENTS)
@pytest.mark.parametrize(("n_arms", "horizon", "prior"), DOMINANCE_CASES)
def test_bayes_value_dominates_other_agents(module, name, n_arms, horizon, prior) -> None:
    env = gym.make("MetaBandit-v0", n_arms=n_arms, horizon=horizon, prior=prior)
    other = _other_agent(module, name, env)
    value = bayes_optimal_value(n_arms, horizon, prior)
    other_value = exact_policy_value(other, np.asarray(env.unwrapped.prior), horizon)
    assert other_value <= value + 1e-12
    assert other_value > 0


# ----------------------------------------------------------------------------------------------
# (4) Monte Carlo in the registered environment
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"n_arms": 3, "horizon": 10, "prior": [[1.0, 1.0], [2.0, 1.0], [1.0, 3.0]]}],
)
def test_agent_return_in_vector_env_matches_value(kwargs) -> None:
    n = 20_000
    envs = gym.make_vec(
        "MetaBandit-v0", num_envs=n, vectorization_mode="vector_entry_point", **kwargs
    )
    agent = BayesOptimalAgent.for_env(envs.unwrapped, seed=1)
    assert isinstance(agent, BayesOptimalAgent)
    obs, _ = envs.reset(seed=123)
    state = agent.initial_state(n)
    ret = np.zeros(n)
    for _ in range(agent.horizon):
        state = agent.update(state, obs)
        obs, reward, terminated, _, _ = envs.step(agent.act(agent.output(state)))
        ret += reward
    assert terminated.all()
    half = 2.576 * ret.std(ddof=1) / math.sqrt(n)
    assert abs(ret.mean() - agent.value) < half


def test_agent_return_in_single_env_matches_value() -> None:
    env = gym.make("MetaBandit-v0", horizon=5)
    agent = BayesOptimalAgent.for_env(env, seed=0)
    rets = []
    for ep in range(2000):
        obs, _ = env.reset(seed=ep)
        state = agent.initial_state(1)
        total, done = 0.0, False
        while not done:
            state = agent.update(state, obs[None, :])
            obs, r, done, _, _ = env.step(int(agent.act(agent.output(state))[0]))
            total += r
        rets.append(total)
    half = 2.576 * np.std(rets, ddof=1) / math.sqrt(len(rets))
    assert abs(np.mean(rets) - bayes_optimal_value(2, 5)) < half


def test_for_env_accepts_ids_wrapped_envs_and_kwargs() -> None:
    a = BayesOptimalAgent.for_env("MetaBandit-v0", n_arms=3, horizon=7, prior=(2.0, 1.0))
    assert isinstance(a, BayesOptimalAgent)
    assert (a.n_arms, a.horizon) == (3, 7)
    np.testing.assert_array_equal(a.prior, np.tile([2.0, 1.0], (3, 1)))
    wrapped = gym.wrappers.RecordEpisodeStatistics(gym.make("MetaBandit-v0", include_time=True))
    b = BayesOptimalAgent.for_env(wrapped)
    assert isinstance(b, BayesOptimalAgent)
    assert b.layout.time is not None
    p = BayesOptimalAgent.for_env("MetaPredictGaussian-v0", sigma=2.0)
    assert isinstance(p, BayesPredictorAgent)
    assert isinstance(p.family, NormalNormal)
    assert p.family.sigma == 2.0


def test_agent_ignores_time_feature_and_splits_ties() -> None:
    agent = BayesOptimalAgent.for_env("MetaBandit-v0", include_time=True)
    s = agent.update(agent.initial_state(1), np.array([[0.0, 0.0, 0.0, 0.0]]))
    np.testing.assert_array_equal(agent.output(s), [[0.5, 0.5]])
    s = agent.update(s, np.array([[1.0, 0.0, 1.0, 0.05]]))  # arm 0 paid
    np.testing.assert_array_equal(agent.output(s), [[1.0, 0.0]])
    assert agent.q_values(s).shape == (1, 2)


# ----------------------------------------------------------------------------------------------
# (5) Bayes predictors against numerical integration
# ----------------------------------------------------------------------------------------------


def feed(agent: BayesPredictorAgent, xs: np.ndarray) -> np.ndarray:
    """Run the predictor over one sequence (reset observation first); return its state."""
    fam, layout = agent.family, agent.layout
    state = agent.initial_state(1)
    obs = np.zeros((1, layout.size))
    state = agent.update(state, obs)
    for x in xs:
        obs = np.zeros((1, layout.size))
        obs[:, layout.features] = fam.features(np.array([x]))
        obs[:, layout.prev_action] = 123.0  # junk the predictor must ignore
        obs[:, layout.prev_reward] = -7.0
        state = agent.update(state, obs)
    return state


def test_bernoulli_predictive_matches_integral() -> None:
    fam = BetaBernoulli(0.7, 2.0)
    xs = np.array([1, 0, 1, 1, 0, 1], dtype=float)
    agent = BayesPredictorAgent(fam, 10)
    logit = agent.output(feed(agent, xs))[0, 0]

    def post(th: float) -> float:
        return stats.beta.pdf(th, 0.7, 2.0) * np.prod(th**xs * (1 - th) ** (1 - xs))

    z = integrate.quad(post, 0, 1)[0]
    p1 = integrate.quad(lambda th: th * post(th), 0, 1)[0] / z
    assert special.expit(logit) == pytest.approx(p1, rel=1e-7)


def test_gaussian_predictive_matches_integral() -> None:
    fam = NormalNormal(mu0=0.5, sigma0=2.0, sigma=0.7)
    xs = np.array([1.3, -0.2, 2.4, 0.9])
    agent = BayesPredictorAgent(fam, 10)
    action = agent.output(feed(agent, xs))

    def post(mu: float) -> float:
        return stats.norm.pdf(mu, 0.5, 2.0) * np.prod(stats.norm.pdf(xs, mu, 0.7))

    z = integrate.quad(post, -30, 30, points=[1.0])[0]
    for y in [-1.0, 0.8, 3.0]:
        dens = integrate.quad(lambda mu, y=y: stats.norm.pdf(y, mu, 0.7) * post(mu), -30, 30)[0]
        got = math.exp(fam.log_likelihood(action, np.array([y]))[0])
        assert got == pytest.approx(dens / z, rel=1e-7)


def test_exponential_predictive_matches_integral() -> None:
    fam = GammaExponential(a=2.0, b=3.0)
    xs = np.array([0.4, 1.7, 0.05, 2.2, 0.9])
    agent = BayesPredictorAgent(fam, 10)
    action = agent.output(feed(agent, xs))

    def post(lam: float) -> float:
        return stats.gamma.pdf(lam, 2.0, scale=1 / 3.0) * np.prod(lam * np.exp(-lam * xs))

    z = integrate.quad(post, 0, np.inf)[0]
    for y in [0.1, 1.0, 4.0]:
        dens = integrate.quad(lambda lam, y=y: lam * np.exp(-lam * y) * post(lam), 0, np.inf)[0]
        got = math.exp(fam.log_likelihood(action, np.array([y]))[0])
        assert got == pytest.approx(dens / z, rel=1e-7)


def test_categorical_predictive_matches_integral() -> None:
    alpha = np.array([0.8, 2.0, 1.5])
    fam = DirichletCategorical(alpha)
    xs = np.array([0, 2, 2, 1, 0, 2], dtype=float)
    agent = BayesPredictorAgent(fam, 10)
    action = agent.output(feed(agent, xs))
    counts = np.bincount(xs.astype(int), minlength=3)

    def post(t2: float, t1: float) -> float:
        th = np.array([t1, t2, max(1.0 - t1 - t2, 0.0)])
        return math.prod(th ** (alpha - 1 + counts)) / math.prod(special.gamma(alpha))

    def integral(fn) -> float:
        return integrate.dblquad(fn, 0, 1, 0, lambda t1: 1 - t1, epsabs=1e-13, epsrel=1e-10)[0]

    z = integral(post)
    theta = [
        lambda t2, t1: t1,
        lambda t2, t1: t2,
        lambda t2, t1: 1 - t1 - t2,
    ]
    for j in range(3):
        p = integral(lambda t2, t1, j=j: theta[j](t2, t1) * post(t2, t1)) / z
        got = math.exp(fam.log_likelihood(action, np.array([float(j)]))[0])
        assert got == pytest.approx(p, rel=1e-6)


FAMILY_DRAWS = {
    "bernoulli": (BetaBernoulli(1.0, 1.0), st.sampled_from([0.0, 1.0])),
    "categorical": (
        DirichletCategorical([1.0, 1.0, 1.0, 2.0]),
        st.sampled_from([0.0, 1.0, 2.0, 3.0]),
    ),
    "gaussian": (NormalNormal(0.0, 1.0, 1.0), st.floats(-5, 5, allow_nan=False)),
    "exponential": (GammaExponential(1.0, 1.0), st.floats(0, 10, allow_nan=False)),
}


@pytest.mark.parametrize("name", sorted(FAMILY_DRAWS))
def test_posterior_does_not_depend_on_order(name: str) -> None:
    fam, draw = FAMILY_DRAWS[name]
    agent = BayesPredictorAgent(fam, 20)

    @settings(max_examples=40, deadline=None)
    @given(
        st.lists(draw, min_size=1, max_size=12).flatmap(
            lambda v: st.tuples(st.just(v), st.permutations(v))
        )
    )
    def check(pair: tuple[list[float], list[float]]) -> None:
        xs, ys = pair
        a = feed(agent, np.array(xs))
        b = feed(agent, np.array(ys))
        np.testing.assert_allclose(agent.posterior(a), agent.posterior(b), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(agent.output(a), agent.output(b), rtol=1e-9, atol=1e-12)

    check()


def log_marginal(fam: ConjugateFamily, xs: np.ndarray) -> float:
    """Closed-form log marginal likelihood ``log p(x_1..x_n)`` (Bernardo & Smith, appendix A)."""
    n = xs.shape[0]
    if isinstance(fam, BetaBernoulli):
        k = xs.sum()
        return float(
            special.betaln(fam.alpha + k, fam.beta + n - k) - special.betaln(fam.alpha, fam.beta)
        )
    if isinstance(fam, DirichletCategorical):
        c = np.bincount(xs.astype(int), minlength=fam.n_categories)
        a = fam.alpha
        return float(
            special.gammaln(a.sum())
            - special.gammaln(a.sum() + n)
            + np.sum(special.gammaln(a + c) - special.gammaln(a))
        )
    if isinstance(fam, NormalNormal):
        cov = fam.sigma**2 * np.eye(n) + fam.sigma0**2 * np.ones((n, n))
        return float(stats.multivariate_normal.logpdf(xs, np.full(n, fam.mu0), cov))
    assert isinstance(fam, GammaExponential)
    return float(
        fam.a * math.log(fam.b)
        + special.gammaln(fam.a + n)
        - special.gammaln(fam.a)
        - (fam.a + n) * math.log(fam.b + xs.sum())
    )


PREDICT_IDS = [
    "MetaPredictBernoulli-v0",
    "MetaPredictCategorical-v0",
    "MetaPredictGaussian-v0",
    "MetaPredictExponential-v0",
]


@pytest.mark.parametrize("env_id", PREDICT_IDS)
def test_predictor_total_reward_is_log_marginal_likelihood(env_id: str) -> None:
    # by the chain rule, the Bayes predictor's summed log-likelihood rewards equal the log
    # marginal likelihood of the episode's samples, read back from the observations
    env = gym.make(env_id, horizon=8)
    agent = BayesOptimalAgent.for_env(env)
    assert isinstance(agent, BayesPredictorAgent)
    fam, layout = agent.family, agent.layout
    for ep in range(3):
        obs, _ = env.reset(seed=ep)
        state = agent.initial_state(1)
        total, xs, done = 0.0, [], False
        while not done:
            state = agent.update(state, obs[None, :].astype(np.float64))
            obs, r, done, _, _ = env.step(agent.act(agent.output(state))[0])
            total += r
            xs.append(fam.decode(obs[None, layout.features].astype(np.float64))[0])
        assert total == pytest.approx(log_marginal(fam, np.array(xs)), rel=1e-4, abs=1e-4)


# ----------------------------------------------------------------------------------------------
# (6) bad input
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_arms": 0}, InvalidArgumentError, "n_arms"),
        ({"n_arms": 2.0}, InvalidArgumentTypeError, "n_arms"),
        ({"n_arms": True}, InvalidArgumentTypeError, "n_arms"),
        ({"horizon": 0}, InvalidArgumentError, "horizon must be an int >= 1, got 0"),
        ({"horizon": 2.5}, InvalidArgumentTypeError, "horizon"),
        ({"prior": (1.0, -1.0)}, InvalidArgumentError, "prior"),
        ({"prior": (1.0, float("nan"))}, InvalidArgumentError, "prior"),
        ({"prior": [[1.0, 1.0]] * 3}, InvalidArgumentError, r"prior.*\(2, 2\)"),
        ({"prior": "uniform"}, InvalidArgumentTypeError, "prior"),
        ({"exploit_symmetry": 1}, InvalidArgumentTypeError, "exploit_symmetry"),
    ],
)
def test_solve_bandit_rejects_bad_arguments(kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        solve_bandit(**kwargs)


def test_bad_arguments_of_value_and_agents() -> None:
    with pytest.raises(InvalidArgumentError, match="horizon"):
        bayes_optimal_value(horizon=-3)
    with pytest.raises(InvalidArgumentError, match="n_arms"):
        BayesOptimalAgent(n_arms=-1)
    with pytest.raises(InvalidArgumentError, match="atol"):
        BayesOptimalAgent(atol=-1.0)
    with pytest.raises(InvalidArgumentTypeError, match="family"):
        BayesPredictorAgent("bernoulli")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="horizon"):
        BayesPredictorAgent(BetaBernoulli(), 0)


def test_bad_states_and_counts() -> None:
    sol = solve_bandit(2, 4)
    with pytest.raises(InvalidArgumentError, match="at most horizon=4"):
        sol.q_values([[3, 0]], [[1, 1]])
    with pytest.raises(InvalidArgumentError, match="counts >= 0"):
        sol.q_values([[-1, 0]], [[0, 0]])
    with pytest.raises(InvalidArgumentError, match="integer counts"):
        sol.q_values([[0.5, 0]], [[0, 0]])
    with pytest.raises(InvalidArgumentError, match=r"\(B, 2\)"):
        sol.q_values([[0, 0, 0]], [[0, 0, 0]])
    agent = BayesOptimalAgent(2, 4)
    with pytest.raises(InvalidArgumentError, match="state"):
        agent.q_values(np.ones((3, 4)))
    with pytest.raises(InvalidArgumentError, match="state"):
        agent.q_values(np.array([[2.0, 1.0, 1.0, 1.0, 0.0]]))  # one pull counted, t says 0


def test_unknown_environments_are_named() -> None:
    with pytest.raises(UnknownEnvironmentError, match="NoSuchEnv-v0"):
        BayesOptimalAgent.for_env("NoSuchEnv-v0")
    with pytest.raises(UnknownEnvironmentError, match="CartPole"):
        BayesOptimalAgent.for_env(gym.make("CartPole-v1"))
    with pytest.raises(UnknownEnvironmentError, match="object"):
        BayesOptimalAgent.for_env(object())
    with pytest.raises(InvalidArgumentError, match="prediction environment"):
        BayesPredictorAgent.for_env("MetaBandit-v0")


# ----------------------------------------------------------------------------------------------
# (7) stable-baselines3's evaluate_policy
# ----------------------------------------------------------------------------------------------

SB3_AGENTS = [("bayes_optimal", "BayesOptimalAgent"), *OTHER_AGENTS]
ALL_IDS = ["MetaBandit-v0", *PREDICT_IDS]


def _agent_for(module: str, name: str, env: Any) -> BaseAgent:
    if module == "bayes_optimal":
        return BayesOptimalAgent.for_env(env, seed=0)
    return _other_agent(module, name, env)


@pytest.mark.parametrize(("module", "name"), SB3_AGENTS)
def test_bandit_agents_inside_sb3_evaluate_policy(module, name) -> None:
    evaluation = pytest.importorskip("stable_baselines3.common.evaluation")
    monitor = pytest.importorskip("stable_baselines3.common.monitor")
    env = monitor.Monitor(gym.make("MetaBandit-v0", horizon=10))
    env.reset(seed=0)  # later unseeded resets continue this stream: the test is deterministic
    agent = _agent_for(module, name, env)
    n = 150
    mean, std = evaluation.evaluate_policy(agent, env, n_eval_episodes=n)
    assert 0.0 <= mean <= 10.0
    if name == "BayesOptimalAgent":
        assert abs(mean - bayes_optimal_value(2, 10)) < 2.576 * std / math.sqrt(n)


@pytest.mark.parametrize("env_id", PREDICT_IDS)
def test_bayes_predictor_inside_sb3_evaluate_policy(env_id: str) -> None:
    evaluation = pytest.importorskip("stable_baselines3.common.evaluation")
    monitor = pytest.importorskip("stable_baselines3.common.monitor")
    env = monitor.Monitor(gym.make(env_id))
    agent = BayesOptimalAgent.for_env(env)
    rewards, lengths = evaluation.evaluate_policy(
        agent, env, n_eval_episodes=20, return_episode_rewards=True
    )
    assert lengths == [20] * 20
    assert np.all(np.isfinite(rewards))
