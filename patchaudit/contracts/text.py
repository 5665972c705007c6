"""Comment text as sentences: decoration stripped, wrapped lines joined, each sentence with its line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from patchaudit.cfront.ir import Comment

# The decoration of a block comment line: leading blanks, "*", one blank.
_DECORATION_RE = re.compile(r"^\s*(?:/\*+|\*+/?|//+)?[ \t]?")
_CLOSING_RE = re.compile(r"\s*\*+/\s*$")
# A sentence ends at ".", "!", "?" or ";" followed by a blank, or at a
# blank line; "e.g." and "i.e." do not end one, nor does the "." of
# "zone->lock." when what follows is lower case (a wrapped continuation
# rarely starts a sentence in lower case after a full stop... but a path
# like "mm/rmap.c" has no blank after its dot and never ends one).
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.")
_END_RE = re.compile(r"(?<=[.!?;:])\s+(?=\S)")
# A kernel-doc section heading starts a new sentence: "Context:", "Return:".
_HEADING_RE = re.compile(r"^(?:[A-Z][A-Za-z ]{1,20}|@[\w.]+(?:\.\.\.)?):(?=\s|$)")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a comment: its text with blanks collapsed, and the line it starts on."""

    text: str
    line: int
    heading: str = ""  # the kernel-doc section it belongs to ("Context", "@member", "")


def comment_lines(comment: Comment) -> list[tuple[int, str]]:
    """The comment's lines without decoration, each with its line number."""
    out: list[tuple[int, str]] = []
    for offset, raw in enumerate(comment.text.split("\n")):
        line = _CLOSING_RE.sub("", raw)
        line = _DECORATION_RE.sub("", line, count=1)
        out.append((comment.start_line + offset, line.rstrip()))
    return out


def _paragraphs(lines: list[tuple[int, str]]) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """Runs of non-blank lines; a kernel-doc heading line starts a run of its own."""
    run: list[tuple[int, str]] = []
    heading = ""
    for number, text in lines:
        stripped = text.strip()
        match = _HEADING_RE.match(stripped)
        if not stripped or match:
            if run:
                yield heading, run
            run = []
            if match:
                heading = match.group(0)[:-1]
                rest = stripped[match.end():].strip()
                if rest:
                    run.append((number, rest))
            elif heading.startswith("@"):
                # A blank line ends the parameter descriptions: what follows is the
                # function's description ("@folio: The folio." then "May sleep.").
                heading = ""
            continue
        run.append((number, stripped))
    if run:
        yield heading, run


def sentences(comment: Comment) -> list[Sentence]:
    """The sentences of a comment, in order."""
    found: list[Sentence] = []
    for heading, run in _paragraphs(comment_lines(comment)):
        # Join the wrapped lines, remembering where each line starts in the text.
        starts: list[tuple[int, int]] = []
        text = ""
        for number, line in run:
            if text:
                text += " "
            starts.append((len(text), number))
            text += line
        pieces = _split(text)
        for start, piece in pieces:
            at = starts[0][1]
            for offset, number in starts:
                if offset <= start:
                    at = number
            piece = " ".join(piece.split())
            if piece:
                found.append(Sentence(piece, at, heading))
    return found


def _split(text: str) -> list[tuple[int, str]]:
    pieces: list[tuple[int, str]] = []
    start = 0
    for match in _END_RE.finditer(text):
        before = text[start:match.start()]
        if before.endswith(_ABBREVIATIONS) or before.rstrip().endswith(":") and len(before) < 3:
            continue
        pieces.append((start, before))
        start = match.end()
    pieces.append((start, text[start:]))
    return pieces
