"""The agents zoo (package data, bayes_meta_envs/zoo/): every agent loads by name, scores, and
agrees with its model card (agents/NAME/README.md in the repository)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

from bayes_meta_envs import agents
from bayes_meta_envs.agents.resolve import resolve_agent
from bayes_meta_envs.agents.zoo import ZOO_DIR, load, read_algo, zoo_folders, zoo_names, zoo_path
from bayes_meta_envs.errors import CheckpointError, InvalidArgumentError
from bayes_meta_envs.task import task_of

ZOO = ZOO_DIR
CARDS = Path(__file__).resolve().parents[2] / "agents"
FOLDERS = zoo_folders(ZOO)
LSTM_FOLDERS = [p for p in FOLDERS if read_algo(p) == "lstm"]
EXPECTED_LSTM = {
    "lstm-metabandit",
    "lstm-predict-bernoulli",
    "lstm-predict-categorical",
    "lstm-predict-gaussian",
    "lstm-predict-exponential",
}
EPISODES = 4000
SEED = 7  # not the card's seed (0): an independent sample


def _card_metric(report) -> tuple[str, float, float]:
    """The card's headline metric: the Bayes gap from Q-values (bandits) or the excess log-loss
    (prediction)."""
    if report.env_kind == "bandit":
        est = report.bayes_gap_q
        return "bayes_gap_q", est.mean, est.ci95
    est = report.excess_log_loss
    return "excess_log_loss", est.mean, est.ci95


def test_the_lstm_zoo_is_complete():
    assert {p.name for p in LSTM_FOLDERS} >= EXPECTED_LSTM


def test_zoo_names_and_load_by_name():
    names = agents.zoo_names()
    assert names == zoo_names() == sorted(p.name for p in FOLDERS)
    assert set(names) >= EXPECTED_LSTM
    agent = agents.load("lstm-metabandit")
    same = load("zoo:lstm-metabandit")
    assert agent.config == same.config and agent.config.reward_signal == "sampled"
    assert zoo_path("zoo:lstm-metabandit") == ZOO / "lstm-metabandit"
    with pytest.raises(InvalidArgumentError, match="zoo agent"):
        load("zoo:no-such-agent")
    with pytest.raises(InvalidArgumentError, match="zoo agent"):
        zoo_path("no-such-agent")


def test_score_spec_zoo_name():
    task = task_of("MetaBandit-v0")
    agent = resolve_agent("zoo:lstm-metabandit", task)
    assert agent.config.env_id == "MetaBandit-v0"
    with pytest.raises(InvalidArgumentError, match="--agent"):
        resolve_agent("zoo:nope", task)


def test_cards_beside_the_zoo_and_no_weights_stored_twice():
    for folder in FOLDERS:
        assert (CARDS / folder.name / "README.md").is_file(), folder.name
    assert not list(CARDS.rglob("*.safetensors")) and not list(CARDS.rglob("*.pt"))


def test_metabandit_checkpoints_over_training():
    """About ten checkpoints over training, each a loadable agent (for analyses across it)."""
    ckpts = sorted((ZOO / "lstm-metabandit" / "checkpoints").iterdir())
    assert 8 <= len(ckpts) <= 12
    updates = [int(p.name[5:]) for p in ckpts]
    assert updates == sorted(updates) and updates[0] > 0
    first, last = load(ckpts[0]), load(ckpts[-1])
    assert first.config == last.config
    assert not all(first.net.state_dict()[k].equal(v) for k, v in last.net.state_dict().items())


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_zoo_agent_matches_its_card(folder):
    from bayes_meta_envs.scoring import ScoreReport, score

    card = CARDS / folder.name / "README.md"
    score_file = folder / "score.json"
    if read_algo(folder) != "lstm" and not (card.is_file() and score_file.is_file()):
        pytest.skip(f"{folder.name}: no model card or score.json yet")
    assert card.is_file(), f"{folder.name} has no model card"
    assert score_file.is_file(), f"{folder.name} has no score.json"
    saved = ScoreReport.from_json(score_file.read_text())
    assert saved.episodes >= 100_000
    name, card_mean, card_ci = _card_metric(saved)
    # the card quotes the score table's headline number
    assert f"{card_mean:.4f}" in card.read_text(), f"{name} {card_mean:.4f} not in {card}"

    agent = load(folder)
    report = score(agent, saved.env_id, env_kwargs=saved.env_kwargs, episodes=EPISODES, seed=SEED)
    _, mean, ci = _card_metric(report)
    # independent samples: the difference is within 3.3 combined standard errors (99.9%)
    tol = 3.3 / 1.96 * math.hypot(ci, card_ci)
    assert abs(mean - card_mean) <= tol, (name, mean, card_mean, tol)


@pytest.mark.parametrize("folder", LSTM_FOLDERS, ids=lambda p: p.name)
def test_lstm_zoo_targets(folder):
    """The issue's targets, read from the card's 100,000-episode score."""
    from bayes_meta_envs.scoring import ScoreReport

    saved = ScoreReport.from_json((folder / "score.json").read_text())
    _, mean, _ = _card_metric(saved)
    assert mean <= (0.02 if saved.env_kind == "bandit" else 0.01)
    weights = (folder / "model.safetensors").stat().st_size
    assert weights < 5_000_000
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["algo"] == "lstm" and cfg["env_id"] == saved.env_id


def test_load_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load(tmp_path / "missing")
    (tmp_path / "a").mkdir()
    with pytest.raises(CheckpointError, match=r"no config\.json"):
        load(tmp_path / "a")
    (tmp_path / "a" / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load(tmp_path / "a")
    (tmp_path / "a" / "config.json").write_text(json.dumps({"algo": "dqn"}))
    with pytest.raises(CheckpointError, match="algo='dqn'"):
        load(tmp_path / "a")


def test_load_dispatches_to_lstm(tmp_path):
    from bayes_meta_envs.agents.lstm import LSTMAgent, LSTMConfig

    LSTMAgent(LSTMConfig(hidden_size=4, embed_size=4, tensorboard=False)).save(tmp_path / "a")
    agent = load(tmp_path / "a")
    assert isinstance(agent, LSTMAgent) and agent.hidden_size == 4
    assert [p.name for p in zoo_folders(tmp_path)] == ["a"]
