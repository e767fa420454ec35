"""Time to score agents against the Bayes-optimal agent, side by side in one run.

    python benchmarks/scoring.py [--episodes 100000] [--ppo-episodes 5000]

Rows (MetaBandit-v0, 2 arms, horizon 20, traces off unless said):

* reference: the agent alone on the native vector env (update, output, sample, step), with no
  Bayes-optimal rollout and no metrics: the floor that scoring adds to;
* ``score`` of the Bayes-optimal agent (target: under 5 s for 100,000 episodes on 2 cores);
* ``score`` of Thompson sampling (exact Thompson probabilities by quadrature);
* ``score`` of an untrained sb3-contrib RecurrentPPO (LSTM 32 units) on fewer episodes,
  extrapolated linearly to the full count (skipped without the ``train`` extra);
* the Bayes-optimal agent with every trace recorded, and the overhead ratio.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from _machine import describe  # this folder's helper (scripts run from here)

from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent
from bayes_meta_envs.baselines.classic import ThompsonAgent
from bayes_meta_envs.scoring import score
from bayes_meta_envs.task import task_of

ENV = "MetaBandit-v0"


def _reference_rollout(agent: Any, episodes: int, batch: int = 10_000) -> float:
    """The agent alone on the vector env: what any evaluation must at least do."""
    task = task_of(ENV)
    env = task.make_vector(batch)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    done = 0
    obs, _ = env.reset(seed=0)
    while done < episodes:
        s = agent.initial_state(batch)
        for _ in range(task.horizon):
            s = agent.update(s, obs)
            probs = agent.output(s)
            c = np.cumsum(probs, axis=1)
            a = np.argmax(c > rng.random((batch, 1)) * c[:, -1:], axis=1)
            obs, *_ = env.step(a)
        obs, _ = env.reset()
        done += batch
    return time.perf_counter() - t0


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--ppo-episodes", type=int, default=5_000)
    parser.add_argument("--trace-episodes", type=int, default=20_000)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run for CI: tiny sizes, timings meaningless (a few hundred episodes)",
    )
    args = parser.parse_args()
    if args.quick:
        args.episodes, args.ppo_episodes, args.trace_episodes = 2_000, 100, 500
    n = args.episodes
    bayes = BayesOptimalAgent.for_env(ENV)
    thompson = ThompsonAgent.for_env(ENV)
    score(bayes, ENV, episodes=1_000, seed=0)  # warm-up: imports, DP solve, caches

    rows: list[tuple[str, int, float, str]] = []
    ref = _reference_rollout(bayes, n)
    rows.append(("reference: Bayes agent alone, no scoring", n, ref, "1.00"))
    t_bayes, _ = _timed(lambda: score(bayes, ENV, episodes=n, seed=0, progress=False))
    rows.append(("score(Bayes-optimal)", n, t_bayes, f"{t_bayes / ref:.2f}"))
    t_th, _ = _timed(lambda: score(thompson, ENV, episodes=n, seed=0, progress=False))
    rows.append(("score(Thompson)", n, t_th, f"{t_th / ref:.2f}"))
    try:
        import gymnasium as gym
        from sb3_contrib import RecurrentPPO

        model = RecurrentPPO(
            "MlpLstmPolicy",
            gym.make(ENV),
            seed=0,
            device="cpu",
            policy_kwargs={"lstm_hidden_size": 32},
        )
        m = args.ppo_episodes
        t_ppo, _ = _timed(lambda: score(model, ENV, episodes=m, seed=0, progress=False))
        rows.append(
            (f"score(RecurrentPPO, LSTM 32), {m} ep. x {n / m:g}", n, t_ppo * n / m, "extrap.")
        )
    except ImportError:
        rows.append(("score(RecurrentPPO): sb3-contrib not installed", n, float("nan"), "-"))
    m = args.trace_episodes
    t_off, _ = _timed(lambda: score(bayes, ENV, episodes=m, seed=0, progress=False))
    t_on, rep = _timed(
        lambda: score(bayes, ENV, episodes=m, seed=0, progress=False, record_traces=True)
    )
    rows.append(("score(Bayes-optimal), traces off", m, t_off, "1.00"))
    mb = rep.traces.nbytes / 2**20
    rows.append((f"score(Bayes-optimal), all traces ({mb:.0f} MB)", m, t_on, f"{t_on / t_off:.2f}"))

    print(f"scoring on {ENV} | {describe()}")
    print(f"{'case':<52} {'episodes':>9} {'seconds':>9} {'ratio':>8}")
    print(f"{'-' * 52} {'-' * 9} {'-' * 9} {'-' * 8}")
    for name, eps, sec, ratio in rows:
        print(f"{name:<52} {eps:>9} {sec:>9.2f} {ratio:>8}")
    verdict = "PASS" if t_bayes < 5.0 else "FAIL"
    print(f"\ntarget: score(Bayes-optimal) on {n} episodes < 5 s: {t_bayes:.2f} s ({verdict})")


if __name__ == "__main__":
    main()
