"""Tests of ``_lazy.attach``: a package's PEP 562 ``__getattr__`` and ``__dir__``."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from bayes_meta_envs.errors import MissingDependencyError


@pytest.fixture
def lazypkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A throwaway package ``lazypkg`` whose names ``VALUE``, ``heavy`` and ``NEEDS_DEP`` are lazy."""
    pkg = tmp_path / "lazypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            """
            from bayes_meta_envs._lazy import attach

            EAGER = 1
            _LAZY = {"VALUE": "values", "heavy": None, "NEEDS_DEP": "needs_dep"}
            _EXTRAS = {"no_such_dependency_xyz": "xyz"}
            __getattr__, __dir__ = attach(__name__, _LAZY, _EXTRAS)
            """
        )
    )
    (pkg / "values.py").write_text("VALUE = 42\n")
    (pkg / "heavy.py").write_text("WEIGHT = 7\n")
    (pkg / "needs_dep.py").write_text("import no_such_dependency_xyz\nNEEDS_DEP = 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazypkg

    yield lazypkg
    for name in [m for m in sys.modules if m == "lazypkg" or m.startswith("lazypkg.")]:
        del sys.modules[name]


def test_a_lazy_name_is_imported_on_first_use_and_then_stored(lazypkg) -> None:
    assert "lazypkg.values" not in sys.modules and "VALUE" not in vars(lazypkg)
    assert lazypkg.VALUE == 42
    assert "lazypkg.values" in sys.modules and vars(lazypkg)["VALUE"] == 42
    assert lazypkg.heavy.WEIGHT == 7  # a sub-module named by None


def test_dir_lists_eager_and_lazy_names_and_unknown_names_raise(lazypkg) -> None:
    assert {"EAGER", "VALUE", "heavy", "NEEDS_DEP"} <= set(dir(lazypkg))
    assert "lazypkg.values" not in sys.modules  # dir() imports nothing
    with pytest.raises(AttributeError, match="module 'lazypkg' has no attribute 'nothing'"):
        lazypkg.nothing  # noqa: B018


def test_a_missing_dependency_names_the_extra(lazypkg) -> None:
    with pytest.raises(
        MissingDependencyError, match=r"no_such_dependency_xyz.*bayes-meta-envs\[xyz\]"
    ):
        lazypkg.NEEDS_DEP  # noqa: B018
