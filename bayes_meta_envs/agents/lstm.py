"""The fast LSTM meta-learner: model, typed config, trainer, and the :class:`LSTMAgent`.

Architecture (Mikulik et al., "Meta-trained agents implement Bayes-optimal agents", NeurIPS 2020,
section 4): a linear input layer, one LSTM layer, and linear output heads read from the LSTM's
hidden state ``h``::

    e_t          = W_in [o_t (, symlog(o_t))] + b_in
    (h_t, c_t)   = LSTM(e_t, (h_{t-1}, c_{t-1}))        (h_0 = c_0 = 0 at each episode start)
    bandits:     pi(. | h_t) = softmax(W_pi h_t + b_pi),   V(h_t) = w_v . h_t + b_v
    prediction:  a_t = centre + half * tanh((W_a h_t + b_a) / half)

where ``o_t`` is the environment's observation (previous action, previous reward, and for
prediction tasks the previous sample). For prediction tasks the tanh is a soft clamp that keeps
the predictive parameters inside the action bounds of :mod:`bayes_meta_envs.families` while being
the identity near the centre.

Training runs ``num_envs`` tasks in parallel through the package's native vector env; every
rollout is exactly one ``horizon``-step episode per env (all sub-envs share the horizon), so the
LSTM state is reset at each rollout and gradients flow through the whole episode (BPTT).

* Bandits: an on-policy actor-critic. The rollout is sampled without gradients; the update
  recomputes the whole sequences with :class:`torch.nn.LSTM` and minimises the PPO clipped loss
  (Schulman et al. 2017) with GAE(gamma, lambda) advantages (Schulman et al. 2016), normalised per
  batch, a value loss and an entropy bonus whose coefficient decays linearly. With one epoch and
  one minibatch the ratio is 1 and the update is exactly A2C. By default the learning signal is the
  *expected* reward ``p_a`` of the pulled arm (read from the env's ``info["task"]``) instead of the
  sampled Bernoulli reward, minus ``max_k p_k`` (so the return is minus the pseudo-regret): same
  expected gradient, much less variance (Rao-Blackwellisation plus a task-dependent baseline). The
  agent itself only ever observes the sampled reward.
* Prediction: the log-loss ``-log q_{a_t}(x_t)``, the negative of the env's reward, is minimised
  directly by BPTT and Adam. The log-likelihoods are the torch transcriptions of
  :meth:`ConjugateFamily.log_likelihood` (:func:`torch_log_likelihood`), tested against them.

torch is imported lazily: importing this module does not import it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_meta_envs._io import atomic_write, atomic_write_text
from bayes_meta_envs.agents.base import AgentKind, BaseAgent
from bayes_meta_envs.errors import (
    CheckpointError,
    InvalidArgumentError,
    invalid,
    require,
    wrong_type,
)

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "ALGO",
    "LSTMAgent",
    "LSTMConfig",
    "LSTMTrainer",
    "TrainResult",
    "latest_checkpoint",
    "torch_log_likelihood",
    "train_lstm",
]

logger = logging.getLogger(__name__)

ALGO = "lstm"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
HISTORY_FILE = "history.json"
CHECKPOINT_DIR = "checkpoints"
_CKPT_FILES = ("model.safetensors", "optimizer.pt", "rng.safetensors", "trainer_state.json")
_SOFT_CLAMP_MARGIN = 0.999
_REWARD_SIGNALS = ("regret", "expected", "sampled")


# ----------------------------------------------------------------------------------------------
# config
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LSTMConfig:
    """Everything that defines an LSTM meta-training run (saved as ``config.json``).

    Model: ``embed_size`` (width of the linear input layer), ``hidden_size`` (LSTM units),
    ``symlog_inputs`` (append ``sign(o) log(1 + |o|)`` to the observation: helps with unbounded
    inputs such as waiting times).
    Optimisation: ``num_envs`` tasks per update (one episode each), ``total_updates``, Adam with
    ``learning_rate`` (decayed linearly to ``learning_rate * lr_final_fraction`` when
    ``lr_decay``), gradient clipping at ``max_grad_norm``.
    Bandits only: ``gamma``, ``gae_lambda``, ``ppo_epochs``, ``ppo_minibatches``, ``clip_range``,
    ``value_coef``, the entropy coefficient decaying linearly from ``entropy_start`` to
    ``entropy_end`` over the first ``entropy_decay_fraction`` of training, and
    ``reward_signal``: the learning signal, ``"sampled"`` (the Bernoulli reward the agent sees),
    ``"expected"`` (``p_a``) or ``"regret"`` (``p_a - max_k p_k``, the default). The last two
    differ from the first by terms that do not depend on the action taken, so the policy gradient
    keeps its expectation and loses variance.
    Bookkeeping: ``eval_every`` updates on a fixed batch of ``eval_episodes`` episodes seeded with
    ``eval_seed``; a checkpoint every ``checkpoint_every`` updates (all kept); ``num_threads`` torch
    threads; ``budget_minutes`` stops training early (schedules then follow the elapsed fraction of
    the budget when it runs ahead of the update count).
    """

    env_id: str = "MetaBandit-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    hidden_size: int = 32
    embed_size: int = 32
    symlog_inputs: bool = False
    num_envs: int = 256
    total_updates: int = 1000
    learning_rate: float = 3e-3
    lr_decay: bool = True
    lr_final_fraction: float = 0.1
    max_grad_norm: float = 1.0
    seed: int = 0
    gamma: float = 1.0
    gae_lambda: float = 0.95
    ppo_epochs: int = 4
    ppo_minibatches: int = 4
    clip_range: float = 0.2
    value_coef: float = 0.5
    entropy_start: float = 0.01
    entropy_end: float = 0.0
    entropy_decay_fraction: float = 0.8
    reward_signal: str = "regret"
    eval_every: int = 25
    eval_episodes: int = 4096
    eval_seed: int = 1_000_003
    checkpoint_every: int = 100
    num_threads: int = 1
    budget_minutes: float | None = None
    tensorboard: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.env_id, str) or not self.env_id:
            raise wrong_type("env_id", self.env_id, "a registered environment id")
        if not isinstance(self.env_kwargs, Mapping):
            raise wrong_type("env_kwargs", self.env_kwargs, "a dict")
        object.__setattr__(self, "env_kwargs", dict(self.env_kwargs))
        ints = {
            "hidden_size": 1,
            "embed_size": 1,
            "num_envs": 1,
            "total_updates": 1,
            "ppo_epochs": 1,
            "ppo_minibatches": 1,
            "eval_every": 1,
            "eval_episodes": 1,
            "eval_seed": 0,
            "checkpoint_every": 1,
            "num_threads": 1,
            "seed": 0,
        }
        for name, low in ints.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise wrong_type(name, v, f"an int >= {low}")
            if v < low:
                raise invalid(name, v, f"an int >= {low}")
        if self.ppo_minibatches > self.num_envs:
            raise invalid("ppo_minibatches", self.ppo_minibatches, "at most num_envs")
        floats = {
            "learning_rate": (0.0, math.inf, False),
            "lr_final_fraction": (0.0, 1.0, True),
            "max_grad_norm": (0.0, math.inf, False),
            "gamma": (0.0, 1.0, True),
            "gae_lambda": (0.0, 1.0, True),
            "clip_range": (0.0, math.inf, False),
            "value_coef": (0.0, math.inf, True),
            "entropy_start": (0.0, math.inf, True),
            "entropy_end": (0.0, math.inf, True),
            "entropy_decay_fraction": (0.0, 1.0, False),
        }
        for name, (lo, hi, closed_low) in floats.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise wrong_type(name, v, "a number")
            ok = math.isfinite(float(v)) and (v >= lo if closed_low else v > lo) and v <= hi
            if not ok:
                bound = "[" if closed_low else "("
                raise invalid(name, v, f"a number in {bound}{lo}, {hi}]")
        if self.reward_signal not in _REWARD_SIGNALS:
            raise invalid("reward_signal", self.reward_signal, f"one of {list(_REWARD_SIGNALS)}")
        for name in ("symlog_inputs", "lr_decay", "tensorboard"):
            if not isinstance(getattr(self, name), bool):
                raise wrong_type(name, getattr(self, name), "a bool")
        b = self.budget_minutes
        if b is not None and (
            isinstance(b, bool) or not isinstance(b, (int, float)) or not math.isfinite(b) or b <= 0
        ):
            raise invalid("budget_minutes", b, "None or a number of minutes > 0")

    def to_dict(self) -> dict[str, Any]:
        """The config as a JSON-serialisable dict, with ``"algo": "lstm"`` first."""
        return {"algo": ALGO, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LSTMConfig:
        """Build a config from a dict (unknown keys raise, naming them)."""
        if not isinstance(data, Mapping):
            raise wrong_type("config", data, "a JSON object")
        d = dict(data)
        algo = d.pop("algo", ALGO)
        if algo != ALGO:
            raise invalid("config['algo']", algo, f"{ALGO!r} for an LSTM config")
        d.pop("format_version", None)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise invalid("config", unknown, f"keys among {sorted(names)} (unknown keys)")
        return cls(**d)

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> LSTMConfig:
        """Read a config file written by :meth:`save` (or by hand)."""
        p = Path(path)
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise InvalidArgumentError(f"config file {str(p)!r} does not exist") from None
        except json.JSONDecodeError as exc:
            raise InvalidArgumentError(f"config file {str(p)!r} is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the config as JSON (atomically)."""
        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")

    def replace(self, **changes: Any) -> LSTMConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


