"""The probe of 0.2.0 (issue 34): the bad inputs and faults that still failed, one test each.

Each case asserts what a user should get: a :mod:`bayes_meta_envs.errors` exception naming the
argument and the value (or, at the command line, exit status 2 and one line). Cases that used to
hang or exhaust memory run in a subprocess with a memory and time cap, so that a regression fails
the test instead of the suite. The classes are those of the issue: sizes, unknown and wrong-typed
arguments, the agent boundary, files and the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import gymnasium as gym
import numpy as np
import pytest

import bayes_meta_envs as bme
from bayes_meta_envs import baselines, errors, task_of
from bayes_meta_envs.cli import main

_ISOLATED_PRELUDE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
import numpy as np, gymnasium as gym
import bayes_meta_envs as bme
from bayes_meta_envs import baselines, errors
try:
{body}
except errors.BayesMetaError as exc:
    print("PACKAGE-ERROR", type(exc).__name__, str(exc))
except BaseException as exc:
    print("OTHER", type(exc).__name__, str(exc)[:200])
else:
    print("NO-ERROR")
"""


def _isolated(body: str, timeout: float = 60.0) -> str:
    """Run ``body`` in a fresh interpreter capped at 3 GiB of address space; its verdict line."""
    code = _ISOLATED_PRELUDE.format(body=textwrap.indent(textwrap.dedent(body), "    "))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return f"HANG (over {timeout} s)"
    return (proc.stdout.strip().splitlines() or [f"CRASH {proc.stderr[-300:]}"])[-1]


# --------------------------------------------------------------------------------------------
# 1. sizes checked before anything is allocated (or computed)
# --------------------------------------------------------------------------------------------

SIZES = {
    "bandit-n_arms": ('gym.make("MetaBandit-v0", n_arms=10**12)', "n_arms"),
    "bandit-horizon": ('gym.make("MetaBandit-v0", horizon=10**12)', "horizon"),
    "bernoulli-horizon": ('gym.make("MetaPredictBernoulli-v0", horizon=10**12)', "horizon"),
    "categorical-horizon": ('gym.make("MetaPredictCategorical-v0", horizon=10**12)', "horizon"),
    "gaussian-horizon": ('gym.make("MetaPredictGaussian-v0", horizon=10**12)', "horizon"),
    "exponential-horizon": ('gym.make("MetaPredictExponential-v0", horizon=10**12)', "horizon"),
    "categorical-n_categories": (
        'gym.make("MetaPredictCategorical-v0", n_categories=10**9)',
        "n_categories",
    ),
    "bandit-vector-num_envs": (
        "bme.envs.MetaBanditVectorEnv(num_envs=10**10)",
        "num_envs",
    ),
    "bernoulli-vector-num_envs": (
        "bme.envs.MetaPredictBernoulliVectorEnv(num_envs=10**10)",
        "num_envs",
    ),
    "make_vec-num_envs": ('gym.make_vec("MetaBandit-v0", num_envs=10**10)', "num_envs"),
    "dp-huge": ("baselines.bayes_optimal_value(n_arms=10**6, horizon=10**6)", "n_arms"),
    "dp-huge-arms": ("baselines.solve_bandit(n_arms=10**12, horizon=2)", "n_arms"),
    "score-episodes": (
        'bme.score(lambda o: np.zeros(len(o), int), "MetaBandit-v0", episodes=10**12, seed=0)',
        "episodes",
    ),
    "score-traces": (
        'bme.score(lambda o: np.zeros(len(o), int), "MetaBandit-v0", episodes=10**9, seed=0,'
        " record_traces=True)",
        "record_traces",
    ),
    "lstm-hidden_size": (
        "from bayes_meta_envs.agents import LSTMConfig\nLSTMConfig(hidden_size=10**9)",
        "hidden_size",
    ),
}


@pytest.mark.parametrize("case", [c for c in SIZES])
def test_sizes_refused_before_allocating(case):
    body, argument = SIZES[case]
    verdict = _isolated(body)
    assert verdict.startswith("PACKAGE-ERROR"), verdict
    assert argument in verdict, verdict


