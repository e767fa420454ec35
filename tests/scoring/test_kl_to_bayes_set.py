"""The set-aware divergence ``kl_to_bayes_set = -log pi_agent(A*)`` of bandit reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bayes_meta_envs.baselines import BayesOptimalAgent, ThompsonAgent
from bayes_meta_envs.protocol import BaseAgent
from bayes_meta_envs.scoring import score
from bayes_meta_envs.task import task_of

ENV = "MetaBandit-v0"


class LastArgmaxBayes(BaseAgent):
    """The Bayes-optimal agent that breaks ties deterministically: all mass on the last
    Bayes-optimal arm (the package's agent splits ties uniformly)."""

    def __init__(self, bayes: BayesOptimalAgent) -> None:
        super().__init__()
        self.bayes = bayes

    def initial_state(self, batch_size: int) -> np.ndarray:
        return self.bayes.initial_state(batch_size)

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        return self.bayes.update(state, obs)

    def output(self, state: np.ndarray) -> np.ndarray:
        p = self.bayes.output(state)
        k = p.shape[1]
        last = k - 1 - np.argmax(p[:, ::-1] > 0, axis=1)
        return np.eye(k)[last]


class Constant(BaseAgent):
    """Always the same action probabilities."""

    def __init__(self, probs: tuple[float, ...]) -> None:
        super().__init__()
        self.probs = np.asarray(probs, dtype=np.float64)

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((batch_size, 1))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        return state

    def output(self, state: np.ndarray) -> np.ndarray:
        return np.tile(self.probs, (state.shape[0], 1))


def test_zero_for_the_bayes_agent_and_for_a_different_tie_break() -> None:
    bayes = BayesOptimalAgent.for_env(ENV)
    assert score(bayes, ENV, episodes=2_000, seed=3).metrics["kl_to_bayes_set"].mean == 0.0
    report = score(LastArgmaxBayes(bayes), ENV, episodes=2_000, seed=3)
    assert report.metrics["kl_to_bayes_set"].mean == 0.0
    assert report.metrics["agreement"].mean == 1.0
    # the tie-split KL punishes the deterministic tie-break: probability 0 on a tied arm
    assert report.metrics["kl_tie_split"].mean == math.inf
    curve = report.curves["kl_to_bayes_set"]
    assert curve is not None and max(curve.mean) == 0.0


def test_finite_and_positive_for_thompson() -> None:
    report = score(ThompsonAgent.for_env(ENV), ENV, episodes=2_000, seed=0)
    kl = report.metrics["kl_to_bayes_set"]
    assert kl is not None and 0.0 < kl.mean < math.inf and math.isfinite(kl.ci95)
    assert (
        kl.mean >= -math.log(report.metrics["agreement"].mean) - 1e-12
    )  # Jensen: E[-log x] >= -log E[x]


def test_closed_form_on_a_two_step_bandit() -> None:
    # Two arms, Beta(1, 1) priors, horizon 2, an agent that always plays [0.7, 0.3].
    # Step 1: both arms are Bayes-optimal (a tie), -log pi(A*) = -log 1 = 0.
    # Step 2 (the last pull): the Bayes-optimal arm is the one with the higher posterior mean,
    # the pulled arm a if it paid (2/3 > 1/2), the other arm if it did not (1/3 < 1/2).
    task = task_of(ENV, horizon=2)
    probs = (0.7, 0.3)
    report = score(Constant(probs), task, episodes=4_000, seed=5, record_traces=True)
    tr = report.traces
    assert tr is not None
    a1, r1 = tr.action[:, 0], tr.reward[:, 0]
    best2 = np.where(r1 > 0.5, a1, 1 - a1)
    expected = 0.5 * (0.0 - np.log(np.asarray(probs)[best2]))  # mean over the two steps
    kl = report.metrics["kl_to_bayes_set"]
    assert kl is not None
    assert kl.mean == pytest.approx(expected.mean(), rel=1e-12)
    # and in expectation over the prior: P(r1 = 1) = 1/2 for either arm, so
    # E = 1/2 * 1/2 * (-log 0.7 - log 0.3)
    closed = 0.25 * (-math.log(0.7) - math.log(0.3))
    assert abs(kl.mean - closed) < kl.ci95 * 1.5