# ----------------------------------------------------------------------------------------------
# environment description
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EnvSpec:
    kind: AgentKind
    obs_dim: int
    out_dim: int
    horizon: int
    base: Any  # the unwrapped single env

    @property
    def family(self) -> Any:
        return self.base.family


def _env_spec(config: LSTMConfig) -> _EnvSpec:
    from bayes_meta_envs.envs import unwrap_meta_env

    base = unwrap_meta_env(config.env_id, **config.env_kwargs)
    if base.kind == "bandit":
        return _EnvSpec("bandit", base.layout.size, base.n_arms, base.horizon, base)
    return _EnvSpec("prediction", base.layout.size, base.family.action_dim, base.horizon, base)


def _torch() -> Any:
    return require("torch", "train")


# ----------------------------------------------------------------------------------------------
# the network
# ----------------------------------------------------------------------------------------------

_NET_CLASS: Any = None


def _net_class() -> Any:
    """The ``LSTMNet`` torch module class (defined on first use, so torch stays lazy)."""
    global _NET_CLASS
    if _NET_CLASS is not None:
        return _NET_CLASS
    torch = _torch()
    nn = torch.nn

    class LSTMNet(nn.Module):  # type: ignore[name-defined]
        """Linear input layer -> LSTM -> linear heads (see the module docstring)."""

        def __init__(
            self,
            kind: str,
            obs_dim: int,
            out_dim: int,
            embed_size: int,
            hidden_size: int,
            symlog_inputs: bool,
            action_low: np.ndarray | None = None,
            action_high: np.ndarray | None = None,
        ) -> None:
            super().__init__()
            self.kind = kind
            self.symlog_inputs = symlog_inputs
            self.hidden_size = hidden_size
            in_dim = obs_dim * (2 if symlog_inputs else 1)
            self.inp = nn.Linear(in_dim, embed_size)
            self.lstm = nn.LSTM(embed_size, hidden_size)
            self.head = nn.Linear(hidden_size, out_dim)
            if kind == "bandit":
                self.value = nn.Linear(hidden_size, 1)
                nn.init.orthogonal_(self.head.weight, gain=0.01)
                nn.init.zeros_(self.head.bias)
            else:
                lo = np.asarray(action_low, dtype=np.float64)
                hi = np.asarray(action_high, dtype=np.float64)
                self.register_buffer(
                    "action_centre",
                    torch.tensor((lo + hi) / 2.0, dtype=torch.float32),
                    persistent=False,
                )
                self.register_buffer(
                    "action_half",
                    torch.tensor((hi - lo) / 2.0 * _SOFT_CLAMP_MARGIN, dtype=torch.float32),
                    persistent=False,
                )
                nn.init.orthogonal_(self.head.weight, gain=0.1)
                nn.init.zeros_(self.head.bias)

        def features(self, obs: Any) -> Any:
            if self.symlog_inputs:
                obs = torch.cat([obs, torch.sign(obs) * torch.log1p(obs.abs())], dim=-1)
            return self.inp(obs)

        def forward(
            self, obs: Any, hc: tuple[Any, Any] | None = None
        ) -> tuple[Any, tuple[Any, Any]]:
            """``obs`` ``(T, B, obs_dim)`` -> hidden states ``(T, B, H)`` and the final ``(h, c)``."""
            out, (h, c) = self.lstm(self.features(obs), hc)
            return out, (h, c)

        def policy_value(self, hidden: Any) -> tuple[Any, Any]:
            return self.head(hidden), self.value(hidden).squeeze(-1)

        def prediction(self, hidden: Any) -> Any:
            raw = self.head(hidden)
            return self.action_centre + self.action_half * torch.tanh(raw / self.action_half)

    _NET_CLASS = LSTMNet
    return LSTMNet


