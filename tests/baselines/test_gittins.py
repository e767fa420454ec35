"""Tests of the Gittins indices (two independent methods, properties, shipped tables) and agent."""

from __future__ import annotations

import csv
import io
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from bayes_meta_envs.baselines import gittins as G
from bayes_meta_envs.baselines.classic import GittinsAgent
from bayes_meta_envs.baselines.gittins import (
    SHIPPED_GAMMAS,
    compute_gittins_indices,
    gittins_index,
    gittins_index_restart,
    gittins_table,
)
from bayes_meta_envs.baselines.gittins_calibration import _band_tops, _kl, calibration_pass
from bayes_meta_envs.baselines.gittins_text import gittins_table_csv, gittins_table_text
from bayes_meta_envs.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    UnknownEnvironmentError,
)

GRID = [(a, b) for a in (1, 2, 3, 5, 8) for b in (1, 2, 4, 7)] + [(0.5, 0.5), (2.5, 1.25)]


# ----------------------------------------------------------------------------------------------
# two independent methods
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.5, 0.7, 0.9])
def test_calibration_agrees_with_restart_value_iteration(gamma: float) -> None:
    a = np.array([s[0] for s in GRID], dtype=float)
    b = np.array([s[1] for s in GRID], dtype=float)
    calib = compute_gittins_indices(a, b, gamma).indices
    restart = np.array([gittins_index_restart(x, y, gamma) for x, y in GRID])
    np.testing.assert_allclose(calib, restart, rtol=0, atol=1e-6)


def test_calibration_agrees_with_restart_gamma_095() -> None:
    states = [(1, 1), (3, 2), (0.5, 0.5)]
    calib = compute_gittins_indices([s[0] for s in states], [s[1] for s in states], 0.95).indices
    restart = [gittins_index_restart(x, y, 0.95) for x, y in states]
    np.testing.assert_allclose(calib, restart, rtol=0, atol=1e-6)


@pytest.mark.slow
def test_shipped_gamma_099_agrees_with_restart() -> None:
    # value iteration needs ~3000 sweeps of a 400k-state tree here (about 10 s)
    assert abs(gittins_index(1, 1, 0.99) - gittins_index_restart(1, 1, 0.99, depth=900)) < 1e-6


def test_certified_error_bound_holds_against_a_deeper_tree() -> None:
    a = np.array([1.0, 2.0, 7.0, 1.0, 30.0])
    b = np.array([1.0, 5.0, 3.0, 40.0, 30.0])
    shallow = compute_gittins_indices(a, b, 0.9, depth=60, tol=1.0)
    deep = compute_gittins_indices(a, b, 0.9, depth=400)
    assert np.all(shallow.error_bound > 0)
    # the deeper index lies in the certified interval of the shallow one
    assert np.all(deep.indices >= shallow.indices - 1e-12)
    assert np.all(deep.indices <= shallow.indices + shallow.error_bound + 1e-12)
    assert np.all(deep.error_bound <= G.DEFAULT_TOL)


def _plain_pass(
    a0: np.ndarray, b0: np.ndarray, lam: np.ndarray, gamma: float, depth: int, upper: bool
) -> np.ndarray:
    """Oracle for the banded pass: every row of the tree at every depth, no skipping."""
    inv = 1.0 / (1.0 - gamma)
    a_i = np.arange(depth + 1, dtype=float)[:, None] + a0
    n = a0 + b0 + depth
    p = a_i / n
    if upper:
        below = special.betainc(a_i, n - a_i, lam)
        v = (lam * below + p * (1.0 - special.betainc(a_i + 1.0, n - a_i, lam))) * inv
    else:
        v = np.maximum(lam, p) * inv
    for d in range(depth - 1, -1, -1):
        pd = a_i[: d + 1] / (a0 + b0 + d)
        c = pd + gamma * (pd * v[1:] + (1.0 - pd) * v[:-1])
        v = c if d == 0 else np.maximum(c, lam * inv)
    return v[0] - lam * inv


