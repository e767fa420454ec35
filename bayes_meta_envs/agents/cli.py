"""``bayes-meta train`` and ``bayes-meta demo``.

``train`` meta-trains an agent on a registered environment::

    bayes-meta train --algo lstm --env MetaBandit-v0 [--config FILE] [--budget-minutes M]
                     [--out DIR] [--resume] [--seed S]
    bayes-meta train --algo recurrent-ppo --env MetaBandit-v0 ...

``demo`` is the README's main job: it meta-trains an LSTM on MetaBandit-v0 within a small
budget (default 4 minutes on 2 cores), scores it against the exact Bayes-optimal agent and the
classic baselines on the same 100,000 episodes, prints the table, and writes a run folder::

    DIR/agent/                  the trained agent (config.json, model.safetensors, checkpoints/)
    DIR/scores.json             every score report (ScoreReport.to_dict), keyed by agent
    DIR/table.txt               the printed table
    DIR/bayes_gap_training.png  the Bayes gap on the fixed evaluation batch over training
    DIR/bayes_action_probability.png   per-step probability of the Bayes-optimal action
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs.cli import parse_env_kwargs
from bayes_meta_envs.errors import invalid, require

__all__ = [
    "DEMO_CONFIG",
    "configure_demo",
    "configure_train",
    "run_demo",
    "run_train",
]

#: The demo's LSTM recipe (MetaBandit-v0 defaults); ``budget_minutes`` is set by the command.
DEMO_CONFIG: dict[str, Any] = {
    "env_id": "MetaBandit-v0",
    "hidden_size": 32,
    "embed_size": 32,
    "num_envs": 256,
    "total_updates": 100_000,
    "learning_rate": 3e-3,
    "lr_final_fraction": 0.1,
    "ppo_epochs": 4,
    "ppo_minibatches": 4,
    "entropy_start": 0.01,
    "entropy_end": 0.0,
    "entropy_decay_fraction": 0.8,
    "eval_every": 100,
    "eval_episodes": 4096,
    "checkpoint_every": 500,
}


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return v


# ----------------------------------------------------------------------------------------------
# train
# ----------------------------------------------------------------------------------------------


def configure_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--algo", choices=["lstm", "recurrent-ppo"], default="lstm")
    parser.add_argument("--env", default=None, metavar="ID", help="registered environment id")
    parser.add_argument(
        "--env-kwargs", default=None, metavar="JSON", help="environment kwargs as a JSON object"
    )
    parser.add_argument("--config", default=None, metavar="FILE", help="config JSON file")
    parser.add_argument(
        "--budget-minutes",
        type=_positive_float,
        default=None,
        metavar="M",
        help="stop after M minutes of training (wall clock)",
    )
    parser.add_argument("--out", default=None, metavar="DIR", help="output folder")
    parser.add_argument(
        "--resume", action="store_true", help="continue from the last checkpoint in --out"
    )
    parser.add_argument("--seed", type=int, default=None, metavar="S", help="training seed")
    parser.add_argument(
        "--num-threads",
        type=int,
        default=None,
        metavar="N",
        help="torch threads (default: the config's num_threads, 1)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _lstm_config(args: argparse.Namespace) -> Any:
    from bayes_meta_envs.agents.lstm import CONFIG_FILE, LSTMConfig

    if args.config is not None:
        config = LSTMConfig.from_json(args.config)
    elif args.resume and args.out is not None and (Path(args.out) / CONFIG_FILE).is_file():
        config = LSTMConfig.from_json(Path(args.out) / CONFIG_FILE)
    else:
        if args.env is None:
            raise invalid("--env", None, "a registered environment id (or give --config)")
        config = LSTMConfig(env_id=args.env)
    changes: dict[str, Any] = {}
    if args.env is not None and args.env != config.env_id:
        changes["env_id"] = args.env
        changes["env_kwargs"] = {}
    kwargs = parse_env_kwargs(args.env_kwargs)
    if kwargs is not None:
        changes["env_kwargs"] = kwargs
    if args.budget_minutes is not None:
        changes["budget_minutes"] = args.budget_minutes
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.num_threads is not None:
        changes["num_threads"] = args.num_threads
    return config.replace(**changes) if changes else config


def _print_history_tail(history: list[dict[str, float]]) -> None:
    if not history:
        return
    last = history[-1]
    shown = ", ".join(f"{k[5:]}={v:.4f}" for k, v in last.items() if k.startswith("eval_"))
    print(f"final evaluation (fixed batch): {shown}")


def run_train(args: argparse.Namespace) -> int:
    if args.algo == "recurrent-ppo":
        return _run_train_rppo(args)
    from bayes_meta_envs.agents.lstm import train_lstm

    config = _lstm_config(args)
    out = Path(args.out) if args.out else Path("runs") / f"lstm-{config.env_id}"
    t0 = time.perf_counter()
    _, result = train_lstm(config, out, resume=args.resume, progress=not args.no_progress)
    wall = time.perf_counter() - t0
    print(
        f"trained {result.updates} updates ({result.env_steps:,} env steps) in "
        f"{result.wall_seconds:.1f} s of training ({wall:.1f} s with evaluation and saving)"
        + (" (stopped by the budget)" if result.stopped_by_budget else "")
    )
    _print_history_tail(result.history)
    print(f"wrote {out}")
    return 0


def _run_train_rppo(args: argparse.Namespace) -> int:
    from bayes_meta_envs.agents import recurrent_ppo

    config = None
    env_id = args.env
    env_kwargs = parse_env_kwargs(args.env_kwargs)
    if args.config is not None:
        config = recurrent_ppo.RecurrentPPOConfig.from_json(args.config)
        data = json.loads(Path(args.config).read_text())
        if isinstance(data, dict) and "env_id" in data:
            env_id = env_id or data["env_id"]
            if env_kwargs is None and data.get("env_id") == env_id:
                env_kwargs = data.get("env_kwargs")
    if env_id is None:
        raise invalid("--env", None, "a registered environment id")
    if args.num_threads is not None:
        require("torch", "train").set_num_threads(args.num_threads)
    out = recurrent_ppo.train(
        env_id,
        env_kwargs,
        config,
        args.budget_minutes,
        args.out,
        args.resume,
        args.seed if args.seed is not None else 0,
    )
    print(f"wrote {out}")
    return 0


# ----------------------------------------------------------------------------------------------
# demo
# ----------------------------------------------------------------------------------------------


def configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--budget-minutes",
        type=_positive_float,
        default=4.0,
        metavar="M",
        help="training budget in minutes (default 4)",
    )
    parser.add_argument(
        "--out",
        default="bayes-meta-runs/demo",
        metavar="DIR",
        help="run folder (default ./bayes-meta-runs/demo)",
    )
    parser.add_argument(
        "--episodes",
        type=int,
        default=100_000,
        metavar="N",
        help="scoring episodes (default 100000)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="training and scoring seed"
    )
    parser.add_argument(
        "--num-threads",
        type=int,
        default=1,
        metavar="N",
        help="torch threads (default 1: fastest for this small network, measured)",
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _baselines(env_id: str) -> dict[str, Any]:
    from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent
    from bayes_meta_envs.baselines.classic import (
        GreedyAgent,
        RandomAgent,
        ThompsonAgent,
        UCB1Agent,
    )

    agents: dict[str, Any] = {"Bayes-optimal": BayesOptimalAgent.for_env(env_id)}
    try:
        from bayes_meta_envs.baselines.gittins import GittinsAgent

        base = GittinsAgent(0.9)
        agents["Gittins (gamma=0.9)"] = base
    except (ImportError, TypeError):  # pragma: no cover - the baselines ship with the package
        pass
    agents["Thompson sampling"] = ThompsonAgent.for_env(env_id)
    agents["UCB1"] = UCB1Agent.for_env(env_id)
    agents["Greedy (posterior mean)"] = GreedyAgent.for_env(env_id)
    agents["Random"] = RandomAgent.for_env(env_id)
    return agents


def _fmt(est: Any) -> str:
    if est is None:
        return f"{'n/a':>17}"
    return f"{est.mean:>8.4f} ± {est.ci95:<6.4f}"


def demo_table(reports: dict[str, Any]) -> str:
    """The demo's table: one row per agent (mean return, regret, Bayes gap, P(Bayes action))."""
    head = (
        f"{'agent':<26} {'mean return':>17} {'regret':>17} {'Bayes gap':>17} "
        f"{'P(Bayes action)':>17}"
    )
    lines = [head, "-" * len(head)]
    for name, r in reports.items():
        lines.append(
            f"{name:<26} {_fmt(r.mean_return)} {_fmt(r.regret)} {_fmt(r.bayes_gap)} "
            f"{_fmt(r.agreement)}"
        )
    return "\n".join(lines)


