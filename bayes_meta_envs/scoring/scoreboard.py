"""The baseline scoreboard: every baseline scored on every registered environment.

:func:`make_scoreboard` scores each baseline of the registry
(:func:`~bayes_meta_envs.baselines.registry.baselines_for`) on each registered environment with its
default kwargs and returns the dict that ``bayes-meta baselines`` writes as ``scoreboard.json``;
:func:`scoreboard_markdown` renders it as the folder's ``README.md`` (one table per environment).
The committed scoreboard (``baselines/``) is ``--episodes 100000 --seed 0``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bayes_meta_envs._validate import check_int
from bayes_meta_envs._version import __version__
from bayes_meta_envs.baselines.registry import baselines_for, make_baseline
from bayes_meta_envs.envs import ENV_SPECS
from bayes_meta_envs.errors import invalid, wrong_type
from bayes_meta_envs.scoring._score import score
from bayes_meta_envs.task import task_of

__all__ = [
    "SCOREBOARD_KIND",
    "SCOREBOARD_SCHEMA_VERSION",
    "make_scoreboard",
    "scoreboard_markdown",
]

log = logging.getLogger(__name__)

SCOREBOARD_KIND = "bayes_meta_envs.scoreboard"
SCOREBOARD_SCHEMA_VERSION = 1


def make_scoreboard(
    episodes: int,
    seed: int,
    env_ids: list[str] | None = None,
    progress: bool | None = False,
) -> dict[str, Any]:
    """Score every baseline on every registered env (default kwargs); return the scoreboard dict
    that ``bayes-meta baselines`` writes as ``scoreboard.json``.

    Args:
        episodes: episodes per agent and env; seed: the seed of every run (int >= 0).
        env_ids: only these registered envs (default: all, in registration order).
        progress: show a progress bar per run (see :func:`~bayes_meta_envs.scoring.score`).
    """
    episodes = check_int("episodes", episodes, 1)
    seed = check_int("seed", seed, 0)
    known = [e.id for e in ENV_SPECS]
    if env_ids is not None and (isinstance(env_ids, str) or not isinstance(env_ids, list | tuple)):
        raise wrong_type("env_ids", env_ids, "a list of registered env ids or None")
    ids = known if env_ids is None else list(env_ids)
    for env_id in ids:
        if not isinstance(env_id, str) or env_id not in known:
            raise invalid("--envs", env_id, f"one of {known}")
    envs: dict[str, Any] = {}
    for env_id in ids:
        task = task_of(env_id)
        reports: dict[str, Any] = {}
        for spec in baselines_for(task.kind):
            start = time.perf_counter()
            agent = make_baseline(spec, task, seed=seed, argument="--agent")
            report = score(
                agent, task, episodes=episodes, seed=seed, progress=progress, agent_name=spec
            )
            reports[spec] = report.to_dict()
            log.info("%s on %s: %.1f s", spec, env_id, time.perf_counter() - start)
        envs[env_id] = {"env_kind": task.kind, "reports": reports}
    return {
        "kind": SCOREBOARD_KIND,
        "schema_version": SCOREBOARD_SCHEMA_VERSION,
        "episodes": episodes,
        "seed": seed,
        "package_version": __version__,
        "command": f"bayes-meta baselines --episodes {episodes} --seed {seed}",
        "envs": envs,
    }


def _cell(est: Any) -> str:
    if est is None:
        return "n/a"
    mean, ci = est["mean"], est["ci95"]
    if isinstance(mean, str) or isinstance(ci, str):
        return f"{mean}" if isinstance(mean, str) else f"{mean:.4f} ± {ci}"
    return f"{round(mean, 4) + 0.0:.4f} ± {ci:.4f}"


_BANDIT_COLUMNS = (
    ("return", "return"),
    ("regret", "pseudo-regret"),
    ("bayes_gap", "Bayes gap"),
    ("bayes_gap_q", "Bayes gap (Q)"),
    ("normalised_score", "normalised"),
    ("kl_to_bayes_set", "KL(agent→Bayes set)/step"),
    ("kl_tie_split", "tie-split KL/step"),
    ("agreement", "agreement"),
)
_PREDICTION_COLUMNS = (
    ("log_loss", "log-loss/step"),
    ("excess_log_loss", "excess log-loss/step"),
    ("normalised_score", "normalised"),
    ("kl", "KL(Bayes‖agent)/step"),
)


_COLUMNS = {"bandit": _BANDIT_COLUMNS, "prediction": _PREDICTION_COLUMNS}


def scoreboard_markdown(board: dict[str, Any], seconds: float | None = None) -> str:
    """The README of the scoreboard folder: one Markdown table per environment."""
    if not isinstance(board, dict) or not {
        "episodes",
        "seed",
        "package_version",
        "envs",
        "command",
    } <= set(board):
        raise wrong_type("board", board, "a scoreboard dict (make_scoreboard's)")
    lines = [
        "# Baseline scoreboard",
        "",
        "Every baseline agent scored against the exact Bayes-optimal agent on every registered",
        f"environment (default kwargs), {board['episodes']:,} episodes, seed {board['seed']},",
        f"bayes-meta-envs {board['package_version']}. Regenerate with:",
        "",
        "```",
        f"{board['command']} --out baselines/",
        "```",
        "",
        "Each cell is the mean over episodes ± the half-width of its 95% confidence interval. "
        "Bandits: return and pseudo-regret per episode; Bayes gap = regret − Bayes-optimal regret "
        "on the same tasks and noise; Bayes gap (Q): the same expectation from the exact "
        "Bayes-optimal Q-values along the agent's trajectory, with a narrower interval; "
        "normalised score: random 0, Bayes-optimal 1; KL from the "
        "agent's policy to the set of Bayes-optimal policies, −log π(A*) with A* the "
        "Bayes-optimal actions, along the agent's trajectory (0 for any agent that always takes a "
        "Bayes-optimal action, however it breaks ties); tie-split KL: from the Bayes-optimal "
        "policy with ties split uniformly to the agent's (inf when the agent puts probability 0 "
        "on a tied Bayes-optimal action, as a deterministic agent does at the first pull); "
        "agreement: π(A*), the probability of taking a Bayes-optimal action. Prediction: per-step log-loss, excess "
        "over the exact posterior predictive, normalised score (prior predictive 0, Bayes 1) and "
        "KL between the predictives. Definitions: `bayes_meta_envs/scoring/_score.py`. "
        "The machine-readable version is [scoreboard.json](scoreboard.json).",
        "",
    ]
    if seconds is not None:
        lines += [f"Generated in {seconds:.0f} s.", ""]
    for env_id, entry in board["envs"].items():
        reports = entry["reports"]
        columns = _COLUMNS[entry["env_kind"]]
        first = next(iter(reports.values()))
        cfg = ", ".join(f"{k}={v}" for k, v in first["env_config"].items())
        lines += [f"## {env_id}", "", f"`{cfg}`", ""]
        refs = first.get("references") or {}
        if refs:
            lines += [
                "Exact: Bayes-optimal value "
                f"{refs['bayes_value']:.4f}, random play {refs['random_return']:.4f}.",
                "",
            ]
        lines.append("| agent | " + " | ".join(label for _, label in columns) + " |")
        lines.append("|---|" + "---:|" * len(columns))
        for spec, rep in reports.items():
            cells = [_cell(rep["metrics"].get(key)) for key, _ in columns]
            lines.append(f"| `{spec}` | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
