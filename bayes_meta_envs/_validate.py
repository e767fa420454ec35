"""The one copy of the argument checks.

Every public entry point checks its arguments with these functions, so that every bad value gets
the same kind of message: a :mod:`bayes_meta_envs.errors` exception naming the argument, the value
received and what was expected. Each returns the value converted to its canonical Python type.
"""

from __future__ import annotations

import inspect
import math
import os
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

import numpy as np

from bayes_meta_envs.errors import invalid, unknown_argument, wrong_type

__all__ = [
    "StrictArguments",
    "check_agent",
    "check_annotated",
    "check_arguments",
    "check_bool",
    "check_callable",
    "check_choice",
    "check_finite",
    "check_int",
    "check_mapping",
    "check_matrix",
    "check_number",
    "check_optional_bool",
    "check_path",
    "check_positive",
    "check_real_array",
    "check_seed",
]

_INT_TYPES = (int, np.integer)
_NUMBER_TYPES = (int, float, np.integer, np.floating)
T = TypeVar("T")


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]`` (bools are not ints here)."""
    expected = _int_range(minimum, maximum)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _INT_TYPES):
        raise wrong_type(name, value, expected)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise invalid(name, value, expected)
    return int(value)


def _int_range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an int in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"an int >= {minimum}"
    if maximum is not None:
        return f"an int <= {maximum}"
    return "an int"


def check_number(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    expected: str | None = None,
) -> float:
    """``value`` as a finite float in the interval from ``low`` to ``high``.

    The bounds are closed unless ``low_open`` / ``high_open``; ``expected`` replaces the
    generated description of the interval in the message.
    """
    if expected is None:
        expected = _interval(low, high, low_open, high_open)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _NUMBER_TYPES):
        raise wrong_type(name, value, expected)
    v = float(value)
    too_low = v <= low if low_open else v < low
    too_high = v >= high if high_open else v > high
    if not math.isfinite(v) or too_low or too_high:
        raise invalid(name, value, expected)
    return v


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if math.isinf(low) and math.isinf(high):
        return "a finite number"
    if math.isinf(high):
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if math.isinf(low):
        return f"a number {'<' if high_open else '<='} {high:g}"
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    return f"a number in {left}{low:g}, {high:g}{right}"


def check_bool(name: str, value: Any) -> bool:
    """``value`` as a bool (only ``bool`` and ``numpy.bool_`` are accepted)."""
    if not isinstance(value, (bool, np.bool_)):
        raise wrong_type(name, value, "a bool")
    return bool(value)


def check_optional_bool(name: str, value: Any) -> bool | None:
    """``None`` or a bool."""
    if value is None:
        return None
    if not isinstance(value, (bool, np.bool_)):
        raise wrong_type(name, value, "a bool or None")
    return bool(value)


def check_seed(name: str, value: Any, *, allow_none: bool = False) -> int | None:
    """A seed: an int >= 0 (or ``None`` when ``allow_none``)."""
    if value is None and allow_none:
        return None
    expected = "a non-negative int or None" if allow_none else "an int >= 0"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _INT_TYPES) or value < 0:
        raise invalid(name, value, expected)
    return int(value)


def check_choice(name: str, value: Any, choices: Iterable[T]) -> T:
    """``value`` if it is one of ``choices`` (compared with ``==``, types included)."""
    options = list(choices)
    for option in options:
        if type(value) is type(option) and value == option:
            return option
    raise invalid(name, value, f"one of {options}")


def check_mapping(name: str, value: Any, *, allow_none: bool = True) -> dict[str, Any]:
    """A dict copy of a mapping argument (``None`` gives ``{}`` when ``allow_none``)."""
    if value is None and allow_none:
        return {}
    if not isinstance(value, Mapping):
        raise wrong_type(name, value, "a dict or None" if allow_none else "a dict")
    return dict(value)


def check_positive(name: str, value: Any) -> float:
    """``value`` as a finite float > 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _NUMBER_TYPES):
        raise wrong_type(name, value, "a positive number")
    return check_number(name, value, 0.0, low_open=True, expected="a finite number > 0")


def check_finite(name: str, value: Any) -> float:
    """``value`` as a finite float."""
    return check_number(name, value, expected="a finite number")


def check_real_array(
    name: str, value: Any, expected: str = "an array of real numbers"
) -> np.ndarray:
    """``value`` as a float64 array, refusing what numpy would silently coerce: bools, strings,
    bytes, complex numbers (numpy drops the imaginary part) and other objects.

    Raises :class:`~bayes_meta_envs.errors.InvalidArgumentTypeError` naming ``name``.
    """
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise wrong_type(name, value, expected)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged nesting
        raise wrong_type(name, value, expected) from None
    if arr.dtype.kind not in "iuf" or (not isinstance(value, np.ndarray) and _holds_bool(value)):
        raise wrong_type(name, value, expected)
    return arr.astype(np.float64)


def _holds_bool(value: Any) -> bool:
    """Whether a (nested) list or tuple holds a bool, which numpy turns into 0 or 1 silently."""
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_bool(v) for v in value)
    return False


