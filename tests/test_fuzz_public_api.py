"""Fuzz every public entry of the package (issue 34): only bayes_meta_envs.errors may escape.

The entries, the kinds of bad values and the caps are in :mod:`tests.fuzz_harness`. The entries
are split into :data:`SHARDS` shards, each fuzzed in its own interpreter (so that the memory cap
and a hang stay there), which ``pytest -n 2`` runs two at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import fuzz_harness

SHARDS = 4
HARNESS = Path(fuzz_harness.__file__).resolve()
#: Wall-clock limit of one shard's interpreter (the per-call cap is fuzz_harness.CALL_CAP_S).
SHARD_LIMIT_S = 240


@pytest.mark.parametrize("shard", range(SHARDS))
def test_only_package_errors_escape_the_public_api(shard: int, tmp_path: Path) -> None:
    env = dict(os.environ)
    root = str(HARNESS.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), root) if p)
    try:
        proc = subprocess.run(
            [sys.executable, str(HARNESS), str(shard), str(SHARDS)],
            cwd=tmp_path,  # calls may write files (run folders, traces): here
            env=env,
            capture_output=True,
            text=True,
            timeout=SHARD_LIMIT_S,
        )
    except subprocess.TimeoutExpired as exc:
        progress = (exc.stderr or b"").decode(errors="replace") if exc.stderr else ""
        last = [line for line in progress.splitlines() if line.startswith("fuzzing ")][-1:]
        pytest.fail(f"shard {shard} ran over {SHARD_LIMIT_S} s; last entry started: {last}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["entries"], "no entry fuzzed: the discovery of public names broke"
    failures = "\n".join(
        f"{f['entry']}({f['parameter']}=<{f['kind']}> {f['value']}): {f['escaped']}"
        for f in result["failures"]
    )
    assert not result["failures"], f"non-package errors escaped:\n{failures}"


def test_every_public_name_is_fuzzed_or_allowed() -> None:
    """The allow-list names only public entries, each with a reason; the rest are fuzzed."""
    found = fuzz_harness.entries()
    for name, reason in fuzz_harness.ALLOWED.items():
        assert name in found, f"{name} is allowed but is not a public entry"
        assert reason
    assert len(found) > 100  # the root, the sub-packages and their lazy names
    assert "bayes_meta_envs.score" in found and "bayes_meta_envs.agents.LSTMConfig" in found
