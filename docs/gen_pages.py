"""Generate the site's derived pages at build time (mkdocs-gen-files; see mkdocs.yml).

Nothing here is a second copy: every page is made from the source of truth when the site builds.

* ``envs/<id>.md``: the environment's class docstring (mkdocstrings) under a frame that the env
  itself renders (``render_mode="rgb_array"``) while the Bayes-optimal agent plays 12 steps;
* ``cli.md``: the ``bayes-meta`` help texts, from ``bayes_meta_envs.cli.build_parser()``;
* ``zoo/``: the model cards of the trained agents, from ``agents/*/README.md``;
* ``scoreboard.md``: the baselines' scoreboard, from ``baselines/README.md``;
* ``report/index.md``: the committed paper report, from ``reports/REPORT.md`` and its figures;
* ``reference/<module>.md``: the API reference, one mkdocstrings page per public module (the
  package root's and ``scoring``'s in the order of their ``__all__``, ``score`` first); every
  name of a public ``__all__`` must get an entry (``tests/docs/test_api_reference.py``);
* ``analysis.md`` / ``sweeps.md``: a placeholder only while the page itself is not in ``docs/``.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from pathlib import Path

import gymnasium as gym
import mkdocs_gen_files
import numpy as np

import bayes_meta_envs
from bayes_meta_envs.baselines import make_baseline
from bayes_meta_envs.cli import SUBCOMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
FRAME_STEPS = 12
FRAME_SEED = 4
SCALE = 2  # frames are upscaled (nearest neighbour) for the page

#: public modules of the API reference, in the order of the layers (DESIGN.md), bottom first
REFERENCE = [
    "bayes_meta_envs",
    "bayes_meta_envs.errors",
    "bayes_meta_envs.families",
    "bayes_meta_envs.envs",
    "bayes_meta_envs.task",
    "bayes_meta_envs.testing",
    "bayes_meta_envs.protocol",
    "bayes_meta_envs.baselines",
    "bayes_meta_envs.rollout",
    "bayes_meta_envs.agents",
    "bayes_meta_envs.agents.lstm",
    "bayes_meta_envs.agents.recurrent_ppo",
    "bayes_meta_envs.scoring",
    "bayes_meta_envs.analysis",
    "bayes_meta_envs.sweep",
    "bayes_meta_envs.sweep.runner",
    "bayes_meta_envs.sweep.trial",
]
#: pages whose members follow ``__all__`` as one list (``score`` first), not grouped by kind
ALL_ORDER = {"bayes_meta_envs", "bayes_meta_envs.scoring"}

PLACEHOLDERS = {
    "analysis.md": ("Analysis and the report", "the analysis of agents (`bayes-meta report`)"),
    "sweeps.md": ("Sweeps on Ray", "many training runs on Ray Tune (`bayes-meta sweep`)"),
}


def png(frame: np.ndarray) -> bytes:
    """Encode an ``(H, W, 3)`` uint8 array as PNG (zlib only, no imaging library)."""
    h, w, _ = frame.shape
    raw = b"".join(b"\x00" + frame[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def bayes_frame(env_id: str) -> np.ndarray:
    """The env's own frame after the Bayes-optimal agent has played ``FRAME_STEPS`` steps."""
    env = gym.make(env_id, render_mode="rgb_array")
    agent = make_baseline("bayes", bayes_meta_envs.task_of(env))
    obs, _ = env.reset(seed=FRAME_SEED)
    state, start = None, np.ones(1, dtype=bool)
    for _ in range(FRAME_STEPS):
        action, state = agent.predict(obs[None], state, start, deterministic=True)
        start = np.zeros(1, dtype=bool)
        obs, *_ = env.step(action[0])
    frame = env.render()
    return np.repeat(np.repeat(frame, SCALE, axis=0), SCALE, axis=1)