def check_matrix(name: str, value: Any, *, min_rows: int = 1) -> np.ndarray:
    """``value`` as a finite float64 matrix ``(rows, columns)`` with at least ``min_rows`` rows
    and one column (:func:`check_real_array`'s types; NaN and infinities refused)."""
    expected = f"a finite 2-d array of real numbers with at least {min_rows} rows"
    arr = check_real_array(name, value, expected)
    if arr.ndim != 2 or arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise invalid(name, _array_repr(value, arr), expected)
    if not np.isfinite(arr).all():
        raise invalid(name, _array_repr(value, arr), expected)
    return arr


def _array_repr(value: Any, arr: np.ndarray) -> str:
    """What a message says of an array argument: its shape, and its values when few."""
    return repr(value) if arr.size <= 8 else f"<array of shape {arr.shape}>"


def check_callable(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """``value`` if it is callable (or ``None`` when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not callable(value) or isinstance(value, type):
        raise wrong_type(name, value, "a callable or None" if allow_none else "a callable")
    return value


#: The methods of the Agent protocol (:mod:`bayes_meta_envs.protocol`).
AGENT_METHODS = ("initial_state", "update", "output")


def check_agent(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """``value`` if it follows the Agent protocol (callable ``initial_state``, ``update`` and
    ``output``), or ``None`` when ``allow_none``: the guard of every function that is handed an
    agent object (an SB3 model or a callable goes through :func:`~bayes_meta_envs.agents.resolve`
    first)."""
    if value is None and allow_none:
        return None
    if isinstance(value, type) or not all(callable(getattr(value, m, None)) for m in AGENT_METHODS):
        expected = "an agent (initial_state, update and output methods)"
        raise wrong_type(name, value, expected + (" or None" if allow_none else ""))
    return value


def check_annotated(name: str, value: Any, hint: Any) -> None:
    """Refuse ``value`` when it is not of the type ``hint`` (a resolved annotation): ``str``,
    ``bool``, ``int`` (not a bool), ``float`` (an int or float, not a bool), a ``dict`` (any
    mapping), a ``Literal`` (one of its values) or an optional (``X | None``) of these; other
    hints pass. Values are not converted nor ranges checked: this is the type guard that runs
    before a class's own checks, so that those never see, say, an array where a string
    belongs."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return
        inner = [o for o in options if o is not type(None)]
        if len(inner) == 1:
            check_annotated(name, value, inner[0])
        return
    if origin is Literal:
        check_choice(name, value, typing.get_args(hint))
        return
    expected = _TYPE_CHECKS.get(origin or hint)
    if expected is not None and not expected[0](value):
        raise wrong_type(name, value, expected[1])


def _is_int(value: Any) -> bool:
    return isinstance(value, _INT_TYPES) and not isinstance(value, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, (bool, np.bool_))


_TYPE_CHECKS: dict[Any, tuple[Callable[[Any], bool], str]] = {
    str: (lambda v: isinstance(v, str), "a str"),
    bool: (lambda v: isinstance(v, (bool, np.bool_)), "a bool"),
    int: (_is_int, "an int"),
    float: (_is_number, "a number"),
    dict: (lambda v: isinstance(v, Mapping), "a dict"),
}


def check_path(name: str, value: Any) -> Path:
    """``value`` as a :class:`~pathlib.Path`: a ``str`` or an ``os.PathLike`` (not ``None``,
    bytes, numbers)."""
    if isinstance(value, Path):
        return value
    if isinstance(value, str) or (isinstance(value, os.PathLike) and not isinstance(value, bytes)):
        path = os.fspath(value)
        if isinstance(path, str) and path and "\x00" not in path:
            return Path(path)
    raise wrong_type(name, value, "a path (str or os.PathLike)")


def check_arguments(
    owner: str, signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Raise a package error when ``args``/``kwargs`` do not fit ``signature``: an unknown
    keyword (the error lists the valid names), too many positional arguments, or a missing one.
    """
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        params = signature.parameters
        valid = [n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        for key, value in kwargs.items():
            if key not in params or params[key].kind is inspect.Parameter.POSITIONAL_ONLY:
                raise unknown_argument(owner, key, value, valid[1:]) from None
        raise wrong_type(
            f"the arguments of {owner}", (args[1:], kwargs), f"arguments fitting {signature}"
        ) from None


class StrictArguments:
    """A base class whose constructor refuses unknown or surplus arguments with a package error
    (:func:`check_arguments`) instead of Python's bare ``TypeError``: the guard of the classes a
    user builds from keywords they typed or wrote in a file (the envs, which ``gym.make(id,
    **kwargs)`` builds, and the configs). It checks in ``__new__``, against the signature of the
    class's ``__init__`` (dataclasses included), before ``__init__`` runs."""

    __signatures: dict[type, inspect.Signature] = {}  # noqa: RUF012 - a cache, per class

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:  # (copy and pickle call __new__ with none)
            signature = StrictArguments.__signatures.get(cls)
            if signature is None:
                signature = StrictArguments.__signatures[cls] = inspect.signature(cls.__init__)
            check_arguments(f"{cls.__name__}()", signature, (None, *args), kwargs)
        return super().__new__(cls)
