"""The typed configuration of an LSTM meta-training run (torch-free).

:class:`LSTMConfig` is what ``config.json`` of an LSTM run folder holds (with ``"algo": "lstm"``
first); :data:`DEMO_CONFIG` is the recipe of ``bayes-meta demo``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from bayes_meta_envs._validate import check_bool, check_choice, check_int, check_number
from bayes_meta_envs.agents._recipe import RecipeConfig
from bayes_meta_envs.errors import invalid

__all__ = ["ALGO", "DEMO_CONFIG", "DEVICES", "LR_SCHEDULES", "REWARD_SIGNALS", "LSTMConfig"]

ALGO = "lstm"
REWARD_SIGNALS = ("sampled", "expected", "regret")
#: How the learning rate falls from ``learning_rate`` to ``learning_rate * lr_final_fraction``.
LR_SCHEDULES = ("linear", "cosine", "exponential")
#: Where the network trains: ``"auto"`` is CUDA when torch sees a GPU, else the CPU.
DEVICES = ("cpu", "cuda", "auto")

# minimum of each int field
_INTS = {
    "hidden_size": 1,
    "embed_size": 1,
    "num_envs": 1,
    "total_updates": 1,
    "n_epochs": 1,
    "ppo_minibatches": 1,
    "eval_every": 1,
    "eval_episodes": 1,
    "eval_seed": 0,
    "checkpoint_every": 1,
}
# (low, high, low_open) of each float field; the high bound is closed
_FLOATS = {
    "learning_rate": (0.0, float("inf"), True),
    "lr_final_fraction": (0.0, 1.0, False),
    "max_grad_norm": (0.0, float("inf"), True),
    "gamma": (0.0, 1.0, False),
    "gae_lambda": (0.0, 1.0, False),
    "clip_range": (0.0, float("inf"), True),
    "vf_coef": (0.0, float("inf"), False),
    "ent_coef": (float("-inf"), float("inf"), False),
    "ent_coef_final": (float("-inf"), float("inf"), False),
    "ent_decay_fraction": (0.0, 1.0, True),
    "logit_cap_fraction": (0.0, 1.0, True),
}
_BOOLS = ("symlog_inputs", "lr_decay", "step_baseline", "tensorboard")


@dataclass(frozen=True)
class LSTMConfig(RecipeConfig):
    """Everything that defines an LSTM meta-training run (saved as ``config.json``).

    Model: ``embed_size`` (width of the linear input layer), ``hidden_size`` (LSTM units),
    ``symlog_inputs`` (append ``sign(o) log(1 + |o|)`` to the observation: helps with unbounded
    inputs such as waiting times).
    Optimisation: ``num_envs`` tasks per update (one episode each), ``total_updates``, Adam with
    ``learning_rate`` (decayed to ``learning_rate * lr_final_fraction`` when ``lr_decay``, along
    ``lr_schedule``: ``"linear"``, ``"cosine"`` (half a cosine period, which spends longer near
    both ends) or ``"exponential"`` (geometric, ``learning_rate * lr_final_fraction ** progress``:
    it falls by the same factor in every tenth of training, so it spends longer at small rates
    than the other two; ``lr_final_fraction`` must then be > 0)), gradient clipping at
    ``max_grad_norm``.
    Bandits only: ``gamma``, ``gae_lambda``, ``n_epochs``, ``ppo_minibatches``, ``clip_range``,
    ``vf_coef``, ``step_baseline`` (the critic predicts the return-to-go minus the mean
    return-to-go at the same step in the other episodes of the batch: see
    :func:`~bayes_meta_envs.agents.lstm.updates.step_baseline`), the entropy coefficient
    moving linearly from ``ent_coef`` to ``ent_coef_final`` over the first
    ``ent_decay_fraction`` of training and then held (a negative ``ent_coef_final`` penalises
    entropy once the coefficient crosses zero: it sharpens the final policy, which the policy
    gradient alone leaves soft where the arms' values are close, at a cost whenever the agent
    samples its actions; on the demo's bandit it also froze wrong choices, see
    ``benchmarks/README.md``), ``logit_cap`` (``None``: off; else, over the first
    ``logit_cap_fraction`` of training, the squared excess of the policy's logit spread (largest
    minus smallest logit) over ``logit_cap`` is added to the loss, so that no arm's probability
    falls much below ``exp(-logit_cap) / K`` for ``K`` arms: the policy gradient of an action is
    scaled by its probability and cannot follow even a large advantage once the policy has stopped
    taking it; the cap is then released and the policy sharpens), and
    ``reward_signal``: the learning signal, ``"sampled"`` (the Bernoulli reward the agent sees,
    the default: what any RL algorithm gets), or, opt-in and privileged (read from the env's
    ``info["task"]``), ``"expected"`` (``p_a``) or ``"regret"`` (``p_a - max_k p_k``). The last
    two differ from the first by terms that do not depend on the action taken, so the policy
    gradient keeps its expectation and loses variance.
    Bookkeeping: ``eval_every`` updates on a fixed batch of ``eval_episodes`` episodes seeded with
    ``eval_seed``; a checkpoint every ``checkpoint_every`` updates (all kept); ``num_threads`` torch
    threads; ``device`` where the network trains (``"cpu"``, ``"cuda"``, or ``"auto"``: CUDA when
    available; the environments stay numpy on the CPU, and the trained agent acts on the CPU);
    ``budget_minutes`` stops training early (schedules then follow the elapsed fraction of
    the budget when it runs ahead of the update count).
    """

    ALGO: ClassVar[str] = ALGO
    RUN_CONTROL_FIELDS: ClassVar[tuple[str, ...]] = (
        "total_updates",
        "budget_minutes",
        "num_threads",
        "tensorboard",
        "device",
    )

    hidden_size: int = 32
    embed_size: int = 32
    symlog_inputs: bool = False
    num_envs: int = 256
    total_updates: int = 1000
    learning_rate: float = 3e-3
    lr_decay: bool = True
    lr_final_fraction: float = 0.1
    lr_schedule: str = "linear"
    max_grad_norm: float = 1.0
    gamma: float = 1.0
    gae_lambda: float = 0.8
    n_epochs: int = 2
    ppo_minibatches: int = 2
    clip_range: float = 0.2
    vf_coef: float = 0.5
    step_baseline: bool = True
    ent_coef: float = 0.01
    ent_coef_final: float = 0.0
    ent_decay_fraction: float = 0.8
    logit_cap: float | None = None
    logit_cap_fraction: float = 0.5
    reward_signal: str = "sampled"
    eval_every: int = 25
    eval_episodes: int = 4096
    eval_seed: int = 1_000_003
    checkpoint_every: int = 100
    device: str = "cpu"
    tensorboard: bool = True

    def _check(self) -> None:
        for name, low in _INTS.items():
            self._set(name, check_int(name, getattr(self, name), low))
        if self.ppo_minibatches > self.num_envs:
            raise invalid("ppo_minibatches", self.ppo_minibatches, "at most num_envs")
        for name, (lo, hi, low_open) in _FLOATS.items():
            value = getattr(self, name)
            bound = "(" if low_open else "["
            expected = f"a number in {bound}{lo}, {hi}]" if lo > -math.inf else "a finite number"
            check_number(name, value, lo, hi, low_open=low_open, expected=expected)
        check_choice("reward_signal", self.reward_signal, REWARD_SIGNALS)
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        if self.lr_decay and self.lr_schedule == "exponential" and self.lr_final_fraction == 0:
            raise invalid(
                "lr_final_fraction",
                self.lr_final_fraction,
                "a number in (0, 1] with lr_schedule='exponential' (a geometric decay never reaches 0)",
            )
        check_choice("device", self.device, DEVICES)
        if self.logit_cap is not None:
            check_number(
                "logit_cap",
                self.logit_cap,
                0.0,
                low_open=True,
                expected="None or a logit spread > 0",
            )
        for name in _BOOLS:
            self._set(name, check_bool(name, getattr(self, name)))


#: The demo's LSTM recipe (MetaBandit-v0 defaults); ``budget_minutes`` is set by the command.
DEMO_CONFIG: dict[str, Any] = {
    "env_id": "MetaBandit-v0",
    "hidden_size": 32,
    "embed_size": 32,
    "num_envs": 1024,
    "total_updates": 100_000,
    "learning_rate": 8e-3,
    "lr_final_fraction": 0.005,
    "gae_lambda": 0.8,
    "n_epochs": 2,
    "ppo_minibatches": 2,
    "ent_coef": 0.003,
    "ent_coef_final": 0.0,
    "ent_decay_fraction": 0.5,
    "logit_cap": 3.5,
    "logit_cap_fraction": 0.5,
    "eval_every": 100,
    "eval_episodes": 4096,
    "checkpoint_every": 250,
}
