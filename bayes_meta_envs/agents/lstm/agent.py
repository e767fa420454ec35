"""The trained LSTM meta-learner behind the Agent protocol, and its run-folder I/O."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bayes_meta_envs._validate import check_int
from bayes_meta_envs.agents import run_folder
from bayes_meta_envs.agents.lstm.config import ALGO, LSTMConfig
from bayes_meta_envs.agents.lstm.net import build_net
from bayes_meta_envs.errors import CheckpointError, InvalidArgumentError, invalid, wrong_type
from bayes_meta_envs.protocol import BaseAgent
from bayes_meta_envs.task import task_of

__all__ = ["LSTMAgent"]

#: A checkpoint folder (``checkpoints/ckpt_NNNNNN``) holds this file and no ``config.json``.
_TRAINER_STATE_FILE = "trainer_state.json"


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
        h, c = self._split(state)
        if ob.shape[0] != h.shape[1]:
            raise invalid("obs", ob.shape, f"a batch of {h.shape[1]} observations (the state's)")
        with torch.no_grad():
            _, (h2, c2) = self.net(torch.as_tensor(ob, dtype=torch.float32)[None], (h, c))
        return np.concatenate([h2[0].numpy(), c2[0].numpy()], axis=1).astype(np.float64)

    def output(self, state: np.ndarray) -> np.ndarray:
        h, _ = self._split(state)
        with torch.no_grad():
            if self.kind == "bandit":
                logits, _ = self.net.policy_value(h[0])
                return torch.softmax(logits.double(), dim=-1).numpy()
            return self.net.prediction(h[0]).double().numpy()

    # --- persistence ---
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``model.safetensors`` and then ``config.json`` into the folder ``path``."""
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        run_folder.save_tensors(out / run_folder.WEIGHTS_FILE, self.net.state_dict())
        run_folder.write_config(out, self.config.to_dict())
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, seed: int | None = None) -> LSTMAgent:
        """Load an agent folder (``config.json`` + ``model.safetensors``), or a checkpoint folder
        ``checkpoints/ckpt_NNNNNN`` of a run (its config is the run's)."""
        p = Path(path)
        config_dir = p
        if not (p / run_folder.CONFIG_FILE).is_file() and (p / _TRAINER_STATE_FILE).is_file():
            config_dir = p.parent.parent  # a checkpoint folder inside a run
        data = run_folder.read_config(config_dir, algo=ALGO)
        try:
            config = LSTMConfig.from_dict(data)
        except (InvalidArgumentError, TypeError) as exc:
            raise CheckpointError(
                f"{str(config_dir / run_folder.CONFIG_FILE)!r} is not a valid LSTM config: {exc}"
            ) from None
        weights = run_folder.load_tensors(p / run_folder.WEIGHTS_FILE)
        return cls(config, weights, seed=seed)
