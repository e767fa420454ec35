"""Bad input to the bottom layers (_validate, families): each case raises the package's error
naming the value (issue 9: silent coercion, priors the Bayes reference cannot handle)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bayes_meta_envs._validate import check_real_array
from bayes_meta_envs.errors import (
    InvalidActionError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
)
from bayes_meta_envs.families import (
    BetaBernoulli,
    BetaBernoulliArms,
    DirichletCategorical,
    GammaExponential,
    NormalNormal,
)

COERCED = [True, "1.5", b"1", 1 + 2j, [1 + 0j], ["0.5"], [True, False], None, [[1], [1, 2]]]


@pytest.mark.parametrize("value", COERCED, ids=repr)
def test_check_real_array_refuses_what_numpy_would_coerce(value):
    with pytest.raises(InvalidArgumentTypeError, match=r"^x must be"):
        check_real_array("x", value)


def test_check_real_array_keeps_real_values():
    np.testing.assert_array_equal(check_real_array("x", [1, 2.5]), [1.0, 2.5])


# (constructor, kwargs, error, the value the message must name)
BAD_FAMILIES = [
    (NormalNormal, {"sigma0": 1e-200}, InvalidArgumentError, "1e-200"),  # 1/sigma0^2 overflows
    (NormalNormal, {"sigma": 1e-200}, InvalidArgumentError, "1e-200"),
    (NormalNormal, {"sigma0": 1e200}, InvalidArgumentError, "1e+200"),
    (NormalNormal, {"mu0": 1e300}, InvalidArgumentError, "1e+300"),  # infinite float32 bounds
    (NormalNormal, {"mu0": True}, InvalidArgumentTypeError, "True"),
    (NormalNormal, {"mu0": "0"}, InvalidArgumentTypeError, "'0'"),
    (NormalNormal, {"mu0": 1j}, InvalidArgumentTypeError, "1j"),
    (BetaBernoulli, {"alpha": True}, InvalidArgumentTypeError, "True"),
    (BetaBernoulli, {"alpha": float("nan")}, InvalidArgumentError, "nan"),
    (GammaExponential, {"a": "1"}, InvalidArgumentTypeError, "'1'"),
    (DirichletCategorical, {"alpha": [True, True]}, InvalidArgumentTypeError, "True"),
    (DirichletCategorical, {"alpha": ["1", "2"]}, InvalidArgumentTypeError, "'1'"),
    (DirichletCategorical, {"alpha": [1 + 1j, 1]}, InvalidArgumentTypeError, "1j"),
    (BetaBernoulliArms, {"prior": (True, True)}, InvalidArgumentTypeError, "True"),
    (BetaBernoulliArms, {"prior": ("1", "1")}, InvalidArgumentTypeError, "'1'"),
    (BetaBernoulliArms, {"prior": (1 + 1j, 1)}, InvalidArgumentTypeError, "1j"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "shown"), BAD_FAMILIES)
def test_bad_family_arguments(cls, kwargs, error, shown):
    with pytest.raises(error, match=re.escape(shown)):
        cls(**kwargs)


# priors whose exact predictive leaves the action bounds within the horizon (issue 9, class 3)
EXTREME_PRIORS = [
    (BetaBernoulli(alpha=1e-14), 20, "1e-14"),
    (BetaBernoulli(beta=1e-14), 20, "1e-14"),
    (BetaBernoulli(alpha=1e14, beta=1.0), 20, "100000000000000.0"),
    (DirichletCategorical(alpha=[1e-14, 1.0, 1.0]), 20, "1e-14"),
    (GammaExponential(a=1.0, b=1e-14), 20, "1e-14"),
    (GammaExponential(a=1e-14, b=1.0), 20, "1e-14"),
]


@pytest.mark.parametrize(("family", "horizon", "shown"), EXTREME_PRIORS, ids=repr)
def test_priors_the_bayes_reference_cannot_handle_are_refused(family, horizon, shown):
    with pytest.raises(InvalidArgumentError, match=rf"prior must be .*{re.escape(shown)}"):
        family.check_horizon(horizon)


@pytest.mark.parametrize(
    "family",
    [
        BetaBernoulli(),
        DirichletCategorical(),
        GammaExponential(),
        NormalNormal(),
        BetaBernoulli(0.01, 50),
    ],
    ids=repr,
)
def test_ordinary_priors_pass_the_horizon_check(family):
    family.check_horizon(1000)


COERCED_ACTIONS = [[1 + 2j], [True], ["0.5"], "0.5", None, [[0.1]], [float("nan")], [31.0]]


@pytest.mark.parametrize("action", COERCED_ACTIONS, ids=repr)
def test_bernoulli_actions_are_not_coerced(action):
    with pytest.raises(InvalidActionError, match=r"action must"):
        BetaBernoulli().validate_action(action)


@pytest.mark.parametrize(
    ("family", "task"),
    [
        (BetaBernoulli(), [True]),
        (BetaBernoulli(), ["0.5"]),
        (BetaBernoulli(), [0.5 + 0j]),
        (NormalNormal(), [True]),
        (GammaExponential(), ["1"]),
        (DirichletCategorical(), [True, False, False]),
    ],
    ids=repr,
)
def test_tasks_are_not_coerced(family, task):
    with pytest.raises(InvalidArgumentTypeError, match=r"options\['task'\] must"):
        family.validate_task(task)


def test_arms_task_not_coerced():
    with pytest.raises(InvalidArgumentTypeError, match=r"options\['task'\]"):
        BetaBernoulliArms(2).validate_task([True, False])
