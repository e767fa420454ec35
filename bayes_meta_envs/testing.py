"""A conformance kit for meta-task environments (in the spirit of dm_env's EnvironmentTestMixin).

:func:`check_meta_env` checks that an environment behaves as a meta-task env of this package
should: the task is fixed within an episode and resampled across episodes, ``info["task"]`` is
always present, seeding is reproducible, episodes end with ``terminated`` at the horizon, and the
observation follows the documented layout (previous action and reward, zeros at reset).

It works on any env exposing ``horizon`` and ``layout`` (an :class:`~bayes_meta_envs.ObsLayout`)
on its unwrapped env, including third-party ones, and raises :class:`AssertionError` with a
message that says what failed. Use it in your own tests::

    from bayes_meta_envs.testing import check_meta_env
    check_meta_env("MetaBandit-v0", n_arms=3)
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from bayes_meta_envs._validate import check_int
from bayes_meta_envs.errors import UnknownEnvironmentError, invalid, wrong_type
from bayes_meta_envs.task import held_out_seed

__all__ = ["check_meta_env", "check_vector_matches_single"]


def _fail(msg: str) -> None:
    raise AssertionError(msg)


def _make(env: Any, kwargs: dict[str, Any]) -> gym.Env:
    if isinstance(env, str):
        return gym.make(_registered(env), **kwargs)
    if kwargs:
        raise invalid("env", env, "an env id when env kwargs are given")
    if not isinstance(env, gym.Env):
        raise wrong_type("env", env, "a gymnasium env or a registered env id")
    return env


def _registered(env_id: object) -> str:
    if not isinstance(env_id, str):
        raise wrong_type("env_id", env_id, "a registered env id (str)")
    if env_id not in gym.registry:
        raise UnknownEnvironmentError(f"env_id must be a registered env id, got {env_id!r}")
    return env_id


def _rollout(
    env: gym.Env, seed: int | None, episodes: int, action_seed: int
) -> list[dict[str, Any]]:
    """Run ``episodes`` episodes with seeded random actions and record everything."""
    env.action_space.seed(action_seed)
    out = []
    for ep in range(episodes):
        obs, info = env.reset(seed=seed if ep == 0 else None)
        rec: dict[str, Any] = {
            "obs": [obs],
            "actions": [],
            "rewards": [],
            "tasks": [info.get("task")],
        }
        rec["reset_info"] = info
        done = False
        steps = 0
        while not done:
            action = env.action_space.sample()
            obs, reward, terminated, truncated, info = env.step(action)
            rec["actions"].append(np.asarray(action))
            rec["rewards"].append(float(reward))
            rec["obs"].append(obs)
            rec["tasks"].append(info.get("task"))
            steps += 1
            done = terminated or truncated
            if truncated:
                _fail(f"episode {ep} was truncated at step {steps}: meta-task episodes terminate")
            if steps > 100_000:
                _fail("episode did not terminate within 100000 steps")
        rec["steps"] = steps
        out.append(rec)
    return out


def check_meta_env(env: Any, *, episodes: int = 4, seed: int = 123, **env_kwargs: Any) -> None:
    """Check that ``env`` (an env or a registered id with ``env_kwargs``) is a conforming meta-task env.

    Raises :class:`AssertionError` describing the first violation.
    """
    episodes = check_int("episodes", episodes, 1, 10_000)
    seed = check_int("seed", seed, 0)
    e = _make(env, env_kwargs)
    base: Any = e.unwrapped
    for attr in ("horizon", "layout"):
        if not hasattr(base, attr):
            _fail(f"the unwrapped env has no {attr!r} attribute")
    horizon, lay = base.horizon, base.layout
    space = e.observation_space
    if space.shape != (lay.size,):
        _fail(f"observation space shape {space.shape} != layout size ({lay.size},)")

    run = _rollout(e, seed, episodes, action_seed=seed)
    for ep, rec in enumerate(run):
        if rec["steps"] != horizon:
            _fail(f"episode {ep} lasted {rec['steps']} steps, expected horizon={horizon}")
        first = rec["obs"][0]
        if np.any(first[lay.prev_action] != 0) or first[lay.prev_reward] != 0:
            _fail(f"episode {ep}: previous action/reward are not zero at reset: {first}")
        if lay.time is not None and first[lay.time] != 0:
            _fail(f"episode {ep}: time feature is not zero at reset: {first}")
        for t, obs in enumerate(rec["obs"]):
            if not space.contains(obs):
                _fail(f"episode {ep} step {t}: observation {obs} is outside {space}")
        tasks = rec["tasks"]
        if any(task is None for task in tasks):
            _fail(f"episode {ep}: info['task'] missing at reset or at a step")
        for t, task in enumerate(tasks[1:], start=1):
            if not np.array_equal(task, tasks[0]):
                _fail(f"episode {ep}: the task changed inside the episode at step {t}")
        for t in range(rec["steps"]):
            obs = rec["obs"][t + 1]
            if not np.isclose(obs[lay.prev_reward], rec["rewards"][t], rtol=1e-5, atol=1e-5):
                _fail(
                    f"episode {ep} step {t}: observed previous reward {obs[lay.prev_reward]} != "
                    f"reward {rec['rewards'][t]}"
                )
            if lay.time is not None and not np.isclose(obs[lay.time], (t + 1) / horizon):
                _fail(f"episode {ep} step {t}: time feature {obs[lay.time]} != {(t + 1) / horizon}")
    starts = [np.asarray(rec["tasks"][0]) for rec in run]
    if episodes >= 2 and all(np.array_equal(starts[0], s) for s in starts[1:]):
        _fail(f"the task was not resampled across {episodes} episodes: {starts[0]}")

    again = _rollout(_make(env, env_kwargs), seed, episodes, action_seed=seed)
    for ep, (a, b) in enumerate(zip(run, again)):
        if (
            not all(np.array_equal(x, y) for x, y in zip(a["obs"], b["obs"]))
            or a["rewards"] != b["rewards"]
        ):
            _fail(f"episode {ep}: the same seed gave a different episode")
    other = _rollout(_make(env, env_kwargs), held_out_seed(seed), episodes, action_seed=seed)
    if all(np.array_equal(a["tasks"][0], b["tasks"][0]) for a, b in zip(run, other)):
        _fail("different seeds gave identical tasks")

    # stepping a finished episode is refused
    try:
        e.step(e.action_space.sample())
    except gym.error.ResetNeeded:
        pass
    else:
        _fail("stepping after the end of an episode did not raise gymnasium.error.ResetNeeded")


def check_vector_matches_single(
    env_id: str, *, num_envs: int = 4, rounds: int = 2, seed: int = 7, **env_kwargs: Any
) -> None:
    """Check the native vector env against the single env under the same seed.

    Contract: sub-env ``i``'s ``k``-th episode equals the single env's episode ``k * num_envs + i``
    when both receive the same actions. Raises :class:`AssertionError` on a mismatch.
    """
    num_envs = check_int("num_envs", num_envs, 1, 10_000)
    rounds = check_int("rounds", rounds, 1, 1_000)
    seed = check_int("seed", seed, 0)
    single = gym.make(_registered(env_id), **env_kwargs)
    vec = gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **env_kwargs
    )
    horizon = getattr(single.unwrapped, "horizon")  # noqa: B009 (not declared on gym.Env)
    vec.action_space.seed(seed)
    obs_v, info_v = vec.reset(seed=seed)
    episodes = []  # per round: tasks (N, d), actions (T, N, ...), obs (T+1, N, D), rewards (T, N)
    for k in range(rounds):
        if k > 0:  # next-step autoreset
            obs_v, r, term, trunc, info_v = vec.step(vec.action_space.sample())
            if np.any(term) or np.any(r != 0):
                _fail("the autoreset step should return reward 0 and terminated False")
        tasks = info_v["task"]
        acts, obs_seq, rews = [], [obs_v], []
        for _ in range(horizon):
            a = vec.action_space.sample()
            obs_v, r, term, trunc, info_v = vec.step(a)
            acts.append(a)
            obs_seq.append(obs_v)
            rews.append(r)
        if not np.all(term):
            _fail("the vector env did not terminate every sub-env at the horizon")
        episodes.append((tasks, acts, obs_seq, rews))
    for ep in range(rounds * num_envs):
        k, i = divmod(ep, num_envs)
        tasks, acts, obs_seq, rews = episodes[k]
        obs, info = single.reset(seed=seed if ep == 0 else None)
        if not np.allclose(info["task"], tasks[i]):
            _fail(
                f"single episode {ep}: task {info['task']} != vector sub-env {i} round {k}: {tasks[i]}"
            )
        if not np.array_equal(obs, obs_seq[0][i]):
            _fail(f"single episode {ep}: reset observation differs")
        for t in range(horizon):
            obs, r, term, trunc, info = single.step(acts[t][i])
            if not np.allclose(obs, obs_seq[t + 1][i], rtol=1e-6, atol=1e-6) or not np.isclose(
                float(r), rews[t][i]
            ):
                _fail(
                    f"single episode {ep} step {t}: (obs, reward) = ({obs}, {r}) but vector sub-env "
                    f"{i} round {k} gave ({obs_seq[t + 1][i]}, {rews[t][i]})"
                )
