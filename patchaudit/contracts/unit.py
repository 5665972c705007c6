"""One file as the miners see it: its IR, its text by line, and where its functions' comments are."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property

from patchaudit.cfront.ir import Comment, FileIR, Function


@dataclass
class Unit:
    """A parsed file and its text; what every miner reads."""

    path: str
    ir: FileIR
    data: bytes
    _lines: list[str] | None = field(default=None, repr=False)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.data.decode("utf-8", "surrogateescape").split("\n")
        return self._lines

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""

    def blank_between(self, first: int, last: int) -> bool:
        """Whether lines first..last (inclusive) are all blank (true for an empty range)."""
        return all(not self.line(n).strip() for n in range(first, last + 1))

    @cached_property
    def _comment_ends(self) -> list[int]:
        return [c.end_line for c in self.ir.comments]

    def comment_above(self, line: int) -> Comment | None:
        """The comment that ends right above ``line``, with only blank lines between."""
        comments = self.ir.comments
        index = bisect.bisect_left(self._comment_ends, line) - 1
        while index >= 0:
            comment = comments[index]
            if comment.end_line < line:
                # The comment must start its line: a trailing comment of code
                # above belongs to that code.
                opening = self.line(comment.start_line)
                if opening[: opening.find(comment.text[:2])].strip():
                    return None
                return comment if self.blank_between(comment.end_line + 1, line - 1) else None
            index -= 1
        return None

    def comments_in(self, first: int, last: int) -> list[Comment]:
        """Comments that start within lines first..last."""
        return [c for c in self.ir.comments if first <= c.start_line <= last]

    def body_head(self, fn: Function) -> list[Comment]:
        """Comments at the top of a function's body, before its first statement.

        A function's requirements are often stated there ("Caller holds
        the lock.") rather than above it.
        """
        body = fn.body
        first = body.body[0].pos.line if body.body else fn.end_line
        open_line = body.pos.line
        return [c for c in self.comments_in(open_line, first) if c.end_line <= first]
