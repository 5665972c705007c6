"""File content as lines that keep their terminators, and the keys lines are matched by."""

from __future__ import annotations

from collections.abc import Sequence

from patchaudit.textbytes import to_bytes

ENCODING = "utf-8"
ERRORS = "surrogateescape"  # the series parser decodes the same way: every byte round-trips


def split_lines(data: bytes) -> list[bytes]:
    """Lines split after each ``\\n`` only, terminators kept; the last may have none.

    Not bytes.splitlines(): a lone ``\\r`` is not a line break for diff or patch.
    """
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def has_terminator(line: bytes) -> bool:
    return line.endswith(b"\n")


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


def dominant_eol(lines: Sequence[bytes]) -> bytes | None:
    """``\\r\\n`` if most terminated lines use it, ``\\n`` otherwise; None for no lines."""
    terminated = [line for line in lines if has_terminator(line)]
    if not terminated:
        return None
    crlf = sum(1 for line in terminated if line.endswith(b"\r\n"))
    return b"\r\n" if crlf * 2 > len(terminated) else b"\n"


def encode_added(text: str, no_newline: bool, eol: bytes | None) -> bytes:
    """The bytes of an added line: in the file's line-end style if it has one.

    A file without lines (new or empty) has no style: the hunk text is kept as written,
    CR included, so a new CRLF file comes out byte for byte as the patch describes it.
    """
    if eol is None:
        body = text.removesuffix("\n")
        return to_bytes(body) + (b"" if no_newline else b"\n")
    return to_bytes(text_key(text)) + (b"" if no_newline else eol)
