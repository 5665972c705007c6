"""``--format sarif``: valid SARIF 2.1.0, stable rule ids, relative URIs, stable fingerprints."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from patchaudit.engine import Options, check_series
from patchaudit.model import (
    Confidence,
    FileIssue,
    Finding,
    RunReport,
    Severity,
    SourceQuote,
    Status,
    TraceStep,
)
from patchaudit.report import FORMATTERS
from patchaudit.report.sarif import sarif_log, uri_of
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The official schema ships in this npm package; pinned so the test is reproducible.
SCHEMA_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SCHEMA_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


@pytest.fixture(scope="module")
def sarif_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The SARIF 2.1.0 JSON schema, fetched with ``npm pack`` at test time (never committed)."""
    where = tmp_path_factory.mktemp("sarif-schema")
    try:
        subprocess.run(
            ["npm", "pack", "--silent", SCHEMA_PACKAGE],
            cwd=where,
            check=True,
            capture_output=True,
            timeout=300,
            env={**os.environ, "npm_config_cache": str(where / "npm-cache")},
        )
        (tarball,) = where.glob("*.tgz")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(SCHEMA_MEMBER)
            assert member is not None
            schema: dict[str, Any] = json.load(member)
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, tarfile.TarError) as exc:
        detail = getattr(exc, "stderr", None) or b""
        detail = detail.decode(errors="replace").strip() if isinstance(detail, bytes) else detail
        reason = f"could not fetch the SARIF schema with npm pack {SCHEMA_PACKAGE}: {exc} {detail}"
        if IN_CI:
            pytest.fail(f"{reason}; CI must provide npm and the npm registry")
        pytest.skip(reason)
    return schema


def assert_valid(log: dict[str, Any], schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []


@pytest.fixture(scope="module")
def sample_report() -> RunReport:
    cwd = os.getcwd()
    os.chdir(REPO)  # the report names the tree and series as given: keep them relative
    try:
        return check_series(
            load_series("samples/series.mbox"),
            BaseTree(Path("samples/tree")),
            load_rules([rules_dir()]),
            Options(tree_label="samples/tree"),
        )
    finally:
        os.chdir(cwd)


def planted() -> list[tuple[int, str, int, str]]:
    """(patch, file, line, rule) of each violation samples/EXPECTED.md says the series plants."""
    text = (REPO / "samples" / "EXPECTED.md").read_text()
    table = text.split("<!-- planted-violations: the test reads this table -->", 1)[1]
    rows = []
    for line in table.strip().splitlines()[2:]:
        if not line.startswith("|"):
            break
        patch, path, number, _name, rule = (c.strip() for c in line.strip("|").split("|"))
        rows.append((int(patch), path, int(number), rule))
    return rows


def _where(result: dict[str, Any]) -> tuple[str, str, int, str]:
    physical = result["locations"][0]["physicalLocation"]
    return (
        result["ruleId"],
        physical["artifactLocation"]["uri"],
        physical["region"]["startLine"],
        result["baselineState"],
    )


STATES = {Status.NEW: "new", Status.PREEXISTING: "unchanged", Status.FIXED: "absent"}


def test_one_result_per_finding_in_report_order(sample_report: RunReport) -> None:
    (run,) = json.loads(FORMATTERS["sarif"](sample_report))["runs"]
    assert [_where(r) for r in run["results"]] == [
        (f.rule_id, f.file, f.line, STATES[f.status]) for f in sample_report.findings
    ]
    for result, finding in zip(run["results"], sample_report.findings, strict=True):
        steps = result["codeFlows"][0]["threadFlows"][0]["locations"] if finding.trace else []
        assert [s["location"]["message"]["text"] for s in steps] == [
            t.message for t in finding.trace
        ]


def test_planted_violations(sample_report: RunReport) -> None:
    (run,) = json.loads(FORMATTERS["sarif"](sample_report))["runs"]
    got = {
        (r["properties"]["patch"]["index"], _where(r)[1], _where(r)[2], r["ruleId"])
        for r in run["results"]
        if r["baselineState"] == "new" and r["level"] == "error"
    }
    assert set(planted()) <= got
    (result,) = [r for r in run["results"] if r["ruleId"] == "PA1004"]
    assert result["level"] == "error"
    assert result["message"]["text"] == (
        "'PG_balloon' was removed in Linux 5.1; use 'PG_offline' "
        "(patch 2: mm: convert PG_balloon to PG_offline)"
    )
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "fs/proc/pagetypes.c", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 33, "startColumn": 4},
    }
    (finding,) = [f for f in sample_report.findings if f.rule_id == "PA1004"]
    assert result["partialFingerprints"] == {"patchauditFingerprint/v1": finding.fingerprint()}
    assert result["properties"]["patch"] == {
        "index": 2,
        "subject": "mm: convert PG_balloon to PG_offline",
    }
    patch = run["properties"]["patches"][1]
    assert (patch["index"], patch["subject"]) == (2, "mm: convert PG_balloon to PG_offline")
    assert patch["rawSubject"].startswith("[PATCH v2 2/")


