"""The HTML report in a real browser: findings are in the DOM, and hostile patch content stays text."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from patchaudit.engine import Options, check_series
from patchaudit.report import FORMATTERS
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.browser


def dump_dom(chromium: str, page: Path, profile: Path) -> str:
    """The DOM after the page loaded and any script on it would have run."""
    result = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=2000", "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in result.stdout
    return result.stdout


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def parse(dom: str) -> Elements:
    parser = Elements()
    parser.feed(dom)
    return parser


def test_sample_report_shows_findings_with_their_documentation(chromium: str, tmp_path: Path) -> None:
    series = load_series(str(REPO / "samples" / "series.mbox"))
    report = check_series(series, BaseTree(REPO / "samples" / "tree"), load_rules([rules_dir()]), Options())
    page = tmp_path / "report.html"
    page.write_text(FORMATTERS["html"](report))
    dom = dump_dom(chromium, page, tmp_path / "profile")
    found = {
        (attrs.get("data-rule"), attrs.get("data-file"), attrs.get("data-line"))
        for tag, attrs in parse(dom).elements
        if tag == "div" and "finding" in (attrs.get("class") or "").split()
        and attrs.get("data-status") == "new" and attrs.get("data-rule", "").startswith("PA1")
    }
    assert found == {
        ("PA1004", "fs/proc/pagetypes.c", "33"),
        ("PA1005", "kernel/crash_info.c", "68"),
        ("PA1002", "drivers/misc/hyp_balloon.c", "72"),
        ("PA1003", "drivers/virtio/toy_balloon.c", "165"),
        ("PA1001", "kernel/power/snapshot_lite.c", "57"),
    }
    assert dom.count("PageOffline() indicates that the page is logically offline") >= 5
    # The documentation section: where rule texts were found, and the edit of
    # balloon_compaction.h's rule comment by patch 1 with its before/after text.
    assert 'id="overview"' in dom and dom.count("next patch") == 7
    assert '<span class="c-keyword">static</span>' in dom
    assert 'id="documentation"' in dom
    assert "Patch 1: the patch edits documentation that rules encode: PA2001" in dom
    assert "PA2002 text after the patch:" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile2'}",
         f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )
    assert shot.stat().st_size > 10_000


HOSTILE = """From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: "<img src=x onerror=document.title='pwned-author'>" <evil@example.org>
Date: Mon, 2 Mar 2026 10:00:00 +0100
Subject: [PATCH] <script>document.title='pwned-subject'</script>
Message-Id: <"><script>document.title='pwned-msgid'</script>@example.org>

<a href="javascript:document.title='pwned-link'">click</a>
<svg onload="document.title='pwned-svg'"></svg>

Signed-off-by: <script>document.title='pwned-trailer'</script>
---
diff --git a/x<script>y.c b/x<script>y.c
new file mode 100644
--- /dev/null
+++ b/x<script>y.c
@@ -0,0 +1,2 @@
+/* </script><script>document.title='pwned-code'</script> */
+int v = PageBalloon(0); /* <img src=x onerror="document.title='pwned-line'"> */
--
2.43.0
"""


def test_hostile_patch_content_renders_as_text(chromium: str, tmp_path: Path) -> None:
    mbox = tmp_path / "hostile.mbox"
    mbox.write_text(HOSTILE)
    tree = tmp_path / "tree"
    tree.mkdir()
    report = check_series(load_series(str(mbox)), BaseTree(tree), load_rules([rules_dir()]), Options(all_rules=True))
    assert any(f.rule_id == "PA1001" for f in report.findings)
    page = tmp_path / "hostile.html"
    page.write_text(FORMATTERS["html"](report))
    dom = dump_dom(chromium, page, tmp_path / "profile")
    elements = parse(dom)
    assert "pwned" not in elements.title
    assert not [tag for tag, _ in elements.elements if tag in ("script", "svg", "img", "iframe")]
    assert not [a for _, a in elements.elements if any(k.startswith("on") for k in a)]
    assert not [a for tag, a in elements.elements if tag == "a" and "javascript:" in (a.get("href") or "")]
    # The text is all there, as text.
    assert "&lt;script&gt;document.title='pwned-subject'&lt;/script&gt;" in dom
