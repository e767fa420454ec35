"""What every training recipe's config shares: the base class, the shared names, the old names.

Every recipe (:mod:`~bayes_meta_envs.agents.lstm`, :mod:`~bayes_meta_envs.agents.recurrent_ppo`)
is trained the same way, ``train(config, out_dir, *, resume=False, overwrite=False)``, and its
config is a frozen dataclass deriving from :class:`RecipeConfig`, so that:

* the run is inside the config: ``env_id``, ``env_kwargs``, ``seed``, ``budget_minutes`` and
  ``num_threads`` are fields of every recipe's config, checked here once;
* the hyperparameters the recipes share have one name (:data:`SHARED_NAMES`): gymnasium's
  ``num_envs`` (the argument of ``gym.make_vec``, which builds both recipes' vector envs),
  torch's ``hidden_size`` (``torch.nn.LSTM``), and stable-baselines3's names for PPO's
  hyperparameters (``n_epochs``, ``vf_coef``, ``ent_coef``, ``learning_rate``, ``gamma``,
  ``gae_lambda``, ``clip_range``, ``max_grad_norm``): what an RL user already knows;
* a config is built from JSON in one place, :meth:`RecipeConfig.from_dict`: 0.1/0.2 names
  (:data:`LEGACY_NAMES`) are mapped to the new ones, a 0.2 RecurrentPPO ``config.json`` (nested:
  the hyperparameters under ``"config"``, the env beside them) is flattened, and an unknown field
  raises :class:`~bayes_meta_envs.errors.InvalidArgumentError` listing the valid names;
* a resumed run is checked against its checkpoint by :meth:`RecipeConfig.differences`: only the
  recipe's :attr:`~RecipeConfig.RUN_CONTROL_FIELDS` (how long and where the run goes on) may
  change.

Torch-free.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from bayes_meta_envs._io import atomic_write_text
from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._validate import (
    StrictArguments,
    check_annotated,
    check_int,
    check_mapping,
    check_number,
)
from bayes_meta_envs.errors import InvalidArgumentError, invalid, wrong_type

#: The most torch threads a config may ask for.
MAX_THREADS = 1024
#: ``format_version`` of the ``config.json`` written since 0.3 (flat; 0.1/0.2 wrote 1).
CONFIG_FORMAT_VERSION = 2
#: The fields every recipe's config has, under these names.
SHARED_NAMES = ("env_id", "env_kwargs", "seed", "budget_minutes", "num_threads")
#: 0.1/0.2 field names and the names they have now (the one place where they are mapped).
LEGACY_NAMES = {
    "n_envs": "num_envs",  # RecurrentPPOConfig
    "lstm_hidden_size": "hidden_size",  # RecurrentPPOConfig
    "ppo_epochs": "n_epochs",  # LSTMConfig
    "value_coef": "vf_coef",  # LSTMConfig
    "entropy_start": "ent_coef",  # LSTMConfig
    "entropy_end": "ent_coef_final",  # LSTMConfig
    "entropy_decay_fraction": "ent_decay_fraction",  # LSTMConfig
}
# what a config.json holds beside the config's fields (written by 0.2's RecurrentPPO recipe)
_META_KEYS = ("algo", "format_version", "training", "policy", "weights")

C = TypeVar("C", bound="RecipeConfig")


def flatten_config(data: Mapping[str, Any]) -> dict[str, Any]:
    """The config's fields from the JSON object of a config (or a run folder's ``config.json``),
    in today's names, without the bookkeeping keys (``algo``, ``format_version``, ...).

    Accepts today's flat object, 0.1/0.2 names, and 0.2's nested RecurrentPPO ``config.json``
    (``{"algo", "env_id", "env_kwargs", "seed", "config": {...}, "training": {...}}``).
    """
    if not isinstance(data, Mapping):
        raise wrong_type("config", data, "a JSON object")
    d = dict(data)
    nested = d.pop("config", None)
    if isinstance(nested, Mapping):  # 0.2 RecurrentPPO: the run beside its hyperparameters
        d = {**nested, **{k: v for k, v in d.items() if k in SHARED_NAMES}}
    elif nested is not None:
        raise invalid("config['config']", nested, "a JSON object (a 0.2 run folder's config)")
    for key in _META_KEYS:
        d.pop(key, None)
    for old, new in LEGACY_NAMES.items():
        if old in d:
            if new in d:
                raise invalid(
                    "config", sorted((old, new)), f"one of {old!r} (its 0.2 name) and {new!r}"
                )
            d[new] = d.pop(old)
    return d


_FIELD_TYPES: dict[str, dict[str, Any]] = {}


def _field_types(cls: Any) -> dict[str, Any]:
    """The resolved annotation of each dataclass field of ``cls`` (cached by class)."""
    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in _FIELD_TYPES:
        hints = typing.get_type_hints(cls)
        _FIELD_TYPES[key] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return _FIELD_TYPES[key]


@dataclass(frozen=True)
class RecipeConfig(StrictArguments):
    """Base class of every recipe's config: a frozen dataclass with the fields of
    :data:`SHARED_NAMES` (``env_id``, its ``env_kwargs``, the ``seed``, ``budget_minutes`` of
    wall clock over the whole run or ``None``, ``num_threads`` torch threads while training),
    checked by :meth:`_check_shared`.

    A subclass (``@dataclass(frozen=True)``) adds its own fields, sets :attr:`ALGO` and
    :attr:`RUN_CONTROL_FIELDS` and checks its fields in ``_check``; ``__post_init__`` runs the
    shared checks and then ``_check`` (the one place a config is checked).
    """

    ALGO: ClassVar[str] = ""
    #: Fields that may differ between a checkpoint and the config resuming from it.
    RUN_CONTROL_FIELDS: ClassVar[tuple[str, ...]] = ("budget_minutes", "num_threads")

    env_id: str = "MetaBandit-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    budget_minutes: float | None = None
    num_threads: int = 1

    def __post_init__(self) -> None:
        self._check_types()
        self._check_shared()
        self._check()
        self._check_memory()

    def _check_types(self) -> None:
        """The type guard of every field, before the checks of :meth:`_check_shared` and
        :meth:`_check` (which may branch on any field): a value that is not a plain scalar (an
        array, a list, an object) in a field annotated as one is refused naming the field. Plain
        scalars of the wrong kind are left to those checks, whose messages state the range."""
        for name, hint in _field_types(type(self)).items():
            value = getattr(self, name)
            if value is None or isinstance(value, (str, bool, int, float, np.generic)):
                continue
            check_annotated(name, value, hint)

    def _check_memory(self) -> None:
        """Refuse, before torch allocates anything, a network and a training batch over the
        memory budget (:func:`bayes_meta_envs.set_memory_budget`): the LSTM's weights with their
        gradients and Adam's two moments, and a batch of ``num_envs`` sequences of ``horizon``
        (or ``n_steps``) steps with its activations kept for backpropagation."""
        sizes = {n: getattr(self, n, 0) for n in ("hidden_size", "embed_size", "num_envs")}
        steps = getattr(self, "n_steps", None) or self.env_kwargs.get("horizon", 20)
        if not all(
            isinstance(v, int) and not isinstance(v, bool) for v in (*sizes.values(), steps)
        ):
            return  # the recipe's own checks have refused a wrong type already
        h, e, n = sizes["hidden_size"], sizes["embed_size"], max(sizes["num_envs"], 1)
        weights = nbytes(4 * h + 64, h + e + 64, 4, itemsize=4)  # gates, input layer, heads
        batch = nbytes(n, steps, e + 8 * h + 64, 2, itemsize=4)
        check_memory(weights + batch, "the network and its training batch", **sizes)

    def _check_shared(self) -> None:
        if not isinstance(self.env_id, str) or not self.env_id:
            raise wrong_type("env_id", self.env_id, "a registered environment id")
        self._set("env_kwargs", check_mapping("env_kwargs", self.env_kwargs, allow_none=False))
        self._set("seed", check_int("seed", self.seed, 0))
        self._set("num_threads", check_int("num_threads", self.num_threads, 1))
        if self.seed >= 2**63:  # torch's seeds are below 2**63
            raise invalid("seed", self.seed, "an int in [0, 2**63 - 1]")
        if self.num_threads > MAX_THREADS:  # torch's thread count is a C int
            raise invalid("num_threads", self.num_threads, f"an int in [1, {MAX_THREADS}]")
        if self.budget_minutes is not None:
            self._set(
                "budget_minutes",
                check_number(
                    "budget_minutes",
                    self.budget_minutes,
                    0.0,
                    low_open=True,
                    expected="None or a number of minutes > 0",
                ),
            )

    def _check(self) -> None:
        """The recipe's own checks (override)."""

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    # --- JSON ---
    def to_dict(self) -> dict[str, Any]:
        """The config as a JSON-serialisable dict, with ``"algo"`` and ``"format_version"``
        first."""
        fields = dataclasses.asdict(self)
        return {"algo": self.ALGO, "format_version": CONFIG_FORMAT_VERSION, **fields}

    @classmethod
    def field_names(cls) -> list[str]:
        """The names of the config's fields, sorted."""
        return sorted(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_dict(cls: type[C], data: Mapping[str, Any]) -> C:
        """Build a config from a JSON object (see :func:`flatten_config` for the formats read);
        an unknown field raises :class:`InvalidArgumentError` listing the valid names."""
        algo = data.get("algo", cls.ALGO) if isinstance(data, Mapping) else cls.ALGO
        if algo != cls.ALGO:
            raise invalid("config['algo']", algo, f"{cls.ALGO!r} for a {cls.__name__}")
        d = flatten_config(data)
        names = cls.field_names()
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise InvalidArgumentError(
                f"config has unknown keys {unknown}; the {cls.__name__} fields are {names}"
            )
        return cls(**d)

    @classmethod
    def from_json(cls: type[C], path_or_text: str | os.PathLike[str]) -> C:
        """Read a config file written by :meth:`save` (or by hand, or a run's ``config.json``),
        or JSON text starting with ``{``."""
        if isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{"):
            where, text = "config text", path_or_text
        else:
            p = Path(path_or_text)
            where = f"config file {str(p)!r}"
            try:
                text = p.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InvalidArgumentError(f"{where} does not exist") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidArgumentError(f"{where} is not readable: {exc}") from None
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InvalidArgumentError(f"{where} is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def to_json(self) -> str:
        """The config as JSON text (what :meth:`save` writes)."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the config as JSON (atomically) to the file ``path``."""
        atomic_write_text(Path(path), self.to_json())

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def differences(self, saved: Mapping[str, Any]) -> list[str]:
        """The fields (but :attr:`RUN_CONTROL_FIELDS`) in which the config JSON ``saved`` (any
        format :meth:`from_dict` reads) differs from this one; sorted."""
        mine = flatten_config(self.to_dict())
        theirs = flatten_config(saved)
        return sorted(
            k
            for k in set(mine) | set(theirs)
            if k not in self.RUN_CONTROL_FIELDS and mine.get(k) != theirs.get(k)
        )
