"""``--format patchwork``: one check a patch; fail on a new error, warning on a new warning."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from patchaudit.engine import Options, check_series
from patchaudit.model import Confidence, Finding, PatchRef, RunReport, Severity, Status
from patchaudit.report import FORMATTERS
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw_report() -> RunReport:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return check_series(
            load_series("samples/series-raw.mbox"),
            BaseTree(Path("samples/tree")),
            load_rules([rules_dir()]),
            Options(tree_label="samples/tree"),
        )
    finally:
        os.chdir(cwd)


def planted_patches() -> set[int]:
    text = (REPO / "samples" / "EXPECTED.md").read_text()
    table = text.split("<!-- planted-violations: the test reads this table -->", 1)[1]
    patches = set()
    for row in table.strip().splitlines()[2:]:
        if not row.startswith("|"):
            break
        patches.add(int(row.strip("|").split("|")[0]))
    assert patches
    return patches


def checks(report: RunReport) -> list[dict[str, Any]]:
    value = json.loads(FORMATTERS["patchwork"](report))
    assert isinstance(value, list)
    return value


def test_sample_series(raw_report: RunReport) -> None:
    got = checks(raw_report)
    assert [c["patch"]["index"] for c in got] == [p.index for p in raw_report.patches]
    assert got[1] == {
        "patch": {
            "index": 2,
            "message_id": "20181119101600.4711-3-dana@example.org",
            "subject": "mm: convert PG_balloon to PG_offline",
        },
        "state": "fail",
        "context": "patchaudit",
        "description": "1 new error, 1 new note",
        "target_url": "",
    }
    # Patch 1 only rewrites a comment the rules quote: a note, which passes.
    assert (got[0]["state"], got[0]["description"]) == (
        "success",
        "1 new note",
    )
    # Patch 4 plants one old name and removes two: the fixed ones are counted, not failed on.
    assert got[3]["description"] == "1 new error; 2 fixed"
    for check in got:
        if check["patch"]["index"] in planted_patches():
            assert check["state"] == "fail"


def _finding(index: int, severity: Severity, **changes: Any) -> Finding:
    base = Finding(
        rule_id="PA1001",
        severity=severity,
        confidence=Confidence.HIGH,
        file="mm/x.c",
        line=index,
        column=1,
        message="m",
        patch=PatchRef(index, f"patch {index}"),
    )
    return replace(base, **changes)


def test_states(raw_report: RunReport) -> None:
    patches = tuple(
        replace(p, index=i, message_id=f"p{i}@example.org")
        for i, p in enumerate(raw_report.patches[:5], start=1)
    )
    patches = patches[:4] + (replace(patches[4], applies=False),)
    findings = (
        _finding(1, Severity.WARNING),
        _finding(1, Severity.NOTE),
        _finding(2, Severity.NOTE),
        _finding(2, Severity.ERROR, suppressed="checked by hand"),
        _finding(2, Severity.ERROR, status=Status.PREEXISTING),
        _finding(2, Severity.ERROR, status=Status.FIXED),
        _finding(4, Severity.ERROR),
        _finding(4, Severity.WARNING),
        _finding(5, Severity.ERROR, rule_id="PA0010"),
        replace(_finding(1, Severity.ERROR, file="", line=0), patch=None),  # about the series
    )
    got = [
        (c["patch"]["message_id"], c["state"], c["description"])
        for c in checks(replace(raw_report, patches=patches, findings=findings))
    ]
    assert got == [
        ("p1@example.org", "warning", "1 new warning, 1 new note"),
        ("p2@example.org", "success", "1 new note; 1 fixed; 1 preexisting; 1 suppressed"),
        ("p3@example.org", "success", "no new findings"),
        ("p4@example.org", "fail", "1 new error, 1 new warning"),
        ("p5@example.org", "fail", "does not apply; 1 new error"),
    ]
    two = (_finding(1, Severity.ERROR), _finding(1, Severity.ERROR, line=9))
    plural = checks(replace(raw_report, patches=patches[:1], findings=two))
    assert plural[0]["description"] == "2 new errors"


def test_target_url_is_the_patch_section_of_the_report(raw_report: RunReport) -> None:
    published = replace(raw_report, report_url="https://ci.example.org/r/7")
    assert [c["target_url"] for c in checks(published)] == [
        f"https://ci.example.org/r/7#patch-{p.index}" for p in raw_report.patches
    ]


def test_a_scan_has_no_patches_to_check(raw_report: RunReport) -> None:
    assert FORMATTERS["patchwork"](replace(raw_report, mode="scan", patches=())) == "[]\n"
