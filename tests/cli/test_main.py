"""The ``bayes-meta`` entry point: the table of subcommands, exit codes, and its light imports."""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bayes_meta_envs.baselines.gittins import gittins_index
from bayes_meta_envs.cli import SUBCOMMANDS, build_parser, main
from bayes_meta_envs.envs import ENV_SPECS
from bayes_meta_envs.errors import InvalidArgumentError


def test_every_subcommand_is_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for name in ("envs", "gittins", "score", "baselines", "train", "sweep", "report", "demo"):
        assert name in SUBCOMMANDS and name in text


def test_the_module_docstring_lists_every_subcommand() -> None:
    import bayes_meta_envs.cli as cli

    listed = {line.split()[1] for line in (cli.__doc__ or "").splitlines() if "bayes-meta " in line}
    assert set(SUBCOMMANDS) <= listed, set(SUBCOMMANDS) - listed


def test_help_imports_no_torch_or_matplotlib() -> None:
    code = (
        "import sys\n"
        "from bayes_meta_envs.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "for name in ('score', 'train', 'demo'):\n"
        "    try:\n"
        "        main([name, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "bad = [m for m in ('torch', 'matplotlib', 'stable_baselines3', 'sb3_contrib')"
        " if m in sys.modules]\n"
        "sys.exit(f'imported {bad}' if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_no_subcommand_prints_help_and_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def _patch_run(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def run(args: argparse.Namespace) -> int:
        raise exc

    monkeypatch.setattr(SUBCOMMANDS["envs"][0], "run", run)


def test_library_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _patch_run(monkeypatch, InvalidArgumentError("x must be 1, got 2"))
    assert main(["envs"]) == 2
    assert capsys.readouterr().err == "bayes-meta envs: error: x must be 1, got 2\n"


def test_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _patch_run(monkeypatch, KeyboardInterrupt())
    assert main(["envs"]) == 130
    assert capsys.readouterr().err == "bayes-meta envs: interrupted\n"


def test_broken_pipe_is_quiet() -> None:
    # `bayes-meta envs | head -1`: the reader closes the pipe early; no traceback
    proc = subprocess.run(
        f"{sys.executable} -m bayes_meta_envs.cli gittins --max-n 60 | head -1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert proc.stdout.startswith("Gittins indices")
    assert "Traceback" not in proc.stderr


def test_envs_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["envs"]) == 0
    text = capsys.readouterr().out
    assert all(e.id in text for e in ENV_SPECS) and "kwargs:" in text
    assert main(["envs", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [e.id for e in ENV_SPECS]


def test_gittins_text_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gittins", "--gamma", "0.9", "--max-n", "6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "gamma=0.9" in lines[0] and len(lines) == 2 + 5
    assert f"{gittins_index(1, 1, 0.9):.6f}" in lines[2]
    out = tmp_path / "g.csv"
    assert main(["gittins", "--gamma", "0.9", "--max-n", "6", "--out", str(out)]) == 0
    msg = capsys.readouterr().out
    assert msg == f"wrote 15 Gittins indices (gamma=0.9, a + b <= 6) to {out}\n"
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 15
    for r in rows:
        assert abs(float(r["index"]) - gittins_index(int(r["a"]), int(r["b"]), 0.9)) < 1e-9
    assert sorted(os.listdir(tmp_path)) == ["g.csv"]


def test_gittins_bad_gamma_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gittins", "--gamma", "1.5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayes-meta gittins: error: ") and "gamma" in err
    assert err.count("\n") == 1
