"""Applying a series on the state each patch leaves; unsafe patch paths; a base never written."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from tree_diff import make_patch

from patchaudit.errors import InputError
from patchaudit.series.model import Series
from patchaudit.tree import BaseTree, PathEscapeError, Snapshot, apply_patch, apply_series, line_map

FIXTURE = Path(__file__).parent / "fixtures" / "tree" / "series"


def fixture_series() -> Series:
    patches = tuple(
        make_patch(path.read_text(), index=number, source=path.name)
        for number, path in enumerate(sorted(FIXTURE.glob("*.patch")), start=1)
    )
    return Series(patches=patches, source=str(FIXTURE))


def listing(root: Path) -> dict[str, str]:
    """Every entry under root: file content hashes, symlink targets, directories."""
    entries: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                entries[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                entries[rel] = "dir"
            else:
                entries[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def new_file(path: str) -> str:
    header = f"diff --git a/{path} b/{path}\nnew file mode 100644\n"
    return header + f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+x\n"


ESCAPES = [
    (new_file("/etc/evil.c"), "'/etc/evil.c': absolute path"),
    (new_file("../evil.c"), "'../evil.c': path has a '..' component"),
    (new_file("mm/../../evil.c"), "'mm/../../evil.c': path has a '..' component"),
    (new_file("a/../../x"), "'a/../../x': path has a '..' component"),
    (new_file("..\\evil.c"), "backslash"),
    (
        (
            "diff --git a/mm/balloon.c b/../../outside.c\nrename from mm/balloon.c\n"
            "rename to ../../outside.c\n"
        ),
        "'../../outside.c': path has a '..' component",
    ),
    (new_file("out/evil.c"), "'out/evil.c': a symlink leads outside the tree"),
    (
        "diff --git a/out.c b/out.c\n--- a/out.c\n+++ b/out.c\n@@ -1 +1 @@\n-secret\n+x\n",
        "'out.c': a symlink leads outside the tree",
    ),
]


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(FIXTURE / "base", root)
    return root


def test_series_of_three_patches(base_dir: Path) -> None:
    first, second, third = apply_series(BaseTree(base_dir), fixture_series())
    assert [a.index for a in (first, second, third)] == [1, 2, 3]
    assert all(a.applies for a in (first, second, third))
    assert second.before is first.after and third.before is second.after
    assert first.before.changed_paths() == frozenset()

    assert [(f.path, sorted(f.added_lines), sorted(f.removed_lines)) for f in first.files] == [
        ("mm/balloon.c", list(range(23, 36)), []),
        ("mm/balloon_stats.h", list(range(1, 8)), []),
    ]
    # Patch 2 edits the "if (page)" block that patch 1 added.
    assert [(f.path, sorted(f.added_lines), sorted(f.removed_lines)) for f in second.files] == [
        ("include/linux/balloon.h", [13], []),
        ("mm/balloon.c", [31, 33, 34], [31]),
    ]
    mapped = line_map(second.files[1])
    assert [mapped(n) for n in (30, 31, 32, 33, 35)] == [30, None, 32, 35, 37]
    assert [(f.path, f.old_path, sorted(f.added_lines)) for f in third.files] == [
        ("include/linux/balloon_stats.h", "mm/balloon_stats.h", [6]),
    ]

    final = third.after
    expected_root = FIXTURE / "expected"
    expected = sorted(str(p.relative_to(expected_root)) for p in expected_root.rglob("*.[ch]"))
    assert list(final.iter_files()) == expected
    for path in expected:
        assert final.read(path) == (expected_root / path).read_bytes(), path
    assert final.changed_paths() == frozenset(
        {"mm/balloon.c", "include/linux/balloon.h", "include/linux/balloon_stats.h"}
    )


def test_a_patch_that_fails_does_not_stop_the_series(base_dir: Path) -> None:
    series = fixture_series()
    # Without patch 1, patch 2's hunk in mm/balloon.c and patch 3's rename source are missing.
    skipped = Series(patches=series.patches[1:])
    second, third = apply_series(BaseTree(base_dir), skipped)
    assert [(f.path, f.applied, f.reason) for f in second.files] == [
        ("include/linux/balloon.h", True, ""),
        ("mm/balloon.c", False, "1 of 1 hunks failed"),
    ]
    assert [(f.path, f.applied, f.reason) for f in third.files] == [
        ("include/linux/balloon_stats.h", False, "file does not exist"),
    ]
    assert third.after.changed_paths() == frozenset({"include/linux/balloon.h"})


def test_applying_never_writes_the_base_tree(base_dir: Path, tmp_path: Path) -> None:
    (base_dir / "alias").symlink_to("mm")
    before = listing(base_dir)
    applications = apply_series(BaseTree(base_dir), fixture_series())
    snapshot = applications[-1].after
    for path in snapshot.iter_files():
        snapshot.read(path)
    deleting = make_patch(
        "diff --git a/mm/balloon.c b/mm/balloon.c\ndeleted file mode 100644\n", index=4
    )
    apply_patch(snapshot, deleting, 4)
    with pytest.raises(PathEscapeError):
        apply_patch(snapshot, make_patch(ESCAPES[1][0]), 1)
    assert listing(base_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"]


@pytest.mark.parametrize(("diff", "problem"), ESCAPES)
def test_unsafe_paths_in_a_patch(base_dir: Path, tmp_path: Path, diff: str, problem: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.c").write_bytes(b"secret\n")
    (base_dir / "out").symlink_to(outside)
    (base_dir / "out.c").symlink_to(outside / "secret.c")
    good_first = new_file("mm/fine.c")
    patch = make_patch(good_first + diff, index=2, source="0002-evil.patch")
    with pytest.raises(PathEscapeError) as caught:
        apply_patch(Snapshot(BaseTree(base_dir)), patch, 2)
    assert isinstance(caught.value, InputError)
    assert caught.value.source == "0002-evil.patch"
    assert caught.value.problem.startswith("patch 2: unsafe path ")
    assert problem in caught.value.problem
    with pytest.raises(PathEscapeError, match="0002-evil.patch: patch 2: unsafe path"):
        apply_series(BaseTree(base_dir), Series(patches=(patch,)))
    assert not (outside / "evil.c").exists()
    assert (outside / "secret.c").read_bytes() == b"secret\n"


def test_symlink_inside_the_tree_is_fine(base_dir: Path) -> None:
    (base_dir / "alias").symlink_to("mm")
    diff = (
        "diff --git a/alias/balloon.c b/alias/balloon.c\n--- a/alias/balloon.c\n"
        "+++ b/alias/balloon.c\n@@ -1,2 +1,2 @@\n-// SPDX-License-Identifier: GPL-2.0-only\n"
        "+// SPDX-License-Identifier: GPL-2.0\n /*\n"
    )
    application = apply_patch(Snapshot(BaseTree(base_dir)), make_patch(diff), 1)
    assert application.applies
    assert application.after.read(
        "alias/balloon.c",
    ).startswith(b"// SPDX-License-Identifier: GPL-2.0\n")
