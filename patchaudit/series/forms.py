"""Telling input forms apart by content (mbox, single mail, plain diff) and splitting mboxes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from patchaudit.errors import InputError
from patchaudit.series.diff import find_diff_start, split_lines
from patchaudit.series.mail import patch_from_mail, patch_from_text
from patchaudit.series.model import Patch

ONE_LINE_PROBLEM = (
    "the patch is on a single line (its line breaks were lost, e.g. copied from a web page); "
    "save the raw mail instead"
)
# An mbox "From_" separator: "From <sender or sha> <asctime date>", as written by
# git format-patch ("Mon Sep 17 00:00:00 2001"), b4 and list archives. Requiring
# the date keeps a commit message line "From now on ..." from splitting a mail.
_FROM_LINE = re.compile(
    rb"^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct"
    rb"|Nov|Dec) +\d{1,2} \d{1,2}:\d\d(?::\d\d)? (?:[A-Z]{3,4} )?\d{4}(?: [+-]\d{4})?\s*$"
)
# mboxrd quoting: a body line "From ..." is stored as ">From ...", ">From" as ">>From".
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
# RFC 5322 field name: printable ASCII except the colon, then the colon.
_HEADER_LINE = re.compile(rb"^([!-9;-~]+):")
# Headers that only a mail carries; "Index:" or "Date:" alone do not make a mail.
_MAIL_HEADERS = {b"from", b"subject", b"message-id", b"received", b"return-path", b"delivered-to"}
# A diff file header followed, on the same line, by a hunk header: what is left
# of a patch whose line breaks were turned into spaces.
_EMBEDDED_DIFF = re.compile(r"(?:diff --git |\+\+\+ )\S.*? @@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")


def looks_flattened(text: str) -> bool:
    """Whether a diff is embedded in a line (line breaks lost) and none starts a line."""
    lines = text.split("\n")
    if any(line.startswith(("diff --git ", "@@ -")) for line in lines):
        return False
    for line in lines:
        found = _EMBEDDED_DIFF.search(line)
        if found and found.start() > 0:
            return True
    return False


def check_text(data: bytes, source: str) -> None:
    """Refuse input that cannot be a patch at all: empty, binary, flattened."""
    if not data.strip():
        raise InputError(source, "empty input: there is no patch in it")
    if b"\x00" in data:
        raise InputError(source, "the input contains NUL bytes (binary data, not a text patch)")
    if looks_flattened(data.decode("utf-8", "surrogateescape")):
        raise InputError(source, ONE_LINE_PROBLEM)


def is_mbox(data: bytes) -> bool:
    first = data.split(b"\n", 1)[0]
    return _FROM_LINE.match(first) is not None


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox, without their ``From `` lines and with ``>From`` unquoted."""
    messages: list[list[bytes]] = []
    # Split on LF only: a lone CR inside a line is content.
    for line in re.findall(rb"[^\n]*\n|[^\n]+$", data):
        if _FROM_LINE.match(line):
            messages.append([])
        elif messages:
            messages[-1].append(line)
    return [_QUOTED_FROM.sub(rb"\1", b"".join(lines)) for lines in messages]


def iter_mbox(stream: BinaryIO, offset: int = 0) -> Iterator[tuple[int, bytes]]:
    """The messages of an mbox read as a stream from byte ``offset`` (a separator line).

    Yields (the offset just past the message, the message as split_mbox gives
    it), so a reader can resume after the last message it has handled; the
    mbox may be far larger than memory.
    """
    stream.seek(offset)
    position = offset
    lines: list[bytes] | None = None
    for line in stream:
        if _FROM_LINE.match(line):
            if lines is not None:
                yield position, _QUOTED_FROM.sub(rb"\1", b"".join(lines))
            lines = []
        elif lines is not None:
            lines.append(line)
        position += len(line)
    if lines is not None:
        yield position, _QUOTED_FROM.sub(rb"\1", b"".join(lines))


def starts_with_headers(data: bytes) -> bool:
    """Whether the text opens with a mail header block that names a mail header."""
    names: set[bytes] = set()
    for line in data.split(b"\n"):
        if not line.strip(b"\r"):
            break
        if line[:1] in (b" ", b"\t") and names:
            continue  # a folded header
        match = _HEADER_LINE.match(line)
        if match is None:
            return False
        names.add(match.group(1).lower())
    return bool(names & _MAIL_HEADERS)


def _one_message(data: bytes, source: str) -> Patch:
    check_text(data, source)
    if starts_with_headers(data):
        return patch_from_mail(data, source)
    text = data.decode("utf-8", "surrogateescape")
    if find_diff_start(split_lines(text)) is None:
        raise InputError(source, "not a patch: found neither a diff nor mail headers")
    return patch_from_text(text, source)


def patches_from_bytes(data: bytes, source: str) -> list[Patch]:
    """Every patch in one input (a file or stdin): an mbox, a mail or a plain diff."""
    return list(iter_patches(data, source))


def iter_patches(data: bytes, source: str) -> Iterator[Patch]:
    """The patches of one input, parsed one at a time (a caller may stop early)."""
    check_text(data, source)
    data = data.lstrip(b"\r\n")
    if not is_mbox(data):
        yield _one_message(data, source)
        return
    messages = [m for m in split_mbox(data) if m.strip()]
    if not messages:
        raise InputError(source, "the mbox holds no message")
    if len(messages) == 1:
        yield _one_message(messages[0], source)
        return
    for n, message in enumerate(messages, 1):
        yield _one_message(message, f"{source}:{n}")
