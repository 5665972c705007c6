"""The HTML report of the sample series, read as a maintainer reads it (its DOM, without a browser).

tests/test_browser.py checks the same page in headless Chromium: the layout
at 800 px and that every link lands.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from patchaudit.engine import Options, check_series
from patchaudit.model import RunReport
from patchaudit.report import FORMATTERS
from patchaudit.report.markup import Block, blocks
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report() -> RunReport:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return check_series(
            load_series("samples/series.mbox"), BaseTree(Path("samples/tree")),
            load_rules([rules_dir()]), Options(tree_label="samples/tree"),
        )  # fmt: skip
    finally:
        os.chdir(cwd)


class Page(HTMLParser):
    """Elements with their attributes, the text inside each element with an id, and the order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_of: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        self.elements.append((tag, values))
        if tag not in ("br", "wbr", "meta", "input", "link"):
            self._open.append((tag, values.get("id")))
            if values.get("id"):
                self.text_of[values["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.text_of[element_id] += data

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.elements if "id" in attrs]

    def with_class(self, tag: str, name: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and name in a.get("class", "").split()]


def html_of(report: RunReport) -> str:
    return FORMATTERS["html"](report)


def test_the_findings_table_comes_first_and_links_every_finding_to_its_box(report: RunReport) -> None:
    html = html_of(report)
    page = Page(html)
    sections = [a["id"] for t, a in page.elements if t == "section"]
    assert sections[0] == "findings"
    table = html.split('<section id="findings">', 1)[1].split("</section>", 1)[0]
    targets = re.findall(r'<td class="where"><a href="#([^"]+)">', table)
    assert len(targets) == len(report.findings) == 15
    # Each row names a finding box by its stable anchor: the JSON report carries it too.
    anchors = [f["anchor"] for f in json.loads(FORMATTERS["json"](report))["findings"]]
    assert targets == anchors
    boxes = {a["id"] for a in page.with_class("div", "finding") + page.with_class("details", "finding")}
    assert set(targets) <= boxes
    assert all(re.fullmatch(r"f-[0-9a-f]{24}", anchor) for anchor in anchors)
    first = next(f for f in report.findings if f.rule_id == "PA1004")
    assert f'id="f-{first.fingerprint()}"' in html
    assert re.search(
        r'<td class="num">2/8</td>\s*<td class="where"><a href="#f-[0-9a-f]+">fs/<wbr>proc/<wbr>'
        r"pagetypes.c:33</a></td>\s*<td class=\"rule\" title=\"PA1004-removed-pg-balloon\">PA1004</td>"
        r'\s*<td><span class="sev">error</span></td>\s*<td>new</td>\s*'
        r"<td>&#39;PG_balloon&#39; was removed in Linux 5.1; use &#39;PG_offline&#39;</td>",
        table,
    )


def test_the_contents_list_the_patches(report: RunReport) -> None:
    page = Page(html_of(report))
    nav = [a["href"] for t, a in page.elements if t == "a" and a.get("href", "").startswith("#patch-")]
    assert nav[:8] == [f"#patch-{n}" for n in range(1, 9)]
    html = html_of(report)
    contents = html.split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert '<a href="#patch-2">[2/8] mm: convert PG_balloon to PG_offline</a>' in contents
    assert '<span class="badge error">1 error</span> <span class="badge note">1 note</span>' in contents
    assert '<span class="badge fixed">2 fixed</span>' in contents  # patch 4


def test_the_overview_counts_new_findings_by_severity_in_one_vocabulary(report: RunReport) -> None:
    html = html_of(report)
    overview = html.split('<section id="overview">', 1)[1].split("</section>", 1)[0]
    assert "<th>Errors</th><th>Warnings</th><th>Notes</th><th>Fixed</th><th>Preexisting</th>" in overview
    assert "Moved" not in html and "New</th>" not in overview
    rows = re.findall(r'<td class="num">(\d)/8</td>.*?((?:<td class="num">\d+</td>\s*){5})', overview, re.S)
    counts = {int(n): [int(x) for x in re.findall(r">(\d+)<", cells)] for n, cells in rows}
    assert counts == {
        1: [0, 0, 1, 0, 0], 2: [1, 0, 1, 0, 0], 3: [1, 0, 1, 0, 0], 4: [1, 0, 0, 2, 0],
        5: [1, 0, 0, 0, 0], 6: [1, 0, 0, 0, 0], 7: [1, 0, 0, 0, 0], 8: [4, 0, 0, 0, 0],
    }  # fmt: skip


def test_only_c_files_are_highlighted_as_c(report: RunReport) -> None:
    html = html_of(report)
    patch3 = html.split('<section id="patch-3"', 1)[1].split("</section>", 1)[0]
    rst, c_file = patch3.split("kernel/crash_info.c <span", 1)
    assert "Documentation/admin-guide/kdump/vmcoreinfo.rst" in rst
    assert 'class="c-' not in rst
    assert '<span class="c-preproc">#include</span>' in c_file


def test_fixed_findings_are_collapsed_and_new_ones_are_not(report: RunReport) -> None:
    page = Page(html_of(report))
    fixed = page.with_class("details", "fixed")
    assert [(a["data-file"], a["data-line"]) for a in fixed] == [
        ("drivers/misc/hyp_balloon.c", "81"), ("drivers/misc/hyp_balloon.c", "111"),
    ]  # fmt: skip
    assert all("open" not in a for a in fixed)
    assert not page.with_class("div", "fixed")
    assert len(page.with_class("div", "new")) == 13


def test_rules_that_enforce_the_same_text_show_it_once(report: RunReport) -> None:
    html = html_of(report)
    rules = html.split('<section id="rules">', 1)[1]
    assert rules.count("PageOffline() indicates that the page is logically offline") == 1
    assert rules.count("Caller must ensure the page is locked and the spin_lock protecting") == 2
    documentation = html.split('<section id="documentation">', 1)[1].split("</section>", 1)[0]
    assert documentation.count("PageOffline() indicates that the page is logically offline") == 1
    assert "PA1001, PA1002, PA1003, PA1004, PA1005, PA2006 text after the patch:" in documentation
    # The status table has one row a quoted text: the six PageOffline rules share one.
    assert re.search(
        r'<td>(<a href="#rule-PA(100[1-5]|2006)">PA\d+</a>(, )?){6}</td><td><code>include/linux/page-flags.h:100',
        documentation,
    )


def test_rule_documentation_renders_its_markdown(report: RunReport) -> None:
    html = html_of(report)
    doc = Page(html).text_of["rule-PA0030"]
    assert "`" not in doc
    assert "A <code>/* patchaudit: ignore RULE */</code> comment mutes a finding" in html
    for rule_id in [r.id for r in report.rules]:
        assert "`" not in Page(html).text_of[f"rule-{rule_id}"].split("Severity ")[0], rule_id


def test_markdown_subset() -> None:
    assert blocks("One `code` line\nwrapped.\n\n- first `a`\n- second\n  continued\n") == (
        Block("p", ((("", "One "), ("code", "code"), ("", " line wrapped.")),)),
        Block("ul", ((("", "first "), ("code", "a")), (("", "second continued"),))),
    )
    assert blocks("named ``Return`` here") == (
        Block("p", ((("", "named "), ("code", "Return"), ("", " here")),)),
    )
