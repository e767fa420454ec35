"""The analysis figures (matplotlib, Agg backend): embeddings, training dynamics, MDS of runs.

Each figure answers one question, says so in its title, and names its units, the number of
episodes and the seed. Every function writes one PNG and returns its path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from bayes_meta_envs._io import atomic_write
from bayes_meta_envs.analysis.dynamics import CheckpointRow, RunEmbedding
from bayes_meta_envs.analysis.maps import PairedStates, StateMap
from bayes_meta_envs.analysis.verdict import bootstrap_mean

__all__ = ["plot_dynamics", "plot_embedding", "plot_mds", "plot_pooled_dynamics", "pooled"]


def _save(fig: Figure, path: str | os.PathLike[str], tight: bool = True) -> Path:
    if tight:
        fig.tight_layout()
    return Path(atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png")))


def plot_embedding(
    paired: PairedStates,
    phi: StateMap,
    colour: np.ndarray,
    colour_label: str,
    title: str,
    path: str | os.PathLike[str],
    *,
    episode: int = 0,
) -> Path:
    """PCA (2 components) of the meta-learner's states (left) and of the Bayes states (right),
    both coloured by ``colour`` ``(episodes, horizon)``; one episode's trajectory drawn through
    both; the phi-mapped meta-learner states overlaid on the right."""
    src = paired.source.reshape(-1, paired.source.shape[-1])
    tgt = paired.target.reshape(-1, paired.target.shape[-1])
    p_src, p_tgt = PCA(2).fit(src), PCA(2).fit(tgt)
    a, b = p_src.transform(src), p_tgt.transform(tgt)
    m = p_tgt.transform(phi(paired.source[episode]))
    c = np.asarray(colour).reshape(-1)
    h = paired.source.shape[1]
    fig = Figure(figsize=(10, 4.4))
    axes = fig.subplots(1, 2)
    for ax, xy, name, pca in ((axes[0], a, "meta-learner", p_src), (axes[1], b, "Bayes", p_tgt)):
        sc = ax.scatter(xy[:, 0], xy[:, 1], c=c, s=4, cmap="viridis", alpha=0.5, linewidths=0)
        tr = xy[episode * h : (episode + 1) * h]
        ax.plot(tr[:, 0], tr[:, 1], "-o", color="crimson", ms=3, lw=1.2, label=f"episode {episode}")
        ev = pca.explained_variance_ratio_
        ax.set_xlabel(f"PC1 ({ev[0]:.0%} of variance)")
        ax.set_ylabel(f"PC2 ({ev[1]:.0%})")
        ax.set_title(f"{name} states")
    axes[1].plot(m[:, 0], m[:, 1], "x--", color="black", ms=4, lw=0.8, label="phi(meta states)")
    axes[1].legend(fontsize=7, loc="best")
    fig.colorbar(sc, ax=axes, shrink=0.8, label=colour_label)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path, tight=False)


def plot_dynamics(
    runs: Mapping[str, Sequence[CheckpointRow]],
    performance_label: str,
    title: str,
    path: str | os.PathLike[str],
) -> Path:
    """Per run, against training updates: performance and output divergence (left), D_s and
    D_o meta-learner -> Bayes (middle) and Bayes -> meta-learner (right)."""
    fig = Figure(figsize=(13, 3.8))
    axes = fig.subplots(1, 3)
    for i, (name, rows) in enumerate(runs.items()):
        col = f"C{i}"
        x = [r.step for r in rows]
        axes[0].plot(x, [r.performance for r in rows], "-o", color=col, ms=3, label=name)
        axes[1].plot(x, [r.d_s for r in rows], "-o", color=col, ms=3, label=f"{name} D_s")
        axes[1].plot(x, [r.d_o for r in rows], "--s", color=col, ms=3, label=f"{name} D_o")
        axes[2].plot(x, [r.d_s_reverse for r in rows], "-o", color=col, ms=3)
        axes[2].plot(x, [r.d_o_reverse for r in rows], "--s", color=col, ms=3)
    axes[0].set_ylabel(performance_label)
    axes[0].set_title("behaviour")
    axes[1].set_title("meta-learner -> Bayes (solid D_s, dashed D_o)")
    axes[2].set_title("Bayes -> meta-learner (solid D_s, dashed D_o)")
    for ax in axes:
        ax.set_xlabel("training updates")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def plot_mds(emb: RunEmbedding, title: str, path: str | os.PathLike[str]) -> Path:
    """The MDS of every checkpoint of every run, Bayes-optimal agent at the origin (star):
    from output divergences (left) and from performance differences (right)."""
    fig = Figure(figsize=(10, 4.4))
    axes = fig.subplots(1, 2)
    names = list(dict.fromkeys(n for n, _ in emb.labels if n != "bayes"))
    for ax, xy, sub in (
        (axes[0], emb.output_xy, "outputs"),
        (axes[1], emb.performance_xy, "performance"),
    ):
        for i, name in enumerate(names):
            idx = [k for k, (n, _) in enumerate(emb.labels) if n == name]
            pts = xy[idx]
            ax.plot(pts[:, 0], pts[:, 1], "-", color=f"C{i}", lw=0.8, alpha=0.7)
            ax.scatter(
                pts[:, 0],
                pts[:, 1],
                c=np.linspace(0.2, 1, len(idx)),
                cmap="Greys",
                edgecolors=f"C{i}",
                s=28,
                label=name,
                zorder=3,
            )
            ax.annotate("start", pts[0], fontsize=6)
        ax.scatter(
            [0], [0], marker="*", s=220, color="gold", edgecolors="k", label="Bayes", zorder=4
        )
        ax.set_title(f"MDS from pairwise {sub}")
        ax.set_xlabel("MDS 1")
        ax.set_ylabel("MDS 2")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def pooled(
    runs: Mapping[str, Sequence[CheckpointRow]], key: str, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(steps, mean, low, high)`` of ``key`` at each checkpoint position, pooled across runs
    (the i-th checkpoint of every run; steps: the median update there), with the 95%
    bootstrap interval over runs."""
    n = min(len(r) for r in runs.values())
    vals = np.array([[getattr(r[i], key) for i in range(n)] for r in runs.values()], dtype=float)
    steps = np.median([[r[i].step for i in range(n)] for r in runs.values()], axis=0)
    lows, highs = zip(*(bootstrap_mean(vals[:, i], seed=seed + i) for i in range(n)))
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(vals, axis=0)
    return steps, mean, np.asarray(lows), np.asarray(highs)


