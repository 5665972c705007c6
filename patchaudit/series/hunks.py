"""Reading one hunk: delimit it by its header's line counts, then let unidiff parse it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk
from unidiff.patch import PatchSet

from patchaudit.errors import InputError
from patchaudit.series.model import Hunk, HunkLine, LineKind

# "@@ -old[,len] +new[,len] @@ section"; a missing length means 1. A number of
# more than 18 digits makes the header malformed (4,300 would not even convert).
HUNK_HEADER = re.compile(r"^@@ -(\d{1,18})(?:,(\d{1,18}))? \+(\d{1,18})(?:,(\d{1,18}))? @@ ?(.*)$")
_KINDS = {"+": LineKind.ADDED, "-": LineKind.REMOVED, " ": LineKind.CONTEXT}


def _mismatch(source: str, header: str, path: str) -> InputError:
    return InputError(
        source,
        f"hunk '{header}' of {path} does not match its header's line counts "
        "(truncated or corrupt patch)",
    )


def _is_signature(line: str) -> bool:
    # The "-- " line that opens a mail signature, possibly with the space eaten.
    return line.rstrip("\n") in ("-- ", "--")


def _hunk_end(lines: Sequence[str], start: int, path: str, source: str) -> int:
    """The index after the hunk whose header is ``lines[start]``, found by counting.

    Counting the header's lengths is what tells a removed ``--- x`` line from a
    new file header, and a truncated hunk from a complete one; a mismatch
    raises InputError naming the hunk.
    """
    header = lines[start].rstrip("\n")
    match = HUNK_HEADER.match(header)
    if match is None:
        raise InputError(source, f"malformed hunk header '{header}' in {path}")
    old_left = int(match.group(2) or "1")
    new_left = int(match.group(4) or "1")
    i = start + 1
    while old_left > 0 or new_left > 0:
        if i >= len(lines):
            raise _mismatch(source, header, path)
        first = lines[i][:1]
        # A mailer that strips trailing blanks turns the " " of an empty
        # context line into an empty line: count it as context, as git does.
        if first in (" ", "\n", ""):
            old_left, new_left = old_left - 1, new_left - 1
        elif first == "-":
            old_left -= 1
        elif first == "+":
            new_left -= 1
        elif first != "\\":
            raise _mismatch(source, header, path)
        if old_left < 0 or new_left < 0:
            raise _mismatch(source, header, path)
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        i += 1
    # A +/-/context line right after a complete hunk means the header
    # undercounts; the signature and the next file's "--- " header do not.
    if i < len(lines) and lines[i][:1] in ("+", "-", " ") and not _is_signature(lines[i]):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if not (lines[i].startswith("--- ") and following.startswith("+++ ")):
            raise _mismatch(source, header, path)
    return i


def read_hunks(
    lines: Sequence[str], start: int, path: str, source: str
) -> tuple[tuple[Hunk, ...], int]:
    """Read the hunks of one file from ``lines[start]`` on; return them and the index after.

    ``lines`` keep their ``\\n``. The hunks are delimited by counting, then
    handed to unidiff in one go (one PatchSet per file keeps it fast).
    """
    spans: list[tuple[int, int]] = []
    i = start
    while i < len(lines) and lines[i].startswith("@@"):
        end = _hunk_end(lines, i, path, source)
        spans.append((i, end))
        i = end
    if not spans:
        return (), start
    parsed = _parse(lines[start:i])
    if parsed is None or len(parsed) != len(spans):
        # Find the hunk unidiff disagrees with, to name it.
        for first, end in spans:
            if _parse(lines[first:end]) is None:
                raise _mismatch(source, lines[first].rstrip("\n"), path)
        raise _mismatch(source, lines[start].rstrip("\n"), path)
    return tuple(_convert(raw) for raw in parsed), i


def _parse(chunk: Sequence[str]) -> list[UnidiffHunk] | None:
    body = "".join(line if line.endswith("\n") else line + "\n" for line in chunk)
    try:
        patch = PatchSet("--- a/f\n+++ b/f\n" + body)
    except UnidiffParseError:
        return None
    return list(patch[0]) if len(patch) == 1 else None


def _convert(raw: UnidiffHunk) -> Hunk:
    out: list[HunkLine] = []
    for line in raw:
        if line.line_type == "\\":
            if out:
                last = out[-1]
                out[-1] = HunkLine(last.kind, last.text, no_newline=True)
            continue
        kind = _KINDS.get(line.line_type)
        if kind is None:  # unidiff's marker for blank lines after the hunk
            continue
        out.append(HunkLine(kind, line.value.removesuffix("\n")))
    return Hunk(
        old_start=raw.source_start,
        old_length=raw.source_length,
        new_start=raw.target_start,
        new_length=raw.target_length,
        section=raw.section_header,
        lines=tuple(out),
    )
