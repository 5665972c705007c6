"""Applying a patch file by file: new, deleted, renamed, copied, mode-only and binary files."""

from __future__ import annotations

from pathlib import Path

import pytest
from tree_diff import make_patch

from patchaudit.errors import InputError
from patchaudit.series.model import FileChange, FileDiff, Patch
from patchaudit.tree import (
    BaseTree,
    FileResult,
    HunkResult,
    PatchApplication,
    Snapshot,
    apply_patch,
    line_map,
)

BALLOON_C = b"#include <linux/balloon.h>\n\nint pages;\n\nvoid inflate(void)\n{\n\tpages++;\n}\n"


@pytest.fixture
def snapshot(tmp_path: Path) -> Snapshot:
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "balloon.c").write_bytes(BALLOON_C)
    (tmp_path / "mm" / "empty.c").write_bytes(b"")
    (tmp_path / "mm" / "sub").mkdir()
    return Snapshot(BaseTree(tmp_path))


def apply(snapshot: Snapshot, diff: str) -> PatchApplication:
    return apply_patch(snapshot, make_patch(diff, index=2), 2)


NEW_FILE = """diff --git a/mm/new.h b/mm/new.h
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/mm/new.h
@@ -0,0 +1,3 @@
+#ifndef NEW_H
+#define NEW_H
+#endif
"""


def test_new_file(snapshot: Snapshot) -> None:
    application = apply(snapshot, NEW_FILE)
    assert application.applies and application.index == 2
    assert application.files == (
        FileResult(
            path="mm/new.h",
            old_path=None,
            change=FileChange.ADDED,
            before=None,
            after=b"#ifndef NEW_H\n#define NEW_H\n#endif\n",
            added_lines=frozenset({1, 2, 3}),
            removed_lines=frozenset(),
            hunks=(HunkResult(1, "@@ -0,0 +1,3 @@", True, 0, ""),),
            applied=True,
            reason="",
        ),
    )
    assert application.after.read("mm/new.h") == b"#ifndef NEW_H\n#define NEW_H\n#endif\n"
    assert application.before.read("mm/new.h") is None
    assert application.after.changed_paths() == frozenset({"mm/new.h"})
    assert line_map(application.files[0])(1) is None


def test_new_file_that_already_exists(snapshot: Snapshot) -> None:
    application = apply(snapshot, NEW_FILE.replace("mm/new.h", "mm/balloon.c"))
    (result,) = application.files
    assert not application.applies
    assert (result.applied, result.reason) == (False, "file already exists")
    assert result.hunks == (HunkResult(1, "@@ -0,0 +1,3 @@", False, 0, "file already exists"),)
    assert result.before == result.after == BALLOON_C
    assert application.after.changed_paths() == frozenset()


def test_new_file_where_a_directory_is(snapshot: Snapshot) -> None:
    (result,) = apply(snapshot, NEW_FILE.replace("mm/new.h", "mm/sub")).files
    assert (result.applied, result.reason) == (False, "is a directory, not a file")


def test_new_empty_file(snapshot: Snapshot) -> None:
    diff = "diff --git a/mm/e.c b/mm/e.c\nnew file mode 100644\nindex 0000000..e69de29\n"
    application = apply(snapshot, diff)
    assert application.applies
    assert application.after.read("mm/e.c") == b""
    assert application.files[0].hunks == ()


DELETE = """diff --git a/mm/balloon.c b/mm/balloon.c
deleted file mode 100644
--- a/mm/balloon.c
+++ /dev/null
@@ -1,8 +0,0 @@
-#include <linux/balloon.h>
-
-int pages;
-
-void inflate(void)
-{
-\tpages++;
-}
"""


def test_deleted_file(snapshot: Snapshot) -> None:
    application = apply(snapshot, DELETE)
    (result,) = application.files
    assert application.applies
    assert (result.path, result.old_path, result.change) == (
        "mm/balloon.c",
        "mm/balloon.c",
        FileChange.DELETED,
    )
    assert (result.before, result.after) == (BALLOON_C, None)
    assert result.removed_lines == frozenset(range(1, 9))
    assert result.added_lines == frozenset()
    assert not application.after.exists("mm/balloon.c")
    assert list(application.after.iter_files()) == ["mm/empty.c"]
    assert line_map(result)(3) is None


