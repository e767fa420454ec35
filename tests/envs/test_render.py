"""Rendering: ``render_modes`` ["ansi", "rgb_array"], and what the numpy-drawn frames show.

The frame geometry is checked against values computed here from the layout constants of
``envs/_render.py`` (bar heights in pixels), on tasks set through ``options["task"]`` so that
every reward is known in advance.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import bayes_meta_envs
from bayes_meta_envs.envs import _render as R
from bayes_meta_envs.errors import InvalidArgumentError

IDS = [spec.id for spec in bayes_meta_envs.ENV_SPECS]


def _mask(frame: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    return np.all(frame == np.array(color, dtype=np.uint8), axis=-1)


def _column_height(mask: np.ndarray, x: int) -> int:
    """Pixels of ``mask`` in column ``x`` inside the plot area."""
    return int(mask[R.TOP : R.BOTTOM, x].sum())


@pytest.mark.parametrize("env_id", IDS)
def test_every_env_renders_ansi_and_rgb_array(env_id: str) -> None:
    env = gym.make(env_id, render_mode="rgb_array")
    assert env.metadata["render_modes"] == ["ansi", "rgb_array"]
    env.reset(seed=0)
    frames = [env.render()]
    terminated = False
    while not terminated:
        _, _, terminated, _, _ = env.step(env.action_space.sample())
        frames.append(env.render())
    assert len(frames) == 21
    for frame in frames:
        assert isinstance(frame, np.ndarray)
        assert frame.shape == (R.FRAME_HEIGHT, R.FRAME_WIDTH, 3)
        assert frame.dtype == np.uint8
    assert R.FRAME_HEIGHT % 16 == 0 and R.FRAME_WIDTH % 16 == 0  # video encoders' block size
    assert not np.array_equal(frames[0], frames[-1])
    text = gym.make(env_id, render_mode="ansi")
    text.reset(seed=0)
    assert isinstance(text.render(), str)
    silent = gym.make(env_id)
    silent.reset(seed=0)
    assert silent.render() is None


@pytest.mark.parametrize("env_id", IDS)
def test_render_before_reset_does_not_fail(env_id: str) -> None:
    frame = gym.make(env_id, render_mode="rgb_array").unwrapped.render()
    assert frame.shape == (R.FRAME_HEIGHT, R.FRAME_WIDTH, 3)


@pytest.mark.filterwarnings("ignore:.*render_mode='video'.*:UserWarning")  # gymnasium's own
def test_bad_render_mode_names_the_value() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"render_mode must be None, 'ansi' or 'rgb_array', got 'video'"
    ):
        gym.make("MetaBandit-v0", render_mode="video")


@pytest.mark.filterwarnings("ignore:.*'human' rendering.*:UserWarning")
def test_human_mode_is_gymnasiums_human_rendering_of_our_frames() -> None:
    # gymnasium's own fallback for envs with rgb_array: a pygame window showing the frames
    env = gym.make("MetaBandit-v0", render_mode="human")
    assert isinstance(env, gym.wrappers.HumanRendering)
    assert env.unwrapped.render_mode == "rgb_array"


def test_bandit_frame_shows_pulls_successes_and_last_reward() -> None:
    env = gym.make("MetaBandit-v0", render_mode="rgb_array", n_arms=2)
    env.reset(seed=0, options={"task": [1.0, 0.0]})  # arm 0 always pays, arm 1 never
    for arm in (0, 0, 0, 1, 1):
        env.step(arm)
    frame = env.render()
    green, red = _mask(frame, R.SUCCESS), _mask(frame, R.FAILURE)
    left, right = (R.LEFT + R.RIGHT) // 4, 3 * (R.LEFT + R.RIGHT) // 4  # arm centres
    unit = R.PLOT_H / 20  # one pull of a 20-step horizon
    assert _column_height(green, left) == round(3 * unit)
    assert _column_height(red, left) == 0
    assert _column_height(green, right) == 0
    # the orange tick of p = 0 sits on the bar's bottom row
    assert _column_height(red | _mask(frame, R.TASK), right) == round(2 * unit)
    # the last pull (arm 1, reward 0) is framed in red: a red border column at the arm's right edge
    assert red[R.TOP : R.BOTTOM, R.RIGHT - 1].all()
    assert not green[R.TOP : R.BOTTOM, R.RIGHT - 1].any()
    # the true p_k as orange ticks: top of the plot for p = 1, the axis for p = 0
    orange = _mask(frame, R.TASK)
    assert orange[R.TOP - 1 : R.TOP + 1, left].all()
    assert orange[R.BOTTOM - 1, right]
    # progress: 5 of 20 steps
    done = _mask(frame, R.AXIS)[6, R.LEFT : R.RIGHT]
    assert done.sum() == round((R.RIGHT - R.LEFT) * 5 / 20)


def test_bernoulli_frame_shows_frequencies_and_the_chosen_predictive() -> None:
    env = gym.make("MetaPredictBernoulli-v0", render_mode="rgb_array")
    env.reset(seed=0, options={"task": [1.0]})  # every sample is 1
    logit = np.log(3.0)  # P(x = 1) = 3/4
    for _ in range(4):
        env.step(np.array([logit], dtype=np.float32))
    frame = env.render()
    grey, blue, red = _mask(frame, R.SAMPLES), _mask(frame, R.PREDICTIVE), _mask(frame, R.FAILURE)
    mid = (R.LEFT + R.RIGHT) // 2
    zero, one = (R.LEFT + mid) // 2, (mid + R.RIGHT) // 2  # category centres
    assert _column_height(grey, zero - 4) == 0
    assert _column_height(grey, one - 4) == R.PLOT_H
    assert _column_height(blue, zero + 4) == round(0.25 * R.PLOT_H)
    assert _column_height(blue, one + 4) == round(0.75 * R.PLOT_H)
    assert red[R.BOTTOM + 4, one] and not red[R.BOTTOM + 4, zero]


def test_gaussian_frame_peaks_at_the_chosen_mean() -> None:
    env = gym.make("MetaPredictGaussian-v0", render_mode="rgb_array")
    env.reset(seed=3)
    xs = env.unwrapped._xs
    lo, hi = xs.min(), xs.max()
    lo, hi = lo - 0.15 * (hi - lo), hi + 0.15 * (hi - lo)
    mean = float(np.median(xs))
    env.step(np.array([mean, np.log(0.3)], dtype=np.float32))
    blue = _mask(env.render(), R.PREDICTIVE)
    rows = np.where(blue[R.TOP : R.BOTTOM + 1].any(axis=1))[0]
    top_row = rows.min()
    cols = np.where(blue[R.TOP + top_row])[0]
    expected = R.LEFT + (mean - lo) / (hi - lo) * (R.RIGHT - R.LEFT - 1)
    assert abs(cols.mean() - expected) <= 2


def test_vector_env_refuses_a_render_mode() -> None:
    with pytest.raises(InvalidArgumentError, match="render_mode"):
        gym.make_vec("MetaBandit-v0", num_envs=2, render_mode="rgb_array")
