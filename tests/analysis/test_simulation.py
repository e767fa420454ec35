"""simulate() on cases whose answer is known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("sklearn")

from bayes_meta_envs.analysis.simulation import project, simulate
from bayes_meta_envs.baselines import BayesOptimalAgent, bayes_agent
from bayes_meta_envs.errors import InvalidArgumentError
from bayes_meta_envs.protocol import Agent, BaseAgent
from bayes_meta_envs.task import task_of

BANDIT = task_of("MetaBandit-v0")
BERNOULLI = task_of("MetaPredictBernoulli-v0")


class Transformed(BaseAgent):
    """The Bayes-optimal agent with its state seen through a fixed invertible affine map
    ``s' = A s + b``; it outputs the Bayes output of ``A^-1 (s' - b)``."""

    def __init__(self, bayes: Agent, dim: int, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        self.a = q @ np.diag(rng.uniform(0.5, 2.0, dim))  # well conditioned
        self.b = rng.standard_normal(dim)
        self.inv = np.linalg.inv(self.a)
        self.bayes = bayes
        self.kind = getattr(bayes, "kind", "bandit")

    def initial_state(self, batch_size: int) -> np.ndarray:
        return self.bayes.initial_state(batch_size) @ self.a.T + self.b

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        inner = (state - self.b) @ self.inv.T
        return self.bayes.update(inner, obs) @ self.a.T + self.b

    def output(self, state: np.ndarray) -> np.ndarray:
        return self.bayes.output((state - self.b) @ self.inv.T)


class Stateless(BaseAgent):
    """A constant state: it can carry no information about anything."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = "bandit" if kind == "bandit" else "prediction"
        self.probs = np.array([0.5, 0.5])

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((batch_size, 3))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        return state

    def output(self, state: np.ndarray) -> np.ndarray:
        return np.tile(self.probs, (state.shape[0], 1))


@pytest.mark.parametrize("task", [BANDIT, BERNOULLI], ids=["bandit", "bernoulli"])
def test_an_agent_simulates_itself(task) -> None:  # type: ignore[no-untyped-def]
    b = bayes_agent(task)
    r = simulate(b, b, task, episodes=300, seed=0)
    # step-conditional D_s is in units of the spread given the step: 0.0125 and 0.0118 here,
    # against about 1 for a clock
    assert r.d_s.mean < 0.03 and r.d_o.mean < 0.01
    assert r.extras["d_s_pooled"].mean < 0.005
    if task.is_bandit:
        assert abs(r.extras["return_lost"].mean) < 0.01  # rounding recovers the belief states


def test_a_known_invertible_transform_of_the_bayes_states_both_directions() -> None:
    b = bayes_agent(BERNOULLI)
    tr = Transformed(b, dim=3, seed=1)
    forward = simulate(tr, b, BERNOULLI, episodes=300, seed=1)
    backward = simulate(b, tr, BERNOULLI, episodes=300, seed=1)
    for r in (forward, backward):
        assert r.d_s.mean < 0.03, r
        assert r.d_o.mean < 0.01, r


def test_a_stateless_agent_has_state_dissimilarity_one() -> None:
    b = bayes_agent(BANDIT)
    r = simulate(Stateless("bandit"), b, BANDIT, episodes=300, seed=2)
    assert r.d_s.low < 1.0 < r.d_s.high or r.d_s.mean == pytest.approx(1.0, abs=0.1), r
    assert r.d_o.mean > 0.1  # it cannot tell the target where it is
    assert r.extras["return_lost"].mean > 0.5


def test_result_table_and_json() -> None:
    b = bayes_agent(BERNOULLI)
    r = simulate(b, b, BERNOULLI, episodes=50, seed=0)
    data = json.loads(r.to_json())
    assert data["d_s"]["n"] == 15 and data["kind"] == "bayes_meta_envs.simulation"
    assert "D_s" in r.table() and r.control is None


def test_bayes_projection_recovers_belief_states() -> None:
    bayes = BayesOptimalAgent(2, 20)
    true = np.array([[3.0, 1.0, 2.0, 4.0, 6.0], [1.0, 1.0, 1.0, 1.0, 0.0]])
    noisy = true + np.array([[0.3, -0.2, 0.4, -0.4, 0.2], [-0.3, 0.2, 0.1, -0.2, 0.4]])
    got = project(bayes, noisy, np.full(5, -10.0), np.full(5, 40.0))
    np.testing.assert_array_equal(got, true)
    bayes.output(got)  # valid belief states


def test_bad_arguments() -> None:
    b = bayes_agent(BERNOULLI)
    with pytest.raises(InvalidArgumentError, match="condition"):
        simulate(b, b, BERNOULLI, episodes=20, condition="nobody")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="episodes"):
        simulate(b, b, BERNOULLI, episodes=3)
