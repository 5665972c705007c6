"""Miner of documented lock orders: indented diagrams, "A -> B" lines and "A nests inside B".

A comment documents a lock order when it holds a keyword ("Lock ordering",
"lock hierarchy", ...; data/phrases.toml [hierarchy]). Its diagram is read
as kernel comments draw it: each lock on a line of its own, a lock indented
under another is taken while that one is held (mm/rmap.c, mm/filemap.c).
Lines with arrows between locks ("@conf_sem -> @comm_lock") give an edge per
arrow. Sentences of any comment that say one lock nests inside, or is taken
before, another give an edge too. Each edge keeps the lines it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from patchaudit.cfront.ir import Comment
from patchaudit.contracts.model import Contract, ContractKind, Origin
from patchaudit.contracts.phrases import Phrases, phrases
from patchaudit.contracts.text import comment_lines, sentences
from patchaudit.contracts.unit import Unit

# What follows a lock on a diagram line: a note in parentheses, a second
# column after two blanks or a tab, a colon.
_NOTE_RE = re.compile(r"\s*(?:\(|\t|\s{2,}|:\s|,\s|\s--\s|\s-\s|\[).*$")
_ORDER_HINT_RE = re.compile(r"\bnest|\bbefore\b|\binside\b|\boutside\b", re.IGNORECASE)


_ALTERNATIVES_RE = re.compile(r"\s+or\s+|\s*,\s*")


@dataclass(frozen=True)
class _Node:
    indent: int
    locks: tuple[str, ...]  # "mm->page_table_lock or pte_lock": either stands at this place
    line: int
    text: str


def _lock_at(text: str, table: Phrases) -> str | None:
    """The lock a diagram line starts with, or None for a line of prose."""
    head = _NOTE_RE.sub("", text.strip()).rstrip(".,;: ").strip()
    if not head or len(head.split()) > 4:
        return None
    return head if table.lock_one.match(head) else None


def _locks_at(text: str, table: Phrases) -> tuple[str, ...]:
    """The locks a diagram line starts with: one, or alternatives ("A or B", "A,B")."""
    head = _NOTE_RE.sub("", text.strip())
    pieces = [p for p in _ALTERNATIVES_RE.split(head) if p.strip()]
    if len(pieces) > 1:
        locks = [_lock_at(p, table) for p in pieces]
        if all(locks):
            return tuple(lock for lock in locks if lock)
    single = _lock_at(text, table)
    return (single,) if single else ()


def _indent(text: str) -> int:
    expanded = text.expandtabs(8)
    return len(expanded) - len(expanded.lstrip())


def _edge(unit: Unit, outer: str, inner: str, line: int, text: str) -> Contract:
    return Contract(kind=ContractKind.LOCK_ORDER, origin=Origin.HIERARCHY, subject="",
                    file=unit.path, line=line, text=text, lock_text=outer, inner_text=inner)


def _diagram(unit: Unit, comment: Comment, table: Phrases) -> Iterator[Contract]:
    lines = comment_lines(comment)
    start = next((i for i, (_, text) in enumerate(lines) if table.hierarchy.search(text)), None)
    if start is None:
        return
    heading = lines[start][1].strip()
    edges: list[Contract] = []
    stack: list[_Node] = []
    for number, text in lines[start:]:
        pieces = [p for p in table.arrow.split(text.split(":", 1)[-1] if number == lines[start][0]
                                              else text) if p.strip()]
        if len(pieces) > 1:
            locks = [_lock_at(p, table) for p in pieces]
            for outer, inner in zip(locks, locks[1:]):
                if outer and inner:
                    edges.append(_edge(unit, outer, inner, number, f"{heading}\n{text.strip()}"))
            continue
        if number == lines[start][0] or not text.strip():
            continue
        # A line of prose still takes its place in the drawing: what is
        # indented under it is not under the lock above it.
        node = _Node(_indent(text), _locks_at(text, table), number, text.strip())
        while stack and stack[-1].indent >= node.indent:
            stack.pop()
        if stack:
            parent = stack[-1]
            for outer in parent.locks:
                for inner in node.locks:
                    edges.append(_edge(unit, outer, inner, number,
                                       f"{heading}\n{parent.text}\n{node.text}"))
        stack.append(node)
    yield from edges


def _sentences(unit: Unit, comment: Comment, table: Phrases) -> Iterator[Contract]:
    if not _ORDER_HINT_RE.search(comment.text):
        return
    for sentence in sentences(comment):
        if "?" in sentence.text:
            continue
        for pattern in table.orders:
            match = pattern.search(sentence.text)
            if match is None:
                continue
            outer, inner = match.group("first").strip(), match.group("second").strip()
            if _lock_at(outer, table) and _lock_at(inner, table):
                yield _edge(unit, outer, inner, sentence.line, sentence.text)
            break


def mine_hierarchies(unit: Unit) -> Iterator[Contract]:
    """Lock-order edges documented in the comments of a file."""
    table = phrases()
    for comment in unit.ir.comments:
        if table.hierarchy.search(comment.text):
            yield from _diagram(unit, comment, table)
        yield from _sentences(unit, comment, table)
