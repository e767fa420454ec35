"""Use the registered ids from torchrl: ``GymEnv(id)``, spec checks, rollouts, a collector, pixels.

    python examples/torchrl_envs.py [--frames 200]

torchrl wraps the gymnasium envs as they are: discrete bandit actions become one-hot specs, the
prediction actions bounded continuous specs; ``from_pixels=True`` uses the envs' ``rgb_array``
frames. Needs ``pip install "bayes-meta-envs[train,clients]"``.
"""

from __future__ import annotations

import argparse

from torchrl.collectors import Collector
from torchrl.envs import GymEnv, SerialEnv, check_env_specs

import bayes_meta_envs

IDS = [spec.id for spec in bayes_meta_envs.ENV_SPECS]


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=200, help="frames per collector")
    args = parser.parse_args(argv)
    returns: dict[str, float] = {}
    for env_id in IDS:
        env = GymEnv(env_id)  # the id string, as for any gymnasium env
        check_env_specs(env)
        rollout = env.rollout(20)  # one episode with random actions
        assert bool(rollout["next", "terminated"][-1])
        returns[env_id] = float(rollout["next", "reward"].sum())
        # a batch of two envs and a collector with a random policy
        batched = SerialEnv(2, lambda env_id=env_id: GymEnv(env_id))
        collector = Collector(batched, policy=None, frames_per_batch=40, total_frames=args.frames)
        frames = sum(batch.numel() for batch in collector)
        collector.shutdown()
        print(f"{env_id}: random episode return {returns[env_id]:.3f}; collected {frames} frames")
    pixels = GymEnv("MetaBandit-v0", from_pixels=True, pixels_only=False)
    td = pixels.rollout(3)
    print(f"MetaBandit-v0 from pixels: {tuple(td['pixels'].shape)} {td['pixels'].dtype}")
    return returns


if __name__ == "__main__":
    main()
