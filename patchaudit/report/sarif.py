"""``--format sarif``: SARIF 2.1.0 for code-scanning services (GitHub, GitLab, SARIF viewers).

The layout is documented in docs/formats.md. Decisions the SARIF 2.1.0
specification leaves open, made here once:

- Artifact URIs are relative to the base id ``SRCROOT`` (the tree analysed);
  ``originalUriBaseIds`` gives it a ``file:`` URI only when the tree was named
  by an absolute path, so a report never depends on the working directory.
- A finding about the series itself has no file in the tree. The specification
  allows a result without locations, but GitHub rejects such a file outright
  ("expected at least one location"), so these point at the series input, as
  given on the command line, under the base id ``WORKINGDIR``.
- ``baselineState`` is the finding's status relative to the tree before its
  patch: new -> ``new``, preexisting -> ``unchanged``, fixed -> ``absent``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from patchaudit.model import (
    Confidence,
    FileIssue,
    Finding,
    RuleInfo,
    RunReport,
    Severity,
    Status,
    TraceStep,
)
from patchaudit.report.text import counts_against
from patchaudit.textbytes import to_bytes

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "SRCROOT"
WORKINGDIR = "WORKINGDIR"
FINGERPRINT_KEY = "patchauditFingerprint/v1"
# GitHub code scanning accepts at most 25,000 results a run and drops the rest
# silently; cap here so the loss is recorded in the file instead.
MAX_RESULTS = 25_000
# GitHub's limit on thread-flow locations; a trace longer than this is a bug,
# but one long trace must not make the whole upload fail.
MAX_FLOW_STEPS = 10_000

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
BASELINE_STATES = {Status.NEW: "new", Status.PREEXISTING: "unchanged", Status.FIXED: "absent"}
# GitHub's "precision" property ranks alerts; it takes these words.
PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}


def uri_of(path: str) -> str:
    """A relative URI reference for a tree path: every byte outside [A-Za-z0-9/_.~-] escaped.

    Escaping ':' keeps ``c:x.c`` from reading as a scheme; surrogate escapes
    (non-UTF-8 bytes in a name) become the original bytes, percent-encoded.
    """
    return quote(to_bytes(path.lstrip("/")), safe="/")


def _message(text: str) -> dict[str, str]:
    return {"text": text}


def _physical(file: str, line: int, column: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri_of(file), "uriBaseId": SRCROOT}}
    # Line or column 0 means unknown: SARIF then wants no region (the whole file)
    # or no column, never a 0 that its schema forbids.
    if line > 0:
        region: dict[str, int] = {"startLine": line}
        if column > 0:
            region["startColumn"] = column
        physical["region"] = region
    return physical


def _location(finding: Finding, report: RunReport) -> dict[str, Any]:
    if not finding.file:
        series = report.source or "-"
        return {
            "physicalLocation": {
                "artifactLocation": {"uri": uri_of(series), "uriBaseId": WORKINGDIR}
            },
            "message": _message("the patch series as a whole"),
        }
    location: dict[str, Any] = {
        "physicalLocation": _physical(finding.file, finding.line, finding.column)
    }
    if finding.function:
        location["logicalLocations"] = [{"name": finding.function, "kind": "function"}]
    return location


def _step(step: TraceStep) -> dict[str, Any]:
    location: dict[str, Any] = {"message": _message(step.message)}
    if step.file:
        location["physicalLocation"] = _physical(step.file, step.line, 0)
    return {"location": location}


def _code_flows(trace: tuple[TraceStep, ...]) -> list[dict[str, Any]]:
    steps = [_step(step) for step in trace[:MAX_FLOW_STEPS]]
    return [{"threadFlows": [{"locations": steps}]}]


def _result_message(finding: Finding) -> str:
    if finding.patch is None:
        return finding.message
    return f"{finding.message} (patch {finding.patch.index}: {finding.patch.subject})"


def _result(
    finding: Finding, report: RunReport, index: dict[str, int], baseline: bool
) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.rule_id}
    if finding.rule_id in index:
        result["ruleIndex"] = index[finding.rule_id]
    result["level"] = LEVELS[finding.severity]
    result["message"] = _message(_result_message(finding))
    result["locations"] = [_location(finding, report)]
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint()}
    if baseline:
        result["baselineState"] = BASELINE_STATES[finding.status]
    if finding.trace:
        result["codeFlows"] = _code_flows(finding.trace)
    if finding.suppressed is not None:
        suppression: dict[str, Any] = {"kind": "inSource", "status": "accepted"}
        if finding.suppressed:
            suppression["justification"] = finding.suppressed
        result["suppressions"] = [suppression]
    properties: dict[str, Any] = {
        "status": finding.status.value,
        "confidence": finding.confidence.label,
        "function": finding.function,
        "code": finding.code,
    }
    if finding.patch is not None:
        properties["patch"] = {"index": finding.patch.index, "subject": finding.patch.subject}
    result["properties"] = properties
    return result


def help_text(rule: RuleInfo) -> str:
    """The rule's documentation as one plain text: what, why, the quoted kernel text, caveats."""
    source = rule.source
    where = f"{source.file}, {source.symbol}, {source.version}"
    if source.line is not None:
        where += f"; line {source.line} of {source.file} in the analysed tree"
    quoted = "\n".join(f"    {line}" for line in source.text.strip().splitlines())
    parts = [
        rule.summary.strip(),
        f"Why it matters:\n{rule.why.strip()}",
        f"The documentation this rule enforces, verbatim ({where}):\n\n{quoted}",
        f"Known false positives:\n{rule.false_positives.strip()}",
    ]
    return "\n\n".join(part for part in parts if part.strip()) + "\n"


