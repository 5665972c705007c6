"""``--format json``: the versioned, documented machine format (docs/json-format.md)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from patchaudit.model import (
    Confidence,
    DiffFile,
    Finding,
    PatchSummary,
    RunReport,
    Severity,
    SourceQuote,
    Status,
)
from patchaudit.report.anchors import finding_anchors
from patchaudit.report.text import counts_against

# Bump on any incompatible change; adding fields is compatible.
SCHEMA_VERSION = 1

# An enum member's name or value is a property call: 90,000 of them for a
# whole-tree report cost a fifth of writing it.
# (Two tables: Severity.NOTE and Confidence.LOW are both 1 to a dict.)
_SEVERITIES = {severity: severity.label for severity in Severity}
_CONFIDENCES = {confidence: confidence.label for confidence in Confidence}
_STATUSES = {status: status.value for status in Status}


def _source(source: SourceQuote | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {
        "file": source.file,
        "symbol": source.symbol,
        "text": source.text,
        "version": source.version,
        "line": source.line,
    }


def finding_dict(
    finding: Finding,
    names: dict[str, str],
    sources: dict[SourceQuote, dict[str, Any] | None],
    anchor: str,
) -> dict[str, Any]:
    """One finding as JSON. ``names`` maps rule ids to names; ``sources`` holds each rule's
    quote once, shared by all its findings (tens of thousands on a whole tree)."""
    source = finding.source
    if source is None:
        quoted = None
    elif source in sources:
        quoted = sources[source]
    else:
        quoted = sources[source] = _source(source)
    return {
        "rule_id": finding.rule_id,
        "rule_name": names.get(finding.rule_id, finding.rule_id),
        "severity": _SEVERITIES[finding.severity],
        "confidence": _CONFIDENCES[finding.confidence],
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "function": finding.function,
        "message": finding.message,
        "code": finding.code,
        "patch": (
            {"index": finding.patch.index, "subject": finding.patch.subject}
            if finding.patch is not None
            else None
        ),
        "status": _STATUSES[finding.status],
        "suppressed": finding.suppressed,
        "fingerprint": finding.fingerprint(),
        "anchor": anchor,
        "trace": [
            {"file": step.file, "line": step.line, "message": step.message}
            for step in finding.trace
        ],
        "source": quoted,
    }


def _files(files: tuple[DiffFile, ...]) -> list[dict[str, Any]]:
    return [
        {
            "path": diff.path,
            "old_path": diff.old_path,
            "change": diff.change,
            "binary": diff.binary,
            "hunks": [
                {"header": h.header, "applied": h.applied, "offset": h.offset, "reason": h.reason}
                for h in diff.hunks
            ],
        }
        for diff in files
    ]


def patch_dict(patch: PatchSummary) -> dict[str, Any]:
    return {
        "index": patch.index,
        "subject": patch.subject,
        "raw_subject": patch.raw_subject,
        "version": patch.version,
        "total": patch.total,
        "author": patch.author,
        "date": patch.date,
        "message_id": patch.message_id,
        "base_commit": patch.base_commit,
        "trailers": [{"key": key, "value": value} for key, value in patch.trailers],
        "applies": patch.applies,
        "files": _files(patch.files),
    }


def maintainers_summary(report: RunReport, anchors: list[str]) -> list[dict[str, Any]]:
    """One object a MAINTAINERS entry that owns a finding: who to send which findings to."""
    ownership = report.ownership
    if ownership is None:
        return []
    per_entry: list[list[tuple[Finding, str]]] = [[] for _ in ownership.entries]
    for finding, anchor in zip(report.findings, anchors):
        for index in ownership.owners.get(finding.file, ()):
            per_entry[index].append((finding, anchor))
    summary = []
    for entry, owned in zip(ownership.entries, per_entry):
        counted = [f for f, _ in owned if counts_against(f)]
        severities = Counter(_SEVERITIES[f.severity] for f in counted)
        summary.append({
            "entry": entry.name,
            "line": entry.line,
            "maintainers": list(entry.maintainers),
            "reviewers": list(entry.reviewers),
            "lists": list(entry.lists),
            "status": entry.status,
            "errors": severities["error"],
            "warnings": severities["warning"],
            "notes": severities["note"],
            "rules": dict(sorted(Counter(f.rule_id for f in counted).items())),
            "files": sorted({f.file for f, _ in owned}),
            "findings": [anchor for _, anchor in owned],
        })
    return summary


def report_dict(report: RunReport) -> dict[str, Any]:
    counts = Counter(_SEVERITIES[f.severity] for f in report.findings if counts_against(f))
    names = {info.id: info.name for info in report.rules}
    sources: dict[SourceQuote, dict[str, Any] | None] = {}
    anchors = finding_anchors(report.findings)
    extra: dict[str, Any] = {}
    if report.ownership is not None:
        extra["maintainers"] = maintainers_summary(report, anchors)
        if report.ownership.restricted_to:
            extra["maintainers_of"] = report.ownership.restricted_to
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": report.tool, "version": report.version},
        "mode": report.mode,
        "tree": report.tree,
        "source": report.source,
        "patches": [patch_dict(patch) for patch in report.patches],
        "findings": [
            finding_dict(finding, names, sources, anchor)
            for finding, anchor in zip(report.findings, anchors)
        ],
        "rules": [
            {
                "id": rule.id,
                "name": rule.name,
                "title": rule.title,
                "severity": rule.severity.label,
                "applies": rule.applies,
                "reason": rule.applicability,
            }
            for rule in report.rules
        ],
        "file_issues": [{"file": i.file, "message": i.message} for i in report.file_issues],
        "summary": {
            "errors": counts["error"],
            "warnings": counts["warning"],
            "notes": counts["note"],
            "files_analysed": report.files_analysed,
            "fixed": sum(1 for f in report.findings if f.status is Status.FIXED),
            "preexisting": sum(1 for f in report.findings if f.status is Status.PREEXISTING),
            **_judged(report),
        },
        **extra,
    }


def _judged(report: RunReport) -> dict[str, object]:
    """The contract judgements of a scan with an index, by verdict and unknown reason."""
    if not report.judged:
        return {}
    verdicts, reasons = report.judgement_totals()
    return {"contracts": {"verdicts": verdicts, "unknown_reasons": reasons,
                          "by_check": dict(report.judged)}}


# Lists written one entry a line: a whole-tree report holds tens of thousands
# of findings, and json's C encoder (used only without indent) writes each
# one five times faster than its indenting Python encoder; a finding a line
# also suits grep and diff.
_ONE_A_LINE = frozenset({"findings", "file_issues", "maintainers"})


def format_json(report: RunReport) -> str:
    parts = []
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one a finding
    quoted: dict[int, str] = {}
    for key, value in report_dict(report).items():
        if key == "findings" and value:
            entries = ",\n    ".join(_finding_line(entry, encode, quoted) for entry in value)
            text = f"[\n    {entries}\n  ]"
        elif key in _ONE_A_LINE and value:
            entries = ",\n    ".join(encode(entry) for entry in value)
            text = f"[\n    {entries}\n  ]"
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _finding_line(entry: dict[str, Any], encode: Callable[[Any], str], quoted: dict[int, str]) -> str:
    """One finding's line. Its last field, the rule's quoted source text, is the same object for
    every finding of a rule (report_dict shares it): encoded once per rule, then spliced in."""
    source = entry.pop("source")
    text = quoted.get(id(source))
    if text is None:
        text = quoted[id(source)] = encode(source)
    return f'{encode(entry)[:-1]}, "source": {text}}}'
