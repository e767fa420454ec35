"""Tests of the LSTM config (torch-free) and of the package's lazy torch-backed names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bayes_meta_envs.agents.lstm import DEMO_CONFIG, LSTMConfig
from bayes_meta_envs.errors import InvalidArgumentError, InvalidArgumentTypeError


def tiny(**kw):
    base = dict(
        hidden_size=8,
        embed_size=8,
        num_envs=16,
        total_updates=6,
        eval_every=3,
        eval_episodes=64,
        checkpoint_every=3,
        tensorboard=False,
    )
    base.update(kw)
    return LSTMConfig(**base)


def test_config_round_trip(tmp_path):
    cfg = tiny(env_id="MetaPredictGaussian-v0", env_kwargs={"sigma": 2.0}, budget_minutes=1.5)
    cfg.save(tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["algo"] == "lstm" and next(iter(data)) == "algo"
    assert LSTMConfig.from_json(tmp_path / "c.json") == cfg


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"hidden_size": 0}, InvalidArgumentError, "hidden_size must be an int >= 1, got 0"),
        ({"num_envs": 2.5}, InvalidArgumentTypeError, "num_envs must be"),
        ({"seed": True}, InvalidArgumentTypeError, "seed must be an int >= 0"),
        ({"learning_rate": -1.0}, InvalidArgumentError, "learning_rate"),
        ({"gae_lambda": 1.5}, InvalidArgumentError, "gae_lambda"),
        ({"ent_coef": float("nan")}, InvalidArgumentError, "ent_coef"),
        (
            {"ent_coef_final": float("-inf")},
            InvalidArgumentError,
            "ent_coef_final must be a finite",
        ),
        ({"clip_range": "0.2"}, InvalidArgumentTypeError, "clip_range"),
        ({"reward_signal": "bogus"}, InvalidArgumentError, "reward_signal"),
        ({"lr_schedule": "step"}, InvalidArgumentError, "lr_schedule must be one of"),
        (
            {"lr_schedule": "exponential", "lr_final_fraction": 0.0},
            InvalidArgumentError,
            r"lr_final_fraction must be a number in \(0, 1\] with lr_schedule='exponential'",
        ),
        ({"budget_minutes": 0}, InvalidArgumentError, "budget_minutes"),
        ({"logit_cap": 0.0}, InvalidArgumentError, "logit_cap must be None or a logit spread > 0"),
        ({"logit_cap": "4"}, InvalidArgumentTypeError, "logit_cap"),
        ({"logit_cap_fraction": 0.0}, InvalidArgumentError, "logit_cap_fraction"),
        ({"lr_decay": 1}, InvalidArgumentTypeError, "lr_decay must be a bool"),
        ({"env_kwargs": None}, InvalidArgumentTypeError, "env_kwargs must be a dict"),
        ({"env_id": ""}, InvalidArgumentTypeError, "env_id"),
        ({"ppo_minibatches": 32, "num_envs": 16}, InvalidArgumentError, "ppo_minibatches"),
    ],
)
def test_config_rejects_bad_values(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        tiny(**kwargs)


def test_config_stores_plain_ints():
    np = pytest.importorskip("numpy")
    cfg = tiny(hidden_size=np.int64(8))
    assert type(cfg.hidden_size) is int
    json.dumps(cfg.to_dict())


def test_config_rejects_unknown_keys_and_algo(tmp_path):
    with pytest.raises(InvalidArgumentError, match="hiden_size"):
        LSTMConfig.from_dict({"hiden_size": 3})
    with pytest.raises(InvalidArgumentError, match="recurrent-ppo"):
        LSTMConfig.from_dict({"algo": "recurrent-ppo"})
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        LSTMConfig.from_json(tmp_path / "none.json")


def test_demo_config_is_a_valid_bandit_recipe():
    cfg = LSTMConfig(**DEMO_CONFIG, budget_minutes=4.0)
    assert cfg.env_id == "MetaBandit-v0" and cfg.reward_signal == "sampled"


def test_importing_the_package_does_not_import_torch():
    code = (
        "import sys, bayes_meta_envs, bayes_meta_envs.agents, bayes_meta_envs.agents.lstm as m; "
        "m.LSTMConfig(**m.DEMO_CONFIG); "
        "bad = [k for k in ('torch', 'safetensors', 'matplotlib') if k in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_lazy_names_are_listed_and_a_missing_torch_names_the_extra():
    import bayes_meta_envs.agents.lstm as pkg

    assert {"LSTMAgent", "LSTMTrainer", "train", "load_agent"} <= set(pkg.__all__)
    assert set(pkg.__all__) <= set(dir(pkg))
    with pytest.raises(AttributeError, match="no_such_name"):
        pkg.no_such_name  # noqa: B018
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import bayes_meta_envs.agents.lstm as m\n"
        "from bayes_meta_envs.errors import MissingDependencyError\n"
        "try:\n"
        "    m.LSTMAgent\n"
        "except MissingDependencyError as exc:\n"
        "    sys.exit(0 if 'bayes-meta-envs[train]' in str(exc) else 2)\n"
        "sys.exit(1)\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
