"""The tree stage on real Linux 6.12 files: listing, and patches made by difflib applied back."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from tree_diff import make_patch

from patchaudit.tree import BaseTree, Snapshot, apply_patch, line_map

FILES = (
    "include/linux/balloon_compaction.h",
    "mm/balloon_compaction.c",
    "drivers/virtio/virtio_balloon.c",
    "drivers/misc/vmw_balloon.c",
)


def walk_sources(root: Path, top: str) -> list[str]:
    """An independent listing: regular .c/.h files, no symlinks followed."""
    found = []
    for dirpath, _dirnames, filenames in os.walk(root / top):
        for name in filenames:
            path = Path(dirpath) / name
            if name.endswith((".c", ".h")) and path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


@pytest.mark.kernel
def test_iter_files_matches_an_independent_walk(kernel_tree: Path) -> None:
    base = BaseTree(kernel_tree)
    for top in ("mm", "drivers/virtio", "include/linux/sched"):
        assert list(base.iter_files([top])) == walk_sources(kernel_tree, top)


def edited(lines: list[str]) -> list[str]:
    """Deterministic edits all over a file: replace, insert and delete lines."""
    out = []
    for number, line in enumerate(lines, start=1):
        if number % 97 == 0:
            continue
        if number % 61 == 0:
            out.append(line.replace("\t", "\t/* edited */ ", 1))
            continue
        out.append(line)
        if number % 83 == 0:
            out.append("\tpatchaudit_inserted();\n")
    return out


def diff_text(path: str, old: list[str], new: list[str]) -> str:
    body = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
    return f"diff --git a/{path} b/{path}\n{body}"


def expected_sets(old: list[str], new: list[str]) -> tuple[frozenset[int], frozenset[int]]:
    added: set[int] = set()
    removed: set[int] = set()
    matcher = difflib.SequenceMatcher(None, old, new)  # as unified_diff aligns them
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed.update(range(i1 + 1, i2 + 1))
            added.update(range(j1 + 1, j2 + 1))
    return frozenset(added), frozenset(removed)


@pytest.mark.kernel
@pytest.mark.parametrize("path", FILES)
def test_difflib_patch_applies_back_exactly(kernel_tree: Path, path: str) -> None:
    content = (kernel_tree / path).read_bytes()
    old = content.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    new = edited(old)
    snapshot = Snapshot(BaseTree(kernel_tree))
    application = apply_patch(snapshot, make_patch(diff_text(path, old, new)), 1)
    (result,) = application.files
    assert application.applies
    assert all(hunk.offset == 0 for hunk in result.hunks)
    assert result.after == "".join(new).encode("utf-8", "surrogateescape")
    assert (result.added_lines, result.removed_lines) == expected_sets(old, new)
    mapped = line_map(result)
    for number, line in enumerate(old, start=1):
        target = mapped(number)
        assert (target is None) == (number in result.removed_lines)
        if target is not None:
            assert new[target - 1] == line


@pytest.mark.kernel
@pytest.mark.parametrize("path", FILES)
def test_patch_made_on_a_drifted_file_applies_with_offsets(kernel_tree: Path, path: str) -> None:
    # The patch was made on a version with four more lines after line 10, so every hunk
    # below them lands 4 lines higher in the real file.
    old = (kernel_tree / path).read_text().splitlines(keepends=True)
    drifted = old[:10] + ["/* drift */\n"] * 4 + old[10:]
    new = edited(drifted)
    diff = diff_text(path, drifted, new)
    application = apply_patch(Snapshot(BaseTree(kernel_tree)), make_patch(diff), 1)
    (result,) = application.files
    assert application.applies
    hunks = make_patch(diff).files[0].hunks
    assert [r.offset for r in result.hunks] == [-4 if h.old_start > 14 else 0 for h in hunks]
    assert result.after == "".join(new[:10] + new[14:]).encode()
