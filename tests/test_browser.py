"""The HTML report in a real browser: findings are in the DOM, and hostile patch content stays text."""

from __future__ import annotations

import json
import re
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


def dump_dom(chromium: str, page: Path, profile: Path, width: int = 1280) -> str:
    """The DOM after the page loaded and any script on it would have run."""
    result = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=2000", "--dump-dom",
            f"--window-size={width},1000", page.as_uri(),
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


def sample_page(tmp_path: Path) -> Path:
    series = load_series(str(REPO / "samples" / "series.mbox"))
    report = check_series(series, BaseTree(REPO / "samples" / "tree"), load_rules([rules_dir()]), Options())
    page = tmp_path / "report.html"
    page.write_text(FORMATTERS["html"](report))
    return page


def test_sample_report_shows_findings_with_their_documentation(chromium: str, tmp_path: Path) -> None:
    page = sample_page(tmp_path)
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
    assert re.search(r'<a href="#f-[0-9a-f]+">Patch 1</a>: the patch edits documentation that '
                     r"rules encode: PA2001", dom)
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


def test_every_row_of_the_findings_table_links_to_a_finding_that_exists(
    chromium: str, tmp_path: Path
) -> None:
    dom = dump_dom(chromium, sample_page(tmp_path), tmp_path / "profile")
    elements = parse(dom).elements
    ids = {attrs["id"]: (tag, attrs) for tag, attrs in elements if attrs.get("id")}
    table = dom.split('<section id="findings">', 1)[1].split("</section>", 1)[0]
    targets = re.findall(r'<td class="where"><a href="#([^"]+)">', table)
    assert len(targets) == 15
    for target in targets:
        tag, attrs = ids[target]  # the anchor exists ...
        assert "finding" in (attrs.get("class") or "").split(), target  # ... and is a finding
    # Every in-page link of the report lands somewhere.
    hrefs = {a["href"][1:] for _, a in elements if (a.get("href") or "").startswith("#")}
    assert hrefs <= set(ids), hrefs - set(ids)


# Run in a copy of the report (its policy opened to inline scripts): what a
# reader at this width would see. Elements wider than the viewport are fine
# only inside a block that scrolls (.scroll, .lines): the page itself must not.
MEASURE = """
<script>
window.addEventListener("load", () => {
  const root = document.documentElement, width = root.clientWidth;
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX; if (x === "auto" || x === "scroll") return true; }
    return false; };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !scrolls(el)) out.push(el.tagName + "." + el.className);
  }
  const cells = [...document.querySelectorAll("div.lines td.t")];
  const wrapped = cells.filter(td => td.getClientRects().length !== 1 ||
    td.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(td).lineHeight || 16)).length;
  const findings = [...document.querySelectorAll(".finding")];
  const clipped = findings.filter(f => f.getBoundingClientRect().right > width + 1).length;
  const pre = document.createElement("pre");
  pre.id = "layout";
  pre.textContent = JSON.stringify({width, scrollWidth: root.scrollWidth, overflowing: out,
    cells: cells.length, wrapped, nowrap: cells.every(td => getComputedStyle(td).whiteSpace === "pre"),
    findings: findings.length, clipped});
  document.body.appendChild(pre);
});
</script>
"""


def test_at_800_px_nothing_overflows_the_page_and_code_lines_scroll(chromium: str, tmp_path: Path) -> None:
    html = sample_page(tmp_path).read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(
        re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html, count=1)
        .replace("</body>", MEASURE + "</body>", 1)
    )
    dom = dump_dom(chromium, probe, tmp_path / "profile", width=800)
    layout = json.loads(re.search(r'<pre id="layout">(.*?)</pre>', dom, re.S).group(1).replace("&quot;", '"'))
    assert layout["width"] <= 800
    # The vmcoreinfo.rst hunk used to make an 880 px page in a 785 px viewport.
    assert layout["scrollWidth"] == layout["width"], layout
    assert layout["overflowing"] == [], layout
    assert layout["clipped"] == 0 and layout["findings"] == 15, layout
    # Diff lines keep their shape: one line each, never wrapped or broken inside a word.
    assert layout["cells"] > 400 and layout["nowrap"] and layout["wrapped"] == 0, layout


