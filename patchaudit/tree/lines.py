"""File content as lines that keep their terminators, and the keys lines are matched by."""

from __future__ import annotations

from patchaudit.textbytes import to_bytes

ENCODING = "utf-8"
ERRORS = "surrogateescape"  # the series parser decodes the same way: every byte round-trips


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def line_key(line: bytes) -> str:
    """What a file line is compared by: its text without ``\\n`` and one ``\\r`` before it.

    The CR is ignored because mail transport adds or strips it; CRLF files still match
    patches whose lines lost their CRs, and the file keeps its own line ends.
    """
    body = line[:-1] if line.endswith(b"\n") else line
    if body.endswith(b"\r"):
        body = body[:-1]
    return body.decode(ENCODING, ERRORS)


def text_key(text: str) -> str:
    """The key of a hunk line's text, comparable with line_key (a stray newline tolerated)."""
    text = text.removesuffix("\n")
    return text.removesuffix("\r")


def encode_added(text: str, no_newline: bool, eol: bytes | None) -> bytes:
    """The bytes of an added line: in the file's line-end style if it has one.

    A file without lines (new or empty) has no style: the hunk text is kept as written,
    CR included, so a new CRLF file comes out byte for byte as the patch describes it.
    """
    if eol is None:
        body = text.removesuffix("\n")
        return to_bytes(body) + (b"" if no_newline else b"\n")
    return to_bytes(text_key(text)) + (b"" if no_newline else eol)