@pytest.mark.parametrize(("gamma", "depth"), [(0.9, 120), (0.99, 400)])
@pytest.mark.parametrize("upper", [False, True])
def test_banded_calibration_pass_matches_the_whole_tree(
    gamma: float, depth: int, upper: bool
) -> None:
    # the pass skips retired rows and bounds rows far above lam in closed form: the same values
    rng = np.random.default_rng(3)
    a0 = rng.integers(1, 60, size=40).astype(float)
    b0 = rng.integers(1, 60, size=40).astype(float)
    lam = np.clip(a0 / (a0 + b0) + rng.uniform(-0.1, 0.2, size=40), 0.001, 0.999)
    g, w = calibration_pass(a0, b0, lam, gamma, depth, upper)
    np.testing.assert_allclose(g, _plain_pass(a0, b0, lam, gamma, depth, upper), rtol=0, atol=1e-11)
    assert np.all(np.isnan(w)) if upper else np.all(w >= 1.0)


def test_band_top_is_found_at_every_depth_where_it_exists() -> None:
    # the band's top row at each depth comes from Newton's method on n KL(p || lam) = 40; a root
    # reached an ulp low once failed the check at about half the depths, and those depths were
    # computed whole (same values, twice the work)
    a0, n0 = np.array([16.0, 3.0, 40.0]), np.array([74.0, 5.0, 45.0])
    lam = np.array([0.2472316818334569, 0.73, 0.9])
    depth = 1146
    tops = np.array(_band_tops(a0, n0, lam, depth))
    d = np.arange(depth + 1)
    n = n0[:, None] + d  # (roots, depths)

    def clears(rows: np.ndarray) -> np.ndarray:  # n KL(p || lam) >= 40 at these rows, p > lam
        p = (rows + a0[:, None]) / n
        return (p > lam[:, None]) & (n * _kl(np.minimum(p, 1 - 1e-15), lam[:, None]) >= 40.0)

    given = tops <= d
    assert np.all(clears(np.broadcast_to(tops, n.shape))[:, given])  # every top is valid
    # wherever the tree's top row clears the level with room to spare, a top is found
    room = clears(np.broadcast_to(d - 2, n.shape)).all(axis=0)
    assert room.sum() > 500
    assert np.all(given[room])


def test_huge_counts_where_every_row_retires() -> None:
    # a whole depth of the tree can retire at once (the belief hardly moves): found by fuzzing
    for a, b in [(1e12, 1.0), (1.0, 1e12), (1e12, 1e12), (5e6, 5e6)]:
        nu = gittins_index(a, b, 0.9)
        assert a / (a + b) - 1e-12 <= nu <= a / (a + b) + 1e-6


def test_recomputed_table_equals_the_shipped_one() -> None:
    # the shipped gamma = 0.99 table was computed by 0.3's calibration (no bands, blocks in table
    # order); the banded one reproduces it to rounding
    n = 24
    fresh = gittins_table(0.99, n, recompute=True)
    np.testing.assert_allclose(fresh, gittins_table(0.99, n), rtol=0, atol=1e-12)


def test_one_state_calibration_matches_bisection_oracle() -> None:
    # brute force: bisection on lambda with a plain scalar backward induction (depth 250)
    a0, b0, gamma, depth = 2.0, 3.0, 0.9, 250
    lo, hi = a0 / (a0 + b0), 1.0
    for _ in range(50):
        lam = (lo + hi) / 2
        v = {i: max(lam, (a0 + i) / (a0 + b0 + depth)) / (1 - gamma) for i in range(depth + 1)}
        for d in range(depth - 1, -1, -1):
            nv = {}
            for i in range(d + 1):
                p = (a0 + i) / (a0 + b0 + d)
                c = p + gamma * (p * v[i + 1] + (1 - p) * v[i])
                nv[i] = c if d == 0 else max(lam / (1 - gamma), c)
            v = nv
        lo, hi = (lam, hi) if v[0] > lam / (1 - gamma) else (lo, lam)
    assert abs(gittins_index(a0, b0, gamma) - lo) < 1e-7


