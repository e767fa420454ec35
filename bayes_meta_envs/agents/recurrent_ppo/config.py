"""The hyperparameters of the RecurrentPPO recipe, and the names of the files it writes.

Torch-free: importing this module (or reading
:class:`~bayes_meta_envs.agents.recurrent_ppo.RecurrentPPOConfig` from the package) imports
neither torch nor stable-baselines3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from bayes_meta_envs._validate import check_bool, check_int, check_number
from bayes_meta_envs.agents._recipe import RecipeConfig
from bayes_meta_envs.errors import invalid

__all__ = [
    "ALGO",
    "LOG_FILE",
    "LR_SCHEDULES",
    "OPTIMIZER_FILE",
    "VECTORIZATIONS",
    "LrSchedule",
    "RecurrentPPOConfig",
    "Vectorization",
]

ALGO = "recurrent-ppo"
"""The ``"algo"`` field of the folders this recipe writes."""

OPTIMIZER_FILE = "optimizer.pt"
LOG_FILE = "train_log.csv"

Vectorization = Literal["native", "dummy"]
LrSchedule = Literal["constant", "linear"]
VECTORIZATIONS: tuple[Vectorization, ...] = ("native", "dummy")
LR_SCHEDULES: tuple[LrSchedule, ...] = ("constant", "linear")

_INT_FIELDS = (
    "num_envs",
    "n_steps",
    "batch_size",
    "n_epochs",
    "hidden_size",
    "embed_size",
    "total_timesteps",
    "checkpoint_every",
)
# float fields and the interval each must lie in (low, low_open, high)
_FLOAT_FIELDS = {
    "learning_rate": (0.0, True, float("inf"), "a float > 0"),
    "clip_range": (0.0, True, float("inf"), "a float > 0"),
    "ent_coef": (0.0, False, float("inf"), "a float >= 0"),
    "ent_coef_final": (0.0, False, float("inf"), "a float >= 0"),
    "vf_coef": (0.0, False, float("inf"), "a float >= 0"),
    "max_grad_norm": (0.0, False, float("inf"), "a float >= 0"),
    "gamma": (0.0, False, 1.0, "a float in [0, 1]"),
    "gae_lambda": (0.0, False, 1.0, "a float in [0, 1]"),
}
_BOOL_FIELDS = ("normalize_advantage", "ortho_init")


@dataclass(frozen=True)
class RecurrentPPOConfig(RecipeConfig):
    """Hyperparameters of the RecurrentPPO recipe (all JSON-serialisable).

    Where the defaults come from:

    * rl-baselines3-zoo's ``ppo_lstm`` settings for memory tasks (CartPoleNoVel-v1):
      ``learning_rate`` 1e-3 with a linear decay, ``clip_range`` 0.2, ``max_grad_norm`` 0.5,
      ``ortho_init`` off.
    * The meta-RL setting of Mikulik et al. (2020) and the package's LSTM meta-learner
      (:class:`bayes_meta_envs.agents.lstm.LSTMConfig`): the undiscounted return of a 20-step
      episode is the objective, so ``gamma = 1``; the network has the same size as the LSTM
      meta-learner's: a linear embedding (``embed_size`` 64) of ``[previous action | previous
      reward]``, one LSTM (``hidden_size`` 128) shared by linear policy and value heads
      (``net_arch=[]``, ``shared_lstm=True``); the entropy bonus decays linearly to
      ``ent_coef_final`` as the LSTM trainer's does.
    * Measurements here (2-core CPU shared with other jobs, so only large effects count): the
      time goes into sb3-contrib's update, which steps the LSTM one time step at a time in Python
      whenever a sequence holds an episode start, so its cost grows with the number of
      minibatches, not their size. Hence many sub-envs (``num_envs=128``), rollouts of exactly one
      episode per sub-env (``n_steps`` = horizon = 20: no rollout cuts an episode), 4 epochs of
      2 large minibatches (``batch_size=1280``): 1.5k-8k steps/s across runs with 128-256
      sub-envs and 20-step rollouts, against 0.7k with 64 sub-envs, 40-step rollouts and 2,560-step
      minibatches. The native vector env collected rollouts 2-4x faster than ``DummyVecEnv``.
      Learning quality was not tuned (no budget for sweeps on this machine): ``gae_lambda=0.9``
      lies in rl-zoo's range (0.8-0.98), ``ent_coef=0.01`` is a common PPO default.

    ``vectorization``: ``"native"`` (the package's numpy vector env through
    :func:`~bayes_meta_envs.agents.recurrent_ppo.wrap_native_vec_env`) or ``"dummy"`` (SB3's
    DummyVecEnv over single envs). ``lr_schedule``: ``"constant"`` or ``"linear"`` (decays to 0
    over the wall-clock budget when one is given, else over ``total_timesteps``).
    ``total_timesteps`` caps training when a budget is also given. ``checkpoint_every``: a
    checkpoint (``checkpoints/ckpt_NNNNNN``, the rollout count) is written every that many
    rollouts (and at the end), so an interrupted run resumes from its last one.
    The run: ``env_id``, ``env_kwargs``, ``seed``; ``budget_minutes`` (wall clock; ``None``:
    none), ``num_threads`` (torch threads while training), shared with every recipe
    (:mod:`bayes_meta_envs.agents._recipe`).
    """

    ALGO: ClassVar[str] = ALGO
    RUN_CONTROL_FIELDS: ClassVar[tuple[str, ...]] = (
        "total_timesteps",
        "budget_minutes",
        "num_threads",
    )

    num_envs: int = 128
    n_steps: int = 20
    batch_size: int = 1280
    n_epochs: int = 4
    learning_rate: float = 1e-3
    lr_schedule: LrSchedule = "linear"
    gamma: float = 1.0
    gae_lambda: float = 0.9
    clip_range: float = 0.2
    ent_coef: float = 0.01
    ent_coef_final: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    normalize_advantage: bool = True
    hidden_size: int = 128
    embed_size: int = 64
    ortho_init: bool = False
    total_timesteps: int = 50_000_000
    vectorization: Vectorization = "native"
    checkpoint_every: int = 50

    def _check(self) -> None:
        # each field is checked and stored as its canonical Python type (numpy scalars become
        # int / float / bool, so that the config is always JSON-serialisable)
        for name in _INT_FIELDS:
            self._set(name, check_int(name, getattr(self, name), 1))
        if self.num_envs * self.n_steps < 2:
            raise invalid("num_envs * n_steps", self.num_envs * self.n_steps, "at least 2")
        for name, (low, low_open, high, expected) in _FLOAT_FIELDS.items():
            value = check_number(
                name, getattr(self, name), low, high, low_open=low_open, expected=expected
            )
            self._set(name, value)
        for name in _BOOL_FIELDS:
            self._set(name, check_bool(name, getattr(self, name)))
        # the messages name the two choices as the docs do ("'native' or 'dummy'")
        if self.lr_schedule not in LR_SCHEDULES:
            raise invalid("lr_schedule", self.lr_schedule, "'constant' or 'linear'")
        if self.vectorization not in VECTORIZATIONS:
            raise invalid("vectorization", self.vectorization, "'native' or 'dummy'")
