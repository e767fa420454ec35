"""The one copy of the argument checks: what each accepts, what it refuses, and the messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bayes_meta_envs._validate import (
    check_bool,
    check_choice,
    check_finite,
    check_int,
    check_mapping,
    check_number,
    check_optional_bool,
    check_positive,
    check_seed,
)
from bayes_meta_envs.errors import InvalidArgumentError, InvalidArgumentTypeError


def test_check_int_accepts_ints_and_numpy_ints_and_returns_python_ints() -> None:
    assert check_int("n", 3, 1) == 3
    value = check_int("n", np.int64(7), 1, 10)
    assert value == 7 and type(value) is int


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, InvalidArgumentTypeError, r"n must be an int >= 1, got True of type bool"),
        (2.0, InvalidArgumentTypeError, r"n must be an int >= 1, got 2\.0 of type float"),
        ("3", InvalidArgumentTypeError, r"n must be an int >= 1, got '3' of type str"),
        (0, InvalidArgumentError, r"n must be an int >= 1, got 0"),
    ],
)
def test_check_int_refuses_with_the_argument_and_the_value(value, error, message) -> None:
    with pytest.raises(error, match=message):
        check_int("n", value, 1)


def test_check_int_range_message_names_both_bounds() -> None:
    with pytest.raises(InvalidArgumentError, match=r"k must be an int in \[1, 5\], got 6"):
        check_int("k", 6, 1, 5)


def test_check_number_bounds_open_and_closed() -> None:
    assert check_number("x", 0, 0.0, 1.0) == 0.0
    with pytest.raises(InvalidArgumentError, match=r"x must be a number in \(0, 1\], got 0"):
        check_number("x", 0, 0.0, 1.0, low_open=True)
    with pytest.raises(InvalidArgumentError, match="got nan"):
        check_number("x", math.nan)
    with pytest.raises(InvalidArgumentTypeError, match="of type complex"):
        check_number("x", 1 + 2j)
    with pytest.raises(InvalidArgumentTypeError, match="of type bool"):
        check_number("x", False)


def test_positive_and_finite() -> None:
    assert check_positive("a", 2) == 2.0
    with pytest.raises(InvalidArgumentError, match=r"a must be a finite number > 0, got 0"):
        check_positive("a", 0)
    with pytest.raises(InvalidArgumentTypeError, match=r"b must be a positive number, got None"):
        check_positive("b", None)
    with pytest.raises(InvalidArgumentError, match=r"mu must be a finite number, got inf"):
        check_finite("mu", math.inf)


def test_bools_seeds_choices_and_mappings() -> None:
    assert check_bool("flag", np.bool_(True)) is True
    with pytest.raises(InvalidArgumentTypeError, match=r"flag must be a bool, got 1"):
        check_bool("flag", 1)
    assert check_optional_bool("p", None) is None
    assert check_seed("seed", None, allow_none=True) is None
    with pytest.raises(InvalidArgumentError, match=r"seed must be an int >= 0, got -1"):
        check_seed("seed", -1)
    assert check_choice("mode", "a", ["a", "b"]) == "a"
    with pytest.raises(InvalidArgumentError, match=r"mode must be one of \['a', 'b'\], got 1"):
        check_choice("mode", 1, ["a", "b"])
    assert check_mapping("kw", None) == {}
    with pytest.raises(InvalidArgumentTypeError, match=r"kw must be a dict or None, got \[1\]"):
        check_mapping("kw", [1])
