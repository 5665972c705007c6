"""Per-patch attribution: patch 2 introduces a violation, patch 3 moves it, patch 4 fixes it."""

from __future__ import annotations

from pathlib import Path

from patchaudit.engine import Options, check_series
from patchaudit.model import Status
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

HEADER = """/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PageOffline() indicates that the page is logically offline although the
 * containing section is online. (e.g. inflated in a balloon driver or
 * not onlined when onlining the section).
 */
"""

WALKER = """// SPDX-License-Identifier: GPL-2.0
#include <linux/page-flags.h>

static bool walker_skip(struct page *page)
{
	return PageReserved(page);
}

static int walker_count(struct page *page)
{
	return 1;
}
"""


def mail(index: int, subject: str, diff: str) -> str:
    return (
        f"From {index:040d} Mon Sep 17 00:00:00 2001\n"
        "From: Ada Fixture <ada@example.org>\n"
        f"Date: Mon, 2 Mar 2026 12:00:0{index} +0100\n"
        f"Subject: [PATCH {index}/4] {subject}\n"
        f"Message-Id: <status-{index}@example.org>\n\n"
        f"{subject}.\n\nSigned-off-by: Ada Fixture <ada@example.org>\n---\n{diff}--\n2.43.0\n\n"
    )


SERIES = (
    mail(1, "walker: count reserved pages too", """\
diff --git a/mm/walker.c b/mm/walker.c
--- a/mm/walker.c
+++ b/mm/walker.c
@@ -9,4 +9,4 @@ static bool walker_skip(struct page *page)
 static int walker_count(struct page *page)
 {
-	return 1;
+	return PageReserved(page) ? 0 : 1;
 }
""")
    + mail(2, "walker: skip balloon pages", """\
diff --git a/mm/walker.c b/mm/walker.c
--- a/mm/walker.c
+++ b/mm/walker.c
@@ -5,3 +5,3 @@
 {
-	return PageReserved(page);
+	return PageReserved(page) || PageBalloon(page);
 }
""")
    + mail(3, "walker: define the skip helper after the counter", """\
diff --git a/mm/walker.c b/mm/walker.c
--- a/mm/walker.c
+++ b/mm/walker.c
@@ -1,12 +1,12 @@
 // SPDX-License-Identifier: GPL-2.0
 #include <linux/page-flags.h>
 
-static bool walker_skip(struct page *page)
-{
-	return PageReserved(page) || PageBalloon(page);
-}
-
 static int walker_count(struct page *page)
 {
 	return PageReserved(page) ? 0 : 1;
 }
+
+static bool walker_skip(struct page *page)
+{
+	return PageReserved(page) || PageBalloon(page);
+}
""")
    + mail(4, "walker: use PageOffline", """\
diff --git a/mm/walker.c b/mm/walker.c
--- a/mm/walker.c
+++ b/mm/walker.c
@@ -8,5 +8,5 @@
 
 static bool walker_skip(struct page *page)
 {
-	return PageReserved(page) || PageBalloon(page);
+	return PageReserved(page) || PageOffline(page);
 }
""")
)


def test_introduced_moved_fixed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "include/linux").mkdir(parents=True)
    (tree / "mm").mkdir()
    (tree / "include/linux/page-flags.h").write_text(HEADER)
    (tree / "mm/walker.c").write_text(WALKER)
    mbox = tmp_path / "series.mbox"
    mbox.write_text(SERIES)
    report = check_series(load_series(str(mbox)), BaseTree(tree), load_rules([rules_dir()]), Options())
    assert all(patch.applies for patch in report.patches)
    got = [(f.patch.index if f.patch else None, f.status, f.line, f.rule_id) for f in report.findings]
    assert got == [
        (2, Status.NEW, 6, "PA1001"),
        (3, Status.PREEXISTING, 11, "PA1001"),
        (4, Status.FIXED, 11, "PA1001"),
    ]
    assert report.findings[0].function == "walker_skip"
    assert report.findings[0].code == "return PageReserved(page) || PageBalloon(page);"
    assert len({f.fingerprint() for f in report.findings}) == 1