def _rule(rule: RuleInfo) -> dict[str, Any]:
    source: dict[str, Any] = {
        "file": rule.source.file,
        "symbol": rule.source.symbol,
        "version": rule.source.version,
    }
    if rule.source.line is not None:
        source["line"] = rule.source.line
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": _message(rule.title),
        "fullDescription": _message(rule.summary.strip() or rule.title),
        "help": _message(help_text(rule)),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": ["patchaudit", rule.kind],
            "precision": PRECISION[rule.confidence],
            "confidence": rule.confidence.label,
            "kind": rule.kind,
            "source": source,
            "applies": rule.applies,
            "applicability": rule.applicability,
        },
    }


def _kept(findings: tuple[Finding, ...], limit: int) -> list[Finding]:
    """At most ``limit`` findings, in report order; what counts against the patch is kept first."""
    if len(findings) <= limit:
        return list(findings)
    ranked = sorted(
        range(len(findings)),
        key=lambda i: (not counts_against(findings[i]), -findings[i].severity, i),
    )
    return [findings[i] for i in sorted(ranked[:limit])]


def _notification(issue: FileIssue) -> dict[str, Any]:
    return {
        "level": "warning",
        "message": _message(f"not (fully) analysed: {issue.message}"),
        "locations": [{"physicalLocation": _physical(issue.file, 0, 0)}],
    }


def _base_ids(report: RunReport) -> dict[str, Any]:
    tree: dict[str, Any] = {"description": _message(f"the tree analysed: {report.tree}")}
    if PurePosixPath(report.tree).is_absolute():
        # A base URI must end with '/' or the last segment is dropped on resolution.
        tree["uri"] = "file:///" + uri_of(report.tree).rstrip("/") + "/"
    return {
        SRCROOT: tree,
        WORKINGDIR: {
            "description": _message(
                "the directory patchaudit ran in: the series is named as given on the command line"
            )
        },
    }


def _run_properties(report: RunReport, total: int, kept: int, limit: int) -> dict[str, Any]:
    counts = Counter(f.severity.label for f in report.findings if counts_against(f))
    return {
        "mode": report.mode,
        "tree": report.tree,
        "source": report.source,
        "filesAnalysed": report.files_analysed,
        "summary": {
            "errors": counts["error"],
            "warnings": counts["warning"],
            "notes": counts["note"],
            "preexisting": sum(1 for f in report.findings if f.status is Status.PREEXISTING),
            "fixed": sum(1 for f in report.findings if f.status is Status.FIXED),
            "suppressed": sum(1 for f in report.findings if f.suppressed is not None),
        },
        "truncation": {"limit": limit, "results": total, "omitted": total - kept},
        "patches": [
            {
                "index": patch.index,
                "subject": patch.subject,
                "rawSubject": patch.raw_subject,
                "messageId": patch.message_id,
                "author": patch.author,
                "baseCommit": patch.base_commit,
                "version": patch.version,
                "total": patch.total,
                "applies": patch.applies,
            }
            for patch in report.patches
        ],
    }


def sarif_log(report: RunReport, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    """The SARIF log as plain JSON values; ``max_results`` caps ``results`` (GitHub: 25,000)."""
    index = {rule.id: number for number, rule in enumerate(report.rules)}
    # Without a before-state (a scan with no --baseline) nothing was compared,
    # and the specification then wants no baselineState at all.
    baseline = report.mode == "check" or any(f.status is not Status.NEW for f in report.findings)
    kept = _kept(report.findings, max_results)
    notifications = [_notification(issue) for issue in report.file_issues]
    omitted = len(report.findings) - len(kept)
    if omitted:
        notifications.append(
            {
                "level": "warning",
                "message": _message(
                    f"{omitted} of {len(report.findings)} results omitted: at most "
                    f"{max_results} are written per run (new findings are kept first)"
                ),
            }
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": report.tool,
                "version": report.version,
                "rules": [_rule(rule) for rule in report.rules],
            }
        },
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": _base_ids(report),
        "columnKind": "unicodeCodePoints",
        "results": [_result(finding, report, index, baseline) for finding in kept],
        "properties": _run_properties(report, len(report.findings), len(kept), max_results),
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def format_sarif(report: RunReport) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
