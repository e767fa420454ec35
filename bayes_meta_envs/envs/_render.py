"""Small RGB frames for ``render_mode="rgb_array"``, drawn with numpy alone.

Every frame is a ``(FRAME_HEIGHT, FRAME_WIDTH, 3)`` ``uint8`` array (both sides multiples of 16,
so video encoders take the frames as they are). The strip along the top shows the episode's
progress ``t / horizon`` (dark grey). Below it:

* bandits (:func:`bandit_frame`): one column per arm; its bar is the arm's pulls this episode
  (height ``pulls / horizon``), green for successes stacked under red for failures; an orange tick
  marks the arm's true probability ``p_k`` on the same 0-1 scale; the last pulled arm is framed in
  green (reward 1) or red (reward 0).
* prediction (:func:`prediction_frame`): the samples so far (grey: frequencies for the discrete
  families, a density histogram for the continuous ones), the predictive distribution that the
  agent's last action chose (blue: probabilities, or a density curve), and the last sample (red).

Nothing here reads an environment: the envs pass plain arrays.
"""

from __future__ import annotations

import numpy as np

from bayes_meta_envs.families import ConjugateFamily

__all__ = [
    "FRAME_HEIGHT",
    "FRAME_WIDTH",
    "bandit_frame",
    "density_frame",
    "discrete_frame",
    "prediction_frame",
]

FRAME_HEIGHT = 128
FRAME_WIDTH = 192

Color = tuple[int, int, int]
BACKGROUND: Color = (255, 255, 255)
AXIS: Color = (64, 64, 64)
TRACK: Color = (225, 225, 225)
SUCCESS: Color = (44, 160, 44)
FAILURE: Color = (214, 39, 40)
PREDICTIVE: Color = (31, 119, 180)
SAMPLES: Color = (170, 170, 170)
TASK: Color = (255, 127, 14)

# the plot area: columns [LEFT, RIGHT), rows [TOP, BOTTOM); the axis is drawn on row BOTTOM
LEFT, RIGHT = 8, FRAME_WIDTH - 8
TOP, BOTTOM = 16, FRAME_HEIGHT - 12
PLOT_H = BOTTOM - TOP
DISCRETE_MARKER = 6  # height of the last-sample marker under a category


def _canvas() -> np.ndarray:
    frame = np.empty((FRAME_HEIGHT, FRAME_WIDTH, 3), dtype=np.uint8)
    frame[:] = BACKGROUND
    return frame


