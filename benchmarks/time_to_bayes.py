"""Time to Bayes: the Bayes gap each meta-learner reaches in a wall-clock budget.

Both learners train on MetaBandit-v0 from the rewards they observe (no access to the arm
probabilities), with the same network size (a linear embedding, one LSTM, linear policy and value
heads: ``--hidden``/``--embed``), for the same wall-clock budget, and are scored on the same
100,000 episodes (seed ``--score-seed``, not used in training) against the exact Bayes-optimal
agent:

* ``lstm``: the package's LSTM trainer (:class:`bayes_meta_envs.agents.lstm.LSTMTrainer`) with
  the demo's recipe (``DEMO_CONFIG``: 1,024 tasks per update, PPO 2 x 2, lr 8e-3 decayed to 0.5%,
  a logit cap of 3.5 over the first half, ``reward_signal="sampled"``) plus ``--lstm-overrides``;
* ``recurrent-ppo``: sb3-contrib's RecurrentPPO through
  :func:`bayes_meta_envs.agents.recurrent_ppo.train` with its default recipe (also the observed
  reward: SB3 only ever sees the env's reward).

The table gives, per budget, the training actually done (updates or steps), the Bayes gap with its
95% half-width, the normalised score (0 random play, 1 Bayes-optimal) and the ratio of
RecurrentPPO's gap to the LSTM trainer's. The gap compared is ``bayes_gap_q``, estimated from the
exact Bayes-optimal Q-values along the agent's trajectory (``± 0.0003`` on 100,000 episodes for an
agent near 0.01); the paired estimate ``bayes_gap`` (same expectation, ``± 0.007``) is shown beside
it. Each agent is scored twice on the same episodes: sampling its actions from its policy, and
acting on the policy's arg-max (``score(deterministic=True)``, the convention of SB3's
``evaluate_policy``); both learners are scored the same two ways. ``--device cuda`` trains the LSTM
on the GPU (scoring stays on the CPU); ``--lstm-only`` skips RecurrentPPO; ``--lstm-overrides`` may
be given several times (one row each); ``--seeds`` trains each learner once per seed and adds, per
budget and learner, a summary row: the mean gap over the seeds with its standard error, and how many
seeds reached the target gap (``--target``, 0.01). ``--json FILE`` also writes the rows. The
schedules follow the fraction of the budget, so ``--budget-seconds`` can give a faster CPU only as
many updates as a slower one fits into 5 minutes (benchmarks/README.md does this).

    python benchmarks/time_to_bayes.py --budgets 1 2 5         # ~10 min of training + scoring
    python benchmarks/time_to_bayes.py --budgets 1 2           # the short version
    python benchmarks/time_to_bayes.py --budgets 5 --lstm-only --seeds 0 1 2 3 4   # ~28 min
    python benchmarks/time_to_bayes.py --device cuda --lstm-only --budget-seconds 60 \\
        --lstm-overrides '{"num_envs": 8192}'
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _machine import describe  # this folder's helper (scripts run from here)

from bayes_meta_envs import agents
from bayes_meta_envs.agents import lstm
from bayes_meta_envs.agents import recurrent_ppo as rp
from bayes_meta_envs.agents.lstm import DEMO_CONFIG, LSTMConfig
from bayes_meta_envs.agents.lstm.net import resolve_device
from bayes_meta_envs.scoring import score

ENV_ID = "MetaBandit-v0"
#: Bookkeeping turned off inside the budget (one evaluation at the start and one at the end).
QUIET = {
    "tensorboard": False,
    "eval_every": 10**9,
    "eval_episodes": 1024,
    "checkpoint_every": 10**9,
}


def run_lstm(
    budget_s: float, overrides: dict[str, Any], seed: int, args: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    cfg = LSTMConfig(
        **{
            **DEMO_CONFIG,
            "hidden_size": args.hidden,
            "embed_size": args.embed,
            "total_updates": 10**9,
            "seed": seed,
            "num_threads": args.threads,
            "device": args.device,
            **QUIET,
            **overrides,
            "budget_minutes": budget_s / 60.0,
        }
    )
    t0 = time.perf_counter()
    run = lstm.train(cfg, tempfile.mkdtemp(prefix="lstm-", dir=tmp), progress=False)
    wall = time.perf_counter() - t0
    return {
        "learner": "lstm",
        "seed": seed,
        "signal": cfg.reward_signal,
        "device": str(resolve_device(cfg.device)),
        "overrides": overrides,
        "training": f"{run.updates} upd",
        "env_steps": run.env_steps,
        "train_s": wall,
        "agent": agents.load(run.path),
    }


def run_rppo(budget_s: float, seed: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    cfg = rp.RecurrentPPOConfig(
        env_id=ENV_ID,
        seed=seed,
        hidden_size=args.hidden,
        embed_size=args.embed,
        num_threads=args.threads,
        budget_minutes=budget_s / 60.0,
    )
    t0 = time.perf_counter()
    run = rp.train(cfg, tempfile.mkdtemp(prefix="rppo-", dir=tmp), progress=False)
    wall = time.perf_counter() - t0
    steps = run.env_steps
    return {
        "learner": "recurrent-ppo",
        "seed": seed,
        "signal": "sampled",
        "device": "cpu",
        "overrides": {},
        "training": f"{steps:,} steps" if steps else "-",
        "env_steps": steps,
        "train_s": wall,
        "agent": agents.load(run.path),
    }


def scored(row: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The row with the agent's gaps and normalised score, sampled (``gap``: from Q-values,
    ``paired``: the paired estimate) and arg-max (``gap_det``, ``paired_det``)."""
    torch.set_num_threads(args.threads)
    agent, out = row.pop("agent"), dict(row)
    for suffix, deterministic in (("", False), ("_det", True)):
        rep = score(
            agent, ENV_ID, episodes=args.episodes, seed=args.score_seed, deterministic=deterministic
        )
        gap_q, gap, norm = rep.bayes_gap_q, rep.bayes_gap, rep.normalised_score
        if gap_q is None or gap is None or norm is None:
            raise RuntimeError(f"the report of {rep.agent} has no Bayes gap")
        out |= {f"gap{suffix}": gap_q.mean, f"gap{suffix}_ci95": gap_q.ci95}
        out |= {f"paired{suffix}": gap.mean, f"paired{suffix}_ci95": gap.ci95}
        out[f"normalised{suffix}"] = norm.mean
    return out


