"""The conjugate maths against independent numerical oracles (scipy.integrate, scipy.stats)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from bayes_meta_envs.errors import InvalidArgumentError
from bayes_meta_envs.families import (
    BetaBernoulli,
    BetaBernoulliArms,
    DirichletCategorical,
    GammaExponential,
    NormalNormal,
    lomax_kl,
    make_family,
)


def test_lomax_kl_matches_numerical_integration() -> None:
    for a1, l1, a2, l2 in [
        (2.0, 1.0, 3.0, 2.0),
        (0.7, 3.0, 5.0, 0.2),
        (10.0, 0.5, 1.5, 0.5),
        (4, 9, 4, 1),
    ]:
        p = stats.lomax(a1, scale=l1)
        q = stats.lomax(a2, scale=l2)
        expected, _ = integrate.quad(
            lambda x, p=p, q=q: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), 0, np.inf, limit=200
        )
        assert lomax_kl(a1, l1, a2, l2) == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert lomax_kl(2.0, 3.0, 2.0, 3.0) == pytest.approx(0.0, abs=1e-12)


def _kl_quad(fam, p, q, lo, hi):  # type: ignore[no-untyped-def]
    def integrand(x: float) -> float:
        xs = np.array([x])
        lp = fam.log_likelihood(p[None], xs)[0]
        lq = fam.log_likelihood(q[None], xs)[0]
        return float(np.exp(lp) * (lp - lq))

    return integrate.quad(integrand, lo, hi, limit=200)[0]


def test_continuous_kl_matches_numerical_integration() -> None:
    g = NormalNormal()
    p, q = np.array([0.3, np.log(1.2)]), np.array([-1.0, np.log(0.7)])
    assert g.kl(p[None], q[None])[0] == pytest.approx(_kl_quad(g, p, q, -np.inf, np.inf), rel=1e-7)
    e = GammaExponential()
    p, q = np.array([np.log(3.0), np.log(2.0)]), np.array([np.log(1.5), np.log(4.0)])
    assert e.kl(p[None], q[None])[0] == pytest.approx(_kl_quad(e, p, q, 0, np.inf), rel=1e-6)


def test_discrete_kl_and_likelihoods_match_direct_sums() -> None:
    b = BetaBernoulli()
    lp, lq = np.array([[0.4]]), np.array([[-1.3]])
    pp, pq = 1 / (1 + np.exp(-0.4)), 1 / (1 + np.exp(1.3))
    expected = pp * np.log(pp / pq) + (1 - pp) * np.log((1 - pp) / (1 - pq))
    assert b.kl(lp, lq)[0] == pytest.approx(expected)
    c = DirichletCategorical([1.0, 2.0, 3.0])
    p, q = np.array([[0.1, 0.5, -0.2]]), np.array([[1.0, 0.0, 0.0]])
    sp, sq = np.exp(p) / np.exp(p).sum(), np.exp(q) / np.exp(q).sum()
    assert c.kl(p, q)[0] == pytest.approx(np.sum(sp * np.log(sp / sq)))
    # likelihoods of the discrete predictives sum to one
    total = sum(np.exp(c.log_likelihood(p, np.array([float(k)])))[0] for k in range(3))
    assert total == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("fam", "action", "lo", "hi"),
    [
        (NormalNormal(), np.array([0.5, np.log(2.0)]), -np.inf, np.inf),
        (GammaExponential(), np.array([np.log(2.5), np.log(0.8)]), 0, np.inf),
    ],
)
def test_predictive_densities_integrate_to_one(fam, action, lo, hi) -> None:  # type: ignore[no-untyped-def]
    total, _ = integrate.quad(
        lambda x: np.exp(fam.log_likelihood(action[None], np.array([x]))[0]), lo, hi
    )
    assert total == pytest.approx(1.0, abs=1e-8)


def test_log_likelihoods_match_scipy() -> None:
    x = np.array([0.1, 1.3, 4.0])
    g = NormalNormal()
    act = np.tile([0.5, np.log(2.0)], (3, 1))
    np.testing.assert_allclose(g.log_likelihood(act, x), stats.norm(0.5, 2.0).logpdf(x))
    e = GammaExponential()
    act = np.tile([np.log(2.5), np.log(0.8)], (3, 1))
    np.testing.assert_allclose(e.log_likelihood(act, x), stats.lomax(2.5, scale=0.8).logpdf(x))
    np.testing.assert_allclose(
        e.task_log_likelihood(np.full((3, 1), 2.0), x), stats.expon(scale=0.5).logpdf(x)
    )


def test_gaussian_posterior_matches_textbook_formula() -> None:
    fam = NormalNormal(mu0=1.0, sigma0=2.0, sigma=0.5)
    xs = np.array([[0.3, 0.9, 1.4, -0.2]])
    post = fam.posterior(fam.prior_stats()[None], xs)[0]
    prec = 1 / 4 + 4 / 0.25
    mean = (1.0 / 4 + xs.sum() / 0.25) / prec
    np.testing.assert_allclose(post, [mean, prec])


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(st.integers(0, 2), min_size=1, max_size=15),
    seed=st.integers(0, 1000),
)
def test_posteriors_are_order_invariant(xs: list[int], seed: int) -> None:
    perm = np.random.default_rng(seed).permutation(len(xs))
    arr = np.array([xs], dtype=float)
    for fam, data in [
        (DirichletCategorical([1.0, 0.5, 2.0]), arr),
        (BetaBernoulli(2.0, 3.0), (arr > 0).astype(float)),
        (NormalNormal(0.0, 1.0, 0.7), arr * 0.37),
        (GammaExponential(2.0, 1.0), arr + 0.25),
    ]:
        s0 = fam.prior_stats()[None]
        np.testing.assert_allclose(
            fam.posterior(s0, data), fam.posterior(s0, data[:, perm]), rtol=1e-12
        )


def test_bandit_prior_validation_and_helpers() -> None:
    arms = BetaBernoulliArms(3, [(1, 1), (2, 3), (0.5, 4)])
    assert not arms.identical_arms and BetaBernoulliArms(4).identical_arms
    np.testing.assert_allclose(
        arms.posterior_mean(arms.prior_stats()[None])[0], [0.5, 0.4, 0.5 / 4.5]
    )
    with pytest.raises(InvalidArgumentError, match=r"prior must be"):
        BetaBernoulliArms(2, [(1, 1), (1, 0)])


def test_make_family() -> None:
    assert make_family("gaussian", sigma=2.0).sigma == 2.0
    with pytest.raises(InvalidArgumentError, match=r"family must be one of .*got 'poisson'"):
        make_family("poisson")


def test_lomax_kl_against_arbitrary_precision() -> None:
    """Over 24 orders of magnitude of scale ratio, including where scipy's hyp2f1 fails."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30

    def exact(a1: float, l1: float, a2: float, l2: float) -> float:
        a, r = mpmath.mpf(a1), mpmath.mpf(l1) / l2
        j = -(1 - r) / (a + 1) * mpmath.hyp2f1(1, 1, a + 2, 1 - r)
        return float(
            mpmath.log(a / l1)
            - (a + 1) / a
            - mpmath.log(mpmath.mpf(a2) / l2)
            + (a2 + 1) * (1 / a + j)
        )

    shapes = [0.05, 0.8, 7.0, 200.0, 3000.0]
    ratios = [1e-12, 1e-4, 0.3, 1.0, 2.0, 480.26, 1e6, 1e12]
    a1 = np.repeat(shapes, len(ratios))
    l1 = np.tile(ratios, len(shapes))
    got = lomax_kl(a1, l1, 1.7, 1.0)
    want = np.array([exact(a, scale, 1.7, 1.0) for a, scale in zip(a1, l1)])
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-9)
    assert np.all(got >= -1e-12)