def test_rule_metadata_cites_the_source(sample_report: RunReport) -> None:
    driver = json.loads(FORMATTERS["sarif"](sample_report))["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("patchaudit", sample_report.version)
    rule = next(r for r in driver["rules"] if r["id"] == "PA1004")
    assert rule["name"] == "removed-pg-balloon"
    assert rule["shortDescription"]["text"] == "PG_balloon was removed in Linux 5.1; use PG_offline"
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rule["properties"]["source"] == {
        "file": "include/linux/page-flags.h",
        "symbol": "PageOffline",
        "version": "v5.1 (unchanged through v6.12)",
        "line": 100,
    }
    assert rule["properties"]["confidence"] == "high"
    assert rule["properties"]["kind"] == "removed-api"
    assert (
        "The documentation this rule enforces, verbatim (include/linux/page-flags.h, PageOffline, "
        "v5.1 (unchanged through v6.12); line 100 of include/linux/page-flags.h in the analysed "
        "tree):\n\n"
        "    PageOffline() indicates that the page is logically offline although the\n"
        "    containing section is online. (e.g. inflated in a balloon driver or\n"
        "    not onlined when onlining the section).\n"
    ) in rule["help"]["text"]


def test_rule_ids_are_codes_not_positions(sample_report: RunReport) -> None:
    forward = sarif_log(sample_report)["runs"][0]
    backward = sarif_log(replace(sample_report, rules=sample_report.rules[::-1]))["runs"][0]
    for run in (forward, backward):
        ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
        for result in run["results"]:
            assert ids[result["ruleIndex"]] == result["ruleId"]
    assert [r["ruleId"] for r in forward["results"]] == [r["ruleId"] for r in backward["results"]]
    last = len(sample_report.rules) - 1
    assert [last - r["ruleIndex"] for r in forward["results"]] == [
        r["ruleIndex"] for r in backward["results"]
    ]


def test_uris_are_relative_to_the_tree(sample_report: RunReport) -> None:
    run = sarif_log(sample_report)["runs"][0]
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "SRCROOT"
        assert not artifact["uri"].startswith("/") and ":" not in artifact["uri"]
    assert run["originalUriBaseIds"]["SRCROOT"] == {
        "description": {"text": "the tree analysed: samples/tree"}
    }
    absolute = sarif_log(replace(sample_report, tree="/srv/linux 6.12"))["runs"][0]
    assert absolute["originalUriBaseIds"]["SRCROOT"]["uri"] == "file:///srv/linux%206.12/"


def test_uri_escaping() -> None:
    assert uri_of("drivers/misc/hyp_balloon.c") == "drivers/misc/hyp_balloon.c"
    assert uri_of("c:odd name#1.c") == "c%3Aodd%20name%231.c"
    assert uri_of("bad\udcff.c") == "bad%FF.c"  # a non-UTF-8 byte of a file name


SOURCE = SourceQuote(
    "include/linux/page-flags.h", "PageOffline", "PageOffline() indicates", "v5.1", 100
)


def _finding(**changes: Any) -> Finding:
    base = Finding(
        rule_id="PA1001",
        severity=Severity.ERROR,
        confidence=Confidence.HIGH,
        file="mm/walker.c",
        line=6,
        column=0,
        message="'PageBalloon' was removed",
        source=SOURCE,
        code="return PageBalloon(page);",
        function="walker_skip",
    )
    return replace(base, **changes)


def edge_cases(sample: RunReport) -> RunReport:
    """A scan with a file-less finding, a trace, suppressions and a skipped file."""
    findings = (
        _finding(file="", line=0, message="patch 3 of 6 is missing"),
        _finding(
            trace=(
                TraceStep("mm/walker.c", 4, "pages_lock taken here"),
                TraceStep("", 0, "no place for this step"),
            )
        ),
        _finding(line=7, suppressed="checked by hand"),
        _finding(line=8, suppressed=""),
    )
    return replace(
        sample,
        mode="scan",
        source="mm",
        patches=(),
        cover=None,
        findings=findings,
        file_issues=(FileIssue("mm/huge.c", "too big"),),
    )


def test_edge_cases(sample_report: RunReport) -> None:
    run = sarif_log(edge_cases(sample_report))["runs"][0]
    series, traced, muted, unexplained = run["results"]
    assert series["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": "mm", "uriBaseId": "WORKINGDIR"}},
            "message": {"text": "the patch series as a whole"},
        }
    ]
    assert traced["locations"][0]["physicalLocation"]["region"] == {"startLine": 6}
    assert traced["locations"][0]["logicalLocations"] == [
        {"name": "walker_skip", "kind": "function"}
    ]
    assert traced["codeFlows"][0]["threadFlows"][0]["locations"] == [
        {
            "location": {
                "message": {"text": "pages_lock taken here"},
                "physicalLocation": {
                    "artifactLocation": {"uri": "mm/walker.c", "uriBaseId": "SRCROOT"},
                    "region": {"startLine": 4},
                },
            }
        },
        {"location": {"message": {"text": "no place for this step"}}},
    ]
    assert muted["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "checked by hand"}
    ]
    assert unexplained["suppressions"] == [{"kind": "inSource", "status": "accepted"}]
    # A scan without --baseline compared nothing: no baselineState at all.
    assert all("baselineState" not in result for result in run["results"])
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"] == (
        "not (fully) analysed: too big"
    )


