"""Score any agent against the exact Bayes-optimal agent: :func:`score`.

The module is private (``_score``) so that ``bayes_meta_envs.scoring.score`` is the function, which
the API reference then shows; ``from bayes_meta_envs.scoring.score import score`` (0.2's deep
import) keeps working through an alias in :mod:`bayes_meta_envs.scoring`.

The comparison follows Mikulik et al., "Meta-trained agents implement Bayes-optimal agents"
(NeurIPS 2020), section 4: behaviour is compared by return and regret, and by the divergence
between the agent's and the Bayes-optimal agent's outputs *along the agent's own trajectory*.

How a run works
---------------
:func:`score` resolves a SPEC string (:func:`~bayes_meta_envs.agents.resolve.resolve_agent`),
adapts the agent (:func:`~bayes_meta_envs.agents.adapters.as_agent`), wraps it in a
:class:`~bayes_meta_envs.scoring.guard.Guard` that checks everything it returns, and runs it with
:func:`~bayes_meta_envs.rollout.paired_rollout` beside the Bayes-optimal agent, on the same tasks
and the same noise (common random numbers), with shared action uniforms; see
:mod:`bayes_meta_envs.rollout` for the details. An agent with the Bayes-optimal outputs therefore
takes the same actions and has a Bayes gap of exactly 0.

Seeds: ``np.random.SeedSequence(seed).spawn(2)`` gives the environment seed and the generator of
the action uniforms; the report is a deterministic function of ``(agent, env, episodes, seed)``,
independent of ``batch_size`` (up to floating-point summation order in the per-step curves).

Metrics (each a mean over episodes with a 95% normal-approximation confidence interval
``mean +- 1.96 sd / sqrt(n)``; per-step curves are means over episodes at each step ``t``):

Bandits
    * ``return``: total reward per episode.
    * ``regret``: pseudo-regret against the oracle that knows ``p``,
      ``sum_t (max_k p_k - p_{a_t})`` with ``p = info["task"]``; ``bayes_regret`` the same for the
      Bayes-optimal agent on the same task and noise.
    * ``bayes_gap``: ``regret - bayes_regret``, paired by episode.
    * ``bayes_gap_q``: the Bayes gap from the exact Bayes-optimal Q-values ``Q*`` along the
      agent's trajectory, ``sum_t (max_k Q*(b_t, k) - sum_k pi_t(k) Q*(b_t, k))`` with ``b_t`` the
      posterior after the agent's history and ``pi_t`` its probabilities (its action, for
      callables and deterministic scoring). Its expectation equals ``bayes_gap``'s (the
      performance-difference lemma), and its interval is 10-70 times narrower for a near-optimal
      agent: the one to compare agents by. 0 for every Bayes-optimal agent.
    * ``normalised_score``: ``1 - bayes_gap / (V* - R_random)`` per episode, where ``V*`` is the
      exact Bayes-optimal value (``bayes_optimal_value``) and ``R_random = H * mean_k
      alpha_k / (alpha_k + beta_k)`` the exact expected return of uniformly random play. Since
      ``E[bayes_gap] = V* - E[return]``, its expectation is ``(E[return] - R_random) / (V* -
      R_random)``: 0 for random play, exactly 1 for the Bayes-optimal agent.
    * ``kl_to_bayes_set``: per-step ``-log pi_agent(A*)`` along the agent's trajectory, averaged
      over the episode's steps, where ``A*`` is the set of Bayes-optimal actions. Where several
      actions are Bayes-optimal (ties, e.g. the first pull) the Bayes-optimal policy is the set of
      distributions on ``A*``, and ``-log pi(A*)`` is the KL from ``pi`` to that set
      (``min_q KL(q || pi)`` over ``q`` supported on ``A*``, attained at ``q = pi | A*``): 0 for
      every Bayes-optimal agent, however it breaks ties. Needs probabilities (``None`` for
      callables).
    * ``kl_tie_split``: per-step ``KL(pi_tie || pi_agent)`` with ``pi_tie`` the Bayes-optimal
      probability split uniformly over ``A*`` (``inf`` where the agent gives probability 0 to a
      tied Bayes-optimal action, e.g. a deterministic agent's first pull). Needs probabilities.
    * ``agreement``: the probability that the agent's action at step ``t`` is a Bayes-optimal
      action (one in the support of the Bayes-optimal output, i.e. its arg-max set), averaged
      over steps. With probabilities it is the mass the agent puts on that set; for callables it
      is estimated by whether the sampled action is in it (same expectation, more variance).
Prediction
    * ``return``: total log-likelihood per episode; ``log_loss``: mean log-loss per step
      (``-reward``); ``bayes_log_loss``: the same for the exact posterior predictive on the same
      samples.
    * ``excess_log_loss``: ``log_loss - bayes_log_loss`` per step, paired by episode.
    * ``kl``: per-step ``KL(Bayes predictive || agent's predictive)`` (``family.kl``).
    * ``normalised_score``: ``1 - excess_log_loss / excess_log_loss(prior predictive)``: 0 for the
      fixed prior predictive (a predictor that never learns), 1 for Bayes; a ratio estimate on the
      same samples, with a delta-method confidence interval.

Acting deterministically
    ``deterministic=True`` scores a bandit agent that gives probabilities on the arg-max of its
    probabilities (the first arm among ties) instead of a sample from them: the convention of
    stable-baselines3's ``predict(deterministic=True)`` and ``evaluate_policy``. The agent then
    acts as a deterministic policy, so ``agreement`` is the fraction of its actions that are
    Bayes-optimal and the two KL metrics are ``None`` (the KL of a point mass says only whether
    the action is in the set); the report's ``deterministic`` records the choice. It needs an
    agent that gives probabilities (a callable gives actions and decides itself how it acts) and
    a bandit (prediction agents are always scored on their predictive; nothing is sampled).

Past the exact DP
    Where the Bayes-optimal DP does not fit under its memory limit (bandits such as 10 arms over
    100 pulls), the agent is scored against a reference policy instead, and the Bayes gap is
    reported as a bracket of bounds (``bayes_gap_lower``, ``bayes_gap_upper``); see
    :mod:`bayes_meta_envs.scoring.beyond`. The report's ``bayes_exact`` is then false.

Speed: about 2 s for 100,000 episodes of the Bayes-optimal agent on MetaBandit-v0 (see
``benchmarks/scoring.py``). Library code never prints; a tqdm progress bar is shown when tqdm is
installed and ``progress`` is true (``None``: when stderr is a terminal and the run is long).
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from bayes_meta_envs._io import jsonable
from bayes_meta_envs._validate import check_bool, check_int, check_mapping, check_optional_bool
from bayes_meta_envs._version import __version__
from bayes_meta_envs.agents.adapters import CallableAgent, PredictAgent, as_agent
from bayes_meta_envs.agents.resolve import resolve_agent
from bayes_meta_envs.baselines.bounds import reference_agent
from bayes_meta_envs.errors import InvalidArgumentError, invalid
from bayes_meta_envs.rollout import (
    DEFAULT_BATCH_SIZE,
    Z95,
    Cursor,
    Curve,
    Estimate,
    PairedRollout,
    agent_output_kind,
    check_rollout_memory,
    paired_rollout,
)
from bayes_meta_envs.scoring.beyond import beyond_dp_metrics
from bayes_meta_envs.scoring.guard import Guard
from bayes_meta_envs.scoring.report import ScoreReport, agent_display_name
from bayes_meta_envs.scoring.traces import Traces
from bayes_meta_envs.task import MetaTask, task_of

_PROGRESS_MIN_EPISODES = 20_000  # progress=None shows a bar from this many episodes (on a TTY)


def score(
    agent: Any,
    env: Any,
    *,
    episodes: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    record_traces: bool | int = False,
    batch_size: int | None = None,
    progress: bool | None = None,
    agent_name: str | None = None,
    deterministic: bool = False,
    time_limit: float | None = None,
) -> ScoreReport:
    """Score ``agent`` against the Bayes-optimal agent on ``env``, on the same tasks and noise.

    Bandits get return, pseudo-regret, the Bayes gap (paired, and from the Bayes-optimal
    Q-values: ``bayes_gap_q``, the one to compare agents by), a normalised score (random 0,
    Bayes-optimal 1), the KL to the set of Bayes-optimal policies and the agreement; prediction
    tasks get log-loss, excess log-loss over the posterior predictive, a normalised score (prior
    predictive 0, Bayes 1) and the KL between predictives. Each is a mean with a 95% interval,
    with per-step curves; the definitions are in ``docs/scoring.md``. The report is a
    deterministic function of ``(agent, env, episodes, seed)``.

    Example:
        ```python
        import bayes_meta_envs as bme

        class StayOnWin:  # anything with SB3's predict(obs, state, episode_start, deterministic)
            def predict(self, obs, state=None, episode_start=None, deterministic=False):
                prev = obs[:, :2].argmax(axis=1)
                return (prev + (obs[:, 2] < 0.5)) % 2, state

        print(bme.score(StayOnWin(), "MetaBandit-v0", episodes=10_000, seed=0).summary())
        print(bme.score("zoo:lstm-metabandit", "MetaBandit-v0", episodes=10_000, seed=0).summary())
        ```

    Args:
        agent: what you have: an Agent (``initial_state``/``update``/``output``); a
            stable-baselines3 model (adapted with
            :func:`~bayes_meta_envs.agents.adapters.from_sb3`); any object with SB3's recurrent
            ``predict(obs, state, episode_start, deterministic)``, its state threaded from step to
            step and ``episode_start`` true at each episode's first step
            (:func:`~bayes_meta_envs.agents.adapters.from_predict`); a callable
            ``fn(obs_batch) -> actions``
            (:func:`~bayes_meta_envs.agents.adapters.from_callable`); or a SPEC string as
            ``bayes-meta score --agent`` takes (``"zoo:lstm-metabandit"``, ``"thompson"``,
            ``"gittins:0.9"``, a run folder, ``"module:attribute"``; see
            :func:`~bayes_meta_envs.agents.resolve.resolve_agent`). Agents that give actions
            (callables, ``predict`` objects on bandits) get ``None`` for the metrics that need
            probabilities.
        env: a registered id (made with ``env_kwargs``), an env instance of this package, or a
            :class:`~bayes_meta_envs.task.MetaTask`.
        episodes: number of episodes (>= 1).
        seed: int >= 0; the report is a deterministic function of it.
        env_kwargs: keyword arguments for a registered id.
        record_traces: ``True`` records every episode, an int ``N`` the first ``N``, ``False``
            none (see :mod:`bayes_meta_envs.scoring.traces` for the memory needed).
        batch_size: episodes run side by side (default ``min(episodes, 10000)``); it changes
            speed and memory, not the result.
        progress: show a tqdm bar (``None``: on a terminal, for runs of 20,000+ episodes).
        agent_name: the name in the report (default: the SPEC string, or the agent's ``repr`` or
            name).
        deterministic: act on the arg-max of the agent's probabilities instead of sampling
            (bandits; see "Acting deterministically" in the module docstring).
        time_limit: seconds one call of the agent (``initial_state``, ``update``, ``output``)
            may take; a call that takes longer ends the run with a ``ScoringError`` (``None``,
            the default: no limit). Each call then runs in a daemon thread; Python cannot stop
            a thread, so the call that ran over is abandoned, not killed: it goes on until the
            agent's code returns (its result is dropped) and holds what that code holds (a
            core, if it spins). It never keeps the process from exiting and later ``score()``
            calls are unaffected; to get the core back from an agent that may spin forever,
            score it in a process of its own.

    Returns:
        A :class:`~bayes_meta_envs.scoring.report.ScoreReport`, with ``traces`` when recorded.

    Raises:
        ScoringError: the agent raised, or returned a state or an output of the wrong shape,
            a non-finite state, non-finite or unnormalised probabilities, or an invalid action,
            or a call took longer than ``time_limit``; the message names the agent, the episode
            and the step.
        ProblemTooLargeError: ``episodes`` or ``record_traces`` need more memory than the
            budget (:func:`bayes_meta_envs.set_memory_budget`).
        InvalidArgumentError, InvalidArgumentTypeError, UnknownEnvironmentError: bad arguments.
    """
    episodes = check_int("episodes", episodes, 1)
    seed = check_int("seed", seed, 0)
    task = task_of(env, **check_mapping("env_kwargs", env_kwargs))
    limit = _check_record(record_traces, episodes)
    if batch_size is not None:
        check_int("batch_size", batch_size, 1)
    check_rollout_memory(task, episodes, limit, min(episodes, batch_size or DEFAULT_BATCH_SIZE))
    progress = check_optional_bool("progress", progress)
    env_id = task.env_id if task.env_id is not None else _env_name(env, task)

    adapted, name, deterministic = _adapt(agent, task, env_id, seed, agent_name, deterministic)
    probs_available = task.traits.gives_probabilities(adapted)
    outputs = agent_output_kind(task, probs_available)
    deterministic = _check_deterministic(deterministic, task, probs_available, name)
    cursor = Cursor()
    checked: Any = Guard(adapted, name, task, outputs, cursor, time_limit)
    if deterministic:
        checked, outputs, probs_available = _ArgMax(checked), "actions", False
    reference = reference_agent(task)  # past the exact DP: the reference stands in for Bayes
    bar = _progress_bar(progress, episodes, f"scoring {name} on {env_id}")
    try:
        run = paired_rollout(
            checked,
            task,
            episodes=episodes,
            seed=seed,
            batch_size=batch_size,
            outputs=outputs,
            record=limit,
            cursor=cursor,
            on_batch=None if bar is None else bar.update,
            reference=reference,
        )
    finally:
        if bar is not None:
            bar.close()

    references = dict(run.references)
    if reference is not None:
        metrics, curves, references = beyond_dp_metrics(run, probs_available)
    else:
        metrics, curves = _METRICS[task.kind](run, probs_available)
    header: dict[str, Any] = {  # the report's fields that the traces' metadata repeat
        "agent": name,
        "env_id": env_id,
        "env_kind": task.kind,
        "env_kwargs": jsonable(task.env_kwargs),
        "env_config": jsonable(task.config()),
        "seed": seed,
        "episodes": episodes,
        "deterministic": deterministic,
        "package_version": __version__,
    }
    return ScoreReport(
        **header,
        horizon=task.horizon,
        probabilities=probs_available,
        metrics=metrics,
        curves=curves,
        references=references,
        bayes_exact=reference is None,
        traces=Traces.from_recorded(run.recorded, header),
    )


def _adapt(
    agent: Any, task: MetaTask, env_id: str, seed: int, agent_name: str | None, deterministic: bool
) -> tuple[Any, str, bool]:
    """``agent`` behind the Agent protocol for ``task`` (a SPEC string resolved, a callable or a
    ``predict`` object given the task's kind), its name in the report, and whether the scorer
    still has to act deterministically (a ``predict`` object is told to act so itself)."""
    if isinstance(agent, str):
        spec = agent
        agent = resolve_agent(spec, task, seed=seed, argument="agent")
        agent_name = spec if agent_name is None else agent_name
    adapted = as_agent(agent)
    if isinstance(adapted, CallableAgent) and not adapted.kind_fixed:
        adapted = CallableAgent(adapted.fn, kind=task.kind, name=adapted.name)
    if isinstance(adapted, PredictAgent):
        # a predict object acts itself: deterministic=True is passed on to its predict
        own_kind = adapted.kind if adapted.kind_fixed else task.kind
        adapted = adapted.with_kind(own_kind, check_bool("deterministic", deterministic))
        deterministic = False
    task.check_agent_kind(getattr(adapted, "kind", None), agent_display_name(adapted), env_id)
    name = agent_name if agent_name is not None else agent_display_name(adapted)
    return adapted, name, deterministic


# ----------------------------------------------------------------------------------------------
# the metrics
# ----------------------------------------------------------------------------------------------


def _bandit_metrics(
    run: PairedRollout, probs_available: bool
) -> tuple[dict[str, Estimate | None], dict[str, Curve | None]]:
    metrics: dict[str, Estimate | None] = {
        key: run.estimate(key) for key in ("return", "bayes_return", "regret", "bayes_regret")
    }
    gap = run.per_episode["bayes_gap"]
    span = run.references["bayes_value"] - run.references["random_return"]
    metrics["bayes_gap"] = Estimate.from_samples(gap)
    metrics["bayes_gap_q"] = run.estimate("bayes_gap_q")
    metrics["normalised_score"] = Estimate.from_samples(1.0 - gap / span) if span > 0 else None
    for key in ("kl_to_bayes_set", "kl_tie_split"):
        metrics[key] = run.estimate(key) if probs_available else None
    metrics["agreement"] = run.estimate("agreement")
    curves: dict[str, Curve | None] = {name: run.curve(name) for name in run.curve_sums}
    if not probs_available:
        curves["kl_to_bayes_set"] = curves["kl_tie_split"] = None
    return metrics, curves


def _pred_metrics(
    run: PairedRollout, probs_available: bool
) -> tuple[dict[str, Estimate | None], dict[str, Curve | None]]:
    """The predictive is the output: ``probs_available`` is always true here."""
    metrics: dict[str, Estimate | None] = {
        key: run.estimate(key) for key in ("return", "log_loss", "bayes_log_loss")
    }
    excess = run.per_episode["excess_log_loss"]
    metrics["excess_log_loss"] = Estimate.from_samples(excess)
    metrics["normalised_score"] = _ratio_score(excess, run.per_episode["prior_excess"])
    metrics["kl"] = run.estimate("kl")
    curves: dict[str, Curve | None] = {name: run.curve(name) for name in run.curve_sums}
    return metrics, curves


#: The metrics of a run with the exact Bayes-optimal agent, by the task's kind.
_METRICS = {"bandit": _bandit_metrics, "prediction": _pred_metrics}


def _ratio_score(excess: np.ndarray, prior_excess: np.ndarray) -> Estimate | None:
    """``1 - mean(excess) / mean(prior_excess)`` with a delta-method interval."""
    n = excess.shape[0]
    d = float(prior_excess.mean())
    if not d > 0:
        return None
    r = float(excess.mean()) / d
    if n < 2 or not math.isfinite(r):
        return Estimate(1.0 - r, math.inf, n)
    sd = float(np.std(excess - r * prior_excess, ddof=1)) / d
    ci = Z95 * sd / math.sqrt(n)
    return Estimate(1.0 - r, ci if math.isfinite(ci) else math.inf, n)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


class _ArgMax:
    """The checked agent acting on the arg-max of its probabilities (``score(deterministic=True)``):
    ``output`` gives the actions (the first arm among ties)."""

    def __init__(self, agent: Guard) -> None:
        self.agent = agent
        self.initial_state = agent.initial_state
        self.update = agent.update

    def output(self, state: np.ndarray) -> np.ndarray:
        return np.argmax(self.agent.output(state), axis=1)


def _check_deterministic(deterministic: object, task: MetaTask, probs: bool, name: str) -> bool:
    if not check_bool("deterministic", deterministic):
        return False
    if not task.traits.samples_actions:
        raise InvalidArgumentError(
            f"deterministic=True applies to bandit environments; {task.name!r} is a prediction "
            "task, whose agents are scored on their predictive (nothing is sampled)"
        )
    if not probs:
        raise InvalidArgumentError(
            f"deterministic=True needs an agent that gives action probabilities; {name!r} gives "
            "actions (it decides itself how it acts)"
        )
    return True


def _check_record(record: object, episodes: int) -> int:
    """Number of episodes whose traces are recorded."""
    if isinstance(record, (bool, np.bool_)):
        return episodes if record else 0
    if isinstance(record, (int, np.integer)) and record >= 0:
        return min(int(record), episodes)
    raise invalid("record_traces", record, "a bool or an int >= 0 (the first N episodes)")


def _env_name(env: object, task: MetaTask) -> str:
    """The report's env name when the task has no registered id: the env's class name."""
    if isinstance(env, MetaTask):
        return task.name
    return type(getattr(env, "unwrapped", env)).__name__


def _progress_bar(enabled: bool | None, episodes: int, desc: str) -> Any:
    """A tqdm bar when enabled and tqdm is installed (it is optional), else None."""
    if enabled is None:
        enabled = episodes >= _PROGRESS_MIN_EPISODES and sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=episodes, unit="ep", desc=desc, leave=False)
