"""Exception hierarchy of bayes-meta-envs.

Every error raised for bad user input is one of these. They subclass the built-in
``ValueError`` / ``TypeError`` so that generic ``except ValueError`` code keeps working, and their
messages name the argument and the value received.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "BayesMetaError",
    "CheckpointError",
    "InvalidActionError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "MissingDependencyError",
    "MissingFileError",
    "ProblemTooLargeError",
    "ScoringError",
    "TraceSchemaError",
    "UnknownEnvironmentError",
]


class BayesMetaError(Exception):
    """Base class of every exception raised by bayes-meta-envs."""


class InvalidArgumentError(BayesMetaError, ValueError):
    """An argument has the right type but an invalid value (range, shape, ...)."""


class InvalidArgumentTypeError(BayesMetaError, TypeError):
    """An argument has the wrong type."""


class InvalidActionError(BayesMetaError, ValueError):
    """An action passed to ``step`` is outside the action space (type, shape, range, NaN)."""


class ProblemTooLargeError(InvalidArgumentError):
    """An exact solver was asked for a problem whose estimated size exceeds its (configurable)
    limit; the message states the estimate, the limit and how to raise it."""


class UnknownEnvironmentError(BayesMetaError, ValueError):
    """An environment id or object is not one this package knows how to handle."""


class ScoringError(BayesMetaError, RuntimeError):
    """An agent misbehaved while being scored (raised, wrong shape, NaN, invalid action)."""


class TraceSchemaError(BayesMetaError, ValueError):
    """A trace file does not follow a schema this version understands."""


class CheckpointError(BayesMetaError, ValueError):
    """A checkpoint or saved agent is missing, corrupt or incompatible."""


class MissingFileError(BayesMetaError, FileNotFoundError):
    """A file or folder a function was asked to read does not exist (still a
    ``FileNotFoundError`` for generic code); the message names the argument and the path."""


class MissingDependencyError(BayesMetaError, ImportError):
    """An optional dependency is missing; the message names the pip extra that provides it."""


def invalid(name: str, value: Any, expected: str) -> InvalidArgumentError:
    """Build an :class:`InvalidArgumentError` naming the argument, the value and what was expected."""
    return InvalidArgumentError(f"{name} must be {expected}, got {value!r}")


def wrong_type(name: str, value: Any, expected: str) -> InvalidArgumentTypeError:
    """Build an :class:`InvalidArgumentTypeError` naming the argument, its type and the expected type."""
    return InvalidArgumentTypeError(
        f"{name} must be {expected}, got {value!r} of type {type(value).__name__}"
    )


def unknown_argument(owner: str, name: str, value: Any, valid: Any) -> InvalidArgumentTypeError:
    """Build the error of a keyword ``name`` that ``owner`` does not take, listing the valid ones."""
    return InvalidArgumentTypeError(
        f"{owner} got an unknown argument {name}={short_repr(value)}; "
        f"valid names: {', '.join(valid) if valid else '(none)'}"
    )


def short_repr(value: object, width: int = 80) -> str:
    """``repr(value)``, cut to ``width`` characters (ending in ``...``) for a one-line message."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def require(module: str, extra: str) -> Any:
    """Import an optional dependency, or raise :class:`MissingDependencyError` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingDependencyError(
            f"{module} is required for this feature; install it with "
            f"`pip install 'bayes-meta-envs[{extra}]'`"
        ) from exc
