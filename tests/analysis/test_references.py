"""The reference agents and the step-conditional D_s, on cases whose answer is known: a clock
(the step only) scores about 1 onto the Bayes agent on every task; a memorizer (the raw history)
simulates the Bayes agent but the Bayes agent cannot simulate it; a target component that is a
deterministic function of the step changes neither D_s nor its CI."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from bayes_meta_envs.analysis import ClockAgent, LogStatsAgent, MemorizerAgent, simulate
from bayes_meta_envs.analysis.stepwise import step_moments
from bayes_meta_envs.baselines import bayes_agent
from bayes_meta_envs.errors import InvalidArgumentError, InvalidArgumentTypeError
from bayes_meta_envs.protocol import Agent, BaseAgent
from bayes_meta_envs.rollout import paired_rollout
from bayes_meta_envs.task import task_of

TASKS = [
    "MetaBandit-v0",
    "MetaPredictBernoulli-v0",
    "MetaPredictCategorical-v0",
    "MetaPredictGaussian-v0",
    "MetaPredictExponential-v0",
]


class WithStepSquare(BaseAgent):
    """``agent`` with one more state component, ``3 + t^2`` after ``t`` updates: a deterministic
    function of the step, which the measure must ignore."""

    def __init__(self, agent: Agent, kind: str) -> None:
        super().__init__()
        self.agent, self.kind = agent, kind  # type: ignore[assignment]

    def initial_state(self, batch_size: int) -> np.ndarray:
        s = self.agent.initial_state(batch_size)
        return np.concatenate([s, np.zeros((batch_size, 2))], axis=1)

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        inner = self.agent.update(state[:, :-2], obs)
        t = state[:, -2:-1] + 1.0
        return np.concatenate([inner, t, 3.0 + t**2], axis=1)

    def output(self, state: np.ndarray) -> np.ndarray:
        return self.agent.output(state[:, :-2])


@pytest.mark.parametrize("env_id", TASKS)
def test_a_clock_scores_about_one_onto_the_bayes_agent(env_id: str) -> None:
    task = task_of(env_id)
    bayes = bayes_agent(task)
    if env_id == "MetaPredictExponential-v0":
        # b + sum(x) has no finite variance (x is Lomax with shape a = 1 under the prior): the
        # measure needs the log-statistics there, as the report uses
        bayes = LogStatsAgent(bayes)  # type: ignore[arg-type]
    r = simulate(ClockAgent(task), bayes, task, episodes=400, seed=0, control=None)
    # the conditional variance is estimated on the training episodes: 1 up to its noise
    assert 0.75 < r.d_s.mean < 1.25 or r.d_s.low < 1.0 < r.d_s.high, r
    assert r.extras["d_s_pooled"].mean < 1.0  # the pooled figure credits the clock for the step


@pytest.mark.parametrize("env_id", ["MetaBandit-v0", "MetaPredictBernoulli-v0"])
def test_the_memorizer_simulates_the_bayes_agent_but_not_the_reverse(env_id: str) -> None:
    task = task_of(env_id)
    bayes, memo = bayes_agent(task), MemorizerAgent(task)
    forward = simulate(memo, bayes, task, episodes=400, seed=1, control=None)
    backward = simulate(bayes, memo, task, episodes=400, seed=1, control=None)
    assert forward.d_s.high < 0.05, forward
    assert backward.d_s.low > 0.3, backward  # the Bayes state forgets which step saw what


@pytest.mark.parametrize("env_id", TASKS)
def test_the_memorizer_behaves_as_the_bayes_agent(env_id: str) -> None:
    task = task_of(env_id)
    run = paired_rollout(MemorizerAgent(task), task, episodes=50, seed=2)
    key = "bayes_gap_q" if task.is_bandit else "excess_log_loss"
    assert abs(run.estimate(key).mean) < 1e-9


@pytest.mark.parametrize("env_id", ["MetaPredictBernoulli-v0", "MetaPredictGaussian-v0"])
def test_a_component_fixed_by_the_step_changes_neither_d_s_nor_its_ci(env_id: str) -> None:
    task = task_of(env_id)
    bayes = bayes_agent(task)
    kind = "bandit" if task.is_bandit else "prediction"
    plain = simulate(MemorizerAgent(task), bayes, task, episodes=200, seed=3, control=None)
    extra = simulate(
        MemorizerAgent(task), WithStepSquare(bayes, kind), task, episodes=200, seed=3, control=None
    )
    assert extra.d_s == plain.d_s  # mean, CI and n, exactly
    # while the pooled normalisation moves with it
    assert extra.extras["d_s_pooled"] != plain.extras["d_s_pooled"]


def test_step_moments_mark_what_the_step_fixes() -> None:
    rng = np.random.default_rng(0)
    x = np.stack([np.tile(np.arange(4.0), (50, 1)), rng.standard_normal((50, 4))], axis=-1)
    x[:, 0, 1] = 2.0  # the second component is fixed at the first step only
    _, sd, varying = step_moments(x)
    assert not varying[:, 0].any()
    assert varying[:, 1].tolist() == [False, True, True, True]
    assert sd[0, 1] == 0.0


def test_log_statistics_make_the_exponential_bayes_state_well_conditioned() -> None:
    task = task_of("MetaPredictExponential-v0")
    bayes = bayes_agent(task)
    log = LogStatsAgent(bayes)  # type: ignore[arg-type]
    raw = simulate(bayes, bayes, task, episodes=400, seed=0, control=None)
    logged = simulate(log, log, task, episodes=400, seed=0, control=None)
    # the same agent onto itself: heavy-tailed raw statistics defeat the map, logs do not
    assert logged.d_s.mean < 0.01 and logged.d_o.mean < 0.01, logged
    assert raw.d_o.mean > 10 * logged.d_o.mean, raw


def test_reference_agents_refuse_bad_input() -> None:
    clock = ClockAgent("MetaPredictBernoulli-v0")
    with pytest.raises(InvalidArgumentError, match="batch_size"):
        clock.initial_state(0)
    with pytest.raises(InvalidArgumentError, match="obs"):
        clock.update(clock.initial_state(2), np.zeros((2, 99)))
    memo = MemorizerAgent("MetaPredictBernoulli-v0")
    s = memo.initial_state(1)
    obs = np.zeros((1, memo.task.obs_dim))
    for _ in range(memo.task.horizon):
        s = memo.update(s, obs)
    with pytest.raises(InvalidArgumentError, match="empty slot"):
        memo.update(s, obs)
    with pytest.raises(InvalidArgumentError, match="state"):
        memo.output(np.zeros((1, 3)))
    with pytest.raises(InvalidArgumentTypeError, match="bayes"):
        LogStatsAgent(clock)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="bayes"):
        LogStatsAgent(bayes_agent(task_of("MetaPredictGaussian-v0")))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentTypeError, match="env_kwargs"):
        ClockAgent("MetaBandit-v0", env_kwargs=3)  # type: ignore[arg-type]