def run_probe(chromium: str, page: Path, script: str, tmp_path: Path, width: int) -> dict:  # type: ignore[type-arg]
    """Open a copy of ``page`` (its policy opened to one inline script) and return what the
    script found: it runs after load and assigns its result to ``found``."""
    probe = page.with_name(f"probe-{page.name}")
    wrapped = (
        '<script>window.addEventListener("load", () => { let found;\n' + script
        + '\nconst pre = document.createElement("pre"); pre.id = "probe";'
        " pre.textContent = JSON.stringify(found); document.body.appendChild(pre); });</script>"
    )
    probe.write_text(
        re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text(), count=1)
        .replace("</body>", wrapped + "</body>", 1)
    )
    dom = dump_dom(chromium, probe, tmp_path / f"profile-{page.stem}-{width}", width=width)
    text = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert text is not None, dom[-2000:]
    return json.loads(text.group(1).replace("&quot;", '"').replace("&amp;", "&"))  # type: ignore[no-any-return]


KERNEL_DOC = """\
/**
 * misc_count() - count the misc devices of a bus
 * @bus: the bus to look at
 */
int misc_count(int bus)
{
	return bus;
}
"""


def site(tmp_path: Path) -> Path:
    """The report directory of the MAINTAINERS fixture: PA1001 errors in five entries'
    files, and a PA3004 note (a kernel-doc comment without Return:) in drivers/misc."""
    import shutil
    import sys

    tree = tmp_path / "linux"
    shutil.copytree(REPO / "tests" / "fixtures" / "maintainers" / "tree", tree)
    for n, file in enumerate(["mm/balloon_compaction.c", "drivers/misc/demo_balloon.c",
                              "drivers/virtio/virtio_balloon.c", "mm/page_alloc.c", "tools/mm/x.c"]):
        (tree / file).write_text(f"int use_{n}(struct page *p)\n{{\n\treturn PageBalloon(p);\n}}\n")
    (tree / "drivers/misc/misc.c").write_text(KERNEL_DOC)
    out = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "patchaudit", "scan", str(tree), "--all-rules",
                    "--html-dir", str(out), "--fail-on", "never"], check=True, cwd=REPO,
                   capture_output=True, timeout=300)
    return out


def test_tree_report_index_summary_above_the_fold_and_an_offline_filter(
    chromium: str, tmp_path: Path
) -> None:
    out = site(tmp_path)
    script = """
const rows = () => [...document.querySelectorAll("table.groups tbody tr")]
  .filter(tr => tr.offsetParent !== null).map(tr => tr.querySelector("a").textContent);
const root = document.documentElement;
const seen = {all: rows()};
document.getElementById("show-PA1001").checked = false;
seen.noPA1001 = rows();
document.getElementById("show-note").checked = false;
seen.noPA1001noNote = rows();
document.getElementById("show-PA1001").checked = true;
seen.errorsOnly = rows();
found = {seen, width: root.clientWidth, scrollWidth: root.scrollWidth,
  summaryTop: document.getElementById("totals").getBoundingClientRect().bottom,
  height: window.innerHeight, scripts: document.scripts.length};
"""
    found = run_probe(chromium, out / "index.html", script, tmp_path, 800)
    assert found["seen"] == {
        "all": ["BALLOON COMPACTION", "CHAR and MISC DRIVERS", "DEMO BALLOON DRIVERS",
                "MEMORY MANAGEMENT", "THE REST"],
        # Entries stay while one of their rules and its severity are checked.
        "noPA1001": ["CHAR and MISC DRIVERS"],
        "noPA1001noNote": [],
        "errorsOnly": ["BALLOON COMPACTION", "CHAR and MISC DRIVERS", "DEMO BALLOON DRIVERS",
                       "MEMORY MANAGEMENT", "THE REST"],
    }  # fmt: skip
    assert found["scrollWidth"] == found["width"], found
    # The summary by severity, rule and entry is on the first screen.
    assert found["summaryTop"] < found["height"], found
    # The filter is CSS: the report itself has no script at all.
    assert "<script" not in (out / "index.html").read_text()


def test_an_entry_page_filters_its_findings_and_fits_800_px(chromium: str, tmp_path: Path) -> None:
    out = site(tmp_path)
    page = next(p for p in out.glob("entry-*.html") if "<h1>CHAR and MISC DRIVERS</h1>" in p.read_text())
    script = """
const rows = () => [...document.querySelectorAll("table.findings tbody tr")]
  .filter(tr => tr.offsetParent !== null).map(tr => tr.querySelector("td.rule").textContent);
const seen = {all: rows()};
document.getElementById("show-error").checked = false;
seen.noErrors = rows();
found = {seen, width: document.documentElement.clientWidth,
  scrollWidth: document.documentElement.scrollWidth};
"""
    found = run_probe(chromium, page, script, tmp_path, 800)
    assert found["seen"] == {"all": ["PA1001", "PA3004"], "noErrors": ["PA3004"]}
    assert found["scrollWidth"] == found["width"], found
