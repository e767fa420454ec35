"""Traces: contents, exact save/load round trip, schema checks, atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent
from bayes_meta_envs.baselines.classic import ThompsonAgent
from bayes_meta_envs.errors import TraceSchemaError
from bayes_meta_envs.rollout import paired_rollout
from bayes_meta_envs.scoring import Traces, load_traces, score
from bayes_meta_envs.scoring.traces import TRACE_SCHEMA_VERSION
from bayes_meta_envs.task import task_of


@pytest.fixture(scope="module")
def bandit_traces() -> Traces:
    report = score(
        ThompsonAgent.for_env("MetaBandit-v0"),
        "MetaBandit-v0",
        episodes=300,
        seed=0,
        record_traces=120,
        batch_size=50,
    )
    assert report.traces is not None
    return report.traces


def test_trace_contents_are_consistent(bandit_traces: Traces) -> None:
    tr = bandit_traces
    assert tr.n_episodes == 120 and tr.horizon == 20
    np.testing.assert_array_equal(tr.episode, np.arange(120))
    assert tr.obs.shape == (120, 20, 3) and tr.obs.dtype == np.float32
    assert tr.action.shape == (120, 20) and tr.task.shape == (120, 2)
    np.testing.assert_array_equal(tr.obs[:, 0], 0.0)  # reset observation
    # the next observation carries this step's action (one-hot) and reward
    np.testing.assert_array_equal(tr.obs[:, 1:, :2].argmax(axis=2), tr.action[:, :-1])
    np.testing.assert_array_equal(tr.obs[:, 1:, 2], tr.reward[:, :-1])
    # Thompson's and Bayes's states are the same posterior counts along the same inputs
    np.testing.assert_array_equal(tr.agent_state, tr.bayes_state)
    np.testing.assert_allclose(tr.agent_output.sum(axis=2), 1.0)
    bayes = BayesOptimalAgent.for_env("MetaBandit-v0")
    flat = tr.bayes_state.reshape(-1, 5)
    np.testing.assert_array_equal(bayes.output(flat), tr.bayes_output.reshape(-1, 2))
    assert tr.metadata["agent"].startswith("ThompsonAgent") and tr.metadata["seed"] == 0


def test_save_load_round_trip_is_exact(tmp_path: Path, bandit_traces: Traces) -> None:
    path = bandit_traces.save(tmp_path / "t.npz")
    again = load_traces(path)
    assert again == bandit_traces
    for name in ("obs", "action", "agent_state", "bayes_output"):
        assert getattr(again, name).dtype == getattr(bandit_traces, name).dtype
    assert sorted(os.listdir(tmp_path)) == ["t.npz"]  # no temporary file left behind


def test_prediction_traces_round_trip(tmp_path: Path) -> None:
    report = score(
        BayesOptimalAgent.for_env("MetaPredictCategorical-v0"),
        "MetaPredictCategorical-v0",
        episodes=30,
        seed=1,
        record_traces=True,
    )
    tr = report.traces
    assert tr.action.shape == (30, 20, 3) and tr.agent_output.shape == (30, 20, 3)
    np.testing.assert_array_equal(tr.action, tr.bayes_output)
    assert Traces.load(tr.save(tmp_path / "p.npz")) == tr


def _rewrite(src: Path, dst: Path, **changes: object) -> Path:
    with np.load(src, allow_pickle=False) as data:
        entries = {k: data[k] for k in data.files}
    for k, v in changes.items():
        if v is None:
            entries.pop(k)
        else:
            entries[k] = np.asarray(v)
    np.savez_compressed(dst, **entries)
    return dst


def test_load_refuses_files_it_does_not_understand(tmp_path: Path, bandit_traces: Traces) -> None:
    good = bandit_traces.save(tmp_path / "good.npz")
    newer = _rewrite(good, tmp_path / "newer.npz", schema_version=TRACE_SCHEMA_VERSION + 1)
    with pytest.raises(
        TraceSchemaError,
        match=r"schema_version 2; this version of bayes-meta-envs "
        r"reads schema_version <= 1",
    ):
        load_traces(newer)
    other = _rewrite(good, tmp_path / "other.npz", kind="something.else")
    with pytest.raises(
        TraceSchemaError,
        match=r"has kind 'something.else', expected "
        r"'bayes_meta_envs.traces'",
    ):
        load_traces(other)
    nokind = _rewrite(good, tmp_path / "nokind.npz", kind=None)
    with pytest.raises(TraceSchemaError, match=r"has no 'kind' entry"):
        load_traces(nokind)
    missing = _rewrite(good, tmp_path / "missing.npz", bayes_state=None)
    with pytest.raises(TraceSchemaError, match=r"lacks the entries \['bayes_state'\]"):
        load_traces(missing)
    badshape = _rewrite(good, tmp_path / "badshape.npz", reward=np.zeros((3, 20)))
    with pytest.raises(TraceSchemaError, match=r"'reward' must have 120 episodes"):
        load_traces(badshape)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(good.read_bytes()[:200])
    with pytest.raises(TraceSchemaError, match=r"is not a readable .npz trace file"):
        load_traces(corrupt)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(TraceSchemaError, match=r"not a readable .npz trace file"):
        load_traces(text)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, kind=np.array([{"a": 1}], dtype=object))
    with pytest.raises(TraceSchemaError, match=r"not a readable"):
        load_traces(pickled)
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        load_traces(tmp_path / "absent.npz")


def test_failed_write_leaves_the_old_file(tmp_path: Path, bandit_traces: Traces) -> None:
    path = bandit_traces.save(tmp_path / "t.npz")
    before = path.read_bytes()
    broken = Traces(
        **{
            **{
                n: getattr(bandit_traces, n)
                for n in (
                    "episode",
                    "task",
                    "obs",
                    "action",
                    "reward",
                    "agent_output",
                    "agent_state",
                    "bayes_state",
                    "bayes_output",
                )
            },
            "metadata": {"bad": object()},
        }
    )
    with pytest.raises(TypeError):
        broken.save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["t.npz"]


def test_metadata_is_json(bandit_traces: Traces) -> None:
    assert json.loads(json.dumps(bandit_traces.metadata)) == bandit_traces.metadata
    assert bandit_traces.nbytes > 0 and "Traces(episodes=120" in repr(bandit_traces)


def test_traces_are_built_from_the_rollout_recording() -> None:
    agent = ThompsonAgent.for_env("MetaBandit-v0")
    run = paired_rollout(agent, task_of("MetaBandit-v0"), episodes=30, seed=0, record=12)
    tr = Traces.from_recorded(run.recorded, {"agent": "t"})
    assert tr is not None and tr.n_episodes == 12 and tr.metadata == {"agent": "t"}
    np.testing.assert_array_equal(tr.reward.sum(axis=1), run.per_episode["return"][:12])
    assert Traces.from_recorded({}, {}) is None
    assert score(agent, "MetaBandit-v0", episodes=5, seed=0).traces is None