def capped(sample: RunReport) -> dict[str, Any]:
    findings = (
        _finding(line=1, severity=Severity.NOTE, message="a note"),
        _finding(line=2, status=Status.FIXED, message="fixed"),
        _finding(line=3, severity=Severity.WARNING, message="a warning"),
        _finding(line=4, suppressed="ok", message="muted"),
        _finding(line=5, message="an error"),
        _finding(line=6, message="another error"),
    )
    return sarif_log(replace(sample, findings=findings, file_issues=()), max_results=3)


def test_results_are_capped_and_the_cut_recorded(sample_report: RunReport) -> None:
    run = capped(sample_report)["runs"][0]
    # What counts against the patch goes first, worst first; the kept stay in report order.
    assert [r["message"]["text"] for r in run["results"]] == [
        "a warning",
        "an error",
        "another error",
    ]
    assert run["properties"]["truncation"] == {"limit": 3, "results": 6, "omitted": 3}
    assert run["invocations"][0]["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {
                "text": "3 of 6 results omitted: at most 3 are written per run "
                "(new findings are kept first)"
            },
        }
    ]


@pytest.mark.parametrize("case", ["sample", "edge cases", "capped"])
def test_valid_against_the_official_schema(
    case: str, sample_report: RunReport, sarif_schema: dict[str, Any]
) -> None:
    log = {
        "sample": lambda: json.loads(FORMATTERS["sarif"](sample_report)),
        "edge cases": lambda: sarif_log(edge_cases(sample_report)),
        "capped": lambda: capped(sample_report),
    }[case]()
    assert_valid(log, sarif_schema)


HEADER = """/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PageOffline() indicates that the page is logically offline although the
 * containing section is online. (e.g. inflated in a balloon driver or
 * not onlined when onlining the section).
 */
"""

PROBE = """// SPDX-License-Identifier: GPL-2.0
#include <linux/page-flags.h>

static int probe_one(struct page *page)
{
	return 0;
}

static int probe_two(struct page *page)
{
	return 2;
}
"""


def _mail(index: int, subject: str, diff: str) -> str:
    return (
        f"From {index:040d} Mon Sep 17 00:00:00 2001\n"
        "From: Ada Fixture <ada@example.org>\n"
        f"Subject: [PATCH {index}/3] {subject}\n"
        f"Message-Id: <sarif-{index}@example.org>\n\n"
        f"{subject}.\n\nSigned-off-by: Ada Fixture <ada@example.org>\n---\n{diff}--\n2.43.0\n\n"
    )


MOVES = (
    _mail(
        1,
        "probe: test balloon pages",
        """\
diff --git a/mm/probe.c b/mm/probe.c
--- a/mm/probe.c
+++ b/mm/probe.c
@@ -5,3 +5,3 @@ static int probe_one(struct page *page)
 {
-	return 0;
+	return PageBalloon(page);
 }
""",
    )
    + _mail(
        2,
        "probe: move probe_one below probe_two",
        """\
diff --git a/mm/probe.c b/mm/probe.c
--- a/mm/probe.c
+++ b/mm/probe.c
@@ -1,12 +1,12 @@
 // SPDX-License-Identifier: GPL-2.0
 #include <linux/page-flags.h>
 
-static int probe_one(struct page *page)
-{
-	return PageBalloon(page);
-}
-
 static int probe_two(struct page *page)
 {
 	return 2;
 }
+
+static int probe_one(struct page *page)
+{
+	return PageBalloon(page);
+}
""",
    )
    + _mail(
        3,
        "probe: use PageOffline",
        """\
diff --git a/mm/probe.c b/mm/probe.c
--- a/mm/probe.c
+++ b/mm/probe.c
@@ -10,3 +10,3 @@ static int probe_one(struct page *page)
 {
-	return PageBalloon(page);
+	return PageOffline(page);
 }
""",
    )
)


def test_a_moved_finding_keeps_its_fingerprint(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "include/linux").mkdir(parents=True)
    (tree / "mm").mkdir()
    (tree / "include/linux/page-flags.h").write_text(HEADER)
    (tree / "mm/probe.c").write_text(PROBE)
    (tmp_path / "series.mbox").write_text(MOVES)
    report = check_series(
        load_series(str(tmp_path / "series.mbox")),
        BaseTree(tree),
        load_rules([rules_dir()]),
        Options(tree_label="tree"),
    )
    results = json.loads(FORMATTERS["sarif"](report))["runs"][0]["results"]
    assert [
        (_where(r)[2], r["baselineState"], r["properties"]["patch"]["index"]) for r in results
    ] == [
        (6, "new", 1),
        (11, "unchanged", 2),
        (11, "absent", 3),
    ]
    prints = {r["partialFingerprints"]["patchauditFingerprint/v1"] for r in results}
    assert prints == {report.findings[0].fingerprint()}
