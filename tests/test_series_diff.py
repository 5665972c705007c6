"""parse_diff: file kinds, git extended headers, quoted paths and hunk lines."""

from __future__ import annotations

from patchaudit.series import parse_diff
from patchaudit.series.model import FileChange, FileDiff, Hunk, HunkLine, LineKind

C, A, R = LineKind.CONTEXT, LineKind.ADDED, LineKind.REMOVED


def test_modified_file_with_section_and_two_hunks() -> None:
    text = (
        "diff --git a/mm/demo.c b/mm/demo.c\n"
        "index 1111111..2222222 100644\n"
        "--- a/mm/demo.c\n"
        "+++ b/mm/demo.c\n"
        "@@ -10,2 +10,3 @@ static int demo_init(void)\n"
        " \tint ret;\n"
        "+\tint i;\n"
        " \n"
        "@@ -40 +41 @@\n"
        "-\treturn 0;\n"
        "+\treturn ret;\n"
    )
    assert parse_diff(text) == (
        FileDiff(
            old_path="mm/demo.c",
            new_path="mm/demo.c",
            change=FileChange.MODIFIED,
            hunks=(
                Hunk(
                    10,
                    2,
                    10,
                    3,
                    "static int demo_init(void)",
                    (
                        HunkLine(C, "\tint ret;"),
                        HunkLine(A, "\tint i;"),
                        HunkLine(C, ""),
                    ),
                ),
                Hunk(40, 1, 41, 1, "", (HunkLine(R, "\treturn 0;"), HunkLine(A, "\treturn ret;"))),
            ),
            old_mode="100644",
            new_mode="100644",
        ),
    )


def test_new_and_deleted_files() -> None:
    text = (
        "diff --git a/drivers/demo/new.c b/drivers/demo/new.c\n"
        "new file mode 100644\n"
        "index 0000000..3333333\n"
        "--- /dev/null\n"
        "+++ b/drivers/demo/new.c\n"
        "@@ -0,0 +1,2 @@\n"
        "+// SPDX-License-Identifier: GPL-2.0\n"
        "+#include <linux/mm.h>\n"
        "diff --git a/drivers/demo/old.c b/drivers/demo/old.c\n"
        "deleted file mode 100755\n"
        "index 4444444..0000000\n"
        "--- a/drivers/demo/old.c\n"
        "+++ /dev/null\n"
        "@@ -1 +0,0 @@\n"
        "-/* empty */\n"
        "diff --git a/drivers/demo/empty.h b/drivers/demo/empty.h\n"
        "new file mode 100644\n"
        "index 0000000..e69de29\n"
    )
    assert parse_diff(text) == (
        FileDiff(
            None,
            "drivers/demo/new.c",
            FileChange.ADDED,
            (
                Hunk(
                    0,
                    0,
                    1,
                    2,
                    "",
                    (
                        HunkLine(A, "// SPDX-License-Identifier: GPL-2.0"),
                        HunkLine(A, "#include <linux/mm.h>"),
                    ),
                ),
            ),
            new_mode="100644",
        ),
        FileDiff(
            "drivers/demo/old.c",
            None,
            FileChange.DELETED,
            (Hunk(1, 1, 0, 0, "", (HunkLine(R, "/* empty */"),)),),
            old_mode="100755",
        ),
        FileDiff(None, "drivers/demo/empty.h", FileChange.ADDED, (), new_mode="100644"),
    )


