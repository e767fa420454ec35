"""Train the short runs the report reads for its training dynamics and MDS (what is *run*; the
report only reads): 3 seeds per task, each with the zoo agent's configuration but a short budget
and a checkpoint every tenth of it, into ``runs/analysis/runs/`` (git-ignored).

    python reports/make_runs.py [OUT]        # about 15 min on 2 cores, one run at a time

A finished run is skipped when the script is started again.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bayes_meta_envs.agents import load

ZOO = {
    "MetaPredictBernoulli-v0": "lstm-predict-bernoulli",
    "MetaPredictCategorical-v0": "lstm-predict-categorical",
    "MetaPredictGaussian-v0": "lstm-predict-gaussian",
    "MetaPredictExponential-v0": "lstm-predict-exponential",
    "MetaBandit-v0": "lstm-metabandit",
}


def main(out: Path) -> None:
    from bayes_meta_envs.agents.lstm import train_lstm

    for seed in (1, 2, 3):
        for env_id, name in ZOO.items():
            folder = out / f"{name}-s{seed}"
            if (folder / "model.safetensors").exists():
                continue
            bandit = env_id == "MetaBandit-v0"
            config = load(name).config.replace(
                seed=seed,
                total_updates=800 if bandit else 300,
                checkpoint_every=80 if bandit else 30,
                eval_every=80 if bandit else 30,
                eval_episodes=2048,
                num_envs=256,
                budget_minutes=3.0 if bandit else 0.8,
                tensorboard=False,
                num_threads=1,
            )
            t0 = time.time()
            train_lstm(config, folder)
            print(f"{env_id} seed {seed}: {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/analysis/runs"))
