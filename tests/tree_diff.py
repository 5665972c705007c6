"""Test helper: a Patch built from git-style diff text by hand (not by the series parser)."""

from __future__ import annotations

import re
from dataclasses import replace

from patchaudit.series.model import FileChange, FileDiff, Hunk, HunkLine, LineKind, Patch, Subject

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")


def _strip(path: str) -> str | None:
    if path == "/dev/null":
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


def _hunk(lines: list[str], at: int) -> tuple[Hunk, int]:
    match = _HUNK.fullmatch(lines[at])
    assert match, lines[at]
    old_len = int(match[2]) if match[2] is not None else 1
    new_len = int(match[4]) if match[4] is not None else 1
    body: list[HunkLine] = []
    old_seen = new_seen = 0
    at += 1
    while at < len(lines) and (
        old_seen < old_len or new_seen < new_len or lines[at].startswith("\\")
    ):
        line = lines[at]
        if line.startswith("\\"):
            body[-1] = replace(body[-1], no_newline=True)
        else:
            kind = LineKind(line[:1] or " ")  # an empty line is context whose space was lost
            body.append(HunkLine(kind, line[1:]))
            old_seen += kind is not LineKind.ADDED
            new_seen += kind is not LineKind.REMOVED
        at += 1
    hunk = Hunk(int(match[1]), old_len, int(match[3]), new_len, match[5], tuple(body))
    return hunk, at


def file_diffs(text: str) -> tuple[FileDiff, ...]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    diffs: list[FileDiff] = []
    current: dict[str, object] | None = None
    hunks: list[Hunk] = []

    def close() -> None:
        if current is not None:
            diffs.append(FileDiff(hunks=tuple(hunks), **current))  # type: ignore[arg-type]
        hunks.clear()

    at = 0
    while at < len(lines):
        line = lines[at]
        if line.startswith("diff --git "):
            close()
            old, new = line[len("diff --git ") :].split(" ")
            current = {
                "old_path": _strip(old),
                "new_path": _strip(new),
                "change": FileChange.MODIFIED,
            }
        elif current is not None and line.startswith("@@ "):
            hunk, at = _hunk(lines, at)
            hunks.append(hunk)
            continue
        elif current is not None:
            key, _, value = line.partition(" ")
            if line.startswith("new file mode "):
                current.update(change=FileChange.ADDED, old_path=None, new_mode=line.split()[-1])
            elif line.startswith("deleted file mode "):
                current.update(change=FileChange.DELETED, new_path=None, old_mode=line.split()[-1])
            elif line.startswith(("old mode ", "new mode ")):
                current[f"{key}_mode"] = line.split()[-1]
            elif line.startswith(("rename from ", "copy from ")):
                change = FileChange.RENAMED if key == "rename" else FileChange.COPIED
                current.update(change=change, old_path=line.split(" ", 2)[2])
            elif line.startswith(("rename to ", "copy to ")):
                current["new_path"] = line.split(" ", 2)[2]
            elif line.startswith("Binary files ") or line == "GIT binary patch":
                current["binary"] = True
            elif line.startswith("--- ") and current["change"] is not FileChange.ADDED:
                current["old_path"] = _strip(value)
            elif line.startswith("+++ ") and current["change"] is not FileChange.DELETED:
                current["new_path"] = _strip(value)
        at += 1
    close()
    return tuple(diffs)


def make_patch(text: str, *, index: int = 1, source: str = "", title: str = "test") -> Patch:
    """A Patch whose files come from ``text`` (git diff format)."""
    subject = Subject(
        raw=f"[PATCH {index}/9] {title}", title=title, prefixes=("PATCH",), index=index, total=9
    )
    return Patch(
        source=source or f"{index:04d}-test.patch",
        subject=subject,
        diff_text=text,
        files=file_diffs(text),
    )
