"""Environment steps per second, side by side in one run.

    python benchmarks/env_throughput.py [--seconds 2]

Rows: a plain ``gym.make("MetaBandit-v0")`` loop (with gymnasium's default wrappers), the same
without wrappers, the native vector env at several batch sizes, gymnasium's ``SyncVectorEnv`` over
the single env, and ``CartPole-v1`` through ``gym.make`` as a reference point. Actions are drawn
up front so that the loop measures the environment, not the sampler.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from _machine import describe  # this folder's helper (scripts run from here)

import bayes_meta_envs  # noqa: F401  (registers the environments)


def _single(env: gym.Env, actions: np.ndarray, seconds: float) -> float:
    env.reset(seed=0)
    steps, n, t0 = 0, len(actions), time.perf_counter()
    while True:
        for i in range(1000):
            _, _, terminated, truncated, _ = env.step(actions[(steps + i) % n])
            if terminated or truncated:
                env.reset()
        steps += 1000
        if time.perf_counter() - t0 > seconds:
            return steps / (time.perf_counter() - t0)


def _vector(env: gym.vector.VectorEnv, actions: np.ndarray, seconds: float) -> float:
    env.reset(seed=0)
    calls, n, t0 = 0, len(actions), time.perf_counter()
    while True:
        for i in range(100):
            env.step(actions[(calls + i) % n])
        calls += 100
        if time.perf_counter() - t0 > seconds:
            return calls * env.num_envs / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measurement time per row")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run for CI: tiny sizes, timings meaningless (0.05 s per row)",
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds = 0.05
    rng = np.random.default_rng(0)
    rows: list[tuple[str, float]] = []

    def add(name: str, fn: Callable[[], float]) -> None:
        rows.append((name, fn()))

    arms = rng.integers(0, 2, size=4096)
    add("gym.make('MetaBandit-v0')", lambda: _single(gym.make("MetaBandit-v0"), arms, args.seconds))
    add(
        "MetaBandit-v0 unwrapped",
        lambda: _single(gym.make("MetaBandit-v0").unwrapped, arms, args.seconds),
    )
    cart = rng.integers(0, 2, size=4096)
    add(
        "gym.make('CartPole-v1') (reference)",
        lambda: _single(gym.make("CartPole-v1"), cart, args.seconds),
    )
    for n in (1, 64, 1024, 4096):
        acts = rng.integers(0, 2, size=(64, n))
        add(
            f"native vector env, num_envs={n}",
            lambda n=n, acts=acts: _vector(
                gym.make_vec("MetaBandit-v0", num_envs=n, vectorization_mode="vector_entry_point"),
                acts,
                args.seconds,
            ),
        )
    acts = rng.integers(0, 2, size=(64, 64))
    add(
        "SyncVectorEnv over gym.make, num_envs=64",
        lambda: _vector(
            gym.make_vec("MetaBandit-v0", num_envs=64, vectorization_mode="sync"),
            acts,
            args.seconds,
        ),
    )
    pacts = rng.normal(size=(64, 4096, 1)).astype(np.float32)
    add(
        "native MetaPredictBernoulli, num_envs=4096",
        lambda: _vector(
            gym.make_vec("MetaPredictBernoulli-v0", num_envs=4096), pacts, args.seconds
        ),
    )

    ref = dict(rows)["gym.make('CartPole-v1') (reference)"]
    print(f"# env throughput ({describe()}, numpy {np.__version__})")
    print(f"{'configuration':<45} {'steps/s':>14} {'vs CartPole':>12}")
    for name, sps in rows:
        print(f"{name:<45} {sps:>14,.0f} {sps / ref:>11.1f}x")


if __name__ == "__main__":
    main()
