"""samples/2026/: the balloon_pages_lock era's tree and series give exactly what its EXPECTED.md lists."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "2026"
# Where the text of each planted rule lives in this tree.
TEXT_OF = {
    "PA2006": "include/linux/page-flags.h",
    "PA2008": "include/linux/balloon_compaction.h",
    "PA2009": "include/linux/balloon_compaction.h",
    "PA2010": "mm/balloon_compaction.c",
    "PA2011": "mm/balloon_compaction.c",
}


def planted() -> list[tuple[int, str, int, str, str]]:
    """The planted table of samples/2026/EXPECTED.md: (patch, file, line, name, rule)."""
    text = (SAMPLE / "EXPECTED.md").read_text()
    table = text.split("<!-- planted-violations: the test reads this table -->", 1)[1]
    rows = []
    for line in table.strip().splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append((int(cells[0]), cells[1], int(cells[2]), cells[3], cells[4]))
    return rows


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "patchaudit", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120, check=False)


def state_after(patch: int, path: str) -> list[str]:
    """The lines of ``path`` after ``patch`` (0: the base tree)."""
    for number in range(patch, 0, -1):
        candidate = SAMPLE / "series-src" / f"{number:02d}" / "tree" / path
        if candidate.is_file():
            return candidate.read_text().splitlines()
    return (SAMPLE / "tree" / path).read_text().splitlines()


def test_check_reports_each_planted_violation_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run("check", "samples/2026/series.mbox", "--tree", "samples/2026/tree",
                 "-f", "json", "-o", str(out))
    assert result.returncode == 1, result.stderr
    report = json.loads(out.read_text())
    found = {(f["patch"]["index"], f["file"], f["line"], f["rule_id"]) for f in report["findings"]}
    assert found == {(patch, file, line, rule) for patch, file, line, _, rule in planted()}
    assert all(f["status"] == "new" and f["severity"] == "error" for f in report["findings"])
    for finding in report["findings"]:
        assert finding["source"]["file"] == TEXT_OF[finding["rule_id"]]
        assert finding["source"]["line"] is not None
    assert [p["index"] for p in report["patches"]] == [1, 2, 3, 4, 5]
    assert all(p["applies"] for p in report["patches"])


def test_the_removal_is_reported_where_the_call_was_with_both_helpers_in_the_trace() -> None:
    result = run("check", "samples/2026/series.mbox", "--tree", "samples/2026/tree", "-f", "json")
    [removal] = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "PA2006"]
    assert removal["code"] == "huge_mark_offline(page);"
    assert removal["function"] == "huge_lend_one"
    assert [(step["line"], step["message"]) for step in removal["trace"]] == [
        (34, "huge_mark_offline() does it (__SetPageOffline(page + i)), but nothing calls it now"),
        (42, "huge_mark_online() still clears the state: __ClearPageOffline(page + i)"),
        (56, "huge_mark_offline(page) was here, in huge_lend_one()"),
    ]


def test_each_planted_line_is_the_named_call_after_its_patch() -> None:
    for patch, path, line, name, rule in planted():
        after = state_after(patch, path)
        if rule == "PA2006":
            # The removal: the call was at this line before the patch, and is gone.
            before = state_after(patch - 1, path)
            assert f"{name}(" in before[line - 1]
            assert f"{name}(page);" not in "\n".join(after)
        else:
            assert f"{name}(" in after[line - 1], (patch, path, line)


def test_the_base_tree_is_clean_and_gets_the_rules_of_its_own_text() -> None:
    result = run("scan", "samples/2026/tree", "-f", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["findings"] == []
    applies = {rule["id"] for rule in report["rules"] if rule["applies"]}
    balloon = {rid for rid in applies if rid.startswith(("PA1", "PA2", "PA3"))}
    assert balloon == {
        "PA1001", "PA1002", "PA1003", "PA1004", "PA1005",
        "PA2006", "PA2007", "PA2008", "PA2009", "PA2010", "PA2011", "PA3201",
    }


def test_scan_of_the_series_result_reports_the_unmarked_pages_at_the_idle_helper(
    tmp_path: Path,
) -> None:
    # scan sees the result only: the helper that marks nothing any more
    # (and patch 4's list_move(), a line up since patch 5 removed one).
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLE / "tree", tree)
    for number in range(1, 6):
        shutil.copytree(SAMPLE / "series-src" / f"{number:02d}" / "tree", tree, dirs_exist_ok=True)
    result = run("scan", str(tree), "drivers/misc/huge_balloon.c", "-f", "json")
    found = [(f["rule_id"], f["line"], f["message"]) for f in json.loads(result.stdout)["findings"]]
    assert found == [
        ("PA2006", 34,
         "huge_mark_offline() marks pages with __SetPageOffline(), but nothing calls it: the "
         "pages this driver hands over are no longer marked, while it still clears the mark "
         "with __ClearPageOffline()"),
        ("PA2009", 105,
         "list_move() takes 'page' off balloon_dev_info.pages, but balloon_pages_lock is not held"),
    ]


def test_make_series_regenerates_the_2026_series_byte_for_byte(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    out = tmp_path / "series.mbox"
    subprocess.run(["sh", str(REPO / "samples" / "make-series.sh"), str(out), str(SAMPLE)],
                   check=True)
    assert out.read_bytes() == (SAMPLE / "series.mbox").read_bytes()