def test_renames_copies_and_mode_changes() -> None:
    text = (
        "diff --git a/Documentation/demo.txt b/Documentation/mm/demo.rst\n"
        "similarity index 100%\n"
        "rename from Documentation/demo.txt\n"
        "rename to Documentation/mm/demo.rst\n"
        "diff --git a/lib/old name.c b/lib/new name.c\n"
        "similarity index 89%\n"
        "rename from lib/old name.c\n"
        "rename to lib/new name.c\n"
        "index 5555555..6666666 100644\n"
        "--- a/lib/old name.c\t\n"
        "+++ b/lib/new name.c\t\n"
        "@@ -3 +3,2 @@ int demo;\n"
        " int demo2;\n"
        "+int demo3;\n"
        "diff --git a/include/demo.h b/include/demo_copy.h\n"
        "similarity index 95%\n"
        "copy from include/demo.h\n"
        "copy to include/demo_copy.h\n"
        "diff --git a/scripts/demo.sh b/scripts/demo.sh\n"
        "old mode 100644\n"
        "new mode 100755\n"
    )
    assert parse_diff(text) == (
        FileDiff("Documentation/demo.txt", "Documentation/mm/demo.rst", FileChange.RENAMED, ()),
        FileDiff(
            "lib/old name.c",
            "lib/new name.c",
            FileChange.RENAMED,
            (
                Hunk(
                    3, 1, 3, 2, "int demo;", (HunkLine(C, "int demo2;"), HunkLine(A, "int demo3;"))
                ),
            ),
            old_mode="100644",
            new_mode="100644",
        ),
        FileDiff("include/demo.h", "include/demo_copy.h", FileChange.COPIED, ()),
        FileDiff(
            "scripts/demo.sh",
            "scripts/demo.sh",
            FileChange.MODIFIED,
            (),
            old_mode="100644",
            new_mode="100755",
        ),
    )


def test_quoted_paths_with_escapes_and_octal_utf8() -> None:
    text = (
        'diff --git "a/drivers/caf\\303\\251 menu.c" "b/drivers/caf\\303\\251 menu.c"\n'
        "index 7777777..8888888 100644\n"
        '--- "a/drivers/caf\\303\\251 menu.c"\n'
        '+++ "b/drivers/caf\\303\\251 menu.c"\n'
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n"
        'diff --git "a/tab\\there.c" "b/quote\\"d\\\\.c"\n'
        "similarity index 100%\n"
        'rename from "tab\\there.c"\n'
        'rename to "quote\\"d\\\\.c"\n'
        'diff --git a/plain.c "b/new\\nline.c"\n'
        "similarity index 100%\n"
        "rename from plain.c\n"
        'rename to "new\\nline.c"\n'
    )
    files = parse_diff(text)
    assert [(f.old_path, f.new_path, f.change) for f in files] == [
        ("drivers/café menu.c", "drivers/café menu.c", FileChange.MODIFIED),
        ("tab\there.c", 'quote"d\\.c', FileChange.RENAMED),
        ("plain.c", "new\nline.c", FileChange.RENAMED),
    ]


def test_invalid_utf8_in_a_quoted_path_survives_as_surrogates() -> None:
    text = 'diff --git "a/f\\377.c" "b/f\\377.c"\nold mode 100644\nnew mode 100755\n'
    (only,) = parse_diff(text)
    assert only.path == "f\udcff.c"
    assert only.path.encode("utf-8", "surrogateescape") == b"f\xff.c"


def test_binary_files_have_no_hunks() -> None:
    text = (
        "diff --git a/firmware/demo.bin b/firmware/demo.bin\n"
        "index 9999999..aaaaaaa 100644\n"
        "Binary files a/firmware/demo.bin and b/firmware/demo.bin differ\n"
        "diff --git a/firmware/new.bin b/firmware/new.bin\n"
        "new file mode 100644\n"
        "index 0000000..bbbbbbb\n"
        "GIT binary patch\n"
        "literal 3\n"
        "KcmZQzVg>*J3IGNG\n"
        "\n"
        "literal 0\n"
        "HcmV?d00001\n"
        "\n"
        "diff --git a/firmware/after.c b/firmware/after.c\n"
        "--- a/firmware/after.c\n"
        "+++ b/firmware/after.c\n"
        "@@ -1 +1 @@\n"
        "-x\n"
        "+y\n"
    )
    assert parse_diff(text) == (
        FileDiff(
            "firmware/demo.bin",
            "firmware/demo.bin",
            FileChange.MODIFIED,
            (),
            binary=True,
            old_mode="100644",
            new_mode="100644",
        ),
        FileDiff(None, "firmware/new.bin", FileChange.ADDED, (), binary=True, new_mode="100644"),
        FileDiff(
            "firmware/after.c",
            "firmware/after.c",
            FileChange.MODIFIED,
            (Hunk(1, 1, 1, 1, "", (HunkLine(R, "x"), HunkLine(A, "y"))),),
        ),
    )


