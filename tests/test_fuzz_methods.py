"""Fuzz the public methods of the package's objects (issue 34): only bayes_meta_envs.errors may
escape.

The entry fuzzer (:mod:`tests.fuzz_harness`) calls functions and constructors; this one calls
the methods of what they return: every baseline agent of every registered task kind (the specs
come from :func:`~bayes_meta_envs.baselines.baselines_for`), every zoo agent
(:func:`~bayes_meta_envs.agents.zoo_names`), a :class:`~bayes_meta_envs.ScoreReport` and its
:class:`~bayes_meta_envs.scoring.Traces`. The methods are found by introspection (every public
method and classmethod the object's class defines in the package), so a new one is fuzzed without
anyone adding it; each parameter gets every kind of bad value of :data:`fuzz_harness.KINDS`, the
others a valid value.
"""

from __future__ import annotations

import inspect
import signal
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import bayes_meta_envs
from bayes_meta_envs.baselines import baselines_for, make_baseline
from tests import fuzz_harness as fh

#: One registered env per task kind and family shape (bandit; a 1-, K- and 2-parameter
#: predictive), horizon 5.
ENVS = ("MetaBandit-v0", "MetaPredictBernoulli-v0", "MetaPredictCategorical-v0")


def public_methods(obj: Any) -> Iterator[tuple[str, Callable[..., Any]]]:
    """``(name, bound method)`` of every public method or classmethod that a package class in
    ``type(obj)``'s MRO defines (properties and dunders left out)."""
    seen = set()
    for cls in type(obj).__mro__:
        if not cls.__module__.startswith("bayes_meta_envs"):
            continue
        for name, attr in vars(cls).items():
            if name.startswith("_") or name in seen:
                continue
            if isinstance(attr, (staticmethod, classmethod)) or inspect.isfunction(attr):
                seen.add(name)
                yield name, getattr(obj, name)


def _agent_valid(agent: Any, obs_dim: int) -> dict[str, Any]:
    state = agent.initial_state(2)
    return {
        "batch_size": 2,
        "state": state,
        "obs": np.zeros((2, obs_dim)),
        "observation": np.zeros(obs_dim),
        "out": np.asarray(agent.output(state)),
    }


def _agents() -> list[tuple[str, Any, Any]]:
    out = []
    for env in ENVS:
        task = bayes_meta_envs.task_of(env, horizon=5)
        for spec in baselines_for(task.kind):
            out.append((f"{env}:{spec}", make_baseline(spec, task), task))
    return out


def _fuzz(subject: str, obj: Any, valid: dict[str, Any]) -> tuple[int, list[str]]:
    calls, failures = 0, []
    for name, method in public_methods(obj):
        n, found = fh.fuzz_entry(f"{subject}.{name}", method, valid)
        calls += n
        failures += [
            f"{f['entry']}({f['parameter']}=<{f['kind']}> {f['value']}): {f['escaped']}"
            for f in found
        ]
    return calls, failures


@pytest.fixture(autouse=True)
def _alarm(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # methods may write files (traces, reports): here
    old = signal.signal(signal.SIGALRM, fh._alarm)
    try:
        yield
    finally:
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("subject", [s for s, _, _ in _agents()])
def test_baseline_agent_methods(subject: str) -> None:
    agent, task = next((a, t) for s, a, t in _agents() if s == subject)
    valid = {**fh._valid_values(), **_agent_valid(agent, task.obs_dim)}
    calls, failures = _fuzz(subject, agent, valid)
    assert calls > 20
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", bayes_meta_envs.agents.zoo_names())
def test_zoo_agent_methods(name: str) -> None:
    pytest.importorskip("torch")
    agent = bayes_meta_envs.agents.load(name)
    obs_dim = agent.task.obs_dim if hasattr(agent, "task") else agent.obs_dim  # LSTM, SB3
    calls, failures = _fuzz(name, agent, {**fh._valid_values(), **_agent_valid(agent, obs_dim)})
    assert calls > 20
    assert not failures, "\n".join(failures)


def test_score_report_and_traces_methods() -> None:
    task = bayes_meta_envs.task_of("MetaBandit-v0", horizon=5)
    agent = make_baseline("thompson", task)
    report = bayes_meta_envs.score(agent, task, episodes=20, seed=0, record_traces=True)
    traces = report.traces
    assert traces is not None
    traces.save("valid.npz")
    valid = {
        **fh._valid_values(),
        "name": "kl",
        "indent": 2,
        "data": report.to_dict(),
        "text": report.to_json(),
        "path": "valid.npz",
        "parts": [traces],
        "metadata": {},
        "recorded": {},
    }
    calls, failures = _fuzz("ScoreReport", report, valid)
    more, failures_t = _fuzz("Traces", traces, valid)
    assert calls + more > 50
    assert not failures + failures_t, "\n".join(failures + failures_t)
