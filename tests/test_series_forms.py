"""load_series on every input form: mbox, list mail, MIME, directory, quilt, plain diff, stdin."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from patchaudit.series import load_series
from patchaudit.series.model import (
    FileChange,
    FileDiff,
    Patch,
    ProblemKind,
    SeriesProblem,
    Subject,
    Trailer,
)

FIXTURES = Path(__file__).parent / "fixtures" / "series"


def summary(patch: Patch) -> list[tuple[FileChange, str | None, str | None, list[str]]]:
    return [(f.change, f.old_path, f.new_path, [h.header for h in f.hunks]) for f in patch.files]


def test_format_patch_mbox_with_cover_letter_and_base_commit() -> None:
    series = load_series(str(FIXTURES / "format-patch.mbox"))
    name = str(FIXTURES / "format-patch.mbox")
    assert series.source == name
    assert series.problems == ()
    cover = series.cover
    assert cover is not None
    assert cover.source == f"{name}:1"
    assert cover.subject == Subject(
        raw="[PATCH v2 0/3] demo: mark ballooned pages offline",
        title="demo: mark ballooned pages offline",
        prefixes=("PATCH",),
        version=2,
        index=0,
        total=3,
    )
    assert cover.files == ()
    assert cover.base_commit == "0b7e1e5e2c4a8d3f6e9b1c2d3e4f5a6b7c8d9e0f"
    assert cover.body.startswith("Ballooned pages are dumped by kdump tools")
    assert cover.body.endswith(" mode change 100644 => 100755 scripts/demo.sh")
    assert [p.source for p in series.patches] == [f"{name}:2", f"{name}:3", f"{name}:4"]
    assert [p.subject.title for p in series.patches] == [
        "mm: balloon: document the page lock order",
        "drivers: demo: mark inflated pages offline",
        "demo: remove the old stub and rename the doc",
    ]
    # format-patch writes base-commit into the cover letter; every patch inherits it.
    assert {p.base_commit for p in series.patches} == {"0b7e1e5e2c4a8d3f6e9b1c2d3e4f5a6b7c8d9e0f"}

    first, second, third = series.patches
    assert (first.author, first.date) == (
        "Ada Lovelace <ada@example.org>",
        "Mon, 19 Nov 2018 11:16:08 +0100",
    )
    assert first.message_id == "20181119101616.1111-2-ada@example.org"
    assert first.in_reply_to == "20181119101616.1111-1-ada@example.org"
    assert first.references == ("20181119101616.1111-1-ada@example.org",)
    assert first.body == (
        "The rule block in demo_balloon.h still describes a refcount scheme the\n"
        "code dropped long ago. Keep the lock order rule and say where the list\n"
        "removal has to happen."
    )
    assert first.trailers == (
        Trailer("Link", "https://lore.example.org/r/20181119101616.1111-2-ada@example.org"),
        Trailer("Acked-by", "Grace Hopper <grace@example.org>"),
        Trailer("Cc", "Alan Turing <alan@example.org>"),
        Trailer("Cc", "linux-mm@kvack.org"),
        Trailer("Signed-off-by", "Ada Lovelace <ada@example.org>"),
    )
    assert summary(first) == [
        (
            FileChange.MODIFIED,
            "include/linux/demo_balloon.h",
            "include/linux/demo_balloon.h",
            ["@@ -3,7 +3,9 @@", "@@ -21,6 +23,7 @@ struct demo_balloon_dev {"],
        )
    ]
    assert first.diff_text.startswith("diff --git a/include/linux/demo_balloon.h b/include/")
    assert first.diff_text.endswith(
        "\n void demo_balloon_init(struct demo_balloon_dev *b_dev_info);\n"
    )
    assert summary(second) == [
        (
            FileChange.MODIFIED,
            "drivers/misc/Makefile",
            "drivers/misc/Makefile",
            ["@@ -12,3 +12,4 @@ obj-$(CONFIG_DEMO_A)\t\t+= demo_a.o"],
        ),
        (FileChange.ADDED, None, "drivers/misc/demo_offline.c", ["@@ -0,0 +1,13 @@"]),
    ]
    assert third.trailers == (
        Trailer("Fixes", '0123456789ab ("demo: add a stub")'),
        Trailer("Reviewed-by", "Grace Hopper <grace@example.org>"),
        Trailer("Co-developed-by", "Alan Turing <alan@example.org>"),
        Trailer("Signed-off-by", "Alan Turing <alan@example.org>"),
        Trailer("Signed-off-by", "Ada Lovelace <ada@example.org>"),
    )
    assert third.files == (
        FileDiff(
            "Documentation/demo.txt", "Documentation/mm/demo-balloon.rst", FileChange.RENAMED, ()
        ),
        third.files[1],
        FileDiff(
            "scripts/demo.sh",
            "scripts/demo.sh",
            FileChange.MODIFIED,
            (),
            old_mode="100644",
            new_mode="100755",
        ),
    )
    assert summary(third)[1] == (
        FileChange.DELETED,
        "drivers/misc/demo_stub.c",
        None,
        ["@@ -1,4 +0,0 @@"],
    )
    assert third.diff_text.endswith(
        "diff --git a/scripts/demo.sh b/scripts/demo.sh\nold mode 100644\nnew mode 100755\n"
    )


def test_list_archive_with_received_headers_quoted_printable_and_base64() -> None:
    name = str(FIXTURES / "list-archive.mbox")
    series = load_series(name)
    assert series.cover is None
    assert series.problems == ()
    first, second, third = series.patches
    assert [p.subject.index for p in series.patches] == [1, 2, 3]
    assert {p.author for p in series.patches} == {"Jörg Müller <joerg@example.net>"}
    assert first.subject.raw == "[PATCH net-next 1/3] demo: rename the stats counter"
    assert first.subject.prefixes == ("PATCH", "net-next")
    # ">From" quoting of the mbox is undone; 8-bit UTF-8 is read as UTF-8.
    assert first.body == (
        "The counter counts pages, not bytes; say so. Grüße an Jürgen.\n"
        "\n"
        "From the driver's point of view nothing changes."
    )
    # Quoted-printable: "=3D" is "=", soft line breaks join the long lines again.
    assert second.body == (
        "Use the new name everywhere. A very long line follows, long enough that "
        "quoted-printable has to wrap it with a soft line break."
    )
    assert second.trailers == (Trailer("Signed-off-by", "Jörg Müller <joerg@example.net>"),)
    assert [line.text for line in second.files[0].hunks[0].lines] == [
        "\tint done;",
        "",
        "\tdone = demo_rx(priv, budget); /* counts into priv->stats.bytes, the old name of the counter */",
        "\tdone = demo_rx(priv, budget); /* counts into priv->stats.pages, the new name of the counter */",
        "\treturn done;",
    ]
    assert (
        second.files[0].hunks[0].section
        == "static int demo_poll(struct napi_struct *napi, int budget)"
    )
    # Base64, and a "Re:" in front of the tags.
    assert third.subject.raw == "Re: [PATCH net-next 3/3] demo: document the counter"
    assert third.subject.title == "demo: document the counter"
    assert third.body == "Document the counter."
    assert [line.text for line in third.files[0].hunks[0].lines] == [
        "==========",
        "",
        "``pages`` counts the pages the device received (née ``bytes``).",
    ]


def test_mime_multipart_with_the_patch_as_an_attachment() -> None:
    name = str(FIXTURES / "mime-attachment.eml")
    series = load_series(name)
    (patch,) = series.patches
    assert patch.source == name
    assert patch.subject == Subject(
        raw="[PATCH] demo: fix the café driver lock order",
        title="demo: fix the café driver lock order",
        prefixes=("PATCH",),
    )
    assert patch.author == "Renée Dupont <renee@example.com>"
    assert patch.message_id == "5bf5651b.1c69fb81.demo@example.com"
    assert patch.body == "Take the page lock before pages_lock, as the header comment asks."
    assert patch.trailers == (Trailer("Signed-off-by", "Renee Dupont <renee@example.com>"),)
    assert summary(patch) == [
        (
            FileChange.MODIFIED,
            "drivers/misc/cafe.c",
            "drivers/misc/cafe.c",
            [
                "@@ -58,8 +58,8 @@ static void cafe_enqueue(struct cafe_dev *cafe, struct page *page)"
            ],
        )
    ]
    assert "HTML copy" not in patch.body + patch.diff_text


def test_directory_of_format_patch_files_ignores_other_files() -> None:
    name = str(FIXTURES / "format-patch-dir")
    series = load_series(name)
    assert series.cover is not None
    assert series.cover.source == f"{name}/0000-cover-letter.patch"
    assert series.cover.subject.title == "demo: vmw balloon offline marking"
    assert [p.source for p in series.patches] == [
        f"{name}/0001-demo-add-helpers-that-mark-a-page-range-offline.patch",
        f"{name}/0002-demo-use-the-offline-helpers-on-inflate-and-deflate.patch",
    ]
    assert [summary(p) for p in series.patches] == [
        [
            (
                FileChange.MODIFIED,
                "drivers/misc/demo_vmw.c",
                "drivers/misc/demo_vmw.c",
                ["@@ -120,6 +120,22 @@ struct demo_vmw {"],
            )
        ],
        [
            (
                FileChange.MODIFIED,
                "drivers/misc/demo_vmw.c",
                "drivers/misc/demo_vmw.c",
                [
                    "@@ -301,6 +301,8 @@ static int demo_inflate(struct demo_vmw *b)",
                    "@@ -330,6 +332,8 @@ static void demo_deflate(struct demo_vmw *b)",
                ],
            )
        ],
    ]
    assert series.problems == ()


def test_single_format_patch_file_with_base_commit_after_the_diff() -> None:
    name = str(FIXTURES / "single.patch")
    series = load_series(name)
    (patch,) = series.patches
    assert patch.subject.prefixes == ("PATCH", "RESEND")
    assert patch.subject.index is None
    assert patch.base_commit == "651022382c7f8da46cb4872a545ee1da6d097d2a"
    # The diff stops before the base-commit lines and the "-- " signature.
    assert patch.diff_text.endswith(
        "+\tVMCOREINFO_NUMBER(DEMO_OFFLINE_MAPCOUNT_VALUE);\n \treturn 0;\n"
    )
    assert patch.body == "Dump tools need the mapcount value of offline pages to skip them."


def test_quilt_series_file() -> None:
    directory = FIXTURES / "quilt"
    series = load_series(str(directory / "series"))
    assert [p.source for p in series.patches] == [
        str(directory / "mm-balloon-lock-order.patch"),
        str(directory / "demo-offline.diff"),
        str(directory / "sub" / "stub-removal.patch"),
    ]
    first, second, third = series.patches
    # quilt's own mail-style header: From:/Subject: and a plain body.
    assert first.subject == Subject(
        raw="mm: balloon: take the page lock first", title="mm: balloon: take the page lock first"
    )
    assert first.author == "Ada Lovelace <ada@example.org>"
    assert first.body == "Document the order the code already follows."
    # Without headers the subject is the file name.
    assert second.subject == Subject(raw="demo-offline.diff", title="demo-offline.diff")
    assert [p.files[0].path for p in series.patches] == [
        "include/linux/demo_balloon.h",  # "linux.orig/" and "linux/" dropped
        "drivers/misc/demo_offline.c",  # "a/" "b/" dropped, timestamps ignored
        "drivers/misc/demo_stub.h",  # no prefix to drop
    ]
    assert [line.no_newline for line in third.files[0].hunks[0].lines] == [False, True, True]


def test_stdin() -> None:
    data = (FIXTURES / "single.patch").read_bytes()
    series = load_series("-", stdin=io.BytesIO(data))
    assert series.source == "<stdin>"
    (patch,) = series.patches
    assert patch.source == "<stdin>"
    assert patch.subject.title == "kexec: export PG_offline to VMCOREINFO"


def test_plain_diff_with_crlf_line_ends(tmp_path: Path) -> None:
    diff = "--- a/x.c\r\n+++ b/x.c\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n"
    path = tmp_path / "fix.diff"
    path.write_bytes(diff.encode())
    (patch,) = load_series(str(path)).patches
    assert patch.subject == Subject(raw="fix.diff", title="fix.diff")
    assert [line.text for line in patch.files[0].hunks[0].lines] == ["a", "b"]


def test_plain_diff_with_a_subject_line(tmp_path: Path) -> None:
    path = tmp_path / "x.patch"
    path.write_text(
        "Subject: [PATCH 2/5] demo: one\n"
        "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"
    )
    (patch,) = load_series(str(path)).patches
    assert (patch.subject.title, patch.subject.index, patch.subject.total) == ("demo: one", 2, 5)


def test_unknown_charset_falls_back_to_utf8_with_surrogates(tmp_path: Path) -> None:
    mail = (
        b"From: Demo <demo@example.org>\n"
        b"Subject: [PATCH] demo: odd charset\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\n"
        b"\n"
        b"Caf\xe9 \xc3\xa9.\n"
        b"---\n"
        b"--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-\xff\n+b\n"
    )
    path = tmp_path / "odd.eml"
    path.write_bytes(mail)
    (patch,) = load_series(str(path)).patches
    assert patch.body == "Caf\udce9 é."
    assert patch.files[0].hunks[0].lines[0].text.encode("utf-8", "surrogateescape") == b"\xff"


def test_in_body_from_and_subject_override_the_mail_headers(tmp_path: Path) -> None:
    path = tmp_path / "forwarded.eml"
    path.write_text(
        "From: Sender <sender@example.org>\n"
        "Subject: [PATCH 1/1] wrong title\n"
        "\n"
        "From: Real Author <author@example.org>\n"
        "Subject: [PATCH 1/1] demo: right title\n"
        "\n"
        "Body.\n"
        "\n"
        "Signed-off-by: Real Author <author@example.org>\n"
        "---\n"
        "--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"
    )
    (patch,) = load_series(str(path)).patches
    assert (patch.author, patch.subject.title, patch.body) == (
        "Real Author <author@example.org>",
        "demo: right title",
        "Body.",
    )


def test_thread_replies_without_a_diff_are_not_part_of_the_series(tmp_path: Path) -> None:
    mbox = tmp_path / "thread.mbox"
    shutil.copy(
        FIXTURES
        / "format-patch-dir"
        / "0001-demo-add-helpers-that-mark-a-page-range-offline.patch",
        mbox,
    )
    with mbox.open("a") as out:
        out.write(
            "From reviewer@example.org Fri Nov 23 08:30:00 2018\n"
            "From: Reviewer <reviewer@example.org>\n"
            "Subject: Re: [PATCH 1/2] demo: add helpers that mark a page range offline\n"
            "\n"
            "Looks good.\n"
        )
    series = load_series(str(mbox))
    assert [p.subject.raw for p in series.patches] == [
        "[PATCH 1/2] demo: add helpers that mark a page range offline"
    ]
    assert series.problems == (SeriesProblem(ProblemKind.MISSING_PATCH, "patch 2/2 is missing", 2),)


STALE_ENCODING = """\
From: Ada Lovelace <ada@example.org>
To: linux-mm@lists.example.org
Cc: Rob Reviewer <rob@example.com>
List-Post: <mailto:linux-mm@lists.example.org>
Subject: [PATCH 2/3] demo: split the page count
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: {encoding}

Signed-off-by: Ada Lovelace <ada@example.org>
---
--- a/mm/demo.c
+++ b/mm/demo.c
@@ -1,3 +1,4 @@
 static unsigned long pages_total =
-\t42;
+\t40 +
+\t2;
 static int demo_ready = 1;
"""


def test_a_body_already_decoded_under_a_stale_transfer_encoding_is_read_as_text() -> None:
    # What b4's per-patch hook pipes: the mail's headers unchanged, its body decoded.
    # Decoding "=\n" again as quoted-printable would join the lines of the C code.
    for encoding in ("base64", "quoted-printable"):
        mail = STALE_ENCODING.format(encoding=encoding).encode()
        series = load_series("-", stdin=io.BytesIO(mail))
        [patch] = series.patches
        assert [line.text for line in patch.files[0].hunks[0].lines] == [
            "static unsigned long pages_total =", "\t42;", "\t40 +", "\t2;",
            "static int demo_ready = 1;",
        ], encoding  # fmt: skip
        assert patch.recipients == (
            "linux-mm@lists.example.org", "Rob Reviewer <rob@example.com>",
        )  # fmt: skip
