"""The small Markdown subset of rule files (paragraphs, ``- `` lists, `code`) as blocks for templates.

Rule summaries, "why it matters" and false-positive notes are written in
plain text with a little Markdown. Text formats print them as written;
HTML templates render these blocks (and escape every piece of text), so no
markup is ever assembled here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Span = tuple[str, str]  # ("code" or "", text)

# `code`, or ``code`` (reStructuredText's literal, used when quoting kernel docs).
_CODE = re.compile(r"``(.+?)``|`([^`]+)`")
_ITEM = re.compile(r"^\s*[-*]\s+(.*)$")


@dataclass(frozen=True)
class Block:
    """A paragraph (``items`` holds one entry) or a bulleted list (one entry an item)."""

    kind: str  # "p" or "ul"
    items: tuple[tuple[Span, ...], ...]


def spans(text: str) -> tuple[Span, ...]:
    """Inline code marked with backticks, and the plain text around it."""
    found: list[Span] = []
    position = 0
    for match in _CODE.finditer(text):
        if match.start() > position:
            found.append(("", text[position : match.start()]))
        found.append(("code", match.group(1) or match.group(2)))
        position = match.end()
    if position < len(text):
        found.append(("", text[position:]))
    return tuple(found)


def blocks(text: str) -> tuple[Block, ...]:
    """Paragraphs split at blank lines, their lines joined; lines that start with ``- `` are a list."""
    result: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if not lines:
            continue
        if all(_ITEM.match(line) or line[:1].isspace() for line in lines) and _ITEM.match(lines[0]):
            items: list[str] = []
            for line in lines:
                item = _ITEM.match(line)
                if item:
                    items.append(item.group(1).strip())
                else:
                    items[-1] += " " + line.strip()  # a wrapped item
            result.append(Block("ul", tuple(spans(item) for item in items)))
        else:
            result.append(Block("p", (spans(" ".join(line.strip() for line in lines)),)))
    return tuple(result)
