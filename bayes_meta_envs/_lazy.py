"""Lazy attributes of a package (PEP 562): the modules that import a heavy optional dependency
(torch, SB3, scikit-learn, matplotlib, Ray) at their top are imported when one of their names is
first used, so that ``import bayes_meta_envs`` stays light.

A package lists its lazy names and calls :func:`lazy_import` from its module ``__getattr__``::

    _LAZY = {"LSTMAgent": "agent", ...}          # name -> the sub-module that defines it
    _EXTRAS = {"torch": "train", ...}            # heavy dependency -> the pip extra with it

    def __getattr__(name: str) -> Any:
        if name not in _LAZY:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = globals()[name] = lazy_import(__name__, _LAZY[name], name, _EXTRAS)
        return value
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from bayes_meta_envs.errors import MissingDependencyError

__all__ = ["lazy_import"]


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
