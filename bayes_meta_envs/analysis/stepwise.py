"""The step-conditional map phi and its state dissimilarity D_s (what the step count alone
determines earns nothing and costs nothing).

Why condition on the step
-------------------------
A history of ``t`` steps carries the step count ``t`` whatever the agent. The Bayes states of
conjugate models grow with ``t`` (counts, precisions, sums), so their variance pooled over all
steps is mostly the spread *between* steps: a map that only knows ``t`` (a clock) already
explains most of it and scores a small pooled D_s (0.0121 on the Gaussian task, as small as an
untrained network). Two changes remove that reward:

* **earns nothing**: the residual of every target component ``j`` at step ``t`` is normalised by
  ``Var(s_T[j] | t)``, the target's variance *given the step*; a map that predicts
  ``E[s_T[j] | t]`` scores 1, whatever the between-step spread;
* **costs nothing**: phi is given the step (one-hot) next to the source state, so a source is
  not penalised for leaving out what the step already says; target components fixed by the step
  (``Var(s_T[j] | t) = 0``, such as the Bayes agent's own ``t``, a posterior precision, an
  untrained LSTM's state after the reset observation) drop out of the measure and of phi's fit
  (the map returns their value at that step).

``D_s = mean over held-out episodes of mean over (t, j) with Var(s_T[j] | t) > 0 of
(phi(s_S, t)[j] - s_T[j])^2 / Var(s_T[j] | t)``, the moments taken on the training episodes. A
clock or a constant state scores about 1, an invertible transform of the target about 0.
phi is fitted on exactly that standardised residual, so its loss is the measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA

from bayes_meta_envs.analysis.maps import StateMap, fit_map, project
from bayes_meta_envs.protocol import Agent, AgentKind, BaseAgent

__all__ = ["MappedAgent", "StepMap", "fit_step_map", "step_dissimilarity", "step_moments"]

#: a component is fixed at a step when its standard deviation given the step is below this
#: fraction of its standard deviation pooled over all steps (or exactly 0)
FIXED_TOLERANCE = 1e-6


def step_moments(states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, sd, varying)`` of ``states (episodes, horizon, dim)`` at each step, shapes
    ``(horizon, dim)``; ``varying`` is False where the component is fixed by the step."""
    x = np.asarray(states, dtype=np.float64)
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    pooled = x.reshape(-1, x.shape[-1]).std(axis=0)
    varying = sd > FIXED_TOLERANCE * pooled
    return mean, sd, varying


def _step_features(n: int, horizon: int) -> np.ndarray:
    """One-hot of the step, ``(n, horizon, horizon)``."""
    return np.broadcast_to(np.eye(horizon), (n, horizon, horizon))


@dataclass
class StepMap:
    """phi with the step: maps source states ``(episodes, horizon, Ds)`` to target states
    ``(episodes, horizon, Dt)``; see the module docstring."""

    pca: PCA | None
    mlp: StateMap | None  # None when no target component varies given the step
    mean: np.ndarray
    sd: np.ndarray
    varying: np.ndarray
    columns: np.ndarray  # target components that vary at some step (phi's outputs)
    low: np.ndarray
    high: np.ndarray

    def inputs(self, states: np.ndarray) -> np.ndarray:
        x = np.asarray(states, dtype=np.float64)
        n, h = x.shape[:2]
        flat = x.reshape(n * h, -1)
        if self.pca is not None:
            flat = self.pca.transform(flat)
        return np.concatenate([flat, _step_features(n, h).reshape(n * h, h)], axis=1)

    def residual(self, states: np.ndarray) -> np.ndarray:
        """phi's standardised residual prediction ``(episodes, horizon, len(columns))``."""
        x = np.asarray(states)
        n, h = x.shape[:2]
        if self.mlp is None:
            return np.zeros((n, h, 0))
        return self.mlp(self.inputs(x)).reshape(n, h, -1)

    def __call__(self, states: np.ndarray) -> np.ndarray:
        z = self.residual(states)
        out = np.broadcast_to(self.mean, (z.shape[0], *self.mean.shape)).copy()
        c = self.columns
        out[..., c] += np.where(self.varying[:, c], self.sd[:, c] * z, 0.0)
        return out

    def at_step(self, states: np.ndarray, step: int) -> np.ndarray:
        """Map ``(B, Ds)`` states all taken at step ``step`` to ``(B, Dt)`` target states."""
        x = np.asarray(states, dtype=np.float64)
        h = self.mean.shape[0]
        flat = self.pca.transform(x) if self.pca is not None else x
        onehot = np.zeros((x.shape[0], h))
        onehot[:, min(max(step, 0), h - 1)] = 1.0
        out = np.tile(self.mean[min(max(step, 0), h - 1)], (x.shape[0], 1))
        if self.mlp is not None:
            z = self.mlp(np.concatenate([flat, onehot], axis=1))
            t = min(max(step, 0), h - 1)
            c = self.columns
            out[:, c] += np.where(self.varying[t, c], self.sd[t, c] * z, 0.0)
        return out