def test_cli_train_huge_hidden_size_is_one_line(tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"hidden_size": 10**9}))
    argv = ["train", "--env", "MetaBandit-v0", "--config", str(config), "--no-progress"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hidden_size" in err[0], err


# --------------------------------------------------------------------------------------------
# 2. unknown and wrong-typed arguments
# --------------------------------------------------------------------------------------------


def _lstm_config(**kw):
    from bayes_meta_envs.agents import LSTMConfig

    return LSTMConfig(**kw)


def _ppo_config(**kw):
    from bayes_meta_envs.agents.recurrent_ppo import RecurrentPPOConfig

    return RecurrentPPOConfig(**kw)


def _solution():
    return baselines.solve_bandit(2, 5)


ARGUMENTS = {
    "make-bogus-bandit": (lambda: gym.make("MetaBandit-v0", bogus=1), "bogus"),
    "make-bogus-bernoulli": (lambda: gym.make("MetaPredictBernoulli-v0", bogus=1), "bogus"),
    "make-bogus-categorical": (lambda: gym.make("MetaPredictCategorical-v0", bogus=1), "bogus"),
    "make-bogus-gaussian": (lambda: gym.make("MetaPredictGaussian-v0", bogus=1), "bogus"),
    "make-bogus-exponential": (lambda: gym.make("MetaPredictExponential-v0", bogus=1), "bogus"),
    "make_vec-bogus": (lambda: gym.make_vec("MetaBandit-v0", num_envs=2, bogus=1), "bogus"),
    "lstm-config-typo": (lambda: _lstm_config(hidden_sizee=16), "hidden_sizee"),
    "ppo-config-bogus": (lambda: _ppo_config(bogus=1), "bogus"),
    "load-int": (lambda: bme.agents.load(123), "123"),
    "load_traces-none": (lambda: bme.load_traces(None), "None"),
    "traces-save-int": (lambda: _small_traces().save(123), "123"),
    "make_baseline-int": (
        lambda: baselines.make_baseline(5, task_of("MetaBandit-v0")),
        "spec",
    ),
    "make_baseline-task": (lambda: baselines.make_baseline("bayes", "nope"), "task"),
    "prior-bool": (lambda: gym.make("MetaBandit-v0", prior=(True, 1)), "prior"),
    "dp-prior-bool": (lambda: baselines.solve_bandit(2, 5, prior=(True, 1)), "prior"),
    "gittins-recompute": (
        lambda: baselines.gittins_table(0.9, 10, recompute="yes"),
        "recompute",
    ),
    "predict-deterministic": (
        lambda: baselines.bayes_agent(task_of("MetaBandit-v0")).predict(
            np.zeros(3), deterministic="yes"
        ),
        "deterministic",
    ),
    "q_values-bools": (lambda: _solution().q_values([True, False], [False, True]), "successes"),
    "q_values-huge": (lambda: _solution().q_values([2**62, 0], [2**62, 0]), "successes"),
    "baselines_for-nope": (lambda: baselines.baselines_for("nope"), "kind"),
}


def _small_traces():
    return bme.score(_random, "MetaBandit-v0", episodes=2, seed=0, record_traces=True).traces


def _random(obs):
    return np.zeros(obs.shape[0], dtype=np.int64)


@pytest.mark.parametrize(
    "case",
    [c for c in sorted(ARGUMENTS)],
)
def test_bad_arguments_give_package_errors(case):
    call, named = ARGUMENTS[case]
    with pytest.raises(errors.BayesMetaError, match=named):
        call()


# --------------------------------------------------------------------------------------------
# 3. what agents are given and give back
# --------------------------------------------------------------------------------------------

_BANDIT = task_of("MetaBandit-v0")
_PREDICT = task_of("MetaPredictBernoulli-v0")
AGENTS = {
    "bayes": lambda: baselines.bayes_agent(_BANDIT),
    "thompson": lambda: baselines.ThompsonAgent.for_env(_BANDIT),
    "ucb1": lambda: baselines.UCB1Agent.for_env(_BANDIT),
    "greedy": lambda: baselines.GreedyAgent.for_env(_BANDIT),
    "random": lambda: baselines.RandomAgent.for_env(_BANDIT),
    "gittins": lambda: baselines.GittinsAgent.for_env(_BANDIT, gamma=0.9),
    "bayes-predictor": lambda: baselines.bayes_agent(_PREDICT),
    "plugin": lambda: baselines.PluginPredictorAgent.for_env(_PREDICT),
    "prior": lambda: baselines.PriorPredictorAgent.for_env(_PREDICT),
}


@pytest.mark.parametrize("width", [1, 7])
@pytest.mark.parametrize("name", sorted(AGENTS))
def test_predict_refuses_an_observation_of_the_wrong_width(name, width):
    agent = AGENTS[name]()
    with pytest.raises(errors.InvalidArgumentError, match="observation"):
        agent.predict(np.zeros(width))


@pytest.mark.parametrize(
    "episode_start", [[True] * 5, ["x", "y"], [2.5, 0]], ids=["length", "strings", "floats"]
)
def test_predict_refuses_a_bad_episode_start(episode_start):
    agent = baselines.bayes_agent(_BANDIT)
    _, state = agent.predict(np.zeros((2, 3)))
    with pytest.raises(errors.BayesMetaError, match="episode_start"):
        agent.predict(np.zeros((2, 3)), state, episode_start)


class _Agent:
    """An agent of the protocol with one fault (what ``update`` / ``output`` return)."""

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.calls = 0

    def initial_state(self, batch_size):
        return np.zeros((batch_size, 2))

    def update(self, state, obs):
        self.calls += 1
        if self.fault == "state-shape" and self.calls > 1:
            return np.zeros((state.shape[0], 3))
        if self.fault == "state-nan":
            return np.full(state.shape, np.nan)
        if self.fault == "hang":
            time.sleep(3600)
        return state

    def output(self, state):
        return np.full((state.shape[0], 2), 0.5)


SCORING = {
    "callable-floats": lambda: bme.score(
        lambda o: np.zeros(o.shape[0]), "MetaBandit-v0", episodes=4, seed=0
    ),
    "callable-bools": lambda: bme.score(
        lambda o: np.ones(o.shape[0], dtype=bool), "MetaBandit-v0", episodes=4, seed=0
    ),
    "state-shape-changes": lambda: bme.score(
        _Agent("state-shape"), "MetaBandit-v0", episodes=4, seed=0
    ),
    "state-nan": lambda: bme.score(_Agent("state-nan"), "MetaBandit-v0", episodes=4, seed=0),
}


@pytest.mark.parametrize("case", sorted(SCORING))
def test_score_refuses_what_an_agent_should_not_return(case):
    with pytest.raises(errors.ScoringError):
        SCORING[case]()


def test_score_ends_a_hung_agent():
    verdict = _isolated(
        """
        import time
        class Hung:
            def initial_state(self, b): return np.zeros((b, 1))
            def update(self, s, o):
                time.sleep(3600)
            def output(self, s): return np.full((s.shape[0], 2), 0.5)
        bme.score(Hung(), "MetaBandit-v0", episodes=2, seed=0, time_limit=1.0)
        """,
        timeout=30,
    )
    assert verdict.startswith("PACKAGE-ERROR ScoringError"), verdict
    assert "time_limit" in verdict, verdict


# --------------------------------------------------------------------------------------------
# 4. files and the command line
# --------------------------------------------------------------------------------------------


def test_load_traces_of_a_missing_file(tmp_path):
    missing = tmp_path / "missing.npz"
    with pytest.raises(errors.BayesMetaError, match=r"missing\.npz"):
        bme.load_traces(missing)
    with pytest.raises(FileNotFoundError):  # still what generic code catches
        bme.load_traces(missing)


def test_load_traces_full_of_nan(tmp_path):
    traces = _small_traces()
    path = tmp_path / "t.npz"
    traces.save(path)
    with np.load(path, allow_pickle=False) as data:
        entries = {k: data[k] for k in data.files}
    entries["reward"] = np.full(entries["reward"].shape, np.nan)
    entries["obs"] = np.full(entries["obs"].shape, np.nan, dtype=entries["obs"].dtype)
    with open(path, "wb") as f:
        np.savez_compressed(f, **entries)
    with pytest.raises(errors.TraceSchemaError, match=r"reward|obs"):
        bme.load_traces(path)


AGENT_FILES = {
    "syntax-error": "def fn(obs:\n    return obs\n",
    "raises-on-import": "raise RuntimeError('boom at import')\ndef fn(obs):\n    return obs\n",
    "import-missing-module": "import no_such_module_xyz\n",
}


@pytest.mark.parametrize("case", sorted(AGENT_FILES))
def test_cli_agent_file_that_fails_to_import(case, tmp_path, capsys):
    path = tmp_path / "user_agent.py"
    path.write_text(AGENT_FILES[case])
    argv = ["score", "--agent", f"{path}:fn", "--episodes", "2", "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--agent" in err[0], err


@pytest.mark.xdist_group("ray")  # beside the Ray tests, which count the Ray daemons
def test_cli_sweep_unknown_grid_field_before_ray(tmp_path, capsys):
    argv = ["sweep", "--envs", "MetaBandit-v0", "--grid", '{"nope": [1, 2]}']
    assert main([*argv, "--out", str(tmp_path / "sweep")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0], err
    assert "ray" not in sys.modules or not _ray_initialised()
    assert not (tmp_path / "sweep").exists()


def _ray_initialised() -> bool:
    import ray

    return ray.is_initialized()


@pytest.mark.xdist_group("ray")
def test_cli_sweep_unreachable_address(tmp_path, capsys):
    argv = ["sweep", "--envs", "MetaBandit-v0", "--address", "ray://192.0.2.1:10001"]
    start = time.monotonic()
    assert main([*argv, "--out", str(tmp_path / "sweep")]) == 2
    assert time.monotonic() - start < 60
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "192.0.2.1:10001" in err[0] and "address" in err[0], err


def test_cli_negative_trace_episodes_without_traces(capsys):
    argv = ["score", "--agent", "random", "--episodes", "2", "--trace-episodes", "-1"]
    assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--trace-episodes" in err[0] and "-1" in err[0], err


def test_probe_counts():
    """The number of cases above (reported in issue 34's note)."""
    n = (
        len(SIZES)
        + 1
        + len(ARGUMENTS)
        + 2 * len(AGENTS)
        + 3
        + len(SCORING)
        + 1
        + 2
        + len(AGENT_FILES)
        + 3
    )
    assert n >= 61
