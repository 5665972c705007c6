"""Splitting a mail body into commit message, trailers, diff and base-commit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from patchaudit.errors import InputError
from patchaudit.series.diff import DiffScan, find_diff_start, scan_diff, split_lines
from patchaudit.series.model import FileDiff, Trailer

# Trailer keys the kernel documents (submitting-patches.rst) plus common
# git ones, in their canonical spelling; any "Key: value" line counts, but a
# block must hold at least one of these to be taken as the trailer block.
_KNOWN_KEYS = {
    key.lower(): key
    for key in (
        "Signed-off-by",
        "Acked-by",
        "Reviewed-by",
        "Tested-by",
        "Reported-by",
        "Suggested-by",
        "Cc",
        "Link",
        "Closes",
        "Fixes",
        "Co-developed-by",
        "Reported-and-tested-by",
        "Requested-by",
        "Debugged-by",
        "Originally-by",
        "Helped-by",
        "Bisected-by",
        "Message-ID",
    )
}
# "Key: value"; the value must not start with "//" so that a bare URL
# ("https://...") is not read as a trailer with key "Https".
_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]*(?!//)(\S.*)$")
# Maintainer notes inside the trailer block: "[akpm: fix typo]".
_NOTE = re.compile(r"^\[.*\]$")
# git format-patch --base writes these after the diff (or in the cover letter).
_BASE_COMMIT = re.compile(r"^base-commit: ([0-9a-f]{7,64})\s*$")
_PREREQUISITE = re.compile(r"^prerequisite-patch-id: [0-9a-f]+\s*$")
# git am reads "From:", "Subject:" and "Date:" at the top of the body as
# overriding the mail headers (a patch sent on behalf of its author).
_IN_BODY_HEADER = re.compile(r"^(From|Subject|Date):[ \t]*(.*)$")


@dataclass(frozen=True)
class InBodyHeaders:
    """``From:``/``Subject:``/``Date:`` lines at the top of the body; empty when absent."""

    author: str = ""
    subject: str = ""
    date: str = ""


@dataclass(frozen=True)
class BodyParts:
    body: str
    trailers: tuple[Trailer, ...]
    base_commit: str
    diff_text: str
    files: tuple[FileDiff, ...]
    in_body: InBodyHeaders


def normalize_newlines(text: str) -> str:
    """Turn CRLF into LF when every line ends in CRLF (a transport artefact, not content)."""
    crlf = text.count("\r\n")
    if crlf and crlf == text.count("\n"):
        return text.replace("\r\n", "\n")
    return text


def canonical_key(key: str) -> str:
    """``SIGNED-OFF-BY`` -> ``Signed-off-by``: the kernel capitalises only the first letter."""
    return _KNOWN_KEYS.get(key.lower(), key[:1].upper() + key[1:].lower())


def _paragraph_start(lines: Sequence[str]) -> int:
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i].strip():
            return i + 1
    return 0


def split_trailers(lines: Sequence[str]) -> tuple[list[str], tuple[Trailer, ...]]:
    """Take the trailer block (the last paragraph) off a message; lines have no ``\\n``."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = _paragraph_start(lines[:end])
    trailers: list[tuple[str, str]] = []
    other = 0
    for line in lines[start:end]:
        match = _TRAILER.match(line)
        if match:
            trailers.append((canonical_key(match.group(1)), match.group(2).strip()))
        elif line[:1] in (" ", "\t") and trailers:
            key, value = trailers[-1]  # folded trailer: continue the previous value
            trailers[-1] = (key, f"{value} {line.strip()}")
        elif not _NOTE.match(line.strip()):
            other += 1
    known = [key for key, _ in trailers if key.lower() in _KNOWN_KEYS]
    # git's rule: a block that is all trailers, or one with a Signed-off-by
    # where at least a quarter of the lines are trailers, is the trailer block.
    signed = any(key == "Signed-off-by" for key in known)
    if not known or (other and not (signed and len(trailers) * 3 >= other)):
        return list(lines[:end]), ()
    return list(lines[:start]), tuple(Trailer(key, value) for key, value in trailers)


def _in_body_headers(lines: list[str]) -> tuple[list[str], InBodyHeaders]:
    found: dict[str, str] = {}
    i = 0
    while i < len(lines) and (match := _IN_BODY_HEADER.match(lines[i])):
        found.setdefault(match.group(1), match.group(2).strip())
        i += 1
    if not found:
        return lines, InBodyHeaders()
    if i < len(lines) and not lines[i].strip():
        i += 1
    headers = InBodyHeaders(
        author=found.get("From", ""), subject=found.get("Subject", ""), date=found.get("Date", "")
    )
    return lines[i:], headers


def _strip_signature(lines: list[str]) -> list[str]:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] == "-- ":
            return lines[:i]
    return lines


def split_body(text: str, source: str) -> BodyParts:
    """Split a decoded mail body (or a plain patch file) into its parts.

    The commit message ends at the first ``---`` line or at the diff, whichever
    comes first; text between the two (diffstat, version notes) is dropped.
    """
    text = normalize_newlines(text)
    lines = split_lines(text)
    start = find_diff_start(lines)
    if start is None:
        scan = DiffScan(files=(), start=len(lines), end=len(lines))
        message_end = len(lines)
    else:
        if "\x00" in text:
            raise InputError(source, "the patch contains NUL bytes (binary data, not a text diff)")
        scan = scan_diff(lines, source, start)
        separators = [i for i in range(start) if lines[i].rstrip() == "---"]
        message_end = separators[0] if separators else start
    outside = lines[message_end : scan.start] + lines[scan.end :]
    message = [line.rstrip("\n") for line in lines[:message_end]]
    if start is None:
        outside = message
        message = _strip_signature(message)
    base_commit = ""
    for line in outside:
        if match := _BASE_COMMIT.match(line.rstrip("\n")):
            base_commit = match.group(1)
            break
    message = [
        line for line in message if not (_BASE_COMMIT.match(line) or _PREREQUISITE.match(line))
    ]
    message, in_body = _in_body_headers(message)
    message, trailers = split_trailers(message)
    return BodyParts(
        body="\n".join(message).strip("\n"),
        trailers=trailers,
        base_commit=base_commit,
        diff_text="".join(lines[scan.start : scan.end]),
        files=scan.files,
        in_body=in_body,
    )
