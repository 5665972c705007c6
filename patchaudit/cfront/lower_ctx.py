"""Shared state of one lowering: positions in characters, original text, the nesting limit."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager

from tree_sitter import Node

from patchaudit.cfront.ir import Pos
from patchaudit.cfront.kernel import iterator_macro_at, macro_family

# Deeper IR nesting than this is lowered as Opaque/Unknown. Python's own
# recursion limit (1000 frames) bounds both this lowering and pickle, which
# spends about three frames per IR level; 150 leaves room for the caller's
# frames and is far above what real kernel code needs (see tests).
MAX_DEPTH = 150
# An expression longer than this is lowered as one Unknown (its calls kept):
# each IR level keeps its own text, so a long nested expression (a 4 MB
# "1 + 1 + ..." line) cost MAX_DEPTH copies of itself, 1.4 GB. The longest
# expression of Linux 6.12 outside initializer lists (data tables, which are
# exempt) is far shorter.
MAX_EXPR_BYTES = 256 * 1024

_IDENT = re.compile(rb"[A-Za-z_]\w*")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Suspend the cyclic garbage collector while building a large acyclic structure.

    Lowering and unpickling create about a million small IR objects for mm/;
    with the collector on, each of its passes re-walks all of them and the
    work grows with the number of IRs alive (measured: 2.4x slower lowering).
    IR objects form no reference cycles, so nothing is left for it to find.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Ctx:
    """Per-file lowering state; nodes index the masked bytes, text comes from the original."""

    def __init__(self, original: bytes, masked: bytes) -> None:
        self.original = original
        self.masked = masked
        self.ascii = original.isascii()
        # An ASCII file's text as str: its indices are byte offsets, and
        # slicing a str is cheaper than slicing bytes and decoding the slice.
        self._source = original.decode("ascii") if self.ascii else ""
        self._masked_source = masked.decode("ascii") if self.ascii and masked.isascii() else ""
        self.line_starts: list[int] = []
        if not self.ascii:
            self.line_starts = [0]
            self.line_starts.extend(m.end() for m in re.finditer(rb"\n", original))
        self.too_deep_lines: list[int] = []
        self.too_long_lines: list[int] = []
        # One Pos object per distinct position: a call and its callee, a
        # statement and its expression start at the same place, and pickle
        # then stores (and the cache loads) each position once. Positions are
        # looked up by byte offset first (of the character's first byte, or
        # for an end of its last byte): in an ASCII file offsets and positions
        # correspond one to one, so that is all it needs. Other files then
        # look up line and column, which the bytes of one character share.
        self._at_byte: dict[int, Pos] = {}
        self._positions: dict[tuple[int, int], Pos] = {}
        self._strings: dict[str, str] = {}

    # ------------------------------------------------------------ positions

    def _column(self, row: int, byte_col: int) -> int:
        """1-based character column of the character that starts at ``byte_col`` of ``row``."""
        if self.ascii:
            return byte_col + 1
        start = self.line_starts[row]
        prefix = self.original[start : start + byte_col]
        if prefix.isascii():
            return byte_col + 1
        return len(prefix.decode("utf-8", "surrogateescape")) + 1

    def _shared(self, line: int, column: int) -> Pos:
        key = (line, column)
        found = self._positions.get(key)
        if found is None:
            found = self._positions[key] = Pos(line, column)
        return found

    def pos(self, node: Node) -> Pos:
        start = node.start_byte
        found = self._at_byte.get(start)
        if found is None:
            row, col = node.start_point
            if self.ascii:
                found = Pos(row + 1, col + 1)
            else:
                found = self._shared(row + 1, self._column(row, col))
            self._at_byte[start] = found
        return found

    def end(self, node: Node) -> Pos:
        """The last character a node covers (1-based, inclusive)."""
        if not self.ascii:
            return self._end_unicode(node)
        last = node.end_byte - 1
        found = self._at_byte.get(last)
        if found is None:
            row, col = node.end_point
            if col == 0 and row > 0:
                # The node ends with a newline: point at that newline.
                line_start = self.original.rfind(b"\n", 0, last) + 1
                found = Pos(row, last - line_start + 1)
            else:
                found = Pos(row + 1, col)
            self._at_byte[last] = found
        return found

    def _end_unicode(self, node: Node) -> Pos:
        row, col = node.end_point
        if col == 0 and row > 0:
            row -= 1
            return self._shared(
                row + 1, self._column(row, node.end_byte - self.line_starts[row]) - 1
            )
        return self._shared(row + 1, self._column(row, col) - 1)

    # ------------------------------------------------------------ text

    def file_text(self) -> str:
        """The whole original file as text."""
        if self.ascii:
            return self._source
        return self.original.decode("utf-8", "surrogateescape")

    def text(self, node: Node) -> str:
        if self.ascii:
            return self._source[node.start_byte : node.end_byte]
        return self.original[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")

    def name(self, node: Node) -> str:
        """Text of a name token, one string object per distinct name (pickled once)."""
        if self.ascii:  # text() inlined: a third of all nodes lowered are names
            text = self._source[node.start_byte : node.end_byte]
        else:
            text = self.text(node)
        return self._strings.setdefault(text, text)

    def intern(self, text: str) -> str:
        return self._strings.setdefault(text, text)

    def span_text(self, start: int, end: int) -> str:
        if self.ascii:
            return self._source[start:end]
        return self.original[start:end].decode("utf-8", "surrogateescape")

    def masked_text(self, start: int, end: int) -> str:
        """Text as parsed: annotation macros the masking blanked are gone."""
        if self._masked_source:
            return self._masked_source[start:end]
        return self.masked[start:end].decode("utf-8", "surrogateescape")

    def keyword_at(self, node: Node) -> str:
        """The word a statement starts with in the original: ``while`` or the macro masked as it."""
        masked_macro = iterator_macro_at(self.original, node.start_byte)
        if masked_macro is not None:
            return masked_macro
        m = _IDENT.match(self.original, node.start_byte)
        return m.group().decode("ascii") if m else ""

    def is_scope_macro(self, name: str) -> bool:
        """A statement-taking macro that holds something for its body (scoped_guard), not a loop."""
        family = macro_family(name)
        if family is not None:
            return family == "scope"
        # A macro the table does not know (raw trees): cleanup.h names every
        # scope macro scoped_*; anything else taking a statement is an
        # iterator, zero or more runs of its body.
        return name.startswith("scoped_")

    def note_too_deep(self, node: Node) -> None:
        self.too_deep_lines.append(node.start_point[0] + 1)

    def note_too_long(self, node: Node) -> None:
        self.too_long_lines.append(node.start_point[0] + 1)
