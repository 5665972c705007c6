"""``--format text``: one ``file:line:col: severity: message [rule]`` line a finding, then a summary."""

from __future__ import annotations

from collections import Counter

from patchaudit.model import Finding, RunReport, Severity, Status


def location(finding: Finding, report: RunReport) -> str:
    if not finding.file:
        return report.source or "<series>"
    return f"{finding.file}:{finding.line}:{finding.column}"


def rule_name(finding: Finding, report: RunReport) -> str:
    info = report.rule(finding.rule_id)
    return info.name if info is not None else finding.rule_id


def counts_against(finding: Finding) -> bool:
    """Only what the series introduces (or what a scan finds) counts; fixed and moved do not."""
    return finding.status is Status.NEW and finding.suppressed is None


def summary_line(report: RunReport) -> str:
    counts = Counter(f.severity for f in report.findings if counts_against(f))
    parts = [
        f"{counts[Severity.ERROR]} error{'s' if counts[Severity.ERROR] != 1 else ''}",
        f"{counts[Severity.WARNING]} warning{'s' if counts[Severity.WARNING] != 1 else ''}",
        f"{counts[Severity.NOTE]} note{'s' if counts[Severity.NOTE] != 1 else ''}",
    ]
    applied = sum(1 for rule in report.rules if rule.applies)
    scope = (
        f"{len(report.patches)} patch{'es' if len(report.patches) != 1 else ''}, "
        if report.mode == "check"
        else ""
    )
    others = Counter(f.status.value for f in report.findings if f.status is not Status.NEW)
    others["suppressed"] = sum(1 for f in report.findings if f.suppressed is not None)
    others = +others
    extra = "".join(f", {count} {name}" for name, count in sorted(others.items()))
    return (
        f"total: {', '.join(parts)}{extra} ({scope}{report.files_analysed} C files analysed, "
        f"{applied} of {len(report.rules)} rules applied)"
    )


def format_text(report: RunReport) -> str:
    lines = []
    for finding in report.findings:
        if finding.suppressed is not None:
            continue
        where = location(finding, report)
        patch = "" if finding.status is Status.NEW else f" ({finding.status.value})"
        if finding.patch is not None:
            status = "" if finding.status is Status.NEW else f", {finding.status.value}"
            patch = f" (patch {finding.patch.index}{status})"
        lines.append(
            f"{where}: {finding.severity.label}: {finding.message}{patch} "
            f"[{rule_name(finding, report)}]"
        )
    for finding in report.findings:
        if finding.suppressed is not None:
            lines.append(
                f"{location(finding, report)}: suppressed {finding.severity.label}: "
                f"{finding.message} [{rule_name(finding, report)}] -- "
                f"{finding.suppressed or '(no reason given)'}"
            )
    for issue in report.file_issues:
        lines.append(f"{issue.file}: skipped: {issue.message}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
