"""Lazy attributes of a package (PEP 562): the modules that import a heavy optional dependency
(torch, SB3, scikit-learn, matplotlib, Ray) at their top are imported when one of their names is
first used, so that ``import bayes_meta_envs`` stays light.

A package lists its lazy names and takes its module ``__getattr__`` and ``__dir__`` from
:func:`attach` (names for type checkers come from an ``if TYPE_CHECKING:`` import block)::

    _LAZY = {"LSTMAgent": "agent", ...}          # name -> the sub-module that defines it
    _EXTRAS = {"torch": "train", ...}            # heavy dependency -> the pip extra with it

    __getattr__, __dir__ = attach(__name__, _LAZY, _EXTRAS)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

from bayes_meta_envs.errors import MissingDependencyError

__all__ = ["TRAIN_EXTRAS", "attach", "lazy_import"]

#: The dependencies of the ``train`` extra: what the recipes' modules import at their top.
TRAIN_EXTRAS = {
    "torch": "train",
    "safetensors": "train",
    "stable_baselines3": "train",
    "sb3_contrib": "train",
}


def lazy_import(package: str, module: str | None, name: str, extras: Mapping[str, str]) -> Any:
    """``name`` from the sub-module ``package.module`` (or the sub-module ``package.name`` itself
    when ``module`` is None), imported now.

    A missing dependency that ``extras`` names raises :class:`MissingDependencyError` naming the
    dependency and the pip extra that provides it; any other import error propagates.
    """
    try:
        imported = importlib.import_module(f"{package}.{module or name}")
    except ImportError as exc:
        root = (exc.name or "").split(".")[0]
        if root not in extras:
            raise
        extra = extras[root]
        raise MissingDependencyError(
            f"{package}.{name} needs {root}: install the {extra!r} extra with "
            f"`pip install 'bayes-meta-envs[{extra}]'`"
        ) from exc
    return imported if module is None else getattr(imported, name)


def attach(
    package: str, lazy: Mapping[str, str | None], extras: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package`` (PEP 562).

    ``lazy`` maps each lazy name to the sub-module that defines it (None: the name is a
    sub-module). The first access of a name imports its sub-module through :func:`lazy_import`
    and stores the value in the package, so later accesses are plain attribute reads; any other
    name raises :class:`AttributeError`. ``__dir__`` lists the package's names and the lazy ones.
    """

    def __getattr__(name: str) -> Any:
        if name not in lazy:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = lazy_import(package, lazy[name], name, extras)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(lazy))

    return __getattr__, __dir__
