"""Smoke test of the installed wheel, run by .ci/run in a fresh venv outside the checkout.

    python .ci/wheel_smoke.py     (from any directory, with the wheel installed)
    python .ci/wheel_smoke.py --from-checkout     (the same checks on an editable install)

Checks that what a user gets from ``pip install bayes-meta-envs`` works without the repository:
the package is imported from site-packages (not from the checkout), every registered id makes and
steps (all render modes), the exact bandit value and the Gittins tables shipped as package data
give their published values, a baseline is scored, and the console script runs. Each check prints
one line; the first failure exits 1.
"""

from __future__ import annotations

import importlib.metadata
import math
import shutil
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAIL {what}", file=sys.stderr)
        raise SystemExit(1)
    print(f"ok   {what}")


def main(argv: list[str]) -> None:
    import gymnasium as gym
    import numpy as np

    import bayes_meta_envs
    from bayes_meta_envs.baselines import bayes_optimal_value, gittins_index, make_baseline
    from bayes_meta_envs.baselines.gittins import shipped_max_n

    where = Path(bayes_meta_envs.__file__).resolve()
    if "--from-checkout" not in argv:
        check(CHECKOUT not in where.parents, f"imported from the installed wheel ({where})")
    version = importlib.metadata.version("bayes-meta-envs")
    check(bayes_meta_envs.__version__ == version, f"__version__ {version} matches the metadata")
    check(not {"torch", "matplotlib"} & set(sys.modules), "import pulled in no torch/matplotlib")

    ids = [info.id for info in bayes_meta_envs.ENV_SPECS]
    check(len(ids) == 5, f"five registered ids: {ids}")
    for env_id in ids:
        for mode in (None, "ansi", "rgb_array"):
            env = gym.make(env_id, render_mode=mode)
            obs, _ = env.reset(seed=0)
            obs, reward, *_ = env.step(env.action_space.sample())
            frame = env.render()
            check(np.isfinite(reward) and obs.dtype == np.float32, f"{env_id} steps ({mode})")
            if mode == "rgb_array":
                check(frame.dtype == np.uint8 and frame.ndim == 3, f"{env_id} draws a frame")
        vec = gym.make_vec(env_id, num_envs=8)
        obs, _ = vec.reset(seed=0)
        check(obs.shape[0] == 8, f"{env_id} native vector env")

    # Known values: 12.431 for the default MetaBandit (DESIGN.md); Gittins (1989) tables give
    # nu(1, 1) = 0.7029 for gamma = 0.9.
    value = bayes_optimal_value(n_arms=2, horizon=20, prior=(1, 1))
    check(abs(value - 12.431) < 1e-3, f"bayes_optimal_value(2, 20, (1, 1)) = {value:.4f}")
    check(shipped_max_n(0.9) is not None, "the gamma=0.9 Gittins table is shipped")
    nu = float(gittins_index(1, 1, 0.9))
    check(abs(nu - 0.7029) < 1e-4, f"gittins_index(1, 1, 0.9) = {nu:.5f} from the shipped table")

    task = bayes_meta_envs.task_of("MetaBandit-v0")
    bayes = bayes_meta_envs.score(
        make_baseline("bayes", task), "MetaBandit-v0", episodes=2000, seed=0
    )
    check(bayes.bayes_gap.mean == 0.0, "the Bayes-optimal agent's Bayes gap is exactly 0")
    thompson = bayes_meta_envs.score(
        make_baseline("thompson", task), "MetaBandit-v0", episodes=2000, seed=0
    )
    gap = thompson.bayes_gap.mean
    check(0.3 < gap < 0.7 and math.isfinite(gap), f"Thompson's Bayes gap {gap:.3f} (about 0.5)")

    zoo_check(where)

    exe = shutil.which("bayes-meta")
    check(exe is not None, f"console script on PATH: {exe}")
    out = subprocess.run([exe, "envs"], capture_output=True, text=True, check=True).stdout
    check(all(env_id in out for env_id in ids), "`bayes-meta envs` lists every id")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    check(out.strip() == f"bayes-meta {version}", f"`bayes-meta --version`: {out.strip()}")


def zoo_check(where: Path) -> None:
    """The zoo ships in the wheel: list it, load an agent by name and score a few episodes (needs
    the train extra's torch and safetensors; .ci/wheel installs them beside the wheel)."""
    import bayes_meta_envs
    from bayes_meta_envs import agents

    names = agents.zoo_names()
    check("lstm-metabandit" in names, f"agents.zoo_names() lists the shipped agents: {names}")
    try:
        import safetensors  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        print("skip zoo load (torch/safetensors not installed beside the wheel)")
        return
    from bayes_meta_envs.agents.zoo import ZOO_DIR

    check(where.parent in ZOO_DIR.parents, f"the zoo is package data ({ZOO_DIR})")
    agent = agents.load("lstm-metabandit")
    report = bayes_meta_envs.score(agent, "MetaBandit-v0", episodes=500, seed=0)
    gap = report.bayes_gap.mean
    check(gap < 0.3, f"zoo agent lstm-metabandit loads by name and scores (Bayes gap {gap:.3f})")


if __name__ == "__main__":
    main(sys.argv[1:])