# ----------------------------------------------------------------------------------------------
# properties
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", SHIPPED_GAMMAS)
def test_table_monotone_and_above_posterior_mean(gamma: float) -> None:
    n = G.shipped_max_n(gamma)
    assert n is not None and n >= 100
    t = gittins_table(gamma, n)
    a, b = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    valid = (a >= 1) & (b >= 1) & (a + b <= n)
    assert np.all(np.isfinite(t[valid])) and np.all(np.isnan(t[~valid]))
    mean = np.where(valid, a / np.maximum(a + b, 1), np.nan)
    assert np.all(t[valid] >= mean[valid])
    assert np.all(t[valid] < 1.0)
    up = valid[:-1, :] & valid[1:, :]  # (a, b) and (a + 1, b)
    assert np.all(t[1:, :][up] > t[:-1, :][up])
    down = valid[:, :-1] & valid[:, 1:]  # (a, b) and (a, b + 1)
    assert np.all(t[:, 1:][down] < t[:, :-1][down])


@settings(max_examples=15, deadline=None)
@given(
    a=st.floats(0.2, 30.0),
    b=st.floats(0.2, 30.0),
    da=st.floats(0.05, 5.0),
)
def test_on_demand_index_monotone_and_above_mean(a: float, b: float, da: float) -> None:
    gamma = 0.7
    nu = gittins_index(a, b, gamma)
    assert nu >= a / (a + b) - 1e-12
    assert gittins_index(a + da, b, gamma) > nu
    assert gittins_index(a, b + da, gamma) < nu


def test_index_grows_with_gamma() -> None:
    nus = [gittins_index(2, 3, g) for g in SHIPPED_GAMMAS]
    assert all(x < y for x, y in itertools.pairwise(nus))


# ----------------------------------------------------------------------------------------------
# shipped tables and look-ups
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", SHIPPED_GAMMAS)
def test_shipped_table_agrees_with_on_demand_computation(gamma: float) -> None:
    n = G.shipped_max_n(gamma)
    assert n is not None
    rng = np.random.default_rng(7)
    budget = 6 if gamma == 0.99 else 40
    a = rng.integers(1, n, size=budget)
    b = np.array([rng.integers(1, n - x + 1) for x in a])
    a, b = np.append(a, [1, n - 1, 1]), np.append(b, [1, 1, n - 1])
    fresh = compute_gittins_indices(a.astype(float), b.astype(float), gamma)
    shipped = gittins_table(gamma, n)[a, b]
    np.testing.assert_allclose(shipped, fresh.indices, rtol=0, atol=2e-7)


def test_shipped_file_metadata() -> None:
    from importlib import resources

    ref = (
        resources.files("bayes_meta_envs.baselines")
        .joinpath("data")
        .joinpath("gittins_gamma0.9.npz")
    )
    with ref.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
        assert float(npz["gamma"]) == 0.9
        assert float(npz["max_error"]) <= 1e-7


def test_lookup_outside_table_and_real_counts_are_cached() -> None:
    n = G.shipped_max_n(0.9)
    assert n is not None
    G._cache.pop((float(n), 1.0, 0.9), None)
    out = gittins_index(np.array([[1, n]]), np.array([[1, 1]]), 0.9)
    assert out.shape == (1, 2)
    assert (float(n), 1.0, 0.9) in G._cache
    assert out[0, 0] == gittins_table(0.9, 10)[1, 1]
    x = gittins_index(1.5, 2.5, 0.9)
    assert isinstance(x, float) and G._cache[(1.5, 2.5, 0.9)] == x


def test_table_for_other_gamma_and_recompute() -> None:
    t = gittins_table(0.8, 12)
    assert t.shape == (13, 13) and np.isnan(t[0, 5]) and np.isnan(t[6, 7])
    assert abs(t[3, 4] - gittins_index_restart(3, 4, 0.8)) < 1e-6
    np.testing.assert_allclose(
        gittins_table(0.9, 15, recompute=True), gittins_table(0.9, 15), atol=2e-7
    )


# ----------------------------------------------------------------------------------------------
# command-line helper
# ----------------------------------------------------------------------------------------------