def test_no_newline_at_end_of_file_marks_the_line_before() -> None:
    text = (
        "--- a/demo.txt\n"
        "+++ b/demo.txt\n"
        "@@ -1,2 +1,2 @@\n"
        " first\n"
        "-last\n"
        "\\ No newline at end of file\n"
        "+last, now with a newline\n"
    )
    (only,) = parse_diff(text)
    assert only.hunks[0].lines == (
        HunkLine(C, "first"),
        HunkLine(R, "last", no_newline=True),
        HunkLine(A, "last, now with a newline"),
    )


def test_hunk_lengths_tell_removed_dash_lines_from_file_headers() -> None:
    # Removing "-- old" and adding "++ new" gives "--- old"/"+++ new" lines
    # inside the hunk; only counting the header's lengths tells them apart.
    text = (
        "--- a/Documentation/demo.rst\n"
        "+++ b/Documentation/demo.rst\n"
        "@@ -1,3 +1,3 @@\n"
        " Title\n"
        "--- old\n"
        "+++ new\n"
        " end\n"
    )
    (only,) = parse_diff(text)
    assert only.path == "Documentation/demo.rst"
    assert only.hunks[0].lines == (
        HunkLine(C, "Title"),
        HunkLine(R, "-- old"),
        HunkLine(A, "++ new"),
        HunkLine(C, "end"),
    )


def test_no_prefix_and_quilt_prefixes() -> None:
    git_no_prefix = (
        "diff --git mm/demo.c mm/demo.c\n"
        "index 1111111..2222222 100644\n"
        "--- mm/demo.c\n"
        "+++ mm/demo.c\n"
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n"
    )
    quilt = (
        "Index: linux/mm/demo.c\n"
        "===================================================================\n"
        "--- linux.orig/mm/demo.c\n"
        "+++ linux/mm/demo.c\n"
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n"
    )
    assert [f.path for f in parse_diff(git_no_prefix)] == ["mm/demo.c"]
    assert [f.path for f in parse_diff(quilt)] == ["mm/demo.c"]


def test_mailer_stripped_blank_context_line_and_special_characters() -> None:
    # A mailer that strips trailing blanks turns " \n" into "\n"; a form feed
    # and a carriage return are content and stay in the text.
    text = "--- a/demo.c\n+++ b/demo.c\n@@ -1,3 +1,3 @@\n a\f\n\n-b\r\n+c\n"
    (only,) = parse_diff(text)
    assert only.hunks[0].lines == (
        HunkLine(C, "a\f"),
        HunkLine(C, ""),
        HunkLine(R, "b\r"),
        HunkLine(A, "c"),
    )


def test_text_around_the_diff_is_ignored() -> None:
    text = (
        "Some words before.\n"
        "diff --git a/x.c b/x.c\n"
        "--- a/x.c\n"
        "+++ b/x.c\n"
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n"
        "\n"
        "base-commit: 0123456789abcdef0123456789abcdef01234567\n"
        "-- \n"
        "2.39.5\n"
    )
    assert [f.path for f in parse_diff(text)] == ["x.c"]
    assert parse_diff("no diff here\n") == ()


def test_hunk_header_property_round_trips() -> None:
    (only,) = parse_diff("--- a/x\n+++ b/x\n@@ -7,2 +7,2 @@ fn()\n-a\n+b\n c\n")
    assert only.hunks[0].header == "@@ -7,2 +7,2 @@ fn()"
