"""Score an agent of your own against the exact Bayes-optimal agent, in a few lines.

The agent is a plain function: win-stay, lose-shift on a two-armed bandit. It sees the
observation ``[one-hot previous action | previous reward]`` and returns one arm per row.
A plain function gives actions, not probabilities, so the KL to the Bayes-optimal policy is
reported as n/a; everything else (return, regret, Bayes gap, normalised score, agreement) is
there.

Run: ``python examples/score_your_agent.py [EPISODES]``
"""

from __future__ import annotations

import sys

import numpy as np

import bayes_meta_envs.scoring as scoring


def win_stay_lose_shift(obs: np.ndarray) -> np.ndarray:
    """Repeat the previous arm after a reward, switch after none (arm 1 first, by the zeros)."""
    previous = obs[:, :2].argmax(axis=1)
    rewarded = obs[:, 2] > 0.5
    return np.where(rewarded, previous, 1 - previous)


def main(episodes: int = 10_000) -> scoring.ScoreReport:
    report = scoring.score(win_stay_lose_shift, "MetaBandit-v0", episodes=episodes, seed=0)
    print(report.summary())
    return report


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
