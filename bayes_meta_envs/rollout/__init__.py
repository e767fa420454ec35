"""Paired rollouts: an agent and the Bayes-optimal agent on common random numbers (numpy only).

This is the one runner behind every comparison with the Bayes-optimal agent: :func:`score`, the
trainers' evaluation and the analysis all call :func:`paired_rollout`, so a statistic such as the
Bayes gap means the same thing everywhere.

How a run works
---------------
Episodes run in batches on the task's native vector env (``task.make_vector(batch)``). Two copies
are reset once with the same seed and then continue their streams (``reset()`` without a seed) from
batch to batch, so episode ``j`` of the run always has the ``j``-th task and noise of that seed,
whatever the batch size. One copy is stepped by the agent, the other by the Bayes-optimal agent:
both face the same tasks and the same noise (common random numbers). Bandit actions are drawn
from output probabilities with one uniform ``u[j, t]`` per episode and step shared by both agents
(``a = first k with u < cumsum(probs)_k``), so an agent with the Bayes-optimal outputs takes the
same actions and has a Bayes gap of exactly 0. A third, action-free copy of the Bayes-optimal agent
consumes the *agent's* observations: its outputs along the agent's trajectory are what the per-step
KL and the agreement compare with, and its states are the Bayes sufficient statistics of the
agent's history (as long as the two trajectories of an episode coincide, that copy's state is also
the Bayes-optimal agent's own state, and the run reuses it).

Seeds: ``np.random.SeedSequence(seed).spawn(2)`` gives the environment seed and the generator of
the action uniforms; the result is a deterministic function of ``(agent, task, episodes, seed)``,
independent of ``batch_size`` (up to floating-point summation order in the per-step curves).

Per-episode statistics (``PairedRollout.per_episode``):

Bandits
    ``return`` and ``bayes_return`` (total reward), ``regret`` and ``bayes_regret`` (pseudo-regret
    ``sum_t (max_k p_k - p_{a_t})`` against the oracle that knows ``p``), ``bayes_gap`` (``regret -
    bayes_regret``, paired by episode), ``bayes_gap_q`` (below), ``kl`` (per-step
    ``KL(pi_Bayes || pi_agent)`` along the agent's trajectory, averaged over the steps; only with
    probabilities) and ``agreement`` (the probability of a Bayes-optimal action, averaged over the
    steps).

    ``bayes_gap_q`` is ``sum_t (max_k Q*(b_t, k) - sum_k pi_t(k) Q*(b_t, k))``, where ``b_t`` is the
    Bayes posterior after the agent's own history, ``Q*`` the exact Bayes-optimal Q-values
    (:class:`~bayes_meta_envs.baselines.BanditSolution`) and ``pi_t`` the agent's probabilities
    (a point mass on its action, for agents that give actions). By the performance-difference
    lemma (Kakade and Langford 2002) its expectation is ``V*(prior) - V_agent(prior)``, which is
    also the expectation of ``bayes_gap``; it replaces the future's sampled tasks and rewards by
    their exact conditional expectations, so for a near-optimal agent its interval is 10 to 70
    times narrower. It is 0 for every Bayes-optimal agent, whatever it does among ties.
Prediction
    ``return`` (total log-likelihood), ``log_loss`` and ``bayes_log_loss`` (mean per step),
    ``excess_log_loss`` (their difference), ``prior_excess`` (the excess of the fixed prior
    predictive on the same samples) and ``kl`` (per-step ``KL(Bayes predictive || agent's)``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._stats import Z95, Curve, Estimate
from bayes_meta_envs._validate import (
    check_agent,
    check_bool,
    check_callable,
    check_choice,
    check_int,
    check_seed,
)
from bayes_meta_envs.baselines import FiniteGittinsAgent
from bayes_meta_envs.errors import wrong_type
from bayes_meta_envs.protocol import Agent
from bayes_meta_envs.rollout._records import (
    BANDIT_CURVES,
    BANDIT_KLS,
    BANDIT_RETURNS,
    DEFAULT_BATCH_SIZE,
    PREDICTION_CURVES,
    Cursor,
    OutputKind,
    PairedRollout,
)
from bayes_meta_envs.rollout._runs import RUNS, Batches, Recorder, RunSetup, collect
from bayes_meta_envs.task import MetaTask, check_task, held_out_seed

__all__ = [
    "BANDIT_CURVES",
    "BANDIT_KLS",
    "BANDIT_RETURNS",
    "DEFAULT_BATCH_SIZE",
    "PREDICTION_CURVES",
    "Z95",
    "Cursor",
    "Curve",
    "Estimate",
    "OutputKind",
    "PairedRollout",
    "agent_output_kind",
    "held_out_seed",
    "paired_rollout",
]


def paired_rollout(
    agent: Agent,
    task: MetaTask,
    *,
    episodes: int,
    seed: int,
    batch_size: int | None = None,
    outputs: OutputKind | None = None,
    record: int = 0,
    cursor: Cursor | None = None,
    on_batch: Callable[[int], None] | None = None,
    reference: FiniteGittinsAgent | None = None,
) -> PairedRollout:
    """Run ``agent`` beside the Bayes-optimal agent of ``task``; see the module docstring.

    Args:
        agent: follows the Agent protocol; its ``output`` holds what ``outputs`` says.
        task: the task (:func:`~bayes_meta_envs.task.task_of`).
        episodes: number of episodes (>= 1); seed: int >= 0.
        batch_size: episodes side by side (default ``min(episodes, 10000)``); it changes speed
            and memory, not the result.
        outputs: ``"probabilities"`` (bandit default), ``"actions"`` (a bandit agent that only
            returns actions: no KL), or ``"predictive"`` (the prediction tasks').
        record: keep the per-step arrays (observations, actions, rewards, outputs, both agents'
            states) of the first ``record`` episodes in ``recorded``.
        cursor: updated as the run goes (batch and step), for error messages.
        on_batch: called with the number of episodes of each finished batch (progress bars).
        reference: bandits past the exact DP: this agent takes the Bayes-optimal agent's place
            (its index stands for the Q-values, so ``bayes_*`` statistics are against it, and
            ``bayes_gap_q`` is not a Bayes gap), and ``bayes_value`` is not reported.
    """
    agent = check_agent("agent", agent)
    task = check_task("task", task)
    episodes = check_int("episodes", episodes, 1)
    seed = int(check_seed("seed", seed) or 0)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1)
    batch = min(episodes, DEFAULT_BATCH_SIZE if batch_size is None else batch_size)
    if outputs is None:
        outputs = task.traits.outputs
    else:
        check_choice("outputs", outputs, _OUTPUT_KINDS[task.traits.outputs])
    record = check_int("record", record, 0)
    if cursor is not None and not isinstance(cursor, Cursor):
        raise wrong_type("cursor", cursor, "a rollout Cursor or None")
    check_callable("on_batch", on_batch, allow_none=True)
    if reference is not None and not (task.is_bandit and isinstance(reference, FiniteGittinsAgent)):
        raise wrong_type("reference", reference, "a FiniteGittinsAgent of a bandit task, or None")
    check_rollout_memory(task, episodes, min(record, episodes), batch)
    env_ss, action_ss = np.random.SeedSequence(seed).spawn(2)
    env_seed = int(env_ss.generate_state(1, dtype=np.uint64)[0])
    batches = Batches(episodes, batch, env_seed, cursor or Cursor(), Recorder(record))
    rng = np.random.Generator(np.random.PCG64(action_ss))
    run = RUNS[task.kind](RunSetup(agent, task, batches, rng, outputs, reference))
    return collect(run, batches, on_batch)


#: The output kinds an agent may give on a task, by the kind of the task's Bayes-optimal agent.
_OUTPUT_KINDS: dict[str, tuple[OutputKind, ...]] = {
    "probabilities": ("probabilities", "actions"),
    "predictive": ("predictive",),
}


def check_rollout_memory(task: MetaTask, episodes: int, record: int, batch: int) -> None:
    """Refuse, before a run, ``episodes`` (and ``record`` recorded episodes) whose arrays
    would exceed the memory budget: about 16 float64 statistics per episode, the batch's
    per-step arrays, and the recorded per-step rows (the agent's own state not counted: it is
    not known before the run)."""
    h = task.horizon
    width = task.obs_dim + task.output_dim
    bayes = task.bayes_state_dim
    per_trace_step = 4 * task.obs_dim + 16 + 8 * (2 * task.output_dim + bayes)
    need = (
        nbytes(episodes, 16)
        + nbytes(batch, h, width + bayes, 4)
        + nbytes(record, h, per_trace_step, itemsize=1)
    )
    check_memory(need, "the rollout's arrays", episodes=episodes, record_traces=record)


def agent_output_kind(task: MetaTask, provides_probabilities: bool) -> OutputKind:
    """The :data:`OutputKind` of an agent on ``task``."""
    task = check_task("task", task)
    provides_probabilities = check_bool("provides_probabilities", provides_probabilities)
    outputs = task.traits.outputs
    return "actions" if outputs == "probabilities" and not provides_probabilities else outputs
