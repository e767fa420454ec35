"""``bayes-meta demo``: the README's main job.

It meta-trains an LSTM on MetaBandit-v0 from the rewards the agent observes, within a small budget
(default 5 minutes on 2 cores; the recipe is
:data:`~bayes_meta_envs.agents.lstm.config.DEMO_CONFIG`), scores it against the exact Bayes-optimal
agent and the classic baselines (:data:`~bayes_meta_envs.baselines.registry.BANDIT_BASELINES`,
labelled by ``BASELINE_LABELS``) on the same 100,000 episodes, prints the table
(:func:`~bayes_meta_envs.scoring.comparison_table`), and writes a run folder::

    DIR/agent/                  the trained agent (config.json, model.safetensors, checkpoints/)
    DIR/scores.json             every score report (ScoreReport.to_dict), keyed by agent
    DIR/table.txt               the printed table
    DIR/bayes_gap_training.png  the Bayes gap (from Q-values) on the fixed evaluation batch
    DIR/bayes_action_probability.png   per-step probability of the Bayes-optimal action
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from bayes_meta_envs import agents
from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs._validate import check_int, check_path
from bayes_meta_envs.agents import lstm
from bayes_meta_envs.agents.lstm.config import DEMO_CONFIG, LSTMConfig
from bayes_meta_envs.analysis import plots
from bayes_meta_envs.baselines.registry import BANDIT_BASELINES, BASELINE_LABELS, make_baseline
from bayes_meta_envs.cli._common import evaluation_line, flag, option, positive_float
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.rollout import DEFAULT_BATCH_SIZE, check_rollout_memory
from bayes_meta_envs.scoring import ScoreReport, score
from bayes_meta_envs.scoring.tables import comparison_table
from bayes_meta_envs.task import task_of

ENV_ID = "MetaBandit-v0"
LSTM_LABEL = "LSTM (observed rewards)"
#: The Bayes gap the demo aims at (drawn on its training plot).
DEMO_TARGET_GAP = 0.015
#: The demo's torch threads: two where the machine has them.
DEMO_THREADS = min(2, os.cpu_count() or 1)


def configure(parser: argparse.ArgumentParser) -> None:
    budget = "training budget in minutes"
    option(parser, "--budget-minutes", 5.0, "M", budget, type=positive_float)
    option(parser, "--out", "bayes-meta-runs/demo", "DIR", "run folder", type=None)
    option(parser, "--episodes", 100_000, "N", "scoring episodes")
    option(parser, "--seed", 0, "S", "training and scoring seed")
    threads = (
        "torch threads (two where the machine has them: measured 1.6x faster than one for "
        "the recipe's 1,024 tasks per update)"
    )
    option(parser, "--num-threads", DEMO_THREADS, "N", threads)
    flag(parser, "--no-plots", "skip the PNG plots")
    flag(parser, "--no-progress", "no progress bars")


def run(args: argparse.Namespace) -> int:
    episodes = check_int("--episodes", args.episodes, minimum=1)
    out = check_path("--out", args.out)
    task = task_of(ENV_ID)
    # the scoring after training must fit: refuse its size now, not after the training
    check_rollout_memory(task, episodes, 0, min(episodes, DEFAULT_BATCH_SIZE))
    config = LSTMConfig(
        **{
            **DEMO_CONFIG,
            "budget_minutes": args.budget_minutes,
            "seed": args.seed,
            "num_threads": args.num_threads,
        }
    )
    print(
        f"bayes-meta demo: meta-training an LSTM (hidden {config.hidden_size}) on {ENV_ID} "
        f"for {args.budget_minutes:g} min on {config.num_threads} torch threads, learning from "
        f"the rewards it observes (reward_signal={config.reward_signal!r}) ..."
    )
    t0 = time.perf_counter()
    # the demo owns DIR/agent: a rerun replaces the previous demo's agent
    result = lstm.train(
        config, out / "agent", overwrite=True, progress=False if args.no_progress else None
    )
    agent = agents.load(result.path)
    t_train = time.perf_counter() - t0
    print(
        f"trained {result.updates} updates, {result.env_steps:,} env steps "
        f"({result.env_steps / task.horizon:,.0f} episodes) in {t_train:.1f} s"
    )
    line = evaluation_line(result.history)
    if line is not None:
        print(line)

    print(f"scoring on {episodes:,} episodes (seed {args.seed}) ...")
    t1 = time.perf_counter()
    reports = _score_all(agent, episodes, args.seed, False if args.no_progress else None)
    t_score = time.perf_counter() - t1
    table = comparison_table(reports)
    print(f"\n{table}")
    verdict = _verdict(reports)
    if verdict is not None:
        print(verdict)
    run_summary = {
        "train_seconds": t_train,
        "score_seconds": t_score,
        "updates": result.updates,
        "env_steps": result.env_steps,
        "budget_minutes": args.budget_minutes,
        "reward_signal": config.reward_signal,
        "episodes": episodes,
        "seed": args.seed,
    }
    _save(out, table, run_summary, reports)
    if not args.no_plots:
        _write_plots(reports, result.history, out, config)
    print(
        f"\nwrote {out}/ (agent/, scores.json, table.txt"
        + ("" if args.no_plots else ", bayes_gap_training.png, bayes_action_probability.png")
        + f"); training {t_train:.0f} s, scoring {t_score:.0f} s"
    )
    return 0


def _save(
    out: Path, table: str, run_summary: dict[str, Any], reports: dict[str, ScoreReport]
) -> None:
    """Write ``table.txt`` and ``scores.json`` (the run's summary and every report) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "table.txt", table + "\n")
    scores = {name: r.to_dict() for name, r in reports.items()}
    atomic_write_text(
        out / "scores.json", json.dumps({"run": run_summary, "scores": scores}, indent=1) + "\n"
    )


def _score_all(
    agent: Agent, episodes: int, seed: int, progress: bool | None
) -> dict[str, ScoreReport]:
    """The LSTM and every bandit baseline scored on the same ``episodes`` and ``seed``."""
    task = task_of(ENV_ID)
    contenders: dict[str, Any] = {LSTM_LABEL: agent}
    for spec in BANDIT_BASELINES:
        contenders[BASELINE_LABELS[spec]] = make_baseline(spec, task, seed=seed)
    return {
        name: score(
            contender, task, episodes=episodes, seed=seed, progress=progress, agent_name=name
        )
        for name, contender in contenders.items()
    }


def _verdict(reports: dict[str, ScoreReport]) -> str | None:
    """The line that says whether the LSTM beat the greedy baseline (``None`` without the
    Q-value gaps)."""
    lstm_gap = reports[LSTM_LABEL].bayes_gap_q
    greedy_gap = reports[BASELINE_LABELS["greedy"]].bayes_gap_q
    if lstm_gap is None or greedy_gap is None:
        return None
    verdict = "beats" if lstm_gap.mean < greedy_gap.mean else "does not beat"
    bayes_value = reports[LSTM_LABEL].references.get("bayes_value", float("nan"))
    return (
        f"\nThe meta-trained LSTM {verdict} the greedy baseline: Bayes gap "
        f"{lstm_gap.mean:.4f} ± {lstm_gap.ci95:.4f} vs {greedy_gap.mean:.4f} "
        f"± {greedy_gap.ci95:.4f}, from the Bayes-optimal Q-values "
        f"(Bayes-optimal expected return {bayes_value:.4f})."
    )


def _write_plots(
    reports: dict[str, ScoreReport], history: list[dict[str, float]], out: Path, config: LSTMConfig
) -> None:
    """The demo's two figures: the Bayes gap over training (from the Q-values; the greedy and
    Thompson scores as reference lines) and the per-step probability of the Bayes-optimal
    action."""
    refs: dict[str, float] = {}
    lstm_gap = reports[LSTM_LABEL].bayes_gap_q
    if lstm_gap is not None:
        refs[f"meta-learner (scored, {lstm_gap.n:,} episodes)"] = lstm_gap.mean
    for spec, label in (("greedy", "greedy (scored)"), ("thompson", "Thompson (scored)")):
        gap = reports[BASELINE_LABELS[spec]].bayes_gap_q
        if gap is not None:
            refs[label] = gap.mean
    plots.plot_training_curve(
        history,
        out / "bayes_gap_training.png",
        metric="bayes_gap_q",
        references=refs,
        target=DEMO_TARGET_GAP,
        symlog_threshold=0.001,
        title=(
            f"LSTM meta-training on MetaBandit-v0 (signal: {config.reward_signal} reward): "
            f"Bayes gap on the fixed evaluation batch ({config.eval_episodes:,} episodes, "
            f"eval seed {config.eval_seed})"
        ),
    )
    shown = {k: v for k, v in reports.items() if k != BASELINE_LABELS["bayes"]}
    plots.plot_bayes_action_probability(shown, out / "bayes_action_probability.png")
