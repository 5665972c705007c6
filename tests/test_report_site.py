"""Whole-tree reports for maintainers: findings by MAINTAINERS entry, --maintainers-of, --html-dir.

The tree is the hand-written MAINTAINERS fixture with one removed-API use
in each of five files, each owned by a different entry.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from patchaudit.model import Confidence, FileIssue, Finding, RunReport, Severity
from patchaudit.report import html_site

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
FIXTURE = REPO / "tests" / "fixtures" / "maintainers" / "tree"
USE = "int {name}(struct page *p)\n{{\n\treturn PageBalloon(p);\n}}\n"
# file -> the entry that owns it (see tests/test_maintainers.py)
OWNED = {
    "mm/balloon_compaction.c": "BALLOON COMPACTION",
    "drivers/misc/demo_balloon.c": "CHAR and MISC DRIVERS",
    "drivers/virtio/virtio_balloon.c": "DEMO BALLOON DRIVERS",
    "mm/page_alloc.c": "MEMORY MANAGEMENT",
    "tools/mm/x.c": "THE REST",
}


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "linux"
    shutil.copytree(FIXTURE, root)
    for n, file in enumerate(OWNED):
        (root / file).write_text(USE.format(name=f"use_{n}"))
    return root


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchaudit", *args], capture_output=True, text=True, cwd=cwd,
        timeout=300,
    )  # fmt: skip


def scan_json(tree: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = run("scan", str(tree), "--all-rules", "-f", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    # Valid, and every top-level field is one the schema (and docs/json-format.md) describes.
    jsonschema.validate(report, SCHEMA)
    assert set(report) <= set(SCHEMA["properties"]), set(report) - set(SCHEMA["properties"])
    return report  # type: ignore[no-any-return]


def test_the_json_report_sums_up_findings_by_maintainers_entry(tree: Path) -> None:
    report = scan_json(tree)
    summary = report["maintainers"]
    assert [(e["entry"], e["files"], e["errors"]) for e in summary] == [
        ("BALLOON COMPACTION", ["mm/balloon_compaction.c"], 1),
        ("CHAR and MISC DRIVERS", ["drivers/misc/demo_balloon.c"], 1),
        ("DEMO BALLOON DRIVERS", ["drivers/virtio/virtio_balloon.c"], 1),
        ("MEMORY MANAGEMENT", ["mm/page_alloc.c"], 1),
        ("THE REST", ["tools/mm/x.c"], 1),
    ]
    balloon = summary[0]
    assert balloon == {
        "entry": "BALLOON COMPACTION", "line": 12,
        "maintainers": ["Bea Balloon <bea@example.org>"],
        "reviewers": ["Rik Reviewer <rik@example.org>"],
        "lists": ["linux-mm@lists.example.org"], "status": "Maintained",
        "errors": 1, "warnings": 0, "notes": 0, "rules": {"PA1001": 1},
        "files": ["mm/balloon_compaction.c"],
        "findings": [next(f["anchor"] for f in report["findings"] if f["file"] == "mm/balloon_compaction.c")],
    }  # fmt: skip
    assert "maintainers_of" not in report
    # A tree without MAINTAINERS: no summary, no error.
    assert "maintainers" not in scan_json(REPO / "samples" / "tree")


@pytest.mark.parametrize(
    ("path", "files"),
    [
        # A directory: the entries that cover it (MEMORY MANAGEMENT), THE REST left out.
        ("mm/", ["mm/page_alloc.c"]),
        ("mm", ["mm/page_alloc.c"]),
        # A file: every entry get_maintainer.pl names for it, and their files.
        ("mm/balloon_compaction.c",
         ["drivers/virtio/virtio_balloon.c", "mm/balloon_compaction.c", "mm/page_alloc.c"]),
        # Covered by THE REST alone: then THE REST it is.
        ("tools/mm/x.c", ["tools/mm/x.c"]),
    ],
)  # fmt: skip
def test_maintainers_of_keeps_the_findings_of_the_entries_that_cover_a_path(
    tree: Path, path: str, files: list[str]
) -> None:
    report = scan_json(tree, "--maintainers-of", path)
    assert sorted(f["file"] for f in report["findings"]) == files
    assert report["maintainers_of"] == path
    assert sorted(file for e in report["maintainers"] for file in e["files"]) == files


def test_maintainers_of_needs_a_maintainers_file_and_says_so_before_any_work() -> None:
    result = run("scan", "samples/tree", "--maintainers-of", "mm/")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "patchaudit: --maintainers-of: samples/tree: the tree has no MAINTAINERS file\n"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")


def read_site(directory: Path) -> dict[str, Links]:
    pages = {}
    for page in sorted(directory.glob("*.html")):
        links = Links()
        links.feed(page.read_text())
        pages[page.name] = links
    return pages


def test_html_dir_has_an_index_and_a_page_per_entry_linked_both_ways(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = run("scan", str(tree), "--all-rules", "--html-dir", str(out))
    assert result.returncode == 1, result.stderr
    pages = read_site(out)
    assert sorted(pages) == [
        "entry-0001.html", "entry-0002.html", "entry-0003.html", "entry-0004.html",
        "entry-0005.html", "index.html", "rules.html",
    ]  # fmt: skip
    for name, links in pages.items():
        for href in links.hrefs:
            target, _, fragment = href.partition("#")
            target = target or name
            assert target in pages, (name, href)
            assert not fragment or fragment in pages[target].ids, (name, href)
    index = (out / "index.html").read_text()
    assert index.index('id="totals"') < index.index('id="groups"')
    assert '<li class="card"><b>5</b> C files analysed</li>' in index
    for n, (file, entry) in enumerate(sorted(OWNED.items(), key=lambda item: item[1]), start=1):
        page = (out / f"entry-{n:04d}.html").read_text()
        assert f"<h1>{entry}</h1>" in page.replace("&amp;", "&")
        assert re.search(r'<tr id="f-[0-9a-f]{24}" class="r-PA1001 error new">', page)
        assert f'<a href="entry-{n:04d}.html">{entry}</a>' in index
    assert "Bea Balloon &lt;bea@example.org&gt;" in (out / "entry-0001.html").read_text()
    assert (out / ".patchaudit-report").is_file()
    # Written again over its own previous version; never over a directory it did not write.
    assert run("scan", str(tree), "--all-rules", "--html-dir", str(out)).returncode == 1
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8")
    refused = run("scan", str(tree), "--all-rules", "--html-dir", str(foreign))
    assert refused.returncode == 2 and "did not write" in refused.stderr
    assert [p.name for p in foreign.iterdir()] == ["cat.jpg"]


def test_the_summary_cards_count_in_good_english() -> None:
    findings = (Finding("PA1001", Severity.ERROR, Confidence.HIGH, "mm/f.c", 3, 9, "old name"),)
    report = RunReport("patchaudit", "0", "scan", "t", ".", findings, (), files_analysed=1,
                       file_issues=(FileIssue("mm/big.c", "too large"),))  # fmt: skip
    index = html_site.format_html_site(report)["index.html"]
    cards = re.findall(r'<li class="card[^"]*">(.*?)</li>', index)
    assert cards == [
        "<b>1</b> error", "<b>0</b> warnings", "<b>0</b> notes", "<b>1</b> rule with findings",
        "<b>1</b> C file analysed", '<a href="#issues"><b>1</b> file not analysed</a>',
    ]


def test_without_maintainers_the_pages_are_by_rule_and_long_ones_are_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    findings = tuple(
        Finding("PA1001", Severity.ERROR, Confidence.HIGH, f"mm/f{n:02d}.c", 3, 9, "old name")
        for n in range(5)
    )
    report = RunReport("patchaudit", "0", "scan", "t", ".", findings, ())
    monkeypatch.setattr(html_site, "PAGE_SIZE", 2)
    pages = html_site.format_html_site(report)
    assert sorted(pages) == [
        "index.html", "rule-PA1001-2.html", "rule-PA1001-3.html", "rule-PA1001.html", "rules.html",
    ]  # fmt: skip
    assert pages["rule-PA1001-2.html"].count('class="r-PA1001 error new"') == 2
    assert pages["rule-PA1001-3.html"].count('class="r-PA1001 error new"') == 1
    assert '<a href="rule-PA1001-3.html">page 3</a>' in pages["rule-PA1001.html"]
