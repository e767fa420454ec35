"""The package's structure rules that import-linter does not check (DESIGN.md, Layout).

* no module imports the package root (``__version__`` lives in ``_version``);
* no class is defined inside a function (it could not be imported, typed or documented);
* an import inside a function is only of an optional heavy dependency;
* no module is much over 450 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bayes_meta_envs"
MODULES = sorted(PACKAGE.rglob("*.py"))
HEAVY = (
    "torch",
    "safetensors",
    "stable_baselines3",
    "sb3_contrib",
    "matplotlib",
    "tqdm",
    "sklearn",
    "ray",
)
# package modules that import torch / SB3 at their top: importing them inside a function is the
# lazy import of a heavy dependency
HEAVY_MODULES = ("bayes_meta_envs.agents.lstm.", "bayes_meta_envs.agents.recurrent_ppo.")
MAX_LINES = 460


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(PACKAGE)) for p in paths]


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return [alias.name for alias in node.names]


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_module_structure(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_LINES, f"{path.name} has grown past {MAX_LINES} lines"
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name != "bayes_meta_envs", f"line {node.lineno} imports the root"
        if isinstance(node, ast.ImportFrom) and node.module == "bayes_meta_envs":
            for alias in node.names:  # sub-modules may be named this way, nothing else
                sub = PACKAGE / alias.name
                assert sub.is_dir() or sub.with_suffix(".py").is_file(), (
                    f"line {node.lineno} takes {alias.name} from the package root"
                )
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            assert not isinstance(inner, ast.ClassDef), (
                f"class {inner.name} is defined inside {node.name}()"  # type: ignore[union-attr]
            )
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                for name in _imported(inner):
                    heavy = name.split(".")[0] in HEAVY or name.startswith(HEAVY_MODULES)
                    assert heavy or name == "importlib", (
                        f"{node.name}() imports {name} inside the function (line {inner.lineno})"
                    )
