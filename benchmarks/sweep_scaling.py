"""Sweep scaling: 4 short LSTM runs one after the other vs as a sweep on a local Ray (2 CPUs).

Both sides do the same work per run: train (``agents.lstm.train``, one torch thread) and score the
trained agent (``score``, written as ``score.json``). The sequential side runs in this process;
the sweep side starts a local Ray with ``--num-cpus`` CPUs (timed apart: Ray's start-up
overhead) and runs :func:`bayes_meta_envs.sweep.run_sweep`, one trial per CPU at a time. Prints a
Markdown table with the machine's load average, since a shared machine changes every figure.

    python benchmarks/sweep_scaling.py [--updates 1500] [--num-cpus 2] [--out DIR]

Target (issue 10): a speed-up >= 1.7x on 2 cores, start-up included.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import ray
import torch

from bayes_meta_envs.agents import load, lstm
from bayes_meta_envs.scoring import score
from bayes_meta_envs.sweep import SweepSpec, run_sweep

ENVS = ["MetaBandit-v0", "MetaPredictBernoulli-v0"]
SEEDS = 2


def _config(updates: int) -> dict:
    return {
        "hidden_size": 32,
        "embed_size": 32,
        "num_envs": 64,
        "total_updates": updates,
        "eval_every": 250,
        "eval_episodes": 1024,
        "checkpoint_every": 250,
        "tensorboard": False,
        "num_threads": 1,
    }


def sequential(spec: SweepSpec, out: Path) -> float:
    """Train and score every trial of ``spec`` here, one after the other; the wall time."""
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    for trial in spec.trials():
        fields = {**trial.config, "env_id": trial.env_id, "seed": trial.seed}
        config = lstm.LSTMConfig.from_dict({**fields, "env_kwargs": trial.env_kwargs})
        run = lstm.train(config, out / trial.name, progress=False)
        report = score(
            load(run.path), trial.env_id, episodes=trial.score_episodes, seed=trial.score_seed
        )
        (out / trial.name / "score.json").write_text(report.to_json())
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--updates", type=int, default=1500, help="updates of each run (default: about a minute)"
    )
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--score-episodes", type=int, default=2000)
    parser.add_argument("--out", default=None, help="keep the runs here (default: a temp dir)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run for CI: tiny sizes, timings meaningless (5 updates a run)",
    )
    args = parser.parse_args()
    if args.quick:
        args.updates, args.score_episodes = 5, 200

    spec = SweepSpec(
        envs=ENVS, seeds=SEEDS, config=_config(args.updates), score_episodes=args.score_episodes
    )
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="sweep-scaling-"))
    load_before = os.getloadavg()
    t_seq = sequential(spec, root / "sequential")

    t0 = time.perf_counter()
    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    t_init = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        summary = run_sweep(spec, root / "sweep")
        t_sweep = time.perf_counter() - t0
    finally:
        ray.shutdown()
    load_after = os.getloadavg()
    assert not summary.failed, summary.table()
    if args.out is None:
        shutil.rmtree(root)

    n = len(spec.trials())
    print(f"{n} runs of {args.updates} updates (2 envs x {SEEDS} seeds), {os.cpu_count()} cores")
    print(f"load average (1 min) before: {load_before[0]:.2f}, after: {load_after[0]:.2f}\n")
    print("| mode | wall s | speed-up |")
    print("|---|---:|---:|")
    print(f"| sequential (this process, 1 thread) | {t_seq:.1f} | 1.00x |")
    total = t_init + t_sweep
    print(
        f"| sweep, local Ray {args.num_cpus} CPUs, start-up included | {total:.1f} | "
        f"{t_seq / total:.2f}x |"
    )
    print(
        f"| sweep, local Ray {args.num_cpus} CPUs, after start-up | {t_sweep:.1f} | "
        f"{t_seq / t_sweep:.2f}x |"
    )
    print(f"| Ray start-up (`ray.init`) | {t_init:.1f} | |")
    print("\nper trial (wall s in its worker, from the summary):")
    for row in summary.rows:
        print(f"  {row.trial}: {row.wall_seconds:.1f}")


if __name__ == "__main__":
    main()
