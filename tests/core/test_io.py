"""Atomic writes: an interrupted write keeps the old file and leaves no temporary file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bayes_meta_envs._io import atomic_write, atomic_write_text


def test_interrupted_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "scores.json"
    atomic_write_text(target, '{"old": true}\n')

    def crash(tmp: Path) -> None:
        tmp.write_text('{"new": tr')  # half-written
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, crash)
    assert target.read_text() == '{"old": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.json"]


def test_writers_that_need_a_suffix_and_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "arrays.npz"
    atomic_write(target, lambda tmp: np.savez_compressed(tmp, x=np.arange(3)))
    np.testing.assert_array_equal(np.load(target)["x"], np.arange(3))
    assert (target.stat().st_mode & 0o777) == 0o644
    target.chmod(0o600)
    atomic_write_text(target, "replaced")
    assert (target.stat().st_mode & 0o777) == 0o600
