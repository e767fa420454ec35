"""The network: a linear input layer, one LSTM layer and linear heads read from ``h``.

Architecture (Mikulik et al., "Meta-trained agents implement Bayes-optimal agents", NeurIPS 2020,
section 4)::

    e_t          = W_in [o_t (, symlog(o_t))] + b_in
    (h_t, c_t)   = LSTM(e_t, (h_{t-1}, c_{t-1}))        (h_0 = c_0 = 0 at each episode start)
    bandits:     pi(. | h_t) = softmax(W_pi h_t + b_pi),   V(h_t) = w_v . h_t + b_v
    prediction:  a_t = centre + half * tanh((W_a h_t + b_a) / half)

The heads are chosen once, at construction (a prediction task's net is given its action bounds);
``readout`` then gives the agent's output, whichever the kind.

where ``o_t`` is the environment's observation (previous action, previous reward, and for
prediction tasks the previous sample). For prediction tasks the tanh is a soft clamp that keeps
the predictive parameters inside the action bounds of :mod:`bayes_meta_envs.families` while being
the identity near the centre.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from bayes_meta_envs.agents.lstm.config import DEVICES, LSTMConfig
from bayes_meta_envs.errors import InvalidArgumentError
from bayes_meta_envs.task import MetaTask, TaskKind

__all__ = ["SOFT_CLAMP_MARGIN", "LSTMNet", "build_net", "resolve_device"]

#: The soft clamp's half-width is this fraction of the action bounds' half-width.
SOFT_CLAMP_MARGIN = 0.999

HiddenState = tuple[torch.Tensor, torch.Tensor]


class LSTMNet(nn.Module):
    """Linear input layer -> LSTM -> linear heads (see the module docstring)."""

    action_centre: torch.Tensor
    action_half: torch.Tensor
    #: ``readout(hidden, batch)``: the agent's output (float64) of the first ``batch`` rows.
    readout: Callable[[torch.Tensor, int], torch.Tensor]

    def __init__(
        self,
        kind: TaskKind,
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
        if action_low is None or action_high is None:  # a bandit's arms: a policy and a value
            self.value = nn.Linear(hidden_size, 1)
            self.readout = self._probabilities
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
                torch.tensor((hi - lo) / 2.0 * SOFT_CLAMP_MARGIN, dtype=torch.float32),
                persistent=False,
            )
            nn.init.orthogonal_(self.head.weight, gain=0.1)
            nn.init.zeros_(self.head.bias)
            self.readout = self._predictive

    def features(self, obs: torch.Tensor) -> torch.Tensor:
        """The input layer's output for observations ``(..., obs_dim)``."""
        if self.symlog_inputs:
            obs = torch.cat([obs, torch.sign(obs) * torch.log1p(obs.abs())], dim=-1)
        out: torch.Tensor = self.inp(obs)
        return out

    def forward(
        self, obs: torch.Tensor, hc: HiddenState | None = None
    ) -> tuple[torch.Tensor, HiddenState]:
        """``obs`` ``(T, B, obs_dim)`` -> hidden states ``(T, B, H)`` and the final ``(h, c)``."""
        out, (h, c) = self.lstm(self.features(obs), hc)
        return out, (h, c)

    def policy_value(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Bandits: action logits ``(..., K)`` and state values ``(...)`` from hidden states."""
        return self.head(hidden), self.value(hidden).squeeze(-1)

    def _probabilities(self, hidden: torch.Tensor, batch: int) -> torch.Tensor:
        """``readout`` of a bandit: the action probabilities (float64) of the first ``batch``
        rows of ``hidden``."""
        return torch.softmax(self.head(hidden)[:batch].double(), dim=-1)

    def _predictive(self, hidden: torch.Tensor, batch: int) -> torch.Tensor:
        """``readout`` of a prediction task: the predictive's parameters (float64) of the first
        ``batch`` rows of ``hidden``."""
        return self.prediction(hidden)[:batch].double()

    def prediction(self, hidden: torch.Tensor) -> torch.Tensor:
        """Prediction tasks: the predictive's parameters ``(..., P)``, soft-clamped to the bounds."""
        raw = self.head(hidden)
        return self.action_centre + self.action_half * torch.tanh(raw / self.action_half)


def build_net(config: LSTMConfig, task: MetaTask, generator_seed: int | None = None) -> LSTMNet:
    """The network of ``config`` for ``task``; with ``generator_seed`` its initial weights come
    from a forked torch RNG seeded with it (the global RNG state is left as it was)."""
    low, high = task.action_bounds or (None, None)
    args = (
        task.kind,
        task.obs_dim,
        task.output_dim,
        config.embed_size,
        config.hidden_size,
        config.symlog_inputs,
        low,
        high,
    )
    if generator_seed is None:
        return LSTMNet(*args)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(generator_seed)  # inside fork_rng: the global state is restored
        return LSTMNet(*args)


def resolve_device(device: str) -> torch.device:
    """The torch device of ``LSTMConfig.device``: ``"cpu"``, ``"cuda"`` (raises
    :class:`~bayes_meta_envs.errors.InvalidArgumentError` when torch sees no CUDA device) or
    ``"auto"`` (CUDA when available, else the CPU)."""
    if device not in DEVICES:
        raise InvalidArgumentError(f"device must be one of {list(DEVICES)}, got {device!r}")
    if device == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if device == "auto":
        return torch.device("cpu")
    raise InvalidArgumentError(
        f"device='cuda' but torch {torch.__version__} sees no CUDA device "
        "(install a CUDA build of torch on a machine with a GPU, or use device='cpu' or 'auto')"
    )
