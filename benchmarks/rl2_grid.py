"""The RL² bandit grid: K in {5, 10, 50} arms x H in {10, 100, 500} pulls, uniform Beta(1, 1) arms.

Run: ``python benchmarks/rl2_grid.py [--quick] [--episodes N] [--lstm-dir DIR]``
Train the LSTM rows first (optional): ``python benchmarks/rl2_grid.py --train-lstm DIR
--budget-minutes M [--cells 5x10,5x100]`` trains one LSTM meta-learner (``agents.lstm``, the
reward the agent sees) per cell (default ``LSTM_CELLS``) into ``DIR/k{K}_h{H}``; past the exact
DP the trainer's periodic evaluation is against the reference policy (its records say
``"bayes_exact": 0.0``).
``--lstm-dir DIR --lstm-only [--cells ...]`` prints just the LSTM rows.

Rows, each the mean total reward per episode (± its 95% interval) over ``--episodes`` episodes
(seed 0, the same tasks for every row): random, greedy (posterior mean), epsilon-greedy (0.1),
UCB1, Thompson sampling (one posterior sample per arm and step), Gittins at the best discount of
``GAMMAS`` for the cell (chosen on the same episodes, so slightly optimistic; at H = 500 only
0.9, since the other discounts' indices past the shipped tables are computed on demand, too
slowly for this grid), the reference policy (finite-horizon Gittins index,
:class:`~bayes_meta_envs.baselines.FiniteGittinsAgent`), the bracket on the Bayes-optimal value
(:func:`~bayes_meta_envs.baselines.bayes_value_bounds`: exact where the DP fits, else the
reference's 97.5% lower confidence bound and the least of its upper bounds), its width and the
perfect-information bound ``H K / (K + 1)``, and the LSTM meta-learner where one was trained
(else "not run"). Policies run side by side on the same
sampled tasks and the same reward noise (a fixed Bernoulli outcome per arm and pull); the LSTM
is scored with ``bme.score`` on MetaBandit-v0's own tasks (seed 0), so its interval is separate.
``--quick`` runs the H = 10 cells with 500 episodes (a CI smoke run).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable

import numpy as np
from _machine import describe

from bayes_meta_envs.agents.lstm import LSTMConfig
from bayes_meta_envs.agents.lstm.trainer import LSTMTrainer
from bayes_meta_envs.baselines import (
    EpsilonGreedyAgent,
    FiniteGittinsAgent,
    GittinsAgent,
    GreedyAgent,
    RandomAgent,
    UCB1Agent,
    bayes_value_bounds,
)

ARMS = (5, 10, 50)
HORIZONS = (10, 100, 500)
GAMMAS = (0.9, 0.95, 0.99)
LSTM_CELLS = ((5, 10), (5, 100), (10, 100))
Z95 = 1.959963984540054

Policy = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _belief_policy(agent) -> Policy:  # type: ignore[no-untyped-def]
    def act(state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        probs = agent.output(state)
        c = np.cumsum(probs, axis=1)
        return np.argmax(c > (rng.random(state.shape[0]) * c[:, -1])[:, None], axis=1)

    return act


def _thompson(k: int) -> Policy:
    def act(state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        draws = rng.beta(state[:, :k], state[:, k : 2 * k])
        return np.argmax(draws, axis=1)

    return act


def run_policy(
    act: Policy, k: int, h: int, episodes: int, seed: int, batch: int = 2000
) -> tuple[float, float]:
    """Mean return and its 95% half-width; tasks and reward noise depend on ``seed`` only."""
    returns = np.empty(episodes)
    for lo in range(0, episodes, batch):
        n = min(batch, episodes - lo)
        task_rng = np.random.Generator(np.random.PCG64([seed, lo]))
        p = task_rng.random((n, k))  # Beta(1, 1)
        noise = task_rng.random((n, k, h))  # the i-th pull of arm k pays noise < p
        act_rng = np.random.Generator(np.random.PCG64([seed, lo, 1]))
        state = np.concatenate([np.ones((n, 2 * k)), np.zeros((n, 1))], axis=1)
        pulls = np.zeros((n, k), dtype=np.int64)
        rows = np.arange(n)
        total = np.zeros(n)
        for _ in range(h):
            a = act(state, act_rng)
            r = (noise[rows, a, pulls[rows, a]] < p[rows, a]).astype(np.float64)
            pulls[rows, a] += 1
            state[rows, a] += r
            state[rows, k + a] += 1.0 - r
            state[:, 2 * k] += 1.0
            total += r
        returns[lo : lo + n] = total
    return float(returns.mean()), Z95 * float(returns.std(ddof=1)) / math.sqrt(episodes)


def run_lstm(run_dir: str, k: int, h: int, episodes: int) -> tuple[float, float]:
    """Mean return of a trained LSTM agent, scored on MetaBandit-v0 (its own tasks, seed 0)."""
    import bayes_meta_envs as bme
    from bayes_meta_envs.agents import load

    env_kwargs = {"n_arms": k, "horizon": h}
    report = bme.score(
        load(run_dir), "MetaBandit-v0", env_kwargs=env_kwargs, episodes=episodes, seed=0
    )
    return report.mean_return.mean, report.mean_return.ci95


def train_lstms(out: str, minutes: float, cells: list[tuple[int, int]]) -> None:
    for k, h in cells:
        cfg = LSTMConfig(
            env_kwargs={"n_arms": k, "horizon": h},
            hidden_size=64,
            embed_size=64,
            num_envs=128 if h > 10 else 256,
            total_updates=100_000,
            budget_minutes=minutes,
            eval_every=50,
            eval_episodes=1024,
            checkpoint_every=500,
            tensorboard=False,
            num_threads=1,
        )
        t0 = time.perf_counter()
        trainer = LSTMTrainer(cfg, os.path.join(out, f"k{k}_h{h}"), overwrite=True)
        result = trainer.train()
        last = result.history[-1] if result.history else {}
        print(
            f"trained K={k} H={h} in {time.perf_counter() - t0:.0f} s: {result.updates} updates, "
            f"last evaluation {last}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="H = 10 only, 500 episodes")
    parser.add_argument("--episodes", type=int, default=5000)
    parser.add_argument("--lstm-dir", help="folder of LSTM runs k{K}_h{H} (from --train-lstm)")
    parser.add_argument("--train-lstm", metavar="DIR", help="train the LSTM cells, then exit")
    parser.add_argument("--budget-minutes", type=float, default=7.0)
    parser.add_argument("--horizons", help="comma-separated subset of 10,100,500")
    parser.add_argument(
        "--cells", help="cells to train or score (also restricts the grid), e.g. 5x100,50x100"
    )
    parser.add_argument("--lstm-only", action="store_true", help="print the LSTM rows only")
    args = parser.parse_args()
    cells = (
        [tuple(int(v) for v in c.split("x")) for c in args.cells.split(",")]
        if args.cells
        else list(LSTM_CELLS)
    )
    if args.train_lstm:
        train_lstms(args.train_lstm, args.budget_minutes, cells)  # type: ignore[arg-type]
        return
    if args.lstm_only:
        for k, h in cells:
            m, ci = run_lstm(os.path.join(args.lstm_dir, f"k{k}_h{h}"), k, h, args.episodes)
            print(f"| K={k}, H={h} | LSTM (RL²-style) | {m:.2f} ± {ci:.2f} |", flush=True)
        return
    episodes = 500 if args.quick else args.episodes
    horizons = (10,) if args.quick else HORIZONS
    if args.horizons:
        horizons = tuple(int(v) for v in args.horizons.split(","))
    print(f"# RL² bandit grid, {episodes} episodes per cell, seed 0, {describe()}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for h in horizons:
        for k in ARMS:
            if args.cells and (k, h) not in cells:
                continue
            t0 = time.perf_counter()
            rows: dict[str, str] = {}
            agents = {
                "random": _belief_policy(RandomAgent(k, h)),
                "greedy": _belief_policy(GreedyAgent(k, h)),
                "eps-greedy 0.1": _belief_policy(EpsilonGreedyAgent(0.1, k, h)),
                "UCB1": _belief_policy(UCB1Agent(k, h)),
                "Thompson": _thompson(k),
            }
            for name, act in agents.items():
                m, ci = run_policy(act, k, h, episodes, 0)
                rows[name] = f"{m:.2f} ± {ci:.2f}"
            gammas = GAMMAS if h <= 100 else GAMMAS[:1]
            best = max(
                (
                    (g, run_policy(_belief_policy(GittinsAgent(g, k, h)), k, h, episodes, 0))
                    for g in gammas
                ),
                key=lambda x: x[1][0],
            )
            rows[f"Gittins (gamma {best[0]})"] = f"{best[1][0]:.2f} ± {best[1][1]:.2f}"
            m, ci = run_policy(_belief_policy(FiniteGittinsAgent(k, h)), k, h, episodes, 0)
            rows["reference (fin. Gittins)"] = f"{m:.2f} ± {ci:.2f}"
            b = bayes_value_bounds(k, h, episodes=max(episodes, 2000), seed=1)
            rows["V* bracket"] = f"[{b.lower:.2f}, {b.upper:.2f}]" + (" exact" if b.exact else "")
            rows["bracket width"] = (
                f"{b.width:.2f} (PI width {b.perfect_information - b.lower:.2f})"
            )
            run_dir = os.path.join(args.lstm_dir, f"k{k}_h{h}") if args.lstm_dir else None
            if run_dir and os.path.isfile(os.path.join(run_dir, "model.safetensors")):
                m, ci = run_lstm(run_dir, k, h, episodes)
                rows["LSTM (RL²-style)"] = f"{m:.2f} ± {ci:.2f}"
            else:
                rows["LSTM (RL²-style)"] = "not run (no GPU)"
            dt = time.perf_counter() - t0
            print(f"\n## K={k}, H={h} ({dt:.0f} s)", flush=True)
            for name, cell in rows.items():
                print(f"| {name} | {cell} |")


if __name__ == "__main__":
    main()
