"""Bad input to scoring: arguments of ``score`` and corrupt or crafted trace files (issue 9)."""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
import pytest

from bayes_meta_envs.baselines import PluginPredictorAgent, RandomAgent
from bayes_meta_envs.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    ScoringError,
    TraceSchemaError,
    UnknownEnvironmentError,
)
from bayes_meta_envs.scoring import score
from bayes_meta_envs.scoring.traces import Traces


def _agent():
    return RandomAgent(n_arms=2, horizon=20, seed=0)


BAD_SCORE_ARGS = [
    ({"batch_size": "10"}, InvalidArgumentTypeError, "'10'"),
    ({"batch_size": 0}, InvalidArgumentError, "batch_size must be an int >= 1, got 0"),
    ({"batch_size": 2.5}, InvalidArgumentTypeError, "2.5"),
    ({"batch_size": True}, InvalidArgumentTypeError, "True"),
    ({"episodes": "5"}, InvalidArgumentTypeError, "'5'"),
    ({"seed": -1}, InvalidArgumentError, "-1"),
    ({"seed": 1.0}, InvalidArgumentTypeError, "1.0"),
    ({"env_kwargs": {"n_arms": True}}, InvalidArgumentTypeError, "True"),
    ({"env_kwargs": {"n_arms": 10, "horizon": 5000}}, InvalidArgumentError, "horizon=5000"),
    ({"env_kwargs": "n_arms=3"}, InvalidArgumentTypeError, "'n_arms=3'"),
    ({"deterministic": "yes"}, InvalidArgumentTypeError, "'yes'"),
    ({"deterministic": 1}, InvalidArgumentTypeError, "deterministic"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD_SCORE_ARGS, ids=repr)
def test_bad_score_arguments(kwargs, error, match):
    args = {"episodes": 5, "seed": 0, **kwargs}
    with pytest.raises(error, match=re.escape(match)):
        score(_agent(), "MetaBandit-v0", **args)


def test_deterministic_needs_a_bandit_agent_that_gives_probabilities():
    with pytest.raises(InvalidArgumentError, match="gives actions"):
        score(
            lambda obs: np.zeros(len(obs), dtype=int),
            "MetaBandit-v0",
            episodes=5,
            seed=0,
            deterministic=True,
        )
    with pytest.raises(InvalidArgumentError, match="deterministic=True applies to bandit"):
        score(
            PluginPredictorAgent.for_env("MetaPredictBernoulli-v0"),
            "MetaPredictBernoulli-v0",
            episodes=5,
            seed=0,
            deterministic=True,
        )


def test_unknown_env_is_a_package_error():
    with pytest.raises(UnknownEnvironmentError, match="NoSuchEnv-v0"):
        score(_agent(), "NoSuchEnv-v0", episodes=5, seed=0)


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory):
    report = score(_agent(), "MetaBandit-v0", episodes=4, seed=0, record_traces=True)
    path = tmp_path_factory.mktemp("traces") / "t.npz"
    report.traces.save(path)
    return path


def _rewrite_member(src, dst, name, data):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            payload = data if info.filename == name else zin.read(info.filename)
            zout.writestr(info, payload)


def _npy_with_header(shape):
    buf = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + b"\0" * 64


def test_corrupt_compressed_entry(trace_file, tmp_path):
    raw = bytearray(trace_file.read_bytes())
    # damage the middle of the first member's deflate stream (after its local header)
    start = 30 + raw[26] + raw[28] + 8
    for i in range(start, start + 40):
        raw[i] ^= 0xFF
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(TraceSchemaError, match=re.escape(str(bad))):
        Traces.load(bad)


def test_crafted_npy_header_announcing_a_huge_array(trace_file, tmp_path):
    bad = tmp_path / "huge.npz"
    _rewrite_member(trace_file, bad, "action.npy", _npy_with_header((10**7, 10**7)))
    with pytest.raises(TraceSchemaError, match=r"huge\.npz"):
        Traces.load(bad)


def test_deeply_nested_metadata(trace_file, tmp_path):
    bad = tmp_path / "nested.npz"
    deep = "[" * 100_000 + "]" * 100_000
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array(deep))
    _rewrite_member(trace_file, bad, "metadata.npy", buf.getvalue())
    with pytest.raises(TraceSchemaError, match="invalid metadata"):
        Traces.load(bad)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04garbage", json.dumps({}).encode()])
def test_garbage_trace_files(tmp_path, content):
    bad = tmp_path / "garbage.npz"
    bad.write_bytes(content)
    with pytest.raises(TraceSchemaError, match=r"garbage\.npz"):
        Traces.load(bad)


def test_a_folder_is_not_a_trace_file(tmp_path):
    with pytest.raises(TraceSchemaError, match=re.escape(str(tmp_path))):
        Traces.load(tmp_path)


class _OffByRounding(RandomAgent):
    """Probabilities ``[-1e-7, 1 + 1e-7]``: inside the documented tolerance."""

    def output(self, state):
        out = np.zeros((state.shape[0], 2))
        out[:, 0], out[:, 1] = -1e-7, 1 + 1e-7
        return out


class _Complex(RandomAgent):
    def output(self, state):
        return super().output(state).astype(complex) + 1j


def test_probabilities_within_rounding_give_no_nan_kl():
    # -1e-7 is read as 0 (documented rounding): the KL is then inf, as for any agent that puts
    # probability 0 on an action the Bayes-optimal agent may take, and never NaN
    report = score(_OffByRounding(n_arms=2, horizon=20), "MetaBandit-v0", episodes=8, seed=0)
    kls = [v.mean for k, v in report.metrics.items() if k.startswith("kl") and v is not None]
    assert kls and not any(np.isnan(kls))


def test_complex_probabilities_are_refused():
    with pytest.raises(ScoringError, match="dtype 'c'"):
        score(_Complex(n_arms=2, horizon=20), "MetaBandit-v0", episodes=4, seed=0)