def run_demo(args: argparse.Namespace) -> int:
    from bayes_meta_envs.agents.lstm import LSTMConfig, train_lstm
    from bayes_meta_envs.scoring.score import score

    if args.episodes < 1:
        raise invalid("--episodes", args.episodes, "an int >= 1")
    out = Path(args.out)
    env_id = "MetaBandit-v0"
    config = LSTMConfig(
        **{
            **DEMO_CONFIG,
            "budget_minutes": args.budget_minutes,
            "seed": args.seed,
            "num_threads": args.num_threads,
        }
    )
    print(
        f"bayes-meta demo: meta-training an LSTM (hidden {config.hidden_size}) on {env_id} "
        f"for {args.budget_minutes:g} min on {config.num_threads} torch threads ..."
    )
    t0 = time.perf_counter()
    agent, result = train_lstm(config, out / "agent", progress=not args.no_progress)
    t_train = time.perf_counter() - t0
    print(
        f"trained {result.updates} updates, {result.env_steps:,} env steps "
        f"({result.env_steps / 20:,.0f} episodes) in {t_train:.1f} s"
    )
    _print_history_tail(result.history)

    print(f"scoring on {args.episodes:,} episodes (seed {args.seed}) ...")
    t1 = time.perf_counter()
    reports: dict[str, Any] = {}
    progress = False if args.no_progress else None
    reports["LSTM (meta-trained)"] = score(
        agent,
        env_id,
        episodes=args.episodes,
        seed=args.seed,
        progress=progress,
        agent_name="LSTM (meta-trained)",
    )
    for name, baseline in _baselines(env_id).items():
        reports[name] = score(
            baseline,
            env_id,
            episodes=args.episodes,
            seed=args.seed,
            progress=progress,
            agent_name=name,
        )
    t_score = time.perf_counter() - t1
    table = demo_table(reports)
    print()
    print(table)
    lstm_gap = reports["LSTM (meta-trained)"].bayes_gap
    greedy_gap = reports["Greedy (posterior mean)"].bayes_gap
    if lstm_gap is not None and greedy_gap is not None:
        verdict = "beats" if lstm_gap.mean < greedy_gap.mean else "does not beat"
        print(
            f"\nThe meta-trained LSTM {verdict} the greedy baseline: Bayes gap "
            f"{lstm_gap.mean:.4f} vs {greedy_gap.mean:.4f} "
            f"(Bayes-optimal expected return {reports['LSTM (meta-trained)'].references.get('bayes_value', float('nan')):.4f})."
        )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "table.txt", table + "\n")
    scores = {name: r.to_dict() for name, r in reports.items()}
    summary = {
        "train_seconds": t_train,
        "score_seconds": t_score,
        "updates": result.updates,
        "env_steps": result.env_steps,
        "budget_minutes": args.budget_minutes,
        "episodes": args.episodes,
        "seed": args.seed,
    }
    atomic_write_text(
        out / "scores.json", json.dumps({"run": summary, "scores": scores}, indent=1) + "\n"
    )
    if not args.no_plots:
        from bayes_meta_envs.analysis.plots import (
            plot_bayes_action_probability,
            plot_training_curve,
        )

        refs = {}
        if greedy_gap is not None:
            refs["greedy (scored)"] = greedy_gap.mean
        thompson = reports.get("Thompson sampling")
        if thompson is not None and thompson.bayes_gap is not None:
            refs["Thompson (scored)"] = thompson.bayes_gap.mean
        plot_training_curve(
            result.history,
            out / "bayes_gap_training.png",
            metric="eval_bayes_gap",
            references=refs,
            target=0.02,
            title="LSTM meta-training on MetaBandit-v0: Bayes gap",
        )
        shown = {k: v for k, v in reports.items() if k != "Bayes-optimal"}
        plot_bayes_action_probability(shown, out / "bayes_action_probability.png")
    print(
        f"\nwrote {out}/ (agent/, scores.json, table.txt"
        + ("" if args.no_plots else ", bayes_gap_training.png, bayes_action_probability.png")
        + f"); training {t_train:.0f} s, scoring {t_score:.0f} s"
    )
    return 0
