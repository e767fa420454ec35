"""mkdocs hook: links from the docs to the repository's own READMEs point at their site pages.

The pages in ``docs/`` link to ``../baselines/README.md``, ``../agents/<name>/README.md`` and
``../reports/REPORT.md`` so that they work when browsed on the repository; on the site those
files are the generated pages ``scoreboard.md``, ``zoo/<name>.md`` and ``report/index.md``
(docs/gen_pages.py), so the links are rewritten here. The docstrings' Sphinx roles
(``:class:`~a.b.C` ``) are shown as plain code (``C``).
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):<code>(~?)([\w.]+)</code>")
SITE_PAGES = [
    (re.compile(r"\]\((?:\.\./)+baselines/README\.md\)"), "scoreboard.md"),
    (re.compile(r"\]\((?:\.\./)+agents/README\.md\)"), "zoo/index.md"),
    (re.compile(r"\]\((?:\.\./)+reports/REPORT\.md\)"), "report/index.md"),
    (re.compile(r"\]\((?:\.\./)+agents/([\w.-]+)/README\.md\)"), r"zoo/\1.md"),
]


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    depth = page.file.src_uri.count("/")
    prefix = "../" * depth
    for pattern, target in SITE_PAGES:
        markdown = pattern.sub(lambda m, t=target: "](" + prefix + m.expand(t) + ")", markdown)
    return markdown


def on_page_content(html: str, **kwargs: Any) -> str:
    return ROLE.sub(lambda m: f"<code>{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}</code>", html)