def _rect(frame: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
    """Fill columns ``[x0, x1)`` and rows ``[y0, y1)``, clipped to the frame."""
    h, w = frame.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x0 < x1 and y0 < y1:
        frame[y0:y1, x0:x1] = color


def _outline(frame: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
    _rect(frame, x0, y0, x1, y0 + 2, color)
    _rect(frame, x0, y1 - 2, x1, y1, color)
    _rect(frame, x0, y0, x0 + 2, y1, color)
    _rect(frame, x1 - 2, y0, x1, y1, color)


def _height(fraction: float) -> int:
    """Pixels of the plot height for a value in ``[0, 1]`` (NaN and overflow clipped)."""
    f = float(np.nan_to_num(fraction, nan=0.0, posinf=1.0, neginf=0.0))
    return round(min(max(f, 0.0), 1.0) * PLOT_H)


def _frame_with_progress(t: int, horizon: int) -> np.ndarray:
    frame = _canvas()
    _rect(frame, LEFT, 4, RIGHT, 10, TRACK)
    done = round((RIGHT - LEFT) * min(t, horizon) / max(horizon, 1))
    _rect(frame, LEFT, 4, LEFT + done, 10, AXIS)
    _rect(frame, LEFT, BOTTOM, RIGHT, BOTTOM + 1, AXIS)
    return frame


def _slots(n: int) -> list[tuple[int, int]]:
    """``n`` equal column ranges across the plot area."""
    edges = np.linspace(LEFT, RIGHT, n + 1).round().astype(int)
    return [(int(edges[i]), int(edges[i + 1])) for i in range(n)]


def bandit_frame(
    pulls: np.ndarray,
    successes: np.ndarray,
    task: np.ndarray,
    last: tuple[int, float] | None,
    t: int,
    horizon: int,
) -> np.ndarray:
    """The bandit frame: per arm its pulls and successes this episode, ``p_k``, the last reward."""
    frame = _frame_with_progress(t, horizon)
    for k, (x0, x1) in enumerate(_slots(len(pulls))):
        pad = max(1, (x1 - x0) // 5)
        bx0, bx1 = x0 + pad, x1 - pad
        wins = _height(successes[k] / horizon)
        total = _height(pulls[k] / horizon)
        _rect(frame, bx0, BOTTOM - wins, bx1, BOTTOM, SUCCESS)
        _rect(frame, bx0, BOTTOM - total, bx1, BOTTOM - wins, FAILURE)
        tick = BOTTOM - _height(task[k])
        _rect(frame, x0 + 1, tick - 1, x1 - 1, tick + 1, TASK)
        if last is not None and last[0] == k:
            color = SUCCESS if last[1] > 0 else FAILURE
            _outline(frame, x0, TOP - 3, x1, BOTTOM + 4, color)
    return frame


def discrete_frame(
    frequencies: np.ndarray,
    probabilities: np.ndarray | None,
    last: int | None,
    t: int,
    horizon: int,
) -> np.ndarray:
    """Per category: the frequency so far (grey), the predictive probability (blue), the last
    sample (a red marker under its category)."""
    frame = _frame_with_progress(t, horizon)
    for k, (x0, x1) in enumerate(_slots(len(frequencies))):
        mid = (x0 + x1) // 2
        pad = max(1, (x1 - x0) // 8)
        _rect(frame, x0 + pad, BOTTOM - _height(frequencies[k]), mid, BOTTOM, SAMPLES)
        if probabilities is not None:
            _rect(frame, mid, BOTTOM - _height(probabilities[k]), x1 - pad, BOTTOM, PREDICTIVE)
        if last == k:
            _rect(frame, x0 + pad, BOTTOM + 3, x1 - pad, BOTTOM + 3 + DISCRETE_MARKER, FAILURE)
    return frame


def density_frame(
    samples: np.ndarray,
    lo: float,
    hi: float,
    density: np.ndarray | None,
    t: int,
    horizon: int,
) -> np.ndarray:
    """A density histogram of the samples so far (grey, 16 bins on ``[lo, hi]``), the predictive
    density evaluated on one point per plot column (blue curve), the last sample (red line)."""
    frame = _frame_with_progress(t, horizon)
    width = RIGHT - LEFT
    bins = np.linspace(lo, hi, 17)
    hist, _ = np.histogram(np.clip(samples, lo, hi), bins=bins, density=False)
    bin_width = (hi - lo) / 16
    hist_density = hist / max(len(samples), 1) / bin_width
    curve = np.zeros(width) if density is None else np.nan_to_num(density, nan=0.0, posinf=0.0)
    peak = float(hist_density.max(initial=0.0))
    # a predictive far sharper than the samples would flatten them: clip its peak instead
    top = 1.1 * max(peak, min(float(curve.max(initial=0.0)), 3 * peak) if peak else 1.0, 1e-12)
    for i, (x0, x1) in enumerate(_slots(16)):
        _rect(frame, x0, BOTTOM - _height(hist_density[i] / top), x1 - 1, BOTTOM, SAMPLES)
    if density is not None:
        ys = np.array([BOTTOM - _height(v / top) for v in curve])
        for x in range(width):
            y_prev = ys[max(x - 1, 0)]
            y0, y1 = min(y_prev, ys[x]), max(y_prev, ys[x])
            _rect(frame, LEFT + x, y0 - 1, LEFT + x + 1, y1 + 1, PREDICTIVE)
    if len(samples):
        col = LEFT + round((float(np.clip(samples[-1], lo, hi)) - lo) / (hi - lo) * (width - 1))
        _rect(frame, col - 1, TOP, col + 1, BOTTOM, FAILURE)
    return frame


def _support_size(family: ConjugateFamily) -> int | None:
    """The number of values of a discrete family's samples, ``None`` for a continuous one."""
    if family.name == "bernoulli":
        return 2
    if family.name == "categorical":
        return int(family.task_dim)
    return None


def prediction_frame(
    family: ConjugateFamily,
    episode_samples: np.ndarray,
    t: int,
    action: np.ndarray | None,
    horizon: int,
) -> np.ndarray:
    """The frame of a prediction env after ``t`` steps of an episode whose ``horizon`` samples
    are ``episode_samples``; ``action`` is the agent's last action (``None`` before the first).

    The x-range of a continuous family is fixed for the whole episode (its samples, padded), so
    frames of one episode share their axes.
    """
    seen = np.asarray(episode_samples[:t], dtype=np.float64)
    n = _support_size(family)
    if n is not None:
        freq = np.bincount(seen.astype(np.intp), minlength=n)[:n] / max(t, 1)
        probs = None
        if action is not None:
            values = np.arange(n, dtype=np.float64)
            acts = np.repeat(np.asarray(action, dtype=np.float64)[None], n, axis=0)
            probs = np.exp(family.log_likelihood(acts, values))
        return discrete_frame(freq, probs, int(seen[-1]) if t else None, t, horizon)
    lo, hi = float(np.min(episode_samples)), float(np.max(episode_samples))
    span = max(hi - lo, 1e-6)
    lo, hi = lo - 0.15 * span, hi + 0.15 * span
    if family.name == "exponential":
        lo = max(lo, 1e-9)
    density = None
    if action is not None:
        grid = np.linspace(lo, hi, RIGHT - LEFT)
        acts = np.repeat(np.asarray(action, dtype=np.float64)[None], grid.size, axis=0)
        with np.errstate(over="ignore", under="ignore"):
            density = np.exp(family.log_likelihood(acts, grid))
    return density_frame(seen, lo, hi, density, t, horizon)