def env_pages() -> None:
    for info in bayes_meta_envs.ENV_SPECS:
        module, cls = info.entry_point.split(":")
        with mkdocs_gen_files.open(f"envs/{info.id}.png", "wb") as f:
            f.write(png(bayes_frame(info.id)))
        with mkdocs_gen_files.open(f"envs/{info.id}.md", "w") as f:
            f.write(f"# {info.id}\n\n{info.description}.\n\n")
            f.write(
                f"![{info.id} rendered](./{info.id}.png)\n\n"
                f'*`render_mode="rgb_array"` after the Bayes-optimal agent\'s first '
                f"{FRAME_STEPS} steps (seed {FRAME_SEED}); what the frame shows is described "
                "under Arguments or Rendering below.*\n\n"
            )
            kwargs = ", ".join(f"{k}={v!r}" for k, v in info.kwargs.items())
            f.write(f'Defaults: `gym.make("{info.id}", {kwargs})`.\n\n')
            f.write(f"::: {module}.{cls}\n    options:\n      show_root_heading: false\n")
            f.write("      show_root_toc_entry: false\n      members: false\n")


def cli_page() -> None:
    os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal width
    parser = build_parser()
    subparsers = next(
        action.choices
        for action in parser._actions  # argparse keeps its subparsers here
        if isinstance(action.choices, dict)
    )
    with mkdocs_gen_files.open("cli.md", "w") as f:
        f.write("# Command line: `bayes-meta`\n\n")
        f.write("Generated from the argument parser (`bayes_meta_envs.cli.build_parser()`).\n\n")
        f.write(f"```text\n{parser.format_help()}```\n\n")
        for name in SUBCOMMANDS:
            f.write(f"## `bayes-meta {name}`\n\n```text\n{subparsers[name].format_help()}```\n\n")


def zoo_pages() -> None:
    cards = sorted(p for p in (ROOT / "agents").glob("*/README.md"))
    link = re.compile(r"\((?:\.\./)?([\w.-]+)/README\.md\)")
    index = (ROOT / "agents" / "README.md").read_text(encoding="utf-8")
    with mkdocs_gen_files.open("zoo/index.md", "w") as f:
        f.write(link.sub(r"(\1.md)", index))
    for card in cards:
        with mkdocs_gen_files.open(f"zoo/{card.parent.name}.md", "w") as f:
            f.write(link.sub(r"(\1.md)", card.read_text(encoding="utf-8")))


def scoreboard_page() -> None:
    with mkdocs_gen_files.open("scoreboard.md", "w") as f:
        f.write((ROOT / "baselines" / "README.md").read_text(encoding="utf-8"))
    for data in (ROOT / "baselines").glob("*.json"):  # the page links its data
        with mkdocs_gen_files.open(data.name, "wb") as f:
            f.write(data.read_bytes())


def report_page() -> None:
    report = ROOT / "reports" / "REPORT.md"
    with mkdocs_gen_files.open("report/index.md", "w") as f:
        if report.exists():
            f.write(report.read_text(encoding="utf-8"))
        else:
            f.write(
                "# The report\n\nThe committed report (`reports/REPORT.md`) is not there yet.\n"
            )
    for figure in (ROOT / "reports").glob("*.png"):
        with mkdocs_gen_files.open(f"report/{figure.name}", "wb") as f:
            f.write(figure.read_bytes())


def reference_pages() -> None:
    for module in REFERENCE:
        with mkdocs_gen_files.open(f"reference/{module}.md", "w") as f:
            f.write(f"# `{module}`\n\n::: {module}\n")
            if module in ALL_ORDER:
                f.write(
                    "    options:\n      members_order: __all__\n      group_by_category: false\n"
                )


def placeholders() -> None:
    for page, (title, what) in PLACEHOLDERS.items():
        if not (ROOT / "docs" / page).exists():
            with mkdocs_gen_files.open(page, "w") as f:
                f.write(f"# {title}\n\nThe page on {what} is not written yet.\n")


env_pages()
cli_page()
zoo_pages()
scoreboard_page()
report_page()
reference_pages()
placeholders()
