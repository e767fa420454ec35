"""The converged many-run study behind the committed report: train through ``bayes-meta sweep``
on a local Ray, then write the report (what is *run* lives here; the report only reads).

    python reports/make_study.py [--tasks bernoulli categorical gaussian exponential bandit]
        [--seeds 8] [--updates-prediction 2000] [--updates-exponential 4000]
        [--updates-bandit 4500] [--minutes-cap 15] [--episodes 3000]
        [--dynamics-episodes 300] [--num-cpus 1] [--device cpu] [--out runs/study]
        [--report reports]

Each task is one sweep (``bayes-meta sweep --envs ID --seeds N --config BASE``) into
``OUT/<task>/``; a finished trial is not rerun when the script is started again, so an
interrupted study resumes. The recipes:

* prediction: the zoo's LSTM recipe (32 units, 256 tasks per update, Adam 3e-3 decayed to 5%),
  ``--updates-prediction`` updates per run (``--updates-exponential`` on the exponential task,
  whose zoo run was still at 0.0017 nats/step after 2,000) and a checkpoint every 10 updates, so
  that the report can pick twelve log-spaced ones (plus the untrained network at update 0);
* bandit: the recipe of ``bayes-meta demo`` (the CPU recipe: 1,024 tasks per update, PPO from
  the sampled reward, the logit cap), ``--updates-bandit`` updates per run, a checkpoint every 25.

Runs stop at a number of updates, not at a wall-clock budget: what a run learns depends on its
updates (docs/experiments.md), and a budget buys fewer of them on a slower or busier machine.
``--minutes-cap`` is only a safety stop; a run that hits it says so in its history.

Then ``bayes-meta report --runs OUT/* --out REPORT --jobs NUM_CPUS`` with ``--episodes`` (>= 3,000 for the
study), ``--dynamics-episodes`` per checkpoint, 12 log-spaced checkpoints and the robustness
table at 1,000 and 5,000 episodes. The wall time of every step is printed and written into the
report's notes, with what was run. Run folders and Ray results stay under OUT (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ENVS = {
    "bernoulli": "MetaPredictBernoulli-v0",
    "categorical": "MetaPredictCategorical-v0",
    "gaussian": "MetaPredictGaussian-v0",
    "exponential": "MetaPredictExponential-v0",
    "bandit": "MetaBandit-v0",
}

PREDICTION = {
    "hidden_size": 32,
    "embed_size": 32,
    "num_envs": 256,
    "total_updates": 3000,
    "learning_rate": 0.003,
    "lr_final_fraction": 0.05,
    "max_grad_norm": 1.0,
    "eval_every": 50,
    "eval_episodes": 2048,
    "checkpoint_every": 10,
    "num_threads": 1,
    "device": "cpu",
    "tensorboard": False,
}
SYMLOG = {"gaussian", "exponential"}  # as the zoo's configs

BANDIT = {
    "hidden_size": 32,
    "embed_size": 32,
    "num_envs": 1024,
    "total_updates": 100_000,
    "learning_rate": 8e-3,
    "lr_final_fraction": 0.005,
    "gae_lambda": 0.8,
    "n_epochs": 2,
    "ppo_minibatches": 2,
    "ent_coef": 0.003,
    "ent_coef_final": 0.0,
    "ent_decay_fraction": 0.5,
    "logit_cap": 3.5,
    "logit_cap_fraction": 0.5,
    "eval_every": 100,
    "eval_episodes": 4096,
    "checkpoint_every": 25,
    "num_threads": 1,
    "device": "cpu",
    "tensorboard": False,
}


def _run(cmd: list[str]) -> float:
    print("+", " ".join(cmd), flush=True)
    t0 = time.time()
    rc = subprocess.run(cmd, check=False).returncode
    if rc not in (0, 1):  # 1: some trials failed or were interrupted (the summary says which)
        raise SystemExit(rc)
    return time.time() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", nargs="+", default=list(ENVS), choices=list(ENVS))
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--updates-prediction", type=int, default=2000)
    p.add_argument("--updates-exponential", type=int, default=4000)
    p.add_argument("--updates-bandit", type=int, default=4500)
    p.add_argument("--minutes-cap", type=float, default=15.0, help="a safety stop per run")
    p.add_argument("--episodes", type=int, default=3000)
    p.add_argument("--dynamics-episodes", type=int, default=300)
    p.add_argument(
        "--robustness", type=int, nargs=2, default=[1000, 5000], help="0 0: no robustness table"
    )
    p.add_argument("--num-cpus", type=int, default=1)
    p.add_argument(
        "--device", default="cpu", choices=["cpu", "cuda", "auto"], help="where the runs train"
    )
    p.add_argument("--out", default="runs/study")
    p.add_argument("--report", default="reports")
    p.add_argument("--skip-training", action="store_true")
    p.add_argument("--skip-report", action="store_true", help="train only")
    p.add_argument("--notes", default=None, help="a Markdown file appended to the report's notes")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    for task in args.tasks:
        bandit = task == "bandit"
        base = dict(BANDIT if bandit else PREDICTION)
        updates = {"bandit": args.updates_bandit, "exponential": args.updates_exponential}
        base["total_updates"] = updates.get(task, args.updates_prediction)
        base["budget_minutes"] = args.minutes_cap
        base["device"] = args.device
        if task in SYMLOG:
            base["symlog_inputs"] = True
        cfg = out / f"{task}.json"
        cfg.write_text(json.dumps(base, indent=1) + "\n")
        if args.skip_training:
            continue
        cmd = ["bayes-meta", "sweep", "--envs", ENVS[task], "--seeds", str(args.seeds)]
        cmd += ["--config", str(cfg), "--num-cpus", str(args.num_cpus), "--out", str(out / task)]
        cmd += ["--score-episodes", "2000"]  # the report measures behaviour on its own episodes
        times[task] = _run(cmd)
    runs = [str(out / task / "runs") for task in args.tasks]
    notes = out / "notes.md"
    train = ", ".join(f"{k} {v / 60:.1f} min" for k, v in times.items()) or "(reused)"
    notes.write_text(
        f"**What was run** (`python reports/make_study.py {' '.join(sys.argv[1:])}`): tasks "
        f"{', '.join(args.tasks)}; {args.seeds} runs per task trained by `bayes-meta sweep` on a "
        f"local Ray ({args.num_cpus} CPU), {args.updates_prediction} updates per prediction run "
        f"({args.updates_exponential} on exponential) and {args.updates_bandit} per bandit run "
        f"(a safety stop at {args.minutes_cap:g} min); training wall time: {train}.\n"
        + ("\n" + Path(args.notes).read_text() if args.notes else "")
    )
    if args.skip_report:
        print(json.dumps({k: round(v) for k, v in times.items()}), flush=True)
        return
    cmd = ["bayes-meta", "report", "--runs", *runs, "--out", args.report]
    cmd += ["--episodes", str(args.episodes), "--dynamics-episodes", str(args.dynamics_episodes)]
    cmd += ["--checkpoints", "12", "--jobs", str(args.num_cpus)]
    if min(args.robustness) > 0:
        cmd += ["--robustness-episodes", *map(str, args.robustness)]
    cmd += ["--notes", str(notes)]
    times["report"] = _run(cmd)
    print(json.dumps({k: round(v) for k, v in times.items()}), flush=True)


if __name__ == "__main__":
    main()
