"""The fuzzer of the public API (issue 34), run by ``tests/test_fuzz_public_api.py``.

It derives its entries from the code: every callable and class in the ``__all__`` of the package
root, of its public sub-packages (recursively, lazy ones included: their names are resolved, which
imports torch, scikit-learn and Ray when they are installed) and of the public modules directly
in the root. For every parameter of every entry it draws bad values of each kind in :data:`KINDS`
with hypothesis (the other parameters keep their defaults, or a valid value from :data:`VALID`
for the required ones), plus an unknown keyword for constructors and ``**kwargs`` functions,
and calls the entry. The only exceptions allowed to escape are those of
:mod:`bayes_meta_envs.errors`; each call runs under a time cap (``SIGALRM``) and the whole run
under a memory cap (``RLIMIT_AS``), so a hang or an allocation that numpy refuses is a failure
too.

Run as a script (``python tests/fuzz_harness.py SHARD SHARDS``) it fuzzes every SHARDS-th entry
from SHARD and prints one JSON object: the entries, the number of calls and the failures. It
runs in the current directory, where calls may write files: the test starts it in a temporary
one.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import math
import os
import pkgutil
import resource
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayes_meta_envs
from bayes_meta_envs._validate import StrictArguments
from bayes_meta_envs.errors import BayesMetaError

#: Seconds one call may take.
CALL_CAP_S = 5.0
#: Address space the fuzzing process may add to what its imports took.
MEMORY_CAP_BYTES = 3 * 2**30
#: Examples drawn per entry (each example calls every parameter with every kind once).
EXAMPLES = 1


# Entries that cannot be fuzzed meaningfully, and why. Everything else in the public __all__s is
# fuzzed, so a new public function is covered without anyone adding it here.
ALLOWED: dict[str, str] = {
    # the exception classes take any message by design
    **{
        f"bayes_meta_envs.errors.{name}": "an exception class: any message is valid"
        for name in bayes_meta_envs.errors.__all__
        if name[0].isupper()
    },
    # every value it accepts starts a Ray Tune sweep (seconds to start Ray, a cluster by
    # address); the spec it takes is fuzzed (SweepSpec), and the checks it runs before Ray on
    # out_dir, address and the trials' configs are tested by tests/sweep and the probe
    "bayes_meta_envs.sweep.run_sweep": "starts Ray for any accepted value (see the comment)",
}


def public_modules() -> list[str]:
    """The root, its public sub-packages (recursively) and its public top-level modules."""
    names = ["bayes_meta_envs"]
    for info in pkgutil.walk_packages(bayes_meta_envs.__path__, "bayes_meta_envs."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or parts[1] == "cli":
            continue  # private; the CLI is tested by argv (tests/cli, the probe)
        if info.ispkg or len(parts) == 2:
            names.append(info.name)
    return names


def entries() -> dict[str, Any]:
    """Every public callable and class, by the first public name that exports it."""
    found: dict[int, tuple[str, Any]] = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)  # resolves lazy names (imports torch & co.)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            if not getattr(obj, "__module__", "").startswith("bayes_meta_envs"):
                continue
            found.setdefault(id(obj), (f"{module_name}.{name}", obj))
    return dict(sorted(found.values(), key=lambda item: item[0]))


def unfuzzable(qualname: str, obj: Any) -> str | None:
    """Why an entry is not fuzzed (derived, not listed): abstract classes and protocols cannot
    be called."""
    if inspect.isclass(obj) and (inspect.isabstract(obj) or getattr(obj, "_is_protocol", False)):
        return "abstract class or protocol: not instantiable by design"
    try:
        inspect.signature(obj)
    except (TypeError, ValueError):
        return "no signature"
    return None


# --- the bad values -------------------------------------------------------------------------

_WRONG_TYPES = [object(), 1 + 2j, b"bytes", {"a": 1}, {1, 2}, (lambda: None), type]
_SHAPES = [
    np.zeros(0),
    np.zeros((2, 3, 4)),
    np.zeros((3, 1)),
    [1.0] * 7,
    [[1.0], [1.0, 2.0]],
    np.array(["a", "b"]),
    np.array([np.nan, 1.0]),
    np.full((2, 2), np.inf),
]
_NAMES = ["nope", "", "MetaNope-v0", "zoo:nope", "gittins:", "bayes:x", "x" * 300, "..", "\x00"]

KINDS: dict[str, st.SearchStrategy[Any]] = {
    "wrong-type": st.sampled_from(_WRONG_TYPES),
    "bool": st.booleans(),
    "none": st.none(),
    "nan-inf": st.sampled_from([math.nan, math.inf, -math.inf, np.float32(math.nan)]),
    "negative": st.one_of(st.integers(-(10**6), -1), st.floats(-1e6, -1e-9), st.just(np.int64(-1))),
    "zero": st.sampled_from([0, 0.0, np.int64(0)]),
    "huge": st.one_of(
        st.integers(10**12, 10**40), st.floats(1e12, 1e300), st.just(2**62), st.just(10**10)
    ),
    "wrong-shape": st.sampled_from(_SHAPES),
    "unknown-name": st.one_of(st.sampled_from(_NAMES), st.text(max_size=6)),
}
UNKNOWN_KWARG = "unknown-kwarg"


def _valid_values() -> dict[str, Any]:
    """Valid values of the required parameters that many entries share, so that a bad value
    of one parameter meets valid others (a required parameter not listed gets ``None``)."""
    task = bayes_meta_envs.task_of("MetaBandit-v0", horizon=5)
    return {
        "env": "MetaBandit-v0",
        "env_id": "MetaBandit-v0",
        "task": task,
        "agent": bayes_meta_envs.baselines.RandomAgent.for_env(task),
        "fn": _zeros,
        "episodes": 2,
        "seed": 0,
        "horizon": 5,
        "n_arms": 2,
        "gamma": 0.9,
        "max_n": 5,
        "kind": "bandit",
        "spec": "random",
        "name": "nope-name",
        "n": 2,
        "x": np.zeros((2, 1)),
        "a": 1.0,
        "b": 1.0,
        "source": bayes_meta_envs.baselines.RandomAgent.for_env(task),
        "target": bayes_meta_envs.baselines.RandomAgent.for_env(task),
        "condition": bayes_meta_envs.baselines.RandomAgent.for_env(task),
        "checkpoints": [(1, bayes_meta_envs.baselines.RandomAgent.for_env(task))],
        "runs": {"run": [(1, bayes_meta_envs.baselines.RandomAgent.for_env(task))]},
        "run": "no-such-run-folder",
        "path": "fuzz-output.png",
    }


def overrides(qualname: str) -> dict[str, Any]:
    """Valid values that replace, for one entry, those of :func:`_valid_values` and the entry's
    own defaults (a default too costly for the per-call cap, a name two entries use for
    different things)."""
    short = qualname.rsplit(".", 1)[-1]
    rng = np.random.default_rng(0)
    return {
        "fit_map": {"source": rng.random((20, 2)), "target": rng.random((20, 1)), "max_iter": 5},
        "simulate": {"episodes": 10, "map_width": 4},
        "training_dynamics": {"episodes": 10},
        "mds_of_runs": {"episodes": 10},
        "collect_states": {"episodes": 2},
    }.get(short, {})


def _zeros(obs: Any) -> np.ndarray:
    return np.zeros(np.shape(obs)[0], dtype=np.int64)


# --- running ---------------------------------------------------------------------------------


class CallTimeout(BaseException):
    """Raised by SIGALRM in a call that exceeded :data:`CALL_CAP_S`."""


def _alarm(signum: int, frame: Any) -> None:
    raise CallTimeout


@contextlib.contextmanager
def _restored_state() -> Iterator[None]:
    """Restore what a fuzzed setter may change (the memory budget and the solvers' limits)."""
    from bayes_meta_envs.baselines import limits

    budget, old = bayes_meta_envs.memory_budget(), limits.get_limits()
    dp = dict(limits._DP_MAX_BYTES)
    try:
        yield
    finally:
        bayes_meta_envs.set_memory_budget(budget)
        limits.set_limits(**{k: v for k, v in old.items() if k != "dp_max_bytes"})
        limits._DP_MAX_BYTES.update(dp)


def _call(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> str | None:
    """Call; ``None`` when it returned or raised a package error, else what escaped."""
    # repeating: an alarm swallowed where exceptions are ignored (a gc callback) fires again
    signal.setitimer(signal.ITIMER_REAL, CALL_CAP_S, 0.25)
    start = time.monotonic()
    try:
        with _restored_state(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs)
    except BayesMetaError:
        return None
    except CallTimeout:
        return f"did not return within {CALL_CAP_S} s"
    except Exception as exc:  # what the fuzzer exists to find
        where = traceback.extract_tb(exc.__traceback__)[-1]
        text = " ".join(str(exc).split())[:200]
        return f"{type(exc).__name__}: {text} (at {where.filename}:{where.lineno})"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if time.monotonic() - start > CALL_CAP_S:  # a C loop the alarm could not interrupt
        return f"took {time.monotonic() - start:.1f} s"
    return None


def _plan(obj: Any, valid: dict[str, Any]) -> tuple[list[inspect.Parameter], bool]:
    """The parameters to fuzz, and whether to try an unknown keyword."""
    sig = inspect.signature(obj)
    params = [
        p
        for p in sig.parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"
    ]
    var_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    return params, var_kw or keyword_built(obj)


def keyword_built(obj: Any) -> bool:
    """Whether ``obj`` is a class a user builds from keywords they typed or wrote in a file (a
    :class:`~bayes_meta_envs._validate.StrictArguments`: the envs, which ``gym.make(id,
    **kwargs)`` builds, and the configs), so that an unknown keyword must be a package error
    listing the valid names. Elsewhere a misspelt keyword is Python's own ``TypeError``."""
    return inspect.isclass(obj) and issubclass(obj, StrictArguments)


def _arguments(
    params: list[inspect.Parameter],
    target: str,
    value: Any,
    valid: dict[str, Any],
    fixed: dict[str, Any] | None = None,
) -> tuple[list[Any], dict[str, Any]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    fixed = fixed or {}
    for p in params:
        if p.name == target:
            v = value
        elif p.name in fixed:
            v = fixed[p.name]
        elif p.default is not p.empty:
            continue
        else:
            v = valid.get(p.name)
        if p.kind is p.POSITIONAL_ONLY:
            args.append(v)
        else:
            kwargs[p.name] = v
    return args, kwargs


def fuzz_entry(qualname: str, obj: Any, valid: dict[str, Any]) -> tuple[int, list[dict[str, str]]]:
    """Fuzz one entry: ``(calls made, failures)``."""
    params, unknown_kwarg = _plan(obj, valid)
    fixed = overrides(qualname)
    failures: dict[tuple[str, str], dict[str, str]] = {}
    calls = 0

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        nonlocal calls
        for p in params:
            for kind, strategy in KINDS.items():
                value = data.draw(strategy)
                args, kwargs = _arguments(params, p.name, value, valid, fixed)
                calls += 1
                escaped = _call(obj, args, kwargs)
                if escaped is not None:
                    failures.setdefault(
                        (p.name, kind),
                        {
                            "entry": qualname,
                            "parameter": p.name,
                            "kind": kind,
                            "value": repr(value)[:80],
                            "escaped": escaped,
                        },
                    )
        if unknown_kwarg:
            args, kwargs = _arguments(params, "", None, valid, fixed)
            kwargs["bogus_keyword"] = 1
            calls += 1
            escaped = _call(obj, args, kwargs)
            if escaped is not None:
                failures.setdefault(
                    ("bogus_keyword", UNKNOWN_KWARG),
                    {
                        "entry": qualname,
                        "parameter": "bogus_keyword",
                        "kind": UNKNOWN_KWARG,
                        "value": "1",
                        "escaped": escaped,
                    },
                )

    run()
    return calls, list(failures.values())


def main(shard: int, shards: int) -> dict[str, Any]:
    found = entries()
    valid = _valid_values()
    vm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = _address_space() + MEMORY_CAP_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    signal.signal(signal.SIGALRM, _alarm)
    result: dict[str, Any] = {"entries": [], "skipped": {}, "calls": 0, "failures": []}
    for i, (qualname, obj) in enumerate(found.items()):
        if i % shards != shard:
            continue
        reason = ALLOWED.get(qualname) or unfuzzable(qualname, obj)
        if reason is not None:
            result["skipped"][qualname] = reason
            continue
        start = time.monotonic()
        print(f"fuzzing {qualname}", file=sys.stderr, flush=True)
        calls, failures = fuzz_entry(qualname, obj, valid)
        print(f"  {calls} calls, {time.monotonic() - start:.2f} s", file=sys.stderr, flush=True)
        result["entries"].append(qualname)
        result["calls"] += calls
        result["failures"].extend(failures)
    result["kinds"] = [*KINDS, UNKNOWN_KWARG]
    result["rss_bytes"] = vm
    return result


def _address_space() -> int:
    """This process's current virtual memory size in bytes (Linux), or 0."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