def fit_step_map(
    source: np.ndarray,
    target: np.ndarray,
    *,
    seed: int = 0,
    pca_components: int | None = None,
    hidden: int = 128,
) -> StepMap:
    """Fit phi on training episodes ``source (n, h, Ds) -> target (n, h, Dt)``: the MLP of
    :func:`~bayes_meta_envs.analysis.maps.fit_map` from ``[source (PCA'd) | one-hot step]`` to
    the target's residual from its step mean, in units of its standard deviation given the
    step, on the components that vary given the step."""
    x = np.asarray(source, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    n, h = y.shape[:2]
    mean, sd, varying = step_moments(y)
    columns = np.flatnonzero(varying.any(axis=0))
    pca = None
    if pca_components is not None:
        flat = x.reshape(n * h, -1)
        pca = PCA(n_components=min(pca_components, *flat.shape), random_state=seed).fit(flat)
    step_map = StepMap(
        pca,
        None,
        mean,
        sd,
        varying,
        columns,
        y.reshape(n * h, -1).min(0),
        y.reshape(-1, y.shape[-1]).max(0),
    )
    if columns.size:
        safe = np.where(varying, sd, 1.0)
        z = np.where(varying, (y - mean) / safe, 0.0)[..., columns]
        step_map.mlp = fit_map(step_map.inputs(x), z.reshape(n * h, -1), seed=seed, hidden=hidden)
    return step_map


def step_dissimilarity(phi: StepMap, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per held-out episode, the mean over varying ``(t, j)`` of the squared residual over
    ``Var(s_T[j] | t)`` (``(episodes,)``; NaN when nothing varies given the step)."""
    y = np.asarray(target, dtype=np.float64)
    z_hat = phi.residual(source)
    c = phi.columns
    if c.size == 0:
        return np.full(y.shape[0], np.nan)
    v = phi.varying[:, c]
    z = (y[..., c] - phi.mean[:, c]) / np.where(v, phi.sd[:, c], 1.0)
    sq = np.where(v, (z_hat - z) ** 2, 0.0)
    return np.asarray(sq.sum(axis=(1, 2)) / v.sum())


class MappedAgent(BaseAgent):
    """The source's state machine read through phi and the target's output: it acts from the
    mapped states (what ``return_lost`` scores). Its state is ``[source state | step]``: phi is
    told the step, as in the measure."""

    def __init__(self, source: Agent, phi: StepMap, target: Agent, kind: AgentKind) -> None:
        super().__init__()
        self.source, self.phi, self.target = source, phi, target
        self.kind = kind

    def initial_state(self, batch_size: int) -> np.ndarray:
        s = np.asarray(self.source.initial_state(batch_size), dtype=np.float64)
        return np.concatenate([s, np.zeros((s.shape[0], 1))], axis=1)

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        inner = self.source.update(state[:, :-1], obs)
        return np.concatenate([np.asarray(inner, dtype=np.float64), state[:, -1:] + 1.0], axis=1)

    def output(self, state: np.ndarray) -> np.ndarray:
        step = int(state[0, -1]) - 1  # the states after the first update are those of step 0
        mapped = self.phi.at_step(state[:, :-1], step)
        mapped = project(self.target, mapped, self.phi.low, self.phi.high)
        return np.asarray(self.target.output(mapped), dtype=np.float64)
