"""Checks that the documentation's links and the code's citations of it point at what exists.

A relative markdown link must name an existing file, and its ``#anchor`` (if any) a heading of
that file, with anchors made the way GitHub makes them. A citation in code or tests,
``docs/contract.md "Output"``, must name an existing file and one of its headings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
# A repository path ending in .md, optionally followed by a quoted section name.
_CITATION = re.compile(r"(?<![\w/.-])([\w.-]+(?:/[\w.-]+)*\.md)\b(?:\s+\"([^\"\n]+)\")?")


def _without_code(markdown: str) -> str:
    """The text outside fenced blocks and code spans: a ``#`` or ``[x](y)`` in code is code."""
    return _INLINE_CODE.sub("", _FENCE.sub("", markdown))


def headings(markdown: str) -> list[str]:
    """Every ATX heading's text, code spans unwrapped (outside fenced blocks)."""
    return [h.replace("`", "") for h in _HEADING.findall(_FENCE.sub("", markdown))]


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces become hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every anchor of a document; a repeated heading gets GitHub's ``-1``, ``-2`` suffixes."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in headings(markdown):
        base = anchor(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(doc: Path) -> list[str]:
    """The relative links of ``doc`` whose file or anchor does not exist, as ``doc: target``."""
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in _LINK.findall(_without_code(text)):
        if _SCHEME.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        linked = (doc.parent / path_part).resolve() if path_part else doc
        if not linked.exists():
            broken.append(f"{doc.name}: {target} (no such file)")
        elif (
            fragment
            and linked.is_file()
            and fragment not in anchors(linked.read_text(encoding="utf-8"))
        ):
            broken.append(f"{doc.name}: {target} (no such heading)")
    return broken


def broken_citations(source: Path, root: Path = ROOT) -> list[str]:
    """The ``*.md`` paths named in ``source`` (from the repository root) that do not exist, and
    the quoted sections after them that are no heading of the file."""
    broken = []
    for path, section in _CITATION.findall(source.read_text(encoding="utf-8")):
        cited = root / path
        if not cited.is_file():
            broken.append(f"{source.name}: {path} (no such file)")
        elif section and section not in headings(cited.read_text(encoding="utf-8")):
            broken.append(f'{source.name}: {path} "{section}" (no such heading)')
    return broken
