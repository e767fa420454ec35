"""The trained LSTM meta-learner behind the Agent protocol, and its run-folder I/O."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bayes_meta_envs._validate import check_int, check_path
from bayes_meta_envs.agents import run_folder
from bayes_meta_envs.agents.lstm.config import ALGO, LSTMConfig
from bayes_meta_envs.agents.lstm.net import build_net
from bayes_meta_envs.errors import (
    BayesMetaError,
    CheckpointError,
    InvalidArgumentError,
    invalid,
    wrong_type,
)
from bayes_meta_envs.protocol import BaseAgent
from bayes_meta_envs.task import task_of

__all__ = ["LSTMAgent", "load_agent"]


#: Batches smaller than this are padded with zero rows before the network runs: BLAS computes
#: small matrix products (matrix-vector, a few rows) with kernels that sum in another order, so
#: without padding an episode's outputs would depend on the batch it was run in (measured: batch
#: sizes 1-3, 5, 7 and 9 differed in the last bits from larger batches; from 16 rows on, every
#: row is computed identically, tested in tests/agents/test_bad_input_agents.py).
MIN_BATCH = 64


def _pad(t: torch.Tensor, dim: int) -> torch.Tensor:
    """``t`` with zero rows appended along ``dim`` up to :data:`MIN_BATCH` rows."""
    n = t.shape[dim]
    if n >= MIN_BATCH:
        return t
    shape = list(t.shape)
    shape[dim] = MIN_BATCH - n
    return torch.cat([t, t.new_zeros(shape)], dim=dim)


class LSTMAgent(BaseAgent):
    """A trained LSTM meta-learner behind the Agent protocol.

    State ``(B, 2 * hidden_size)`` float64: ``[h | c]`` of the LSTM, zeros at an episode start.
    ``update`` runs one LSTM step on the observation; ``output`` reads the heads from ``h``:
    action probabilities ``(B, K)`` for bandits, predictive parameters ``(B, P)`` for prediction
    tasks.

    Build one with :meth:`load` (a folder holding ``config.json`` and ``model.safetensors``) or
    from a :class:`~bayes_meta_envs.agents.lstm.LSTMTrainer` (``trainer.agent()``).
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
        self.config = config
        self.task = task_of(config.env_id, **config.env_kwargs)
        self.kind = self.task.kind
        self.horizon = self.task.horizon
        self.layout = self.task.layout
        self.hidden_size = config.hidden_size
        self.net = build_net(config, self.task, config.seed)
        if state_dict is not None:
            try:
                self.net.load_state_dict(
                    {k: torch.as_tensor(v) for k, v in state_dict.items()}, strict=True
                )
            except (RuntimeError, KeyError) as exc:
                raise CheckpointError(f"weights do not match the config: {exc}") from None
        self.net.eval()

    def untrained(self) -> LSTMAgent:
        """The untrained twin: a network of this agent's config at its initialisation (the
        reference the analysis reads every comparison beside)."""
        return type(self)(self.config)

    @property
    def name(self) -> str:
        return f"LSTMAgent({self.config.env_id}, hidden={self.hidden_size})"

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((check_int("batch_size", batch_size, 1), 2 * self.hidden_size))

    def _split(self, state: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        st = np.asarray(state)
        if st.ndim != 2 or st.shape[1] != 2 * self.hidden_size:
            raise invalid("state", st.shape, f"an array of shape (B, {2 * self.hidden_size})")
        t = torch.as_tensor(st, dtype=torch.float32)
        h = t[None, :, : self.hidden_size].contiguous()
        c = t[None, :, self.hidden_size :].contiguous()
        return h, c

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        ob = np.asarray(obs)
        if ob.ndim != 2 or ob.shape[1] != self.task.obs_dim:
            raise invalid("obs", ob.shape, f"an array of shape (B, {self.task.obs_dim})")
        if ob.dtype.kind not in "biuf":
            raise invalid("obs", ob.dtype, "a real-valued array")
        h, c = self._split(state)
        batch = h.shape[1]
        if ob.shape[0] != batch:
            raise invalid("obs", ob.shape, f"a batch of {batch} observations (the state's)")
        x = _pad(torch.as_tensor(ob, dtype=torch.float32), 0)
        with torch.no_grad():
            _, (h2, c2) = self.net(x[None], (_pad(h, 1), _pad(c, 1)))
        hc = torch.cat([h2[0, :batch], c2[0, :batch]], dim=1)
        return hc.numpy().astype(np.float64)

    def output(self, state: np.ndarray) -> np.ndarray:
        h, _ = self._split(state)
        batch = h.shape[1]
        hp = _pad(h[0], 0)
        with torch.no_grad():
            return self.net.readout(hp, batch).numpy()

    # --- persistence ---
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``model.safetensors`` and then ``config.json`` into the folder ``path``."""
        out = check_path("path", path)
        out.mkdir(parents=True, exist_ok=True)
        run_folder.save_tensors(out / run_folder.WEIGHTS_FILE, self.net.state_dict())
        run_folder.write_config(out, self.config.to_dict())
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, seed: int | None = None) -> LSTMAgent:
        """Load an agent folder (``config.json`` + ``model.safetensors``), or a checkpoint folder
        ``checkpoints/ckpt_NNNNNN`` of a run (its config is the run's)."""
        p = check_path("path", path)
        config_dir = run_folder.run_of(p)  # a checkpoint folder's config is its run's
        data = run_folder.read_config(config_dir, algo=ALGO)
        try:
            config = LSTMConfig.from_dict(data)
        except (InvalidArgumentError, TypeError) as exc:
            raise CheckpointError(
                f"{str(config_dir / run_folder.CONFIG_FILE)!r} is not a valid LSTM config: {exc}"
            ) from None
        weights = run_folder.load_tensors(p / run_folder.WEIGHTS_FILE)
        try:
            return cls(config, weights, seed=seed)
        except CheckpointError:
            raise
        except BayesMetaError as exc:  # e.g. the saved env id or env kwargs are not valid here
            raise CheckpointError(f"the agent saved in {str(p)!r} cannot be built: {exc}") from None


def load_agent(path: str | os.PathLike[str], *, seed: int | None = None) -> LSTMAgent:
    """The LSTM agent saved in the run folder (or checkpoint folder) ``path``:
    :meth:`LSTMAgent.load` (the loader every recipe package has)."""
    return LSTMAgent.load(check_path("path", path), seed=seed)