def _build_net(config: LSTMConfig, spec: _EnvSpec, generator_seed: int | None) -> Any:
    """Build the network; with ``generator_seed`` its initial weights come from a forked RNG."""
    torch = _torch()
    cls = _net_class()
    kwargs: dict[str, Any] = {}
    if spec.kind == "prediction":
        kwargs = {"action_low": spec.family.action_low, "action_high": spec.family.action_high}

    def make() -> Any:
        return cls(
            spec.kind,
            spec.obs_dim,
            spec.out_dim,
            config.embed_size,
            config.hidden_size,
            config.symlog_inputs,
            **kwargs,
        )

    if generator_seed is None:
        return make()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(generator_seed)  # inside fork_rng: the global state is restored
        return make()


# ----------------------------------------------------------------------------------------------
# torch log-likelihoods (transcriptions of ConjugateFamily.log_likelihood)
# ----------------------------------------------------------------------------------------------


def torch_log_likelihood(family: Any, action: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``log q(x)`` of the predictive given by ``action`` (B, P) for observations ``x`` (B,).

    Differentiable torch versions of :meth:`ConjugateFamily.log_likelihood`:

    * bernoulli: ``x log sigmoid(l) + (1 - x) log sigmoid(-l)``;
    * categorical: ``log_softmax(a)[x]``;
    * gaussian: ``-z^2/2 - s - log(2 pi)/2`` with ``z = (x - m) e^{-s}``;
    * exponential (Lomax with ``log a, log l``): ``log a - log l - (a + 1) log(1 + x / l)``.

    Tests check them against the numpy versions of :mod:`bayes_meta_envs.families`.
    """
    torch = _torch()
    fn = torch.nn.functional
    name = getattr(family, "name", None)
    if name == "bernoulli":
        logit = action[:, 0]
        return torch.where(x > 0.5, fn.logsigmoid(logit), fn.logsigmoid(-logit))
    if name == "categorical":
        logp = torch.log_softmax(action, dim=1)
        return logp.gather(1, x.long()[:, None])[:, 0]
    if name == "gaussian":
        mean, log_std = action[:, 0], action[:, 1]
        z = (x - mean) * torch.exp(-log_std)
        return -0.5 * z * z - log_std - 0.5 * math.log(2 * math.pi)
    if name == "exponential":
        log_a, log_l = action[:, 0], action[:, 1]
        return log_a - log_l - (torch.exp(log_a) + 1.0) * torch.log1p(x * torch.exp(-log_l))
    raise invalid("family", family, "one of the families of bayes_meta_envs.families")


# ----------------------------------------------------------------------------------------------
# the agent
# ----------------------------------------------------------------------------------------------


class LSTMAgent(BaseAgent):
    """A trained LSTM meta-learner behind the Agent protocol.

    State ``(B, 2 * hidden_size)`` float64: ``[h | c]`` of the LSTM, zeros at an episode start.
    ``update`` runs one LSTM step on the observation; ``output`` reads the heads from ``h``:
    action probabilities ``(B, K)`` for bandits, predictive parameters ``(B, P)`` for prediction
    tasks.

    Build one with :meth:`load` (a folder holding ``config.json`` and ``model.safetensors``) or
    from a :class:`LSTMTrainer` (``trainer.agent()``).
    """

    def __init__(
        self,
        config: LSTMConfig,
        state_dict: Mapping[str, Any] | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        if not isinstance(config, LSTMConfig):
            raise wrong_type("config", config, "an LSTMConfig")
        torch = _torch()
        self.config = config
        self._spec = _env_spec(config)
        self.kind = self._spec.kind
        self.horizon = self._spec.horizon
        self.layout = self._spec.base.layout
        self.hidden_size = config.hidden_size
        self.net = _build_net(config, self._spec, config.seed)
        if state_dict is not None:
            try:
                self.net.load_state_dict(
                    {k: torch.as_tensor(v) for k, v in state_dict.items()}, strict=True
                )
            except (RuntimeError, KeyError) as exc:
                raise CheckpointError(f"weights do not match the config: {exc}") from None
        self.net.eval()

    @property
    def name(self) -> str:
        return f"LSTMAgent({self.config.env_id}, hidden={self.hidden_size})"

    def initial_state(self, batch_size: int) -> np.ndarray:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise wrong_type("batch_size", batch_size, "an int >= 1")
        if batch_size < 1:
            raise invalid("batch_size", batch_size, "an int >= 1")
        return np.zeros((int(batch_size), 2 * self.hidden_size))

    def _split(self, state: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        torch = _torch()
        st = np.asarray(state)
        if st.ndim != 2 or st.shape[1] != 2 * self.hidden_size:
            raise invalid("state", st.shape, f"an array of shape (B, {2 * self.hidden_size})")
        t = torch.as_tensor(st, dtype=torch.float32)
        return t[None, :, : self.hidden_size].contiguous(), t[
            None, :, self.hidden_size :
        ].contiguous()

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        torch = _torch()
        ob = np.asarray(obs)
        if ob.ndim != 2 or ob.shape[1] != self._spec.obs_dim:
            raise invalid("obs", ob.shape, f"an array of shape (B, {self._spec.obs_dim})")
        h, c = self._split(state)
        if ob.shape[0] != h.shape[1]:
            raise invalid("obs", ob.shape, f"a batch of {h.shape[1]} observations (the state's)")
        with torch.no_grad():
            _, (h2, c2) = self.net(torch.as_tensor(ob, dtype=torch.float32)[None], (h, c))
        return np.concatenate([h2[0].numpy(), c2[0].numpy()], axis=1).astype(np.float64)

    def output(self, state: np.ndarray) -> np.ndarray:
        torch = _torch()
        h, _ = self._split(state)
        with torch.no_grad():
            if self.kind == "bandit":
                logits, _ = self.net.policy_value(h[0])
                logits64 = logits.double()
                return torch.softmax(logits64, dim=-1).numpy()
            return self.net.prediction(h[0]).double().numpy()

    # --- persistence ---
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into the folder ``path``."""
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        self.config.save(out / CONFIG_FILE)
        _save_weights(self.net, out / WEIGHTS_FILE)
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, seed: int | None = None) -> LSTMAgent:
        """Load an agent folder (``config.json`` + ``model.safetensors``), or a checkpoint."""
        p = Path(path)
        if not p.is_dir():
            raise CheckpointError(f"agent folder {str(p)!r} does not exist or is not a folder")
        cfg_path = p / CONFIG_FILE
        if not cfg_path.is_file() and (p / "trainer_state.json").is_file():
            cfg_path = p.parent.parent / CONFIG_FILE  # a checkpoint folder inside a run
        if not cfg_path.is_file():
            raise CheckpointError(f"{str(p)!r} has no {CONFIG_FILE}: not an LSTM agent folder")
        try:
            config = LSTMConfig.from_json(cfg_path)
        except InvalidArgumentError as exc:
            raise CheckpointError(f"{str(cfg_path)!r} is not a valid LSTM config: {exc}") from None
        weights = _load_weights(p / WEIGHTS_FILE)
        return cls(config, weights, seed=seed)