def test_deleted_file_whose_content_differs(snapshot: Snapshot) -> None:
    application = apply(snapshot, DELETE.replace("-\tpages++;", "-\tpages--;"))
    (result,) = application.files
    assert (result.applied, result.reason) == (False, "1 of 1 hunks failed")
    assert result.hunks[0].reason == "context does not match"
    assert result.before == result.after == BALLOON_C
    assert result.removed_lines == frozenset()
    assert application.after.read("mm/balloon.c") == BALLOON_C


def test_deleted_file_with_lines_the_patch_does_not_remove(snapshot: Snapshot) -> None:
    (snapshot.base.root / "mm" / "balloon.c").write_bytes(BALLOON_C + b"/* more */\n")
    fresh = Snapshot(snapshot.base)
    (result,) = apply(fresh, DELETE).files
    assert result.hunks[0].applied
    assert (result.applied, result.reason) == (
        False,
        "the deleted file has lines the patch does not remove",
    )


def test_deleted_and_modified_files_that_do_not_exist(snapshot: Snapshot) -> None:
    application = apply(snapshot, DELETE.replace("mm/balloon.c", "mm/gone.c"))
    assert application.files[0].hunks == (
        HunkResult(1, "@@ -1,8 +0,0 @@", False, 0, "file does not exist"),
    )
    modify = (
        "diff --git a/mm/gone.c b/mm/gone.c\n--- a/mm/gone.c\n+++ b/mm/gone.c\n"
        "@@ -1,2 +1,2 @@\n a\n-b\n+c\n@@ -9,2 +9,2 @@\n x\n-y\n+z\n"
    )
    (result,) = apply(snapshot, modify).files
    assert [(h.applied, h.reason) for h in result.hunks] == [
        (False, "file does not exist"),
        (False, "file does not exist"),
    ]
    assert (result.before, result.after, result.reason) == (None, None, "file does not exist")


def test_deleting_an_empty_file(snapshot: Snapshot) -> None:
    diff = "diff --git a/mm/empty.c b/mm/empty.c\ndeleted file mode 100644\n"
    application = apply(snapshot, diff)
    assert application.applies and not application.after.exists("mm/empty.c")


RENAME = """diff --git a/mm/balloon.c b/mm/balloon_compaction.c
similarity index 100%
rename from mm/balloon.c
rename to mm/balloon_compaction.c
"""

RENAME_EDIT = """diff --git a/mm/balloon.c b/mm/balloon_compaction.c
similarity index 80%
rename from mm/balloon.c
rename to mm/balloon_compaction.c
index 1111111..2222222 100644
--- a/mm/balloon.c
+++ b/mm/balloon_compaction.c
@@ -1,4 +1,5 @@
 #include <linux/balloon.h>
+#include <linux/mm.h>
 
 int pages;
 
"""


def test_rename_without_hunks(snapshot: Snapshot) -> None:
    application = apply(snapshot, RENAME)
    (result,) = application.files
    assert application.applies
    assert (result.path, result.old_path, result.change) == (
        "mm/balloon_compaction.c",
        "mm/balloon.c",
        FileChange.RENAMED,
    )
    assert result.before == result.after == BALLOON_C
    assert application.after.read("mm/balloon_compaction.c") == BALLOON_C
    assert not application.after.exists("mm/balloon.c")
    assert [line_map(result)(n) for n in (1, 8)] == [1, 8]


def test_rename_with_hunks(snapshot: Snapshot) -> None:
    application = apply(snapshot, RENAME_EDIT)
    (result,) = application.files
    assert application.applies
    expected = BALLOON_C.replace(b"\n", b"\n#include <linux/mm.h>\n", 1)
    assert application.after.read("mm/balloon_compaction.c") == expected
    assert application.after.read("mm/balloon.c") is None
    assert result.added_lines == frozenset({2}) and result.removed_lines == frozenset()
    assert [line_map(result)(n) for n in (1, 2, 8)] == [1, 3, 9]


def test_rename_onto_an_existing_file(snapshot: Snapshot) -> None:
    application = apply(snapshot, RENAME.replace("balloon_compaction.c", "empty.c"))
    (result,) = application.files
    assert (result.applied, result.reason) == (False, "file already exists")
    assert application.after.read("mm/balloon.c") == BALLOON_C
    assert application.after.read("mm/empty.c") == b""


def test_rename_of_a_missing_file(snapshot: Snapshot) -> None:
    (result,) = apply(snapshot, RENAME_EDIT.replace("mm/balloon.c", "mm/nope.c")).files
    assert (result.applied, result.reason) == (False, "file does not exist")
    assert result.hunks[0].reason == "file does not exist"


