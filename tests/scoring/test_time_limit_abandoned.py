"""What ``score(time_limit=)`` leaves behind when it abandons a hung agent (issue 34): one daemon
thread, running the agent's own code and nothing of ours, which ends when that code returns,
does not keep the process alive, and does not disturb a later ``score()``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import bayes_meta_envs as bme
from bayes_meta_envs.errors import ScoringError


class Blocked:
    """An agent whose ``update`` waits for ``release`` (blocked, not spinning)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.returned = threading.Event()

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((batch_size, 1))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        self.release.wait()
        self.returned.set()
        return state

    def output(self, state: np.ndarray) -> np.ndarray:
        return np.full((state.shape[0], 2), 0.5)


def test_a_later_score_is_unaffected_and_the_abandoned_thread_ends_with_the_agent() -> None:
    task = bme.task_of("MetaBandit-v0", horizon=5)
    before = bme.score("thompson", task, episodes=50, seed=3)
    hung = Blocked()
    threads = set(threading.enumerate())
    with pytest.raises(ScoringError, match="time_limit"):
        bme.score(hung, task, episodes=2, seed=0, time_limit=0.2)
    abandoned = [t for t in threading.enumerate() if t not in threads]
    assert len(abandoned) == 1 and abandoned[0].daemon  # one thread, not keeping us alive
    # a later run, with and without a time limit, gives the same report as before the hang
    after = bme.score("thompson", task, episodes=50, seed=3)
    limited = bme.score("thompson", task, episodes=50, seed=3, time_limit=30.0)
    assert after.to_dict()["metrics"] == before.to_dict()["metrics"]
    assert limited.to_dict()["metrics"] == before.to_dict()["metrics"]
    # the thread runs the agent's call and nothing else of ours: released, it returns and ends
    hung.release.set()
    abandoned[0].join(timeout=30)
    assert hung.returned.is_set() and not abandoned[0].is_alive()


def test_an_abandoned_agent_does_not_keep_the_process_alive() -> None:
    """An agent blocked forever: score() raises, and the interpreter still exits (status 0)."""
    script = textwrap.dedent(
        """
        import threading
        import numpy as np
        import bayes_meta_envs as bme
        from bayes_meta_envs.errors import ScoringError
        class Forever:
            def initial_state(self, b): return np.zeros((b, 1))
            def update(self, s, o): threading.Event().wait()
            def output(self, s): return np.full((s.shape[0], 2), 0.5)
        try:
            bme.score(Forever(), "MetaBandit-v0", episodes=2, seed=0, time_limit=0.2)
        except ScoringError:
            print("refused")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "refused"
