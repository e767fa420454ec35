"""``bayes-meta score``: score one agent against the Bayes-optimal agent.

``bayes-meta score --agent SPEC --env ID --episodes N --seed S [--json OUT] [--traces OUT]``
prints ``report.summary()``. SPEC is one of (see :mod:`bayes_meta_envs.agents.resolve`):

* a baseline: ``bayes``, ``gittins:GAMMA`` (``gittins`` = ``gittins:0.9``), ``thompson``,
  ``ucb1``, ``greedy``, ``random`` for bandits; ``bayes``, ``plugin`` (maximum-likelihood
  plug-in) and ``prior`` (prior predictive) for prediction tasks;
* the path of a saved agent folder from the zoo, loaded with ``bayes_meta_envs.agents.load``;
* ``module:attribute`` (or ``path/to/file.py:attribute``; the attribute may be dotted) naming the
  user's agent: an Agent instance, a stable-baselines3 model, or a callable
  ``fn(obs_batch) -> actions``. A *class* is instantiated: with ``cls.for_env(task)`` when it has
  that classmethod, else with ``cls()``. The current directory is importable.

The report (``--json``) and the traces (``--traces``, the first ``--trace-episodes`` episodes,
>= 1) are written as one set: both are written to temporary files, then renamed into place, so
after a failed or interrupted run the two never come from different runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs.agents.resolve import resolve_agent
from bayes_meta_envs.cli._common import flag, option, parse_env_kwargs
from bayes_meta_envs.errors import invalid
from bayes_meta_envs.scoring import score
from bayes_meta_envs.task import task_of

DEFAULT_TRACE_EPISODES = 10_000


def configure(parser: argparse.ArgumentParser) -> None:
    agents = (
        "bayes, gittins:0.9, thompson, ucb1, greedy, random (bandits); bayes, plugin, prior "
        "(prediction); zoo:NAME (a shipped agent, see agents.zoo_names()); a saved agent folder; "
        "or module:attribute"
    )
    parser.add_argument("--agent", required=True, metavar="SPEC", help=agents)
    env_help = "registered env id (bayes-meta envs)"
    option(parser, "--env", "MetaBandit-v0", "ID", env_help, type=None)
    kwargs_help = "env kwargs as JSON, e.g. '{\"n_arms\": 3}'"
    option(parser, "--env-kwargs", "{}", "JSON", kwargs_help, type=None)
    option(parser, "--episodes", 10_000, "N", "episodes to score")
    option(parser, "--seed", 0, "S", "seed of the tasks, noise and agent")
    batch = "episodes run side by side (default: min(N, 10000)); changes speed, not results"
    option(parser, "--batch-size", None, "B", batch)
    option(parser, "--json", None, "OUT", "write the report as JSON", type=None)
    option(parser, "--traces", None, "OUT", "write traces (.npz)", type=None)
    recorded = "record the traces of the first N episodes"
    option(parser, "--trace-episodes", DEFAULT_TRACE_EPISODES, "N", recorded)
    deterministic = (
        "bandits: act on the arg-max of the agent's probabilities instead of sampling "
        "(as stable-baselines3's evaluate_policy does)"
    )
    flag(parser, "--deterministic", deterministic)
    no_bar = "no progress bar (by default one is drawn on a terminal, for 20,000+ episodes)"
    flag(parser, "--no-progress", no_bar)


def run(args: argparse.Namespace) -> int:
    if args.trace_episodes < 1:  # checked with or without --traces: a typo is still a typo
        raise invalid("--trace-episodes", args.trace_episodes, "an int >= 1")
    outputs = [Path(p) for p in (args.json, args.traces) if p]
    for out in outputs:
        if out.is_dir():
            raise invalid("output path", str(out), "a file path (this is a folder)")
    if args.json and args.traces and Path(args.json).resolve() == Path(args.traces).resolve():
        raise invalid("--json, --traces", args.json, "two different files")
    kwargs = parse_env_kwargs(args.env_kwargs) or {}
    task = task_of(args.env, **kwargs)
    agent = resolve_agent(args.agent, task, seed=args.seed)
    report = score(
        agent,
        task,
        episodes=args.episodes,
        seed=args.seed,
        record_traces=args.trace_episodes if args.traces else False,
        batch_size=args.batch_size,
        progress=False if args.no_progress else None,
        agent_name=args.agent,
        deterministic=args.deterministic,
    )
    print(report.summary())
    # the outputs are one set: each is written to a temporary file first and all are renamed
    # into place only once every one is complete, so a failure leaves the previous set whole
    staged: list[tuple[Path, Path]] = []
    try:
        if args.json:
            target = Path(args.json)
            staged.append((_temporary(target), target))
            atomic_write_text(staged[-1][0], report.to_json() + "\n")
        if args.traces and report.traces is not None:
            target = Path(args.traces)
            staged.append((_temporary(target), target))
            report.traces.save(staged[-1][0])
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    if args.json:
        print(f"wrote {args.json}")
    if args.traces and report.traces is not None:
        print(f"wrote {args.traces} ({report.traces.n_episodes} episodes)")
    return 0


def _temporary(target: Path) -> Path:
    """A hidden sibling of ``target`` for staging its new content."""
    return target.with_name(f".{target.name}.{os.getpid()}.staged{target.suffix}")