def test_table_as_text_and_csv() -> None:
    text = gittins_table_text(0.9, 6)
    lines = text.splitlines()
    assert "gamma=0.9" in lines[0] and len(lines) == 2 + 5
    assert f"{gittins_index(1, 1, 0.9):.6f}" in lines[2]
    rows = list(csv.DictReader(io.StringIO(gittins_table_csv(0.9, 6))))
    assert len(rows) == 15
    for r in rows:
        assert abs(float(r["index"]) - gittins_index(int(r["a"]), int(r["b"]), 0.9)) < 1e-9


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.0, 1.0, 1.5, -0.2, float("nan")])
def test_bad_gamma_value(gamma: float) -> None:
    with pytest.raises(InvalidArgumentError, match="gamma"):
        gittins_index(1, 1, gamma)
    with pytest.raises(InvalidArgumentError, match="gamma"):
        gittins_table(gamma, 10)
    with pytest.raises(InvalidArgumentError, match="gamma"):
        GittinsAgent(gamma)


@pytest.mark.parametrize("gamma", ["0.9", None, True])
def test_bad_gamma_type(gamma: object) -> None:
    with pytest.raises(InvalidArgumentTypeError, match="gamma"):
        gittins_index(1, 1, gamma)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "name"),
    [(-1, 1, "a"), (0, 1, "a"), (1, 0, "b"), (1, [2, -3], "b"), (float("inf"), 1, "a")],
)
def test_bad_counts(a: object, b: object, name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=rf"^{name} must be"):
        gittins_index(a, b, 0.9)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=rf"^{name} must be"):
        compute_gittins_indices(a, b, 0.9)  # type: ignore[arg-type]


@pytest.mark.parametrize("a", ["1", True, None, [1, "x"]])
def test_bad_count_types(a: object) -> None:
    with pytest.raises(InvalidArgumentTypeError, match=r"^a must be"):
        gittins_index(a, 1, 0.9)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("max_n", "exc"),
    [(1, InvalidArgumentError), (0, InvalidArgumentError), (2.5, InvalidArgumentTypeError)],
)
def test_bad_max_n(max_n: object, exc: type[Exception]) -> None:
    with pytest.raises(exc, match="max_n"):
        gittins_table(0.9, max_n)  # type: ignore[arg-type]


def test_unknown_env() -> None:
    with pytest.raises(UnknownEnvironmentError, match="NoSuchEnv"):
        GittinsAgent.for_env("NoSuchEnv-v0", gamma=0.9)


# ----------------------------------------------------------------------------------------------
# the agent
# ----------------------------------------------------------------------------------------------


def test_agent_prefers_uncertain_arm_over_greedy_choice() -> None:
    agent = GittinsAgent(0.9, n_arms=3)
    # Beta(1, 1) has mean 0.5 but a larger index than Beta(11, 9) (mean 0.55) at gamma 0.9
    state = np.array([[1.0, 11.0, 1.0, 1.0, 9.0, 1.0, 18.0], [2.0, 2.0, 1.0, 1.0, 1.0, 3.0, 4.0]])
    nu = [gittins_index_restart(1, 1, 0.9), gittins_index_restart(11, 9, 0.9)]
    assert nu[0] > nu[1] and 11 / 20 > 1 / 2
    out = agent.output(state)
    np.testing.assert_allclose(out, [[0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])


def test_agent_through_predict_and_for_env() -> None:
    import gymnasium as gym

    env = gym.make("MetaBandit-v0", n_arms=2, horizon=20, prior=(2.0, 1.0))
    agent = GittinsAgent.for_env(env, gamma=0.95, seed=3)
    assert isinstance(agent, GittinsAgent) and agent.gamma == 0.95
    obs, _ = env.reset(seed=0)
    state = None
    total = 0.0
    for _ in range(20):
        action, state = agent.predict(obs, state=state, deterministic=True)
        expect = np.argmax(gittins_index(state[0, :2], state[0, 2:4], 0.95))
        assert int(action) == int(expect)
        obs, r, term, _, _ = env.step(int(action))
        total += float(r)
        if term:
            break
    assert state is not None and state[0, 4] == 19  # the last pull is not observed
    assert state[0, :4].sum() == 2 * 2.0 + 2 * 1.0 + 19