def test_copy_with_hunks(snapshot: Snapshot) -> None:
    diff = RENAME_EDIT.replace("rename ", "copy ")
    application = apply(snapshot, diff)
    (result,) = application.files
    assert result.change is FileChange.COPIED and application.applies
    assert application.after.read("mm/balloon.c") == BALLOON_C
    assert application.after.read("mm/balloon_compaction.c") == BALLOON_C.replace(
        b"\n", b"\n#include <linux/mm.h>\n", 1
    )


def test_copy_reads_the_source_as_it_was_before_the_patch(snapshot: Snapshot) -> None:
    # git lists "modify a" before "copy a -> b"; the copy still starts from the old a.
    modify = (
        "diff --git a/mm/balloon.c b/mm/balloon.c\n--- a/mm/balloon.c\n+++ b/mm/balloon.c\n"
        "@@ -2,3 +2,3 @@\n \n-int pages;\n+long pages;\n \n"
    )
    copy = "diff --git a/mm/balloon.c b/mm/copy.c\ncopy from mm/balloon.c\ncopy to mm/copy.c\n"
    application = apply(snapshot, modify + copy)
    assert application.applies
    assert application.after.read("mm/copy.c") == BALLOON_C
    assert application.after.read("mm/balloon.c") == BALLOON_C.replace(b"int", b"long")


def test_mode_only_change(snapshot: Snapshot) -> None:
    diff = "diff --git a/mm/balloon.c b/mm/balloon.c\nold mode 100644\nnew mode 100755\n"
    application = apply(snapshot, diff)
    (result,) = application.files
    assert application.applies
    assert (result.before, result.after, result.hunks) == (BALLOON_C, BALLOON_C, ())
    assert application.after.changed_paths() == frozenset()
    missing = apply(snapshot, diff.replace("balloon.c", "nope.c"))
    assert (missing.files[0].applied, missing.files[0].reason) == (False, "file does not exist")


def test_binary_diffs_are_not_applied(snapshot: Snapshot) -> None:
    diff = (
        "diff --git a/mm/balloon.c b/mm/balloon.c\nindex 1111111..2222222 100644\n"
        "GIT binary patch\nliteral 3\nKcmZ?w00001\n\nliteral 0\nKcmV+b0RR6000031\n\n"
        "diff --git a/fw/blob.bin b/fw/blob.bin\nnew file mode 100644\n"
        "Binary files /dev/null and b/fw/blob.bin differ\n"
    )
    application = apply(snapshot, diff)
    assert not application.applies
    assert [(f.path, f.applied, f.reason, f.before, f.after) for f in application.files] == [
        ("mm/balloon.c", False, "binary diff", BALLOON_C, BALLOON_C),
        ("fw/blob.bin", False, "binary diff", None, None),
    ]
    assert application.after.changed_paths() == frozenset()


def test_a_failing_file_does_not_stop_the_next(snapshot: Snapshot) -> None:
    bad = (
        "diff --git a/mm/balloon.c b/mm/balloon.c\n--- a/mm/balloon.c\n+++ b/mm/balloon.c\n"
        "@@ -3,1 +3,1 @@\n-int nothing_like_this;\n+int x;\n"
    )
    application = apply(snapshot, bad + NEW_FILE)
    assert [(f.path, f.applied) for f in application.files] == [
        ("mm/balloon.c", False),
        ("mm/new.h", True),
    ]
    assert application.after.changed_paths() == frozenset({"mm/new.h"})
    assert application.file("mm/new.h") is application.files[1]
    assert application.file("mm/other.c") is None


def test_a_file_diff_without_its_path_is_an_input_error(snapshot: Snapshot) -> None:
    broken = FileDiff(old_path=None, new_path="mm/x.c", change=FileChange.RENAMED, hunks=())
    patch = Patch(source="0003-x.patch", subject=make_patch("").subject, files=(broken,))
    with pytest.raises(InputError, match=r"0003-x\.patch: patch 3: renamed file without its path"):
        apply_patch(snapshot, patch, 3)


def test_negative_fuzz_is_an_input_error(snapshot: Snapshot) -> None:
    with pytest.raises(InputError, match="fuzz must not be negative"):
        apply_patch(snapshot, make_patch(NEW_FILE), 1, fuzz=-1)
