"""griffe extension for the site's docstrings (mkdocs.yml: mkdocstrings' ``extensions``).

* A class whose docstring is built at import time gets it from the class: the prediction
  environments assemble ``__doc__`` from their own sections and the sections they share
  (``envs/prediction.py``'s ``COMMON_DOC``), which static analysis cannot read.
* Doctest examples (``>>>`` lines and their output, up to a blank line), which the docstrings
  write under a Markdown ``## Example`` heading as gymnasium's do, are shown as ``pycon`` code
  blocks instead of nested quotes.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """Wrap every run of doctest lines (``>>>`` up to the next blank line) in a code fence."""
    out: list[str] = []
    in_block = False
    for line in text.splitlines():
        stripped = line.lstrip()
        if not in_block and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            in_block = True
        elif in_block and not stripped:
            out.append(f"{indent}```")
            in_block = False
        out.append(line)
    if in_block:
        out.append(f"{indent}```")
    return "\n".join(out)


class RuntimeDocstrings(griffe.Extension):
    def on_class_instance(self, *, cls: griffe.Class, agent: Any, **kwargs: Any) -> None:
        if cls.docstring is None:
            try:
                obj = getattr(importlib.import_module(cls.module.path), cls.name)
            except (ImportError, AttributeError):
                return
            doc = obj.__dict__.get("__doc__")  # its own, not inherited
            if not doc:
                return
            cls.docstring = griffe.Docstring(
                inspect.cleandoc(doc),
                parent=cls,
                parser=agent.docstring_parser,  # as configured in mkdocs.yml, like any other
                parser_options=agent.docstring_options,
            )
        if ">>>" in cls.docstring.value:
            cls.docstring.value = fence_doctests(cls.docstring.value)
