"""`bayes-meta --version` reports the installed distribution's version."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from bayes_meta_envs.cli import main


def test_version_flag_prints_the_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    expected = importlib.metadata.version("bayes-meta-envs")  # the installed metadata, not ours
    assert capsys.readouterr().out.strip() == f"bayes-meta {expected}"


def test_version_flag_from_the_module_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bayes_meta_envs.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("bayes-meta ")