def _save_weights(net: Any, path: Path) -> None:
    sf = require("safetensors.torch", "train")
    tensors = {k: v.detach().contiguous().clone() for k, v in net.state_dict().items()}
    atomic_write(path, lambda tmp: sf.save_file(tensors, str(tmp)))


def _load_weights(path: Path) -> dict[str, Any]:
    sf = require("safetensors.torch", "train")
    if not path.is_file():
        raise CheckpointError(f"weights file {str(path)!r} is missing")
    try:
        return dict(sf.load_file(str(path)))
    except Exception as exc:  # safetensors raises its own error types
        raise CheckpointError(
            f"weights file {str(path)!r} is corrupt or unreadable: {exc}"
        ) from None


# ----------------------------------------------------------------------------------------------
# atomic files and checkpoints
# ----------------------------------------------------------------------------------------------


def _expected_return(agent: Any, vec: Any, horizon: int, seed: int) -> np.ndarray:
    """Per-episode expected return ``sum_t p_{a_t}`` of a bandit agent on one batch of ``vec``
    reset with ``seed``, its actions sampled from a generator seeded with ``seed`` (so two agents
    evaluated this way face the same tasks, noise and action uniforms)."""
    rows = np.arange(vec.num_envs)
    agent.rng = np.random.default_rng(seed)
    obs, _ = vec.reset(seed=seed)
    s = agent.initial_state(vec.num_envs)
    total = np.zeros(vec.num_envs)
    for _ in range(horizon):
        s = agent.update(s, obs)
        a = agent.act(agent.output(s))
        obs, _, _, _, info = vec.step(a)
        total += info["task"][rows, a]
    return np.asarray(total)


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> Path | None:
    """The newest ``checkpoints/ckpt_NNNNNN`` folder of a run, or None when there is none."""
    ckdir = Path(run_dir) / CHECKPOINT_DIR
    if not ckdir.is_dir():
        return None
    found = sorted(
        p
        for p in ckdir.iterdir()
        if p.is_dir() and p.name.startswith("ckpt_") and p.name[5:].isdigit()
    )
    return found[-1] if found else None


