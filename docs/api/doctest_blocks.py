"""A griffe extension for the API reference: render our docstrings' reStructuredText bits as
Markdown.

ad_core's docstrings are plain prose with doctest examples (``>>> ...``, run by
tests/test_docs.py) and Sphinx roles (:class:`Module`). Markdown would read a ``>>>`` line as a
nested quote and print a role's ``:class:`` literally, so before mkdocstrings renders a
docstring this extension fences each doctest block as a ``pycon`` code block and turns each role
into inline code (``~a.b.C`` shows as ``C``, as Sphinx does); a ``::`` that opens a literal
block becomes ``:``. The docstrings themselves stay as they are, for ``help()`` and doctest.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):`~?([^`]+)`")


def _role(match: re.Match[str]) -> str:
    target = match.group(1)
    shown = target.rsplit(".", 1)[-1] if match.group(0).count("`~") else target
    return f"`{shown}`"


def fence_doctests(text: str) -> str:
    """``text`` with every doctest block (a ``>>>`` line up to the next blank line) fenced."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if stripped.startswith(">>>"):
            indent = lines[i][: len(lines[i]) - len(stripped)]
            out.append(f"{indent}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(f"{indent}```")
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


LITERAL = re.compile(r"(?m)(\S) ?::$")  # "call it::" introduces an indented literal block


def to_markdown(text: str) -> str:
    """A docstring's text as Markdown: doctest blocks fenced, roles as inline code, and the
    ``::`` that introduces a literal block shown as Sphinx shows it (one colon)."""
    return LITERAL.sub(r"\1:", ROLE.sub(_role, fence_doctests(text)))


class DoctestBlocks(griffe.Extension):
    """Rewrites each docstring's text for Markdown when griffe loads an object."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
