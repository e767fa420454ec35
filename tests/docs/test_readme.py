"""The README's quickstart runs as printed, and prints the table the README shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_quickstart_runs_and_prints_the_readmes_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")  # the quickstart loads a zoo agent
    text = README.read_text(encoding="utf-8")
    code = _blocks(text, "python")
    assert len(code) == 1, "the README has one Python block, the quickstart"
    monkeypatch.chdir(tmp_path)  # a user's own folder, not the repository
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code[0], str(README), "exec"), {"__name__": "__readme__"})
    printed = out.getvalue().splitlines()
    table = _blocks(text.split("It prints", 1)[1], "")[0].splitlines()
    assert printed[:2] == table[:2]  # the header
    for row in table[2:]:
        name = row[:28].strip()
        got = next(line for line in printed if line.startswith(name))
        if name == "zoo LSTM":  # torch: the last digits may differ between CPUs and versions
            ours, theirs = (np.array(re.findall(r"-?\d+\.\d+", r), float) for r in (got, row))
            np.testing.assert_allclose(ours, theirs, atol=5e-4)
        else:
            assert got == row