def _save(rows: list[dict[str, Any]], path: str | None, *, echo: bool = True) -> None:
    """Write the rows so far to ``path`` (when given) and echo the newest one."""
    if path:
        Path(path).write_text(json.dumps(rows, indent=1) + "\n")
        if echo:
            print(json.dumps(rows[-1]), flush=True)


def summaries(rows: list[dict[str, Any]], target: float) -> list[str]:
    """Per budget and learner (and overrides): the mean gap over seeds, its standard error, and
    how many seeds reached ``target``."""
    groups: dict[tuple[float, str, str, str], list[float]] = {}
    for r in rows:
        over = json.dumps(r["overrides"]) if r["overrides"] else "-"
        for key, actions in (("gap", "sampled"), ("gap_det", "arg-max")):
            groups.setdefault((r["budget_s"], r["learner"], over, actions), []).append(r[key])
    lines = []
    first: dict[tuple[float, str], float] = {}  # the LSTM trainer's mean gap, per budget/actions
    for (budget, learner, over, actions), gaps in groups.items():
        g = np.asarray(gaps)
        se = g.std(ddof=1) / np.sqrt(len(g)) if len(g) > 1 else float("nan")
        ratio = g.mean() / first.setdefault((budget, actions), g.mean())
        lines.append(
            f"| {budget:g} s | {learner} | {over} | {actions} | {len(g)} "
            f"| {g.mean():.4f} ± {se:.4f} | {g.min():.4f} - {g.max():.4f} "
            f"| {(g <= target).sum()} of {len(g)} | {ratio:.2f} |"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budgets", type=float, nargs="+", default=[1.0, 2.0, 5.0], metavar="MIN")
    ap.add_argument("--budget-seconds", type=float, nargs="+", default=None, metavar="S")
    ap.add_argument("--episodes", type=int, default=100_000)
    ap.add_argument("--score-seed", type=int, default=12_345)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], metavar="SEED")
    ap.add_argument("--target", type=float, default=0.01)
    ap.add_argument("--hidden", type=int, default=LSTMConfig.hidden_size)
    ap.add_argument("--embed", type=int, default=LSTMConfig.embed_size)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    ap.add_argument("--lstm-only", action="store_true")
    ap.add_argument("--lstm-overrides", action="append", type=json.loads, default=None)
    ap.add_argument("--json", default=None, metavar="FILE")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke run for CI: tiny sizes, timings meaningless (5 s budgets, 1,000 episodes)",
    )
    args = ap.parse_args()
    if args.quick:
        args.budget_seconds, args.episodes = [5.0], 1_000
    budgets = args.budget_seconds or [60.0 * m for m in args.budgets]
    variants = args.lstm_overrides or [{}]
    rows: list[dict[str, Any]] = []
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for b in budgets:
            for seed in args.seeds:
                here = []
                for v in variants:
                    row = run_lstm(b, v, seed, args, tmp)
                    here.append(scored({**row, "budget_s": b}, args))
                    _save(rows + here, args.json)
                if not args.lstm_only:
                    here.append(scored({**run_rppo(b, seed, args, tmp), "budget_s": b}, args))
                    _save(rows + here, args.json)
                for key in ("gap", "gap_det"):
                    lstm_gap = here[0][key]
                    for r in here:
                        r[f"{key}_vs_lstm"] = r[key] / lstm_gap if lstm_gap > 0 else float("nan")
                rows.extend(here)
                _save(rows, args.json, echo=False)
    print(
        f"MetaBandit-v0, observed rewards, hidden {args.hidden}/embed {args.embed}, on "
        f"{describe()}, {args.threads} torch threads, {args.episodes:,} scoring episodes (seed "
        f"{args.score_seed}); load average at start {load[0]:.1f}, at end "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        "| budget | learner | seed | device | overrides | training done | Bayes gap (Q), sampled "
        "| paired | normalised | gap / LSTM's | Bayes gap (Q), arg-max | paired | gap / LSTM's |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        over = json.dumps(r["overrides"]) if r["overrides"] else "-"
        print(
            f"| {r['budget_s']:g} s | {r['learner']} | {r['seed']} | {r['device']} | {over} "
            f"| {r['training']} | {r['gap']:.4f} ± {r['gap_ci95']:.4f} "
            f"| {r['paired']:.4f} ± {r['paired_ci95']:.4f} | {r['normalised']:.4f} "
            f"| {r['gap_vs_lstm']:.2f} | {r['gap_det']:.4f} ± {r['gap_det_ci95']:.4f} "
            f"| {r['paired_det']:.4f} ± {r['paired_det_ci95']:.4f} | {r['gap_det_vs_lstm']:.2f} |"
        )
    if len(args.seeds) > 1:
        print(f"\nover seeds {args.seeds} (target gap <= {args.target:g}):")
        print(
            "| budget | learner | overrides | actions | seeds | mean gap ± s.e. | range "
            "| at target | mean gap / LSTM's |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(summaries(rows, args.target)))


if __name__ == "__main__":
    main()
