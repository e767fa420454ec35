"""One registry of the baseline agents by name, used by the CLI's ``--agent``, the scoreboard and
the demo.

A SPEC is ``bayes``, ``gittins`` or ``gittins:GAMMA``, ``fgittins`` (the finite-horizon Gittins
index, the reference past the exact DP), ``thompson``, ``ucb1``, ``greedy``, ``egreedy`` or
``egreedy:EPSILON``, ``random`` (bandits) or ``bayes``, ``plugin``, ``prior`` (prediction tasks)::

    >>> from bayes_meta_envs import task_of
    >>> make_baseline("gittins:0.9", task_of("MetaBandit-v0"))
    GittinsAgent(gamma=0.9, n_arms=2, horizon=20)
"""

from __future__ import annotations

from collections.abc import Callable

from bayes_meta_envs._validate import check_choice
from bayes_meta_envs.baselines.bayes_optimal import bayes_agent
from bayes_meta_envs.baselines.classic import (
    EpsilonGreedyAgent,
    GittinsAgent,
    GreedyAgent,
    RandomAgent,
    ThompsonAgent,
    UCB1Agent,
)
from bayes_meta_envs.baselines.finite_gittins import FiniteGittinsAgent
from bayes_meta_envs.baselines.predictors import PluginPredictorAgent, PriorPredictorAgent
from bayes_meta_envs.errors import invalid, wrong_type
from bayes_meta_envs.protocol import BaseAgent
from bayes_meta_envs.task import MetaTask, TaskKind

__all__ = [
    "BANDIT_BASELINES",
    "BASELINE_LABELS",
    "PREDICTION_BASELINES",
    "baselines_for",
    "is_baseline",
    "make_baseline",
]

#: The baselines of every bandit table (scoreboard, demo), in their order.
BANDIT_BASELINES: tuple[str, ...] = ("bayes", "gittins:0.9", "thompson", "ucb1", "greedy", "random")
#: The baselines of every prediction table.
PREDICTION_BASELINES: tuple[str, ...] = ("bayes", "plugin", "prior")
#: What a table calls each baseline.
BASELINE_LABELS: dict[str, str] = {
    "bayes": "Bayes-optimal",
    "gittins:0.9": "Gittins (gamma=0.9)",
    "thompson": "Thompson sampling",
    "ucb1": "UCB1",
    "greedy": "Greedy (posterior mean)",
    "fgittins": "Finite-horizon Gittins",
    "egreedy:0.1": "Epsilon-greedy (epsilon=0.1)",
    "random": "Random",
    "plugin": "Plug-in (maximum likelihood)",
    "prior": "Prior predictive",
}

_BANDIT: dict[str, Callable[..., BaseAgent]] = {
    "thompson": ThompsonAgent.for_env,
    "ucb1": UCB1Agent.for_env,
    "greedy": GreedyAgent.for_env,
    "random": RandomAgent.for_env,
    "fgittins": FiniteGittinsAgent.for_env,
}
_PREDICTION: dict[str, Callable[..., BaseAgent]] = {
    "plugin": PluginPredictorAgent.for_env,
    "prior": PriorPredictorAgent.for_env,
}

#: Per kind of task: its table's baselines, the names of its baselines (``bayes`` is every
#: kind's), and what an error message calls the tasks of that kind.
_BY_KIND: dict[str, tuple[tuple[str, ...], frozenset[str], str]] = {
    "bandit": (BANDIT_BASELINES, frozenset(("gittins", "egreedy", *_BANDIT)), "bandits"),
    "prediction": (PREDICTION_BASELINES, frozenset(_PREDICTION), "prediction tasks"),
}


def baselines_for(kind: TaskKind) -> tuple[str, ...]:
    """The baseline SPECs of a task kind (``bandit`` or ``prediction``), in table order."""
    return _BY_KIND[check_choice("kind", kind, list(_BY_KIND))][0]


def is_baseline(spec: str) -> bool:
    """Whether ``spec`` names a baseline (of either kind)."""
    if not isinstance(spec, str):
        return False
    name, _, arg = spec.lower().partition(":")
    return name in ("gittins", "egreedy") or (
        not arg and (name == "bayes" or name in _BANDIT or name in _PREDICTION)
    )


def make_baseline(
    spec: str, task: MetaTask, *, seed: int | None = 0, argument: str = "spec"
) -> BaseAgent:
    """The baseline agent named by ``spec`` for ``task``; errors name ``argument``."""
    if not isinstance(spec, str):
        raise wrong_type(argument, spec, "a baseline name (a str such as 'bayes' or 'gittins:0.9')")
    if not isinstance(task, MetaTask):
        raise wrong_type("task", task, "a MetaTask (bayes_meta_envs.task_of(env))")
    name, _, arg = spec.lower().partition(":")
    kind_names = ", ".join(baselines_for(task.kind))
    if name == "bayes" and not arg:
        return bayes_agent(task, seed=seed)
    if not is_baseline(spec):
        raise invalid(argument, spec, f"a baseline ({kind_names})")
    _, own, tasks = _BY_KIND[task.kind]
    if name not in own:
        raise invalid(argument, spec, f"a baseline for {tasks}: {kind_names}")
    if name == "gittins":
        try:
            gamma = float(arg) if arg else 0.9
        except ValueError:
            raise invalid(argument, spec, "gittins:GAMMA with GAMMA in (0, 1)") from None
        return GittinsAgent.for_env(task, gamma=gamma, seed=seed)
    if name == "egreedy":
        try:
            epsilon = float(arg) if arg else 0.1
        except ValueError:
            raise invalid(argument, spec, "egreedy:EPSILON with EPSILON in [0, 1]") from None
        return EpsilonGreedyAgent.for_env(task, epsilon=epsilon, seed=seed)
    return {**_BANDIT, **_PREDICTION}[name](task, seed=seed)
