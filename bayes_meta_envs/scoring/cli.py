"""The ``bayes-meta score`` and ``bayes-meta baselines`` subcommands.

``bayes-meta score --agent SPEC --env ID --episodes N --seed S [--json OUT] [--traces OUT]``
scores one agent and prints ``report.summary()``. SPEC is one of:

* a baseline: ``bayes``, ``gittins:GAMMA`` (``gittins`` = ``gittins:0.9``), ``thompson``,
  ``ucb1``, ``greedy``, ``random`` for bandits; ``bayes``, ``plugin`` (maximum-likelihood
  plug-in) and ``prior`` (prior predictive) for prediction tasks;
* the path of a saved agent folder from the zoo, loaded with ``bayes_meta_envs.agents.load``;
* ``module:attribute`` (or ``path/to/file.py:attribute``; the attribute may be dotted) naming the
  user's agent: an Agent instance, a stable-baselines3 model, or a callable
  ``fn(obs_batch) -> actions``. A *class* is instantiated: with ``cls.for_env(env)`` when it has
  that classmethod, else with ``cls()``. Any other callable is treated as a policy function, not
  as a factory. The current directory is importable.

``bayes-meta baselines --episodes N --out DIR [--seed S]`` scores every baseline on every
registered environment (default kwargs) and writes ``DIR/scoreboard.json`` and ``DIR/README.md``
(one table per environment). The committed scoreboard is ``--episodes 100000 --seed 0``.

Files are written atomically (temporary file + rename).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from bayes_meta_envs.cli import parse_env_kwargs
from bayes_meta_envs.errors import InvalidArgumentError, invalid

__all__ = [
    "BANDIT_BASELINES",
    "PREDICTION_BASELINES",
    "SCOREBOARD_KIND",
    "SCOREBOARD_SCHEMA_VERSION",
    "baselines_for",
    "configure_baselines",
    "configure_score",
    "make_scoreboard",
    "resolve_agent",
    "run_baselines",
    "run_score",
    "scoreboard_markdown",
]

log = logging.getLogger(__name__)

BANDIT_BASELINES: tuple[str, ...] = ("bayes", "gittins:0.9", "thompson", "ucb1", "greedy", "random")
PREDICTION_BASELINES: tuple[str, ...] = ("bayes", "plugin", "prior")
SCOREBOARD_KIND = "bayes_meta_envs.scoreboard"
SCOREBOARD_SCHEMA_VERSION = 1
DEFAULT_TRACE_EPISODES = 10_000

_CLASSIC = {
    "thompson": "ThompsonAgent",
    "ucb1": "UCB1Agent",
    "greedy": "GreedyAgent",
    "random": "RandomAgent",
}


def baselines_for(kind: str) -> tuple[str, ...]:
    """The baseline SPECs that apply to an environment kind (``bandit`` or ``prediction``)."""
    return BANDIT_BASELINES if kind == "bandit" else PREDICTION_BASELINES


def _baseline(spec: str, base: Any, seed: int) -> Any | None:
    """The baseline agent named by ``spec`` for the env ``base``, or None if not a baseline."""
    name, _, arg = spec.lower().partition(":")
    if name == "bayes" and not arg:
        from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent

        return BayesOptimalAgent.for_env(base, seed=seed)
    if base.kind == "prediction" and name in ("plugin", "prior") and not arg:
        from bayes_meta_envs.scoring.predictors import PluginPredictorAgent, PriorPredictorAgent

        cls = PluginPredictorAgent if name == "plugin" else PriorPredictorAgent
        return cls.for_env(base, seed=seed)
    if name == "gittins" or (name in _CLASSIC and not arg):
        if base.kind != "bandit":
            raise invalid(
                "--agent",
                spec,
                f"a baseline for prediction tasks: {', '.join(PREDICTION_BASELINES)}",
            )
        if name == "gittins":
            from bayes_meta_envs.baselines.gittins import GittinsAgent

            try:
                gamma = float(arg) if arg else 0.9
            except ValueError:
                raise invalid("--agent", spec, "gittins:GAMMA with GAMMA in (0, 1)") from None
            return GittinsAgent.for_env(base, gamma=gamma, seed=seed)
        classic = importlib.import_module("bayes_meta_envs.baselines.classic")
        return getattr(classic, _CLASSIC[name]).for_env(base, seed=seed)
    if name in ("plugin", "prior"):
        raise invalid("--agent", spec, f"a baseline for bandits: {', '.join(BANDIT_BASELINES)}")
    return None


def _import_attribute(spec: str) -> Any:
    module_name, _, attr = spec.rpartition(":")
    if not module_name or not attr:
        raise invalid("--agent", spec, "module:attribute")
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise invalid("--agent", spec, f"module:attribute with an existing file {path}")
        mod_spec = importlib.util.spec_from_file_location(path.stem, path)
        if mod_spec is None or mod_spec.loader is None:
            raise invalid("--agent", spec, "an importable Python file")
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
    else:
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise invalid(
                "--agent", spec, f"module:attribute with an importable module ({exc})"
            ) from exc
    try:
        return functools.reduce(getattr, attr.split("."), module)
    except AttributeError:
        raise invalid(
            "--agent", spec, f"module:attribute where {module_name} has an attribute {attr!r}"
        ) from None


def resolve_agent(spec: str, env: Any, *, seed: int = 0) -> Any:
    """The agent named by the CLI's SPEC (see the module docstring) for ``env``.

    Returns an object :func:`~bayes_meta_envs.scoring.score.score` accepts (an Agent, an SB3
    model or a callable).
    """
    from bayes_meta_envs.envs import unwrap_meta_env

    if not isinstance(spec, str) or not spec:
        raise invalid("--agent", spec, "a non-empty SPEC")
    base = unwrap_meta_env(env)
    agent = _baseline(spec, base, seed)
    if agent is not None:
        return agent
    if os.path.isdir(spec):
        try:
            load = importlib.import_module("bayes_meta_envs.agents").load
        except (ImportError, AttributeError):
            raise InvalidArgumentError(
                f"--agent {spec!r} is a saved agent folder, but bayes_meta_envs.agents.load is not "
                "available in this installation (install the 'train' extra)"
            ) from None
        return load(spec)
    if ":" in spec:
        obj = _import_attribute(spec)
        if isinstance(obj, type):
            for_env = getattr(obj, "for_env", None)
            return for_env(base) if callable(for_env) else obj()
        return obj
    raise invalid(
        "--agent",
        spec,
        f"a baseline ({', '.join(baselines_for(base.kind))}), a saved agent folder, or "
        "module:attribute",
    )


# ----------------------------------------------------------------------------------------------
# bayes-meta score
# ----------------------------------------------------------------------------------------------


def configure_score(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agent",
        required=True,
        metavar="SPEC",
        help="bayes, gittins:0.9, thompson, ucb1, greedy, random (bandits); bayes, plugin, prior "
        "(prediction); a saved agent folder; or module:attribute",
    )
    parser.add_argument("--env", default="MetaBandit-v0", metavar="ID", help="registered env id")
    parser.add_argument(
        "--env-kwargs",
        default="{}",
        metavar="JSON",
        help="env kwargs as JSON, e.g. '{\"n_arms\": 3}'",
    )
    parser.add_argument("--episodes", type=int, default=10_000, metavar="N")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--batch-size", type=int, default=None, metavar="B")
    parser.add_argument("--json", default=None, metavar="OUT", help="write the report as JSON")
    parser.add_argument("--traces", default=None, metavar="OUT", help="write traces (.npz)")
    parser.add_argument(
        "--trace-episodes",
        type=int,
        default=DEFAULT_TRACE_EPISODES,
        metavar="N",
        help=f"record the traces of the first N episodes (default {DEFAULT_TRACE_EPISODES})",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_score(args: argparse.Namespace) -> int:
    from bayes_meta_envs._io import atomic_write_text
    from bayes_meta_envs.envs import unwrap_meta_env
    from bayes_meta_envs.scoring.score import score

    kwargs = parse_env_kwargs(args.env_kwargs) or {}
    base = unwrap_meta_env(args.env, **kwargs)
    agent = resolve_agent(args.agent, base, seed=args.seed)
    report = score(
        agent,
        args.env,
        env_kwargs=kwargs,
        episodes=args.episodes,
        seed=args.seed,
        record_traces=args.trace_episodes if args.traces else False,
        batch_size=args.batch_size,
        progress=False if args.no_progress else None,
        agent_name=args.agent,
    )
    print(report.summary())
    if args.json:
        atomic_write_text(args.json, report.to_json() + "\n")
        print(f"wrote {args.json}")
    if args.traces and report.traces is not None:
        report.traces.save(args.traces)
        print(f"wrote {args.traces} ({report.traces.n_episodes} episodes)")
    return 0


# ----------------------------------------------------------------------------------------------
# bayes-meta baselines
# ----------------------------------------------------------------------------------------------


def configure_baselines(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--episodes", type=int, default=100_000, metavar="N")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--out", default="baselines", metavar="DIR", help="output folder")
    parser.add_argument(
        "--envs", nargs="+", default=None, metavar="ID", help="only these registered envs"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def make_scoreboard(
    episodes: int,
    seed: int,
    env_ids: list[str] | None = None,
    progress: bool | None = False,
) -> dict[str, Any]:
    """Score every baseline on every registered env (default kwargs); return the scoreboard dict
    that ``bayes-meta baselines`` writes as ``scoreboard.json``."""
    import bayes_meta_envs
    from bayes_meta_envs.envs import ENV_SPECS, unwrap_meta_env
    from bayes_meta_envs.scoring.score import score

    known = [e.id for e in ENV_SPECS]
    ids = known if env_ids is None else list(env_ids)
    for env_id in ids:
        if env_id not in known:
            raise invalid("--envs", env_id, f"one of {known}")
    envs: dict[str, Any] = {}
    for env_id in ids:
        base = unwrap_meta_env(env_id)
        reports: dict[str, Any] = {}
        for spec in baselines_for(base.kind):
            start = time.perf_counter()
            agent = resolve_agent(spec, base, seed=seed)
            report = score(
                agent, env_id, episodes=episodes, seed=seed, progress=progress, agent_name=spec
            )
            reports[spec] = report.to_dict()
            log.info("%s on %s: %.1f s", spec, env_id, time.perf_counter() - start)
        envs[env_id] = {"env_kind": base.kind, "reports": reports}
    return {
        "kind": SCOREBOARD_KIND,
        "schema_version": SCOREBOARD_SCHEMA_VERSION,
        "episodes": episodes,
        "seed": seed,
        "package_version": bayes_meta_envs.__version__,
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
    ("normalised_score", "normalised"),
    ("kl", "KL(Bayes‖agent)/step"),
    ("agreement", "agreement"),
)
_PREDICTION_COLUMNS = (
    ("log_loss", "log-loss/step"),
    ("excess_log_loss", "excess log-loss/step"),
    ("normalised_score", "normalised"),
    ("kl", "KL(Bayes‖agent)/step"),
)


def scoreboard_markdown(board: dict[str, Any], seconds: float | None = None) -> str:
    """The README of the scoreboard folder: one Markdown table per environment."""
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
        "on the same tasks and noise; normalised score: random 0, Bayes-optimal 1; KL from the "
        "Bayes-optimal policy to the agent's along the agent's trajectory (inf when the agent "
        "puts probability 0 on an action the Bayes-optimal agent may take); agreement: "
        "probability of taking a Bayes-optimal action. Prediction: per-step log-loss, excess "
        "over the exact posterior predictive, normalised score (prior predictive 0, Bayes 1) and "
        "KL between the predictives. Definitions: `bayes_meta_envs/scoring/score.py`. "
        "The machine-readable version is [scoreboard.json](scoreboard.json).",
        "",
    ]
    if seconds is not None:
        lines += [f"Generated in {seconds:.0f} s.", ""]
    for env_id, entry in board["envs"].items():
        reports = entry["reports"]
        columns = _BANDIT_COLUMNS if entry["env_kind"] == "bandit" else _PREDICTION_COLUMNS
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


def run_baselines(args: argparse.Namespace) -> int:
    from bayes_meta_envs._io import atomic_write_text

    start = time.perf_counter()
    board = make_scoreboard(
        args.episodes, args.seed, args.envs, progress=False if args.no_progress else None
    )
    seconds = time.perf_counter() - start
    out = Path(args.out)
    atomic_write_text(out / "scoreboard.json", json.dumps(board, indent=1, allow_nan=False) + "\n")
    atomic_write_text(out / "README.md", scoreboard_markdown(board, seconds))
    n = sum(len(e["reports"]) for e in board["envs"].values())
    print(
        f"scored {n} agent/env pairs in {seconds:.1f} s; wrote {out / 'scoreboard.json'} and "
        f"{out / 'README.md'}"
    )
    return 0
