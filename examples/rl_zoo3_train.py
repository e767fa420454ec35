"""Train an agent on a registered id with rl-zoo3, then record a video of it.

    python examples/rl_zoo3_train.py --env MetaBandit-v0 --timesteps 200000 --folder logs

This runs rl-zoo3's own command lines, which work with the id strings as they are:

    python -m rl_zoo3.train --algo ppo_lstm --env MetaBandit-v0 \\
        --gym-packages bayes_meta_envs --conf-file examples/rl_zoo3_ppo_lstm.yml -n N -f logs
    python -c "import bayes_meta_envs, runpy; runpy.run_module('rl_zoo3.record_video', \\
        run_name='__main__')" --algo ppo_lstm --env MetaBandit-v0 -f logs -n 40

``--gym-packages bayes_meta_envs`` makes ``train`` import the package, which registers the ids;
``record_video`` has no such option, so the package is imported before running it. The video
comes from the envs' ``rgb_array`` frames (rl-zoo's recorder needs moviepy, which rl-zoo3
installs). Needs ``pip install "bayes-meta-envs[train,clients]"``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HYPERPARAMS = Path(__file__).with_name("rl_zoo3_ppo_lstm.yml")
RECORD = (
    "import runpy, bayes_meta_envs; "
    "runpy.run_module('rl_zoo3.record_video', run_name='__main__', alter_sys=True)"
)


def train_args(env_id: str, timesteps: int, folder: Path, overrides: list[str]) -> list[str]:
    """The arguments of ``python -m rl_zoo3.train`` for one id."""
    args = ["--algo", "ppo_lstm", "--env", env_id, "-f", str(folder), "--seed", "0"]
    args += ["--gym-packages", "bayes_meta_envs", "--conf-file", str(HYPERPARAMS)]
    args += ["-n", str(timesteps), "--eval-freq", "-1", "--device", "cpu"]
    return args + (["--hyperparams", *overrides] if overrides else [])


def record_args(env_id: str, folder: Path, video_steps: int) -> list[str]:
    """The arguments of rl-zoo3's ``record_video`` for the latest run of one id."""
    args = ["--algo", "ppo_lstm", "--env", env_id, "-f", str(folder), "--exp-id", "0"]
    return [*args, "-n", str(video_steps), "--seed", "0", "--deterministic"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", nargs="+", default=["MetaBandit-v0"], help="registered ids")
    parser.add_argument("--timesteps", type=int, default=200_000)
    parser.add_argument("--folder", type=Path, default=Path("logs"))
    parser.add_argument("--video-steps", type=int, default=40)
    parser.add_argument(
        "--hyperparams", nargs="*", default=[], help="rl-zoo overrides, e.g. n_envs:2 n_steps:20"
    )
    args = parser.parse_args(argv)
    for env_id in args.env:
        train = train_args(env_id, args.timesteps, args.folder, args.hyperparams)
        subprocess.run([sys.executable, "-m", "rl_zoo3.train", *train], check=True)
        record = record_args(env_id, args.folder, args.video_steps)
        subprocess.run([sys.executable, "-c", RECORD, *record], check=True)
        print(f"{env_id}: model and video under {args.folder / 'ppo_lstm'}")


if __name__ == "__main__":
    main()
