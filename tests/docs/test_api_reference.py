"""The site's API reference has an entry for every name of every public ``__all__``, of the right
kind (``score`` a function, not the module it once shared its name with), and the navigation lists
every zoo card. Builds the site (``mkdocs build --strict``, a few seconds) when the ``docs`` extra
is installed."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("mkdocs_gen_files")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r'<div class="doc doc-object doc-(\w+)">\s*<h\d id="([\w.]+)"')


def _reference_modules() -> list[str]:
    """``REFERENCE`` of docs/gen_pages.py (read, not imported: importing it builds pages)."""
    tree = ast.parse((ROOT / "docs" / "gen_pages.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "REFERENCE" for t in targets):
                return list(ast.literal_eval(node.value))
    raise AssertionError("docs/gen_pages.py has no REFERENCE")


REFERENCE = _reference_modules()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _public_names(module: ModuleType) -> list[str]:
    return [n for n in getattr(module, "__all__", []) if not n.startswith("_")]


def _kind(obj: object) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if inspect.isroutine(obj):
        return "function"
    return "attribute"


@pytest.mark.parametrize("module_name", REFERENCE)
def test_every_public_name_has_a_rendered_entry(site: Path, module_name: str) -> None:
    module = importlib.import_module(module_name)
    page = (site / "reference" / module_name / "index.html").read_text(encoding="utf-8")
    rendered = {ident: kind for kind, ident in ENTRY.findall(page)}
    missing = []
    for name in _public_names(module):
        obj = getattr(module, name)
        kind = _kind(obj)
        if kind == "module":  # a sub-package in __all__ has a page of its own
            if obj.__name__ not in REFERENCE:
                missing.append(f"{name} (module {obj.__name__} has no reference page)")
            continue
        got = rendered.get(f"{module_name}.{name}")
        if got is None:
            missing.append(name)
        elif got != kind:
            missing.append(f"{name} (rendered as a {got}, is a {kind})")
    assert not missing, f"{module_name}: no rendered entry for {missing}"


def test_score_comes_first_and_is_the_function(site: Path) -> None:
    for module_name in ("bayes_meta_envs", "bayes_meta_envs.scoring"):
        page = (site / "reference" / module_name / "index.html").read_text(encoding="utf-8")
        entries = ENTRY.findall(page)
        assert entries[0] == ("module", module_name)
        assert entries[1] == ("function", f"{module_name}.score"), entries[:3]


def test_every_zoo_card_is_in_the_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    flat = repr(config["nav"])
    cards = sorted(p.parent.name for p in (ROOT / "agents").glob("*/README.md"))
    assert len(cards) == 6
    for name in cards:
        assert f"zoo/{name}.md" in flat, name