def _np_state_to_json(rng: np.random.Generator) -> dict[str, Any]:
    return dict(rng.bit_generator.state)


def _rng_from_json(state: Mapping[str, Any]) -> np.random.Generator:
    name = state.get("bit_generator")
    if name != "PCG64":
        raise CheckpointError(f"unsupported numpy bit generator in checkpoint: {name!r}")
    bg = np.random.PCG64()
    bg.state = dict(state)  # type: ignore[assignment]
    return np.random.Generator(bg)


# ----------------------------------------------------------------------------------------------
# the trainer
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainResult:
    """What :meth:`LSTMTrainer.train` returns."""

    out_dir: Path
    updates: int
    env_steps: int
    wall_seconds: float
    history: list[dict[str, float]]
    stopped_by_budget: bool

    @property
    def final_eval(self) -> dict[str, float]:
        """The last evaluation record (empty when none was made)."""
        return self.history[-1] if self.history else {}


class LSTMTrainer:
    """Meta-trains an LSTM on its config's environment, with checkpoints and TensorBoard logs.

    Layout of ``out_dir``::

        config.json, model.safetensors    the agent (loadable with LSTMAgent.load / agents.load)
        history.json                      evaluations on the fixed batch over training
        checkpoints/ckpt_NNNNNN/          model, optimizer, RNG states, trainer state (all kept)
        tb/                               TensorBoard event files

    With ``resume=True`` training continues from the newest checkpoint in ``out_dir`` (weights,
    optimizer, torch and numpy generator states, update count, history), so an interrupted run
    finishes with the same weights as an uninterrupted one.
    """

    def __init__(
        self, config: LSTMConfig, out_dir: str | os.PathLike[str], *, resume: bool = False
    ) -> None:
        if not isinstance(config, LSTMConfig):
            raise wrong_type("config", config, "an LSTMConfig")
        torch = _torch()
        self.config = config
        self.out_dir = Path(out_dir)
        self.spec = _env_spec(config)
        self.net = _build_net(config, self.spec, config.seed)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=config.learning_rate)
        seeds = np.random.SeedSequence(config.seed).spawn(2)
        self.rng = np.random.Generator(np.random.PCG64(seeds[0]))
        self.torch_gen = torch.Generator().manual_seed(int(seeds[1].generate_state(1)[0]))
        self.update_count = 0
        self.elapsed = 0.0
        self.history: list[dict[str, float]] = []
        self.vec = self.spec.base.make_vector(config.num_envs)
        self._eval_cache: dict[str, Any] | None = None
        if resume:
            ck = latest_checkpoint(self.out_dir)
            if ck is None:
                raise CheckpointError(
                    f"cannot resume: no checkpoint under {str(self.out_dir / CHECKPOINT_DIR)!r}"
                )
            self.load_checkpoint(ck)

    # --- schedules ---
    def progress(self) -> float:
        """Fraction of training done: updates over ``total_updates``, or the elapsed fraction of
        the budget when that is larger."""
        frac = self.update_count / self.config.total_updates
        if self.config.budget_minutes is not None:
            frac = max(frac, self.elapsed / (60.0 * self.config.budget_minutes))
        return min(frac, 1.0)

    def entropy_coef(self) -> float:
        c = self.config
        f = min(self.progress() / c.entropy_decay_fraction, 1.0)
        return c.entropy_start + (c.entropy_end - c.entropy_start) * f

    def learning_rate(self) -> float:
        c = self.config
        if not c.lr_decay:
            return c.learning_rate
        return c.learning_rate * (1.0 - (1.0 - c.lr_final_fraction) * self.progress())

    # --- checkpoints ---
    def save_checkpoint(self) -> Path:
        """Write ``checkpoints/ckpt_<update>`` atomically (a temp folder renamed into place)."""
        torch = _torch()
        sf = require("safetensors.torch", "train")
        ckdir = self.out_dir / CHECKPOINT_DIR
        ckdir.mkdir(parents=True, exist_ok=True)
        final = ckdir / f"ckpt_{self.update_count:06d}"
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=ckdir))
        try:
            tensors = {k: v.detach().contiguous().clone() for k, v in self.net.state_dict().items()}
            sf.save_file(tensors, str(tmp / "model.safetensors"))
            torch.save(self.optimizer.state_dict(), tmp / "optimizer.pt")
            sf.save_file(
                {"torch_generator": self.torch_gen.get_state()}, str(tmp / "rng.safetensors")
            )
            state = {
                "format_version": FORMAT_VERSION,
                "update": self.update_count,
                "elapsed": self.elapsed,
                "numpy_rng": _np_state_to_json(self.rng),
                "history": self.history,
                "config": self.config.to_dict(),
            }
            (tmp / "trainer_state.json").write_text(json.dumps(state))
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        logger.debug("checkpoint written: %s", final)
        return final

    def load_checkpoint(self, path: str | os.PathLike[str]) -> None:
        """Restore weights, optimizer, generator states and counters from a checkpoint folder."""
        torch = _torch()
        sf = require("safetensors.torch", "train")
        ck = Path(path)
        missing = [f for f in _CKPT_FILES if not (ck / f).is_file()]
        if missing:
            raise CheckpointError(f"checkpoint {str(ck)!r} is incomplete: missing {missing}")
        try:
            state = json.loads((ck / "trainer_state.json").read_text())
            update = int(state["update"])
            elapsed = float(state["elapsed"])
            history = list(state["history"])
            np_state = state["numpy_rng"]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(
                f"checkpoint {str(ck)!r}: trainer_state.json is corrupt: {exc}"
            ) from None
        saved_cfg = state.get("config")
        if saved_cfg is not None:
            keys = ("env_id", "env_kwargs", "hidden_size", "embed_size", "symlog_inputs")
            diff = [k for k in keys if saved_cfg.get(k) != self.config.to_dict().get(k)]
            if diff:
                raise CheckpointError(
                    f"checkpoint {str(ck)!r} was written with a different model/env config "
                    f"(fields {diff}); resume with the same config"
                )
        weights = _load_weights(ck / "model.safetensors")
        try:
            self.net.load_state_dict(weights, strict=True)
        except RuntimeError as exc:
            raise CheckpointError(f"checkpoint {str(ck)!r}: weights do not fit: {exc}") from None
        try:
            opt_state = torch.load(ck / "optimizer.pt", weights_only=True)
            self.optimizer.load_state_dict(opt_state)
        except Exception as exc:  # torch raises many error types on corrupt files
            raise CheckpointError(
                f"checkpoint {str(ck)!r}: optimizer.pt is corrupt or unreadable: {exc}"
            ) from None
        try:
            rng = sf.load_file(str(ck / "rng.safetensors"))
            self.torch_gen.set_state(rng["torch_generator"])
        except Exception as exc:
            raise CheckpointError(
                f"checkpoint {str(ck)!r}: rng.safetensors is corrupt or unreadable: {exc}"
            ) from None
        try:
            self.rng = _rng_from_json(np_state)
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                f"checkpoint {str(ck)!r}: numpy RNG state is corrupt: {exc}"
            ) from None
        self.update_count, self.elapsed, self.history = update, elapsed, history
        logger.info("resumed from %s (update %d)", ck, update)

    # --- one update ---
    def _reset_vec(self) -> np.ndarray:
        obs, _ = self.vec.reset(seed=int(self.rng.integers(2**63 - 1)))
        return obs

    def _bandit_update(self) -> dict[str, float]:
        torch = _torch()
        c, T, B = self.config, self.spec.horizon, self.config.num_envs
        obs = self._reset_vec()
        obs_buf = np.zeros((T, B, self.spec.obs_dim), dtype=np.float32)
        act_buf = np.zeros((T, B), dtype=np.int64)
        rew_buf = np.zeros((T, B))
        sampled = np.zeros((T, B))
        logp_buf = torch.zeros(T, B)
        val_buf = torch.zeros(T, B)
        hc = None
        rows = np.arange(B)
        with torch.no_grad():
            for t in range(T):
                obs_buf[t] = obs
                out, hc = self.net(torch.from_numpy(obs)[None], hc)
                logits, value = self.net.policy_value(out[0])
                logp_all = torch.log_softmax(logits, dim=-1)
                a = torch.multinomial(logp_all.exp(), 1, generator=self.torch_gen)[:, 0]
                logp_buf[t] = logp_all.gather(1, a[:, None])[:, 0]
                val_buf[t] = value
                an = a.numpy()
                act_buf[t] = an
                obs, r, _, _, info = self.vec.step(an)
                sampled[t] = r
                if c.reward_signal == "sampled":
                    rew_buf[t] = r
                else:
                    p = info["task"]
                    rew_buf[t] = p[rows, an]
                    if c.reward_signal == "regret":
                        rew_buf[t] -= p.max(axis=1)
        # GAE with V(s_T) = 0: every rollout is exactly one episode
        values = val_buf.numpy().astype(np.float64)
        adv = np.zeros((T, B))
        last = np.zeros(B)
        for t in reversed(range(T)):
            nxt = values[t + 1] if t + 1 < T else 0.0
            delta = rew_buf[t] + c.gamma * nxt - values[t]
            last = delta + c.gamma * c.gae_lambda * last
            adv[t] = last
        returns = adv + values
        obs_t = torch.from_numpy(obs_buf)
        act_t = torch.from_numpy(act_buf)
        adv_t = torch.as_tensor(adv, dtype=torch.float32)
        ret_t = torch.as_tensor(returns, dtype=torch.float32)
        ent_coef = self.entropy_coef()
        stats: dict[str, list[float]] = {"policy_loss": [], "value_loss": [], "entropy": []}
        for _ in range(c.ppo_epochs):
            perm = torch.randperm(B, generator=self.torch_gen)
            for mb in perm.chunk(c.ppo_minibatches):
                hidden, _ = self.net(obs_t[:, mb])
                logits, value = self.net.policy_value(hidden)
                logp_all = torch.log_softmax(logits, dim=-1)
                logp = logp_all.gather(2, act_t[:, mb, None])[..., 0]
                entropy = -(logp_all.exp() * logp_all).sum(-1).mean()
                a_mb = adv_t[:, mb]
                a_mb = (a_mb - a_mb.mean()) / (a_mb.std() + 1e-8)
                ratio = torch.exp(logp - logp_buf[:, mb])
                pg = -torch.min(
                    ratio * a_mb, ratio.clamp(1 - c.clip_range, 1 + c.clip_range) * a_mb
                ).mean()
                vloss = 0.5 * (value - ret_t[:, mb]).pow(2).mean()
                loss = pg + c.value_coef * vloss - ent_coef * entropy
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.net.parameters(), c.max_grad_norm)
                self.optimizer.step()
                stats["policy_loss"].append(float(pg.detach()))
                stats["value_loss"].append(float(vloss.detach()))
                stats["entropy"].append(float(entropy.detach()))
        out = {k: float(np.mean(v)) for k, v in stats.items()}
        out["return"] = float(sampled.sum(axis=0).mean())
        out["entropy_coef"] = ent_coef
        return out

    def _prediction_update(self) -> dict[str, float]:
        torch = _torch()
        c, T = self.config, self.spec.horizon
        family, layout = self.spec.family, self.spec.base.layout
        obs = self._reset_vec()
        hc = None
        losses = []
        for _ in range(T):
            out, hc = self.net(torch.from_numpy(obs)[None], hc)
            action = self.net.prediction(out[0])
            obs, _, _, _, _ = self.vec.step(action.detach().numpy())
            x = family.decode(obs[:, layout.features])
            ll = torch_log_likelihood(family, action, torch.as_tensor(x, dtype=torch.float32))
            losses.append(-ll.mean())
        loss = torch.stack(losses).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), c.max_grad_norm)
        self.optimizer.step()
        return {"log_loss": float(loss.detach())}

    # --- evaluation on a fixed batch ---
    def evaluate(self) -> dict[str, float]:
        """Evaluate the current network on the fixed evaluation batch (``eval_seed``).

        Bandits: the mean expected return ``sum_t p_{a_t}`` and the Bayes gap, paired episode by
        episode with the Bayes-optimal agent on the same tasks and noise (actions sampled from a
        generator seeded with ``eval_seed``). Prediction: mean log-loss per step, the excess over
        the exact posterior predictive, and the mean KL(Bayes || agent) per step.
        """
        agent = self.agent()
        n = self.config.eval_episodes
        vec = self.spec.base.make_vector(n)
        if self._eval_cache is None:
            self._eval_cache = self._bayes_reference(vec)
        ref = self._eval_cache
        if self.spec.kind == "bandit":
            exp_ret = _expected_return(agent, vec, self.spec.horizon, self.config.eval_seed)
            out = {"eval_expected_return": float(exp_ret.mean())}
            if ref.get("bayes_expected_return") is not None:
                gap = ref["bayes_expected_return"] - exp_ret
                out["eval_bayes_gap"] = float(gap.mean())
                out["eval_bayes_gap_se"] = float(gap.std(ddof=1) / math.sqrt(n))
            return out
        obs, _ = vec.reset(seed=self.config.eval_seed)
        s = agent.initial_state(n)
        family, layout = self.spec.family, self.spec.base.layout
        ll = np.zeros(n)
        kl = np.zeros(n)
        for t in range(self.spec.horizon):
            s = agent.update(s, obs)
            action = agent.output(s)
            obs, _, _, _, _ = vec.step(action.astype(np.float32))
            x = family.decode(obs[:, layout.features])
            ll += family.log_likelihood(action.astype(np.float32).astype(np.float64), x)
            kl += family.kl(ref["bayes_actions"][t], action)
        T = self.spec.horizon
        log_loss = -ll / T
        excess = log_loss - ref["bayes_log_loss"]
        return {
            "eval_log_loss": float(log_loss.mean()),
            "eval_excess_log_loss": float(excess.mean()),
            "eval_excess_log_loss_se": float(excess.std(ddof=1) / math.sqrt(n)),
            "eval_kl": float(kl.mean() / T),
        }

    def _bayes_reference(self, vec: Any) -> dict[str, Any]:
        n = vec.num_envs
        if self.spec.kind == "bandit":
            from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent

            bayes = BayesOptimalAgent.for_env(self.spec.base)
            exp_ret = _expected_return(bayes, vec, self.spec.horizon, self.config.eval_seed)
            return {"bayes_expected_return": exp_ret}
        obs, _ = vec.reset(seed=self.config.eval_seed)
        family, layout = self.spec.family, self.spec.base.layout
        stats = np.tile(family.prior_stats(), (n, 1))
        actions, ll = [], np.zeros(n)
        for _ in range(self.spec.horizon):
            action = family.predictive(stats)
            actions.append(action)
            obs, _, _, _, _ = vec.step(action.astype(np.float32))
            x = family.decode(obs[:, layout.features])
            ll += family.log_likelihood(action, x)
            stats = family.update(stats, x)
        return {"bayes_actions": actions, "bayes_log_loss": -ll / self.spec.horizon}

    # --- the loop ---
    def agent(self, *, seed: int | None = None) -> LSTMAgent:
        """An :class:`LSTMAgent` holding a copy of the current weights."""
        return LSTMAgent(self.config, self.net.state_dict(), seed=seed)

    def save_agent(self) -> None:
        """Write ``config.json``, ``model.safetensors`` and ``history.json`` into ``out_dir``."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.config.save(self.out_dir / CONFIG_FILE)
        _save_weights(self.net, self.out_dir / WEIGHTS_FILE)
        atomic_write_text(self.out_dir / HISTORY_FILE, json.dumps(self.history, indent=1) + "\n")

    def train(
        self,
        *,
        progress: bool = False,
        callback: Callable[[LSTMTrainer, dict[str, float]], None] | None = None,
        stop_after: int | None = None,
    ) -> TrainResult:
        """Train until ``total_updates`` (or the budget, or ``stop_after`` more updates).

        Evaluates every ``eval_every`` updates (and at the end), writes a checkpoint every
        ``checkpoint_every`` updates (and at the end), logs to TensorBoard under ``out_dir/tb``
        when enabled, and finally saves the agent into ``out_dir``.
        """
        c = self.config
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.config.save(self.out_dir / CONFIG_FILE)
        writer = None
        if c.tensorboard:
            tb = require("torch.utils.tensorboard", "train")
            writer = tb.SummaryWriter(
                log_dir=str(self.out_dir / "tb"), purge_step=self.update_count
            )
        tqdm = require("tqdm", "train").tqdm
        bar = tqdm(
            total=None if c.budget_minutes is not None else c.total_updates,
            initial=self.update_count,
            disable=not progress,
            unit="upd",
        )
        steps_per_update = c.num_envs * self.spec.horizon
        start_updates = self.update_count
        t_start = time.perf_counter() - self.elapsed
        stopped_by_budget = False
        if self.update_count == 0 and not self.history:
            self._record_eval(writer)
        last_ckpt = self.update_count
        try:
            while self.update_count < c.total_updates:
                if stop_after is not None and self.update_count - start_updates >= stop_after:
                    break
                if c.budget_minutes is not None and self.elapsed >= 60.0 * c.budget_minutes:
                    stopped_by_budget = True
                    break
                for g in self.optimizer.param_groups:
                    g["lr"] = self.learning_rate()
                t0 = time.perf_counter()
                self.net.train()
                if self.spec.kind == "bandit":
                    logs = self._bandit_update()
                else:
                    logs = self._prediction_update()
                self.update_count += 1
                dt = time.perf_counter() - t0
                self.elapsed = time.perf_counter() - t_start
                logs["steps_per_second"] = steps_per_update / max(dt, 1e-9)
                logs["learning_rate"] = self.optimizer.param_groups[0]["lr"]
                if writer is not None:
                    for k, v in logs.items():
                        writer.add_scalar(f"train/{k}", v, self.update_count)
                bar.update(1)
                if self.update_count % c.eval_every == 0:
                    rec = self._record_eval(writer)
                    bar.set_postfix(
                        {
                            k[5:]: f"{v:.4f}"
                            for k, v in rec.items()
                            if k.startswith("eval_") and not k.endswith("_se")
                        }
                    )
                if callback is not None:
                    callback(self, logs)
                if self.update_count % c.checkpoint_every == 0:
                    self.save_checkpoint()
                    last_ckpt = self.update_count
        finally:
            bar.close()
        if not self.history or self.history[-1]["update"] != self.update_count:
            self._record_eval(writer)
        if last_ckpt != self.update_count:
            self.save_checkpoint()
        if writer is not None:
            writer.close()
        self.save_agent()
        return TrainResult(
            out_dir=self.out_dir,
            updates=self.update_count,
            env_steps=self.update_count * steps_per_update,
            wall_seconds=self.elapsed,
            history=list(self.history),
            stopped_by_budget=stopped_by_budget,
        )

    def _record_eval(self, writer: Any) -> dict[str, float]:
        rec = {
            "update": float(self.update_count),
            "env_steps": float(self.update_count * self.config.num_envs * self.spec.horizon),
            "wall_seconds": float(self.elapsed),
            **self.evaluate(),
        }
        self.history.append(rec)
        if writer is not None:
            for k, v in rec.items():
                if k.startswith("eval_"):
                    writer.add_scalar(f"eval/{k[5:]}", v, self.update_count)
        logger.info(
            "update %d: %s",
            self.update_count,
            ", ".join(f"{k}={v:.4f}" for k, v in rec.items() if k.startswith("eval_")),
        )
        return rec


def train_lstm(
    config: LSTMConfig,
    out_dir: str | os.PathLike[str],
    *,
    resume: bool = False,
    progress: bool = False,
    set_threads: bool = True,
) -> tuple[LSTMAgent, TrainResult]:
    """Train an LSTM meta-learner (see :class:`LSTMTrainer`); return the agent and the result.

    With ``set_threads`` the number of torch threads is set to ``config.num_threads`` for the
    duration of the call (and restored afterwards).
    """
    torch = _torch()
    old = torch.get_num_threads()
    if set_threads:
        torch.set_num_threads(config.num_threads)
    try:
        trainer = LSTMTrainer(config, out_dir, resume=resume)
        result = trainer.train(progress=progress)
        return trainer.agent(), result
    finally:
        if set_threads:
            torch.set_num_threads(old)
