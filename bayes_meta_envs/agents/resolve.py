"""Agents by name: what ``bayes-meta score --agent SPEC`` (and the scoreboard) accept.

A SPEC is one of:

* a baseline of the registry (:mod:`bayes_meta_envs.baselines.registry`): ``bayes``,
  ``gittins:0.9``, ``thompson``, ``ucb1``, ``greedy``, ``random`` (bandits); ``bayes``,
  ``plugin``, ``prior`` (prediction tasks);
* a saved agent folder (anything :func:`bayes_meta_envs.agents.zoo.load` reads), or
  ``zoo:NAME``, an agent of the zoo shipped in the package (``agents.zoo_names()``);
* ``module:attribute`` or ``path/to/file.py:attribute``: an agent object, a callable
  ``fn(obs_batch) -> actions``, an SB3 model, or a class (built with ``cls.for_env(task)`` when it
  has one, else ``cls()``).

Importing ``module:attribute`` runs that module's code: it is the user's own agent code, named
explicitly on the command line.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from bayes_meta_envs.agents.zoo import ZOO_PREFIX, load, zoo_names
from bayes_meta_envs.baselines.registry import baselines_for, is_baseline, make_baseline
from bayes_meta_envs.errors import invalid
from bayes_meta_envs.task import MetaTask

_ARG = "--agent"


def resolve_agent(spec: str, task: MetaTask, *, seed: int = 0, argument: str = _ARG) -> Any:
    """The agent named by ``spec`` (see the module docstring) for ``task``.

    Returns an object :func:`~bayes_meta_envs.scoring.score` accepts (an Agent, an SB3 model or a
    callable); :func:`~bayes_meta_envs.scoring.score` calls it for a string agent. Errors name
    ``argument`` (``--agent`` on the command line) and the SPEC.
    """
    if not isinstance(spec, str) or not spec:
        raise invalid(argument, spec, "a non-empty SPEC")
    if is_baseline(spec):
        return make_baseline(spec, task, seed=seed, argument=argument)
    if os.path.isdir(spec):
        return load(spec)
    if spec.startswith(ZOO_PREFIX):
        if spec[len(ZOO_PREFIX) :] not in zoo_names():
            raise invalid(argument, spec, f"zoo:NAME with NAME one of {zoo_names()}")
        return load(spec)
    if ":" in spec:
        obj = _import_attribute(spec, argument)
        if isinstance(obj, type):
            for_env = getattr(obj, "for_env", None)
            return for_env(task) if callable(for_env) else obj()
        return obj
    raise invalid(
        argument,
        spec,
        f"a baseline ({', '.join(baselines_for(task.kind))}), a saved agent folder, "
        "zoo:NAME, or module:attribute",
    )


def _import_attribute(spec: str, argument: str) -> Any:
    module_name, _, attr = spec.rpartition(":")
    if not module_name or not attr:
        raise invalid(argument, spec, "module:attribute")
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise invalid(argument, spec, f"module:attribute with an existing file {path}")
        mod_spec = importlib.util.spec_from_file_location(path.stem, path)
        if mod_spec is None or mod_spec.loader is None:
            raise invalid(argument, spec, "an importable Python file")
        module = importlib.util.module_from_spec(mod_spec)
        try:
            mod_spec.loader.exec_module(module)
        except Exception as exc:  # the user's code: a syntax error, or it raised on import
            raise invalid(argument, spec, f"a Python file that imports ({_describe(exc)})") from exc
    else:
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # not found, a syntax error, or it raised on import
            raise invalid(
                argument, spec, f"module:attribute with an importable module ({_describe(exc)})"
            ) from exc
    try:
        return functools.reduce(getattr, attr.split("."), module)
    except AttributeError:
        raise invalid(
            argument, spec, f"module:attribute where {module_name} has an attribute {attr!r}"
        ) from None


def _describe(exc: Exception) -> str:
    """One line about an exception raised while importing the user's module."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} at line {exc.lineno}"
    return f"{type(exc).__name__}: {exc}"