def plot_pooled_dynamics(
    runs: Mapping[str, Sequence[CheckpointRow]],
    performance_label: str,
    title: str,
    path: str | os.PathLike[str],
) -> Path:
    """Pooled across runs against training updates (mean and 95% bootstrap band over runs):
    performance (left), D_s both directions (middle), D_o both directions (right); thin lines:
    the single runs."""
    fig = Figure(figsize=(13, 3.8))
    axes = fig.subplots(1, 3)
    panels = [
        (axes[0], [("performance", "behaviour", "C0")]),
        (axes[1], [("d_s", "meta -> Bayes", "C1"), ("d_s_reverse", "Bayes -> meta", "C2")]),
        (axes[2], [("d_o", "meta -> Bayes", "C1"), ("d_o_reverse", "Bayes -> meta", "C2")]),
    ]
    for ax, series in panels:
        for key, label, col in series:
            for rows in runs.values():
                ax.plot(
                    [r.step for r in rows],
                    [getattr(r, key) for r in rows],
                    "-",
                    color=col,
                    lw=0.4,
                    alpha=0.35,
                )
            x, m, lo, hi = pooled(runs, key)
            ax.plot(x, m, "-o", color=col, ms=3, label=label)
            if len(runs) > 1:
                ax.fill_between(x, lo, hi, color=col, alpha=0.2)
        ax.set_xscale("symlog", linthresh=10)
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_xlabel("training updates")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel(performance_label)
    axes[0].set_title("behaviour")
    axes[1].set_title("D_s (step-conditional)")
    axes[2].set_title("D_o")
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)
