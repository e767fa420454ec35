"""The typed description of a meta-task, and the one place that unwraps an environment.

Everything downstream of the environments (agents, rollouts, scoring, trainers, analysis) takes a
:class:`MetaTask` rather than an env: the kind of task, its prior (the bandit's arm priors or the
conjugate family), the horizon, whether the observation carries the time, and the observation
layout. :func:`task_of` builds one from a registered id (with its keyword arguments), a gymnasium
env (wrappers are looked through), one of the package's native vector envs, or a task.

Example::

    >>> from bayes_meta_envs import task_of
    >>> task = task_of("MetaBandit-v0", n_arms=3)
    >>> task.kind, task.n_arms, task.horizon, task.layout.size
    ('bandit', 3, 20, 4)
    >>> vec = task.make_vector(1024)   # the native numpy vector env of this task
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from bayes_meta_envs._io import jsonable
from bayes_meta_envs._validate import check_int
from bayes_meta_envs.envs import (
    ENV_SPECS,
    MetaBanditEnv,
    MetaBanditVectorEnv,
    MetaPredictEnv,
    MetaPredictVectorEnv,
    MetaVectorEnv,
    ObsLayout,
)
from bayes_meta_envs.errors import (
    InvalidArgumentError,
    UnknownEnvironmentError,
    invalid,
    wrong_type,
)
from bayes_meta_envs.families import BetaBernoulliArms, ConjugateFamily

__all__ = [
    "KIND_TRAITS",
    "KindTraits",
    "MetaTask",
    "TaskKind",
    "held_out_seed",
    "observation_layout",
    "task_of",
    "unwrap_meta_env",
]

TaskKind = Literal["bandit", "prediction"]


@dataclass(frozen=True)
class KindTraits:
    """What differs between bandits and prediction tasks, decided once: read it from
    :attr:`MetaTask.traits` instead of asking the kind.

    Attributes:
        kind: ``"bandit"`` or ``"prediction"``.
        headline: the statistic that says how far an agent is from the Bayes-optimal one (named
            as in :class:`~bayes_meta_envs.scoring.ScoreReport`): what sweeps, training curves
            and reports lead with.
        divergence: the behavioural divergence from the Bayes-optimal agent.
        eval_metrics: the statistics of a trainer's evaluation record, in order (a ``_ci95``
            suffix: the half-width of the 95% interval of the statistic before it).
        outputs: what an agent's ``output`` holds by default (``"probabilities"`` of actions, or
            the ``"predictive"``'s parameters).
        fixed_signal: the learning signal when the kind fixes it (``"log_loss"``: prediction is
            supervised), else ``None`` (a bandit learner chooses its reward signal).
        samples_actions: whether an action is drawn from the agent's output (bandits: the
            output is a distribution over arms) or is the output itself (prediction: the
            predictive's parameters are the action). An agent that hands back actions instead of
            its output gives probabilities only where this is false.
        normalised_scale: what 0 and 1 of ``normalised_score`` stand for.
        headline_axis: the headline as a plot's axis names it.
        headline_unit: the headline with its unit, as a report's table names it.
    """

    kind: TaskKind
    headline: str
    divergence: str
    eval_metrics: tuple[str, ...]
    outputs: Literal["probabilities", "predictive"]
    fixed_signal: str | None
    samples_actions: bool
    normalised_scale: str
    headline_axis: str
    headline_unit: str

    def act(self, out: np.ndarray, rng: np.random.Generator, deterministic: bool) -> np.ndarray:
        """The actions of an agent whose output is ``out``: bandits sample an arm from each row's
        probabilities with ``rng`` (or take its arg-max when ``deterministic``); prediction tasks
        act with the predictive's parameters themselves (float32, as the action space holds)."""
        if not self.samples_actions:
            return self.as_action(out)
        if deterministic:
            return np.argmax(out, axis=-1)
        u = rng.random((out.shape[0], 1))
        return np.minimum((np.cumsum(out, axis=-1) < u).sum(axis=-1), out.shape[-1] - 1)

    def as_action(self, actions: np.ndarray) -> np.ndarray:
        """Actions an agent handed back (not sampled here), in the dtype the action space holds:
        float32 predictive parameters; a bandit's arms as given."""
        return actions if self.samples_actions else actions.astype(np.float32)

    def gives_probabilities(self, agent: object) -> bool:
        """Whether ``agent``'s output is what the scorer needs: always for prediction (the
        predictive is the output); for bandits, unless the agent says it hands back actions
        (``provides_probabilities = False``)."""
        return not self.samples_actions or bool(getattr(agent, "provides_probabilities", True))


#: The traits of each kind of task.
KIND_TRAITS: dict[str, KindTraits] = {
    "bandit": KindTraits(
        kind="bandit",
        headline="bayes_gap_q",
        divergence="kl_to_bayes_set",
        eval_metrics=(
            "bayes_gap",
            "bayes_gap_ci95",
            "bayes_gap_q",
            "bayes_gap_q_ci95",
            "return",
            "agreement",
        ),
        outputs="probabilities",
        fixed_signal=None,
        samples_actions=True,
        normalised_scale="random 0, Bayes 1",
        headline_axis="Bayes gap (Q) / episode",
        headline_unit="Bayes gap (Q) per episode",
    ),
    "prediction": KindTraits(
        kind="prediction",
        headline="excess_log_loss",
        divergence="kl",
        eval_metrics=("log_loss", "excess_log_loss", "excess_log_loss_ci95", "kl"),
        outputs="predictive",
        fixed_signal="log_loss",
        samples_actions=False,
        normalised_scale="prior predictive 0, Bayes 1",
        headline_axis="excess log-loss / step",
        headline_unit="excess log-loss, nats/step",
    ),
}


def check_kind(name: str, value: object, *, allow_none: bool = False) -> TaskKind | None:
    """``value`` if it is a task kind (``"bandit"`` or ``"prediction"``; ``None`` too when
    ``allow_none``); else an :class:`~bayes_meta_envs.errors.InvalidArgumentError` naming ``name``."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or value not in KIND_TRAITS:
        kinds = " or ".join(map(repr, KIND_TRAITS))
        raise invalid(name, value, f"None, {kinds}" if allow_none else kinds)
    return KIND_TRAITS[value].kind


_META_ENVS = (MetaBanditEnv, MetaPredictEnv, MetaBanditVectorEnv, MetaPredictVectorEnv)


@dataclass(frozen=True, eq=False)
class MetaTask:
    """A distribution of tasks as a meta-task environment poses it.

    Attributes:
        kind: ``"bandit"`` or ``"prediction"``.
        prior: the arm priors (:class:`~bayes_meta_envs.families.BetaBernoulliArms`) of a bandit,
            or the :class:`~bayes_meta_envs.families.ConjugateFamily` of a prediction task; read
            them through :attr:`arms` and :attr:`family`, which check the kind.
        horizon: steps per episode.
        include_time: whether the observation ends with ``t / horizon``.
        env_id: the registered id, when the task came from one (``None`` otherwise).
        env_kwargs: the keyword arguments the id was made with.
    """

    kind: TaskKind
    prior: BetaBernoulliArms | ConjugateFamily
    horizon: int
    include_time: bool = False
    env_id: str | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        """Two tasks are equal when they pose the same problem (kind and :meth:`config`)."""
        if not isinstance(other, MetaTask):
            return NotImplemented
        return self.kind == other.kind and self.config() == other.config()

    def __hash__(self) -> int:
        return hash((self.kind, repr(self.config())))

    @property
    def arms(self) -> BetaBernoulliArms:
        """The arm priors of a bandit task."""
        if not isinstance(self.prior, BetaBernoulliArms):
            raise UnknownEnvironmentError(f"{self.name} is a prediction task, not a bandit")
        return self.prior

    @property
    def family(self) -> ConjugateFamily:
        """The conjugate family of a prediction task."""
        if not isinstance(self.prior, ConjugateFamily):
            raise UnknownEnvironmentError(f"{self.name} is a bandit, not a prediction task")
        return self.prior

    @property
    def is_bandit(self) -> bool:
        return self.kind == "bandit"

    @property
    def traits(self) -> KindTraits:
        """What differs with the kind (:class:`KindTraits`): metric names, default outputs."""
        return KIND_TRAITS[self.kind]

    def check_agent_kind(self, kind: object, agent_name: str, env_name: str) -> None:
        """Refuse an agent made for the other kind of task (an agent with no kind passes);
        ``agent_name`` and ``env_name`` name both in the message."""
        if isinstance(kind, str) and kind in KIND_TRAITS and kind != self.kind:
            raise InvalidArgumentError(
                f"agent {agent_name!r} is a {kind} agent, but env {env_name!r} is a "
                f"{self.kind} environment"
            )

    def require(self, kind: TaskKind, env: object) -> None:
        """Refuse this task unless it is of ``kind`` (an agent's ``for_env`` made for one kind);
        the message names ``env``."""
        if self.kind != kind:
            raise InvalidArgumentError(f"env must be a {kind} environment, got {env!r}")

    @property
    def n_arms(self) -> int:
        """Number of arms of a bandit task."""
        return self.arms.n_arms

    @property
    def output_dim(self) -> int:
        """Width of an agent's output: ``K`` action probabilities, or the predictive's parameters."""
        return self.arms.n_arms if self.is_bandit else self.family.action_dim

    @property
    def layout(self) -> ObsLayout:
        """Where each part of the observation lives."""
        if self.is_bandit:
            return ObsLayout.build(0, self.n_arms, self.include_time)
        return ObsLayout.build(self.family.feature_dim, self.family.action_dim, self.include_time)

    @property
    def action_bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(low, high)`` of a prediction task's Box actions; ``None`` for a bandit's arms."""
        if self.is_bandit:
            return None
        return self.family.action_low, self.family.action_high

    @property
    def uninformed_output(self) -> np.ndarray:
        """The output of an agent that has learnt nothing from the episode: uniform over a
        bandit's arms, or the prior predictive's parameters."""
        if self.is_bandit:
            return np.full(self.n_arms, 1.0 / self.n_arms)
        family = self.family
        return np.asarray(family.predictive(family.prior_stats()[None, :])[0])

    @property
    def bayes_state_dim(self) -> int:
        """Width of the Bayes-optimal agent's state: the posterior's sufficient statistics (a
        bandit's two counts per arm) and the step."""
        return (2 * self.n_arms if self.is_bandit else self.family.stats_dim) + 1

    @property
    def obs_dim(self) -> int:
        return self.layout.size

    @property
    def name(self) -> str:
        """The registered id, or a description of the task."""
        if self.env_id is not None:
            return self.env_id
        return f"{self.kind} task {self.prior!r}, horizon {self.horizon}"

    def config(self) -> dict[str, Any]:
        """The task's parameters as JSON-ready values (reports and run folders record them)."""
        if self.is_bandit:
            cfg: dict[str, Any] = {"n_arms": self.n_arms, "prior": self.arms.prior.tolist()}
        else:
            cfg = {"family": self.family.name, **jsonable(self.family.hyperparameters())}
        cfg["horizon"] = self.horizon
        cfg["include_time"] = self.include_time
        return cfg

    def make_vector(self, num_envs: int) -> MetaVectorEnv:
        """The native numpy vector env of this task with ``num_envs`` sub-envs."""
        if self.is_bandit:
            arms = self.arms
            return MetaBanditVectorEnv(
                num_envs, arms.n_arms, self.horizon, arms.prior, self.include_time
            )
        return MetaPredictVectorEnv(self.family, num_envs, self.horizon, self.include_time)


def unwrap_meta_env(env: Any, **kwargs: Any) -> Any:
    """The base meta-task env behind ``env``.

    ``env`` may be a registered id (made with ``kwargs``), a gymnasium env (wrappers are removed),
    or one of this package's native vector envs. Raises :class:`UnknownEnvironmentError` for
    anything else.
    """
    if isinstance(env, str):
        try:
            env = gym.make(env, **kwargs)
        except (gym.error.Error, ImportError):  # "module:Id" imports the module
            ids = ", ".join(spec.id for spec in ENV_SPECS)
            raise UnknownEnvironmentError(
                f"env {env!r} is not an environment of bayes_meta_envs; its ids are {ids}"
            ) from None
        except TypeError as exc:  # the env's constructor does not take a keyword
            if "unexpected keyword argument" not in str(exc):
                raise
            bad = re.findall(r"keyword argument '(\w+)'", str(exc))
            raise invalid(
                f"env kwargs of {env!r}",
                kwargs,
                f"keywords the env takes (it does not take {', '.join(map(repr, bad))})",
            ) from None
    elif kwargs:
        raise UnknownEnvironmentError(
            f"env kwargs {sorted(kwargs)} are only accepted with a registered id, got env={env!r}"
        )
    base = getattr(env, "unwrapped", env)
    if not isinstance(base, _META_ENVS):
        raise UnknownEnvironmentError(
            f"env must be a bayes_meta_envs meta-task environment, got {env!r}"
        )
    return base


def task_of(env: Any, **kwargs: Any) -> MetaTask:
    """The :class:`MetaTask` of ``env``: a registered id (made with ``kwargs``), a gymnasium env
    (wrapped or not), a native vector env, or a :class:`MetaTask` (returned as it is)."""
    if isinstance(env, MetaTask):
        if kwargs:
            raise UnknownEnvironmentError(
                f"env kwargs {sorted(kwargs)} are only accepted with a registered id, got a MetaTask"
            )
        return env
    base = unwrap_meta_env(env, **kwargs)
    env_id = env if isinstance(env, str) else _registered_id(env, base)
    prior = base.arms if isinstance(base, (MetaBanditEnv, MetaBanditVectorEnv)) else base.family
    return MetaTask(
        kind=base.kind,
        prior=prior,
        horizon=int(base.horizon),
        include_time=bool(base.include_time),
        env_id=env_id,
        env_kwargs=jsonable(dict(kwargs)),
    )


def check_task(name: str, value: object) -> MetaTask:
    """``value`` if it is a :class:`MetaTask` (the guard of the functions that take a task
    rather than an env; :func:`task_of` makes one from an env or an id)."""
    if not isinstance(value, MetaTask):
        raise wrong_type(name, value, "a MetaTask (bayes_meta_envs.task_of(env))")
    return value


def _registered_id(env: object, base: object) -> str | None:
    for obj in (env, base):
        spec = getattr(obj, "spec", None)
        if spec is not None and getattr(spec, "id", None):
            return str(spec.id)
    return None


def held_out_seed(seed: int) -> int:
    """The seed of episodes apart from those of ``seed`` (the analysis fits on one run and
    evaluates on the other; the conformance kit checks that they differ). Every stream of an env
    or a run is spawned from ``SeedSequence(seed)``, so neighbouring seeds give independent
    episodes. The one place this derivation lives; :mod:`bayes_meta_envs.rollout` re-exports it."""
    return check_int("seed", seed, 0) + 1


def observation_layout(env: Any) -> ObsLayout:
    """The :class:`~bayes_meta_envs.envs.layout.ObsLayout` of a meta-task env (plain, wrapped,
    vector, a registered id or a :class:`MetaTask`)."""
    return task_of(env).layout
