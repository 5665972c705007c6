"""Splitting a diff into files and reading git's extended headers (renames, modes, binary)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from patchaudit.errors import InputError
from patchaudit.series.hunks import read_hunks
from patchaudit.series.model import FileChange, FileDiff, Hunk
from patchaudit.series.paths import (
    DEV_NULL,
    QuoteError,
    extended_path,
    has_prefix_pair,
    header_path,
    split_git_line,
    strip_component,
)

# git's extended header lines between "diff --git" and "---" (see git-diff(1)).
_EXTENDED = re.compile(
    r"^(old mode|new mode|deleted file mode|new file mode|copy from|copy to|rename from"
    r"|rename to|similarity index|dissimilarity index|index) (.*)$"
)
# "index abc123..def456 100644": the optional trailing mode of an unchanged-mode file.
_INDEX_MODE = re.compile(r"^[0-9a-f]+\.\.[0-9a-f]+ (\d{6})$")
# Lines of a "GIT binary patch" block: "literal N"/"delta N", blank lines and
# base85 data lines, whose first character encodes the decoded length.
_BINARY_SIZE = re.compile(r"^(?:literal|delta) \d+$")
_BASE85 = re.compile(r"^[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]+$")


def _is_binary_line(line: str) -> bool:
    if not line or _BINARY_SIZE.match(line):
        return True
    if not _BASE85.match(line):
        return False
    # 'A'..'Z' stand for 1..26 bytes, 'a'..'z' for 27..52; every 4 bytes take 5
    # characters. Checking the length keeps a trailing word like "Thanks" out.
    size = ord(line[0]) - (ord("A") - 1 if line[0].isupper() else ord("a") - 27)
    return len(line) == 1 + (size + 3) // 4 * 5


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping it: form feeds and CRs are content in kernel files."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    return lines


def _is_unified_start(lines: Sequence[str], i: int) -> bool:
    return (
        lines[i].startswith("--- ")
        and i + 2 < len(lines)
        and lines[i + 1].startswith("+++ ")
        and lines[i + 2].startswith("@@ -")
    )


def find_diff_start(lines: Sequence[str], begin: int = 0) -> int | None:
    """Index of the first line that opens a file diff, or None when there is no diff."""
    for i in range(begin, len(lines)):
        line = lines[i]
        if line.startswith(("diff --git ", "diff --cc ", "diff --combined ")):
            return i
        if _is_unified_start(lines, i):
            return i
    return None


@dataclass(frozen=True)
class DiffScan:
    """The files of a diff and the line range (``start``..``end``) they were read from."""

    files: tuple[FileDiff, ...]
    start: int
    end: int


@dataclass
class _Header:
    """What the header lines of one file said; mutable only while they are read."""

    git_names: tuple[str, str] | None = None
    old_name: str | None = None  # from the "---" line
    new_name: str | None = None  # from the "+++" line
    extended: dict[str, str] = field(default_factory=dict)  # keyword -> rest of line
    binary: bool = False


def _skip_binary(lines: Sequence[str], i: int) -> int:
    end = i
    while i < len(lines) and _is_binary_line(lines[i].rstrip("\n")):
        i += 1
        if lines[i - 1].strip():
            end = i  # trailing blank lines belong to whatever follows
    return end


def _read_file(lines: Sequence[str], i: int, source: str) -> tuple[FileDiff, int]:
    head = _Header()
    first = lines[i].rstrip("\n")
    if first.startswith("diff --git "):
        head.git_names = split_git_line(first[len("diff --git ") :])
        i += 1
        while i < len(lines):
            ext = _EXTENDED.match(lines[i].rstrip("\n"))
            if not ext:
                break
            head.extended.setdefault(ext.group(1), ext.group(2))
            i += 1
    label = _label(head, first)
    line = lines[i].rstrip("\n") if i < len(lines) else ""
    if line.startswith("Binary files ") and line.endswith(" differ"):
        head.binary, i = True, i + 1
    elif line == "GIT binary patch":
        head.binary, i = True, _skip_binary(lines, i + 1)
    elif line.startswith("--- "):
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise InputError(source, f"'---' line without '+++' line for {label}")
        head.old_name = header_path(line[4:])
        head.new_name = header_path(lines[i + 1][4:])
        label = _label(head, first)
        if i + 2 >= len(lines) or not lines[i + 2].startswith("@@"):
            raise InputError(source, f"no hunk after the file header of {label} (truncated patch?)")
        i += 2
    hunks, i = read_hunks(lines, i, label, source)
    return _build(head, hunks, first, source), i


def _label(head: _Header, first: str) -> str:
    """A file name for messages, before the names are fully resolved."""
    strip = _strip(head.old_name, head.new_name, head.git_names)
    names = [head.new_name, head.old_name] + list(head.git_names or ())[::-1]
    for name in names:
        if name and name != DEV_NULL:
            return strip_component(name) if strip else name
    return first


def _strip(old: str | None, new: str | None, git: tuple[str, str] | None) -> bool:
    """Whether the names carry a prefix to drop (a/ b/, or quilt's dir.orig/ dir/)."""
    if git is not None:
        return has_prefix_pair(*git)
    names = [n for n in (old, new) if n and n != DEV_NULL]
    if len(names) == 2:
        # patch -p1 convention: two different first components are prefixes.
        firsts = {n.split("/", 1)[0] for n in names if "/" in n}
        return len(firsts) == 2 or has_prefix_pair(names[0], names[1])
    # One side only (new or deleted file): strip only git's one-letter prefixes.
    return bool(names) and re.match(r"^[abciow12]/", names[0]) is not None


def _build(head: _Header, hunks: tuple[Hunk, ...], first: str, source: str) -> FileDiff:
    ext = head.extended
    strip = _strip(head.old_name, head.new_name, head.git_names)

    def clean(name: str | None) -> str | None:
        if name is None or name == DEV_NULL:
            return None
        return strip_component(name) if strip else name

    old = clean(head.old_name) or (clean(head.git_names[0]) if head.git_names else None)
    new = clean(head.new_name) or (clean(head.git_names[1]) if head.git_names else None)
    change = FileChange.MODIFIED
    try:
        if "rename from" in ext and "rename to" in ext:
            change = FileChange.RENAMED
            old, new = extended_path(ext["rename from"]), extended_path(ext["rename to"])
        elif "copy from" in ext and "copy to" in ext:
            change = FileChange.COPIED
            old, new = extended_path(ext["copy from"]), extended_path(ext["copy to"])
    except QuoteError:
        raise InputError(source, f"unterminated quoted file name in {first!r}") from None
    if "new file mode" in ext or head.old_name == DEV_NULL:
        change, old = FileChange.ADDED, None
    elif "deleted file mode" in ext or head.new_name == DEV_NULL:
        change, new = FileChange.DELETED, None
    if old is None and new is None:
        raise InputError(source, f"cannot tell the file names in {first!r}")
    informative = head.binary or hunks or change is not FileChange.MODIFIED or "new mode" in ext
    if not informative:
        raise InputError(source, f"the diff of {new or old} has no hunks (truncated patch?)")
    old_mode = ext.get("old mode") or ext.get("deleted file mode")
    new_mode = ext.get("new mode") or ext.get("new file mode")
    index_mode = _INDEX_MODE.match(ext.get("index", ""))
    if index_mode:
        if old_mode is None and change is not FileChange.ADDED:
            old_mode = index_mode.group(1)
        if new_mode is None and change is not FileChange.DELETED:
            new_mode = index_mode.group(1)
    return FileDiff(
        old_path=old if change is not FileChange.ADDED else None,
        new_path=new if change is not FileChange.DELETED else None,
        change=change,
        hunks=hunks,
        binary=head.binary,
        old_mode=old_mode,
        new_mode=new_mode,
    )


def scan_diff(lines: Sequence[str], source: str, start: int | None = None) -> DiffScan:
    """Read every file diff from ``lines[start:]``; text between and after files is skipped.

    ``end`` is the index after the last line that belongs to a file diff, so a
    trailing ``base-commit:`` line or ``-- `` signature is never part of it.
    """
    begin = find_diff_start(lines) if start is None else start
    if begin is None:
        return DiffScan(files=(), start=len(lines), end=len(lines))
    files: list[FileDiff] = []
    i = end = begin
    while True:
        nxt = find_diff_start(lines, i)
        if nxt is None:
            break
        head = lines[nxt]
        if head.startswith(("diff --cc ", "diff --combined ")):
            raise InputError(source, "combined diffs (merge commits) are not supported")
        try:
            found, i = _read_file(lines, nxt, source)
        except QuoteError:
            raise InputError(
                source, f"unterminated quoted file name in {head.rstrip()!r}"
            ) from None
        files.append(found)
        end = i
    return DiffScan(files=tuple(files), start=begin, end=end)


def parse_diff(text: str, source: str = "<diff>") -> tuple[FileDiff, ...]:
    """Parse diff text (git or plain unified) into files; text around the diff is ignored."""
    if "\x00" in text:
        raise InputError(source, "the patch contains NUL bytes (binary data, not a text diff)")
    return scan_diff(split_lines(text), source).files
