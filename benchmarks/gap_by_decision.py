"""Where a bandit agent's Bayes gap lives: by step, and by the histories that cost most.

For each saved agent (a run folder, a checkpoint folder or a zoo name), the agent plays
``--episodes`` episodes of its task beside the exact Bayes-optimal agent
(:func:`bayes_meta_envs.rollout.paired_rollout`). At every step the cost of the agent's policy
``pi`` in the belief state ``b`` it reached is ``max_k Q*(b, k) - sum_k pi(k) Q*(b, k)`` (sampled)
or ``max_k Q*(b, k) - Q*(b, argmax pi)`` (arg-max); their sums over the steps are the two readings
of ``bayes_gap_q``. The script prints the gap per step, then the ``--top`` histories (the actions
and rewards so far, e.g. ``0+0+0-``: arm 0 paid, paid, did not pay) whose decisions cost most,
with how often they are reached, the probability the agent gives the Bayes-optimal action there,
and the Q-value margin of that action.

    python benchmarks/gap_by_decision.py zoo:lstm-metabandit
    python benchmarks/gap_by_decision.py runs/demo/lstm --episodes 20000 --top 8

The benchmarks README's "Where the gap lives" used it on 5-minute runs of the demo recipe.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from bayes_meta_envs import agents
from bayes_meta_envs.baselines.bayes_optimal import bayes_agent
from bayes_meta_envs.rollout import paired_rollout


def decision_costs(agent, episodes: int, seed: int):
    """Per-episode, per-step costs ``(N, T)`` (sampled, arg-max), the histories ``(N, T)`` and
    per-step ``(pi(Bayes action), Q margin)``."""
    task = agent.task
    if not task.is_bandit:
        raise SystemExit(f"{task.env_id} is not a bandit: its gap is the excess log-loss")
    run = paired_rollout(agent, task, episodes=episodes, seed=seed, record=episodes)
    rec, bayes = run.recorded, bayes_agent(task)
    pi, acts, rewards = rec["agent_output"], rec["action"], rec["reward"]  # (N, T, K), (N, T)
    n, horizon, k = pi.shape
    q = bayes.q_values(rec["bayes_state"].reshape(n * horizon, -1)).reshape(n, horizon, k)
    best = q.max(axis=2)
    sampled = best - (pi * q).sum(axis=2)
    greedy = best - np.take_along_axis(q, pi.argmax(axis=2)[..., None], axis=2)[..., 0]
    opt = q.argmax(axis=2)
    p_opt = np.take_along_axis(pi, opt[..., None], axis=2)[..., 0]
    margin = best - np.sort(q, axis=2)[..., -2]
    steps = np.char.add(acts.astype(str), np.where(rewards > 0, "+", "-"))
    return sampled, greedy, steps, p_opt, margin


def report(name: str, agent, episodes: int, seed: int, top: int) -> None:
    sampled, greedy, steps, p_opt, margin = decision_costs(agent, episodes, seed)
    n, horizon = sampled.shape
    print(
        f"\n{name}: bayes_gap_q {sampled.sum(1).mean():.4f} sampled, "
        f"{greedy.sum(1).mean():.4f} arg-max ({n:,} episodes, seed {seed})"
    )
    print("gap per step (x 1e-3), sampled / arg-max:")
    for t in range(horizon):
        print(f"  t={t:2d}  {1e3 * sampled[:, t].mean():6.2f} / {1e3 * greedy[:, t].mean():6.2f}")
    by_history: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0, 0.0])
    prefix = np.full(n, "", dtype=object)
    for t in range(horizon):
        for i in range(n):
            g = by_history[(t, prefix[i])]
            g[0] += 1
            g[1] += sampled[i, t]
            g[2] += greedy[i, t]
            g[3] += p_opt[i, t]
            g[4] = margin[i, t]
        prefix = prefix + steps[:, t]
    worst = sorted(by_history.items(), key=lambda kv: -kv[1][1])[:top]
    print(f"the {top} costliest decisions (cost x 1e-3 per episode):")
    print("  step  history               reached  sampled  arg-max  pi(Bayes action)  Q margin")
    for (t, hist), (count, s, g, p, m) in worst:
        print(
            f"  {t:4d}  {hist or '(start)':20s}  {count / n:7.3f}  {1e3 * s / n:7.2f}  "
            f"{1e3 * g / n:7.2f}  {p / count:16.3f}  {m:8.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("agents", nargs="+", help="run folders, checkpoint folders or zoo names")
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()
    for name in args.agents:
        report(name, agents.load(name), args.episodes, args.seed, args.top)


if __name__ == "__main__":
    main()
