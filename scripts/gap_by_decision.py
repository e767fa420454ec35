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

``--own-q HISTORY`` (e.g. ``0+0+0-``) also estimates, by paired Monte Carlo, the agent's *own*
action values at that history: tasks drawn from the posterior the history implies, the history
replayed, each arm forced in turn at the next step (the same tasks and reward noise for every arm),
then the agent's policy to the end. A decision the agent gets wrong although its own ``Q^pi``
favours the Bayes action is one its policy gradient failed to follow (a saturated softmax); one
whose ``Q^pi`` favours the wrong arm is a local optimum of its continuation. The Bayes-optimal
agent's own values are printed beside them as the check (their difference is the exact Q margin
up to the Monte Carlo error).

    python scripts/gap_by_decision.py zoo:lstm-metabandit
    python scripts/gap_by_decision.py runs/demo/lstm --episodes 20000 --top 8
    python scripts/gap_by_decision.py runs/demo/lstm --own-q 0+0+0-

docs/experiments.md ("Where the gap lives") reports it on 5-minute runs of the demo recipe.
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


def parse_history(text: str) -> list[tuple[int, float]]:
    """``"0+0+0-"`` -> ``[(0, 1.0), (0, 1.0), (0, 0.0)]`` (arm, reward) pairs."""
    if len(text) % 2 or any(r not in "+-" for r in text[1::2]) or not text[::2].isdigit():
        raise SystemExit(f"--own-q: {text!r} is not a history like 0+0+0- (arm, then + or -)")
    return [(int(text[i]), 1.0 if text[i + 1] == "+" else 0.0) for i in range(0, len(text), 2)]


def own_q(agent, task, history: list[tuple[int, float]], episodes: int, seed: int) -> np.ndarray:
    """Per-episode returns-to-go ``(episodes, K)`` after ``history`` with each arm forced next,
    the agent's policy afterwards; tasks from the posterior (prior of ``task``)."""
    vec = task.make_vector(1)
    k, horizon = vec.n_arms, vec.horizon
    if len(history) >= horizon or any(a >= k for a, _ in history):
        raise SystemExit(f"--own-q: the history must be shorter than {horizon} steps of arms < {k}")
    counts = np.broadcast_to(np.asarray(vec.prior, dtype=float), (k, 2)).copy()  # Beta per arm
    for a, r in history:
        counts[a] += (r, 1.0 - r)
    rng = np.random.default_rng(seed)
    p = rng.beta(counts[:, 0], counts[:, 1], size=(episodes, k))
    u, pick = rng.random((episodes, horizon, k)), rng.random((episodes, horizon))
    rows, t0 = np.arange(episodes), len(history)
    returns = np.zeros((episodes, k))
    for forced in range(k):
        state = agent.initial_state(episodes)
        obs = np.zeros((episodes, k + 1), dtype=np.float32)
        for t in range(horizon):
            state = agent.update(state, obs)
            if t < t0:
                a, r = np.full(episodes, history[t][0]), np.full(episodes, history[t][1])
            else:
                if t == t0:
                    a = np.full(episodes, forced)
                else:
                    cdf = np.cumsum(agent.output(state), axis=1)[:, :-1]
                    a = (pick[:, t, None] > cdf).sum(axis=1)
                r = (u[rows, t, a] < p[rows, a]).astype(float)
                returns[:, forced] += r
            obs = np.zeros((episodes, k + 1), dtype=np.float32)
            obs[rows, a], obs[:, k] = 1.0, r
    return returns


def report_own_q(name: str, agent, text: str, episodes: int, seed: int) -> None:
    history = parse_history(text)
    print(f"\n{name}: own action values after {text} ({episodes:,} paired episodes, seed {seed})")
    print("  agent                   arm  Q^pi - Q^pi(arm 0) (95%)")
    for who, ag in (("this agent", agent), ("Bayes-optimal (check)", bayes_agent(agent.task))):
        ret = own_q(ag, agent.task, history, episodes, seed)
        for arm in range(1, ret.shape[1]):
            d = ret[:, arm] - ret[:, 0]
            ci = 1.96 * d.std(ddof=1) / np.sqrt(len(d))
            print(f"  {who:22s}  {arm:3d}  {d.mean():+.4f} ± {ci:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("agents", nargs="+", help="run folders, checkpoint folders or zoo names")
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--own-q", metavar="HISTORY", help="e.g. 0+0+0-: the agent's own Q there")
    parser.add_argument("--own-q-episodes", type=int, default=200_000)
    args = parser.parse_args()
    for name in args.agents:
        agent = agents.load(name)
        report(name, agent, args.episodes, args.seed, args.top)
        if args.own_q:
            report_own_q(name, agent, args.own_q, args.own_q_episodes, args.seed)


if __name__ == "__main__":
    main()
