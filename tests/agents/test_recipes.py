"""The one recipe protocol: shared names, old configs and run folders, the progress display."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tqdm")

from bayes_meta_envs.agents import load, lstm, recipes  # noqa: E402
from bayes_meta_envs.agents._recipe import LEGACY_NAMES, SHARED_NAMES  # noqa: E402
from bayes_meta_envs.agents.recurrent_ppo import RecurrentPPOConfig  # noqa: E402
from bayes_meta_envs.agents.run_folder import latest_checkpoint  # noqa: E402
from bayes_meta_envs.errors import CheckpointError, InvalidArgumentError  # noqa: E402
from tests.agents.helpers import tiny_config  # noqa: E402

OLD_RUN = Path(__file__).parent.parent / "analysis" / "data" / "tiny-bernoulli"


def test_every_recipe_has_the_protocol_and_the_shared_names():
    for name, recipe in recipes.RECIPES.items():
        assert recipe.ALGO == name
        fields = recipe.Config.field_names()
        assert set(SHARED_NAMES) <= set(fields), name
        assert not set(LEGACY_NAMES) & set(fields), name  # only today's names are fields
        assert callable(recipe.train) and callable(recipe.load_agent)
    both = set(lstm.LSTMConfig.field_names()) & set(RecurrentPPOConfig.field_names())
    assert {"num_envs", "n_epochs", "vf_coef", "ent_coef", "hidden_size"} <= both


def test_unknown_fields_name_the_valid_ones():
    for cls in (lstm.LSTMConfig, RecurrentPPOConfig):
        with pytest.raises(InvalidArgumentError, match=r"unknown keys \['hiden_size'\]") as e:
            cls.from_dict({"hiden_size": 8})
        assert "'hidden_size'" in str(e.value) and "'seed'" in str(e.value)
    with pytest.raises(InvalidArgumentError, match="algo"):
        recipes.get("gru")


def test_an_old_lstm_config_and_run_folder_load_and_resume(tmp_path):
    data = json.loads((OLD_RUN / "config.json").read_text())
    assert "ppo_epochs" in data and "value_coef" in data  # a 0.2 config, as committed
    config = lstm.LSTMConfig.from_json(OLD_RUN / "config.json")
    assert (config.n_epochs, config.vf_coef, config.ent_coef) == (
        data["ppo_epochs"],
        data["value_coef"],
        data["entropy_start"],
    )
    assert recipes.read_run_config(OLD_RUN) == config
    assert load(OLD_RUN).config == config
    assert load(latest_checkpoint(OLD_RUN)).config == config  # a checkpoint folder too


def _as_0_2(config: dict) -> dict:
    """A config JSON as 0.2 wrote it: its names, no format_version."""
    old = {new: old for old, new in LEGACY_NAMES.items()}
    return {old.get(k, k): v for k, v in config.items() if k != "format_version"}


def test_a_run_with_0_2_checkpoints_resumes_to_the_same_weights(tmp_path):
    config = tiny_config(total_updates=4)
    lstm.train(config, tmp_path / "full")
    part = tmp_path / "part"
    lstm.LSTMTrainer(config, part).train(stop_after=2)  # interrupted after 2 of 4 updates
    # rewrite the interrupted run's files into 0.2's names
    for file in [part / "config.json", *part.glob("checkpoints/*/trainer_state.json")]:
        data = json.loads(file.read_text())
        if "config" in data:
            data["config"] = _as_0_2(data["config"])
        else:
            data = _as_0_2(data)
        file.write_text(json.dumps(data))
    assert "ppo_epochs" in json.loads((part / "config.json").read_text())
    run = lstm.train(
        lstm.LSTMConfig.from_json(part / "config.json").replace(total_updates=4), part, resume=True
    )
    assert run.updates == 4
    a, b = (load(d).net.state_dict() for d in (tmp_path / "full", part))
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(CheckpointError, match=r"belongs to another run.*n_epochs=2.*n_epochs=3"):
        lstm.train(config.replace(total_updates=6, n_epochs=3), part, resume=True)


def test_progress_is_drawn_only_when_asked_or_on_a_terminal(tmp_path, capsys):
    lstm.train(tiny_config(total_updates=2), tmp_path / "a")  # stderr is captured: not a tty
    assert capsys.readouterr().err == ""
    lstm.train(tiny_config(total_updates=2), tmp_path / "b", progress=True)
    err = capsys.readouterr().err
    status = re.findall(r"upd [^\r\n]*", err)
    assert any("| update=2, bayes_gap=" in s for s in status), err
    assert not re.search(r"[\[|]\s*,", err), err  # no status starting with a stray comma


def test_callback_sees_every_update_record_and_checkpoint(tmp_path):
    events = []
    run = lstm.train(tiny_config(total_updates=4), tmp_path, callback=events.append)
    assert [e.updates for e in events] == [0, 1, 2, 3, 4]
    assert [e.record is not None for e in events] == [True, False, True, False, True]
    assert [e.checkpoint.name if e.checkpoint else None for e in events] == [
        None,
        None,
        "ckpt_000002",
        None,
        "ckpt_000004",
    ]
    assert run.history[-1] == events[-1].record
