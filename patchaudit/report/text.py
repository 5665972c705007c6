"""``--format text``: one ``file:line:col: severity: message [rule]`` line a counted finding, then a summary.

Only findings that count (new and not suppressed) are written as gcc-style
lines, so a tool that counts ``error:`` lines counts what the exit status
counts. Fixed, preexisting and suppressed findings follow in labelled blocks
whose lines carry no ``severity:`` after the location.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from patchaudit.model import Finding, RunReport, Severity, Status


def plural(count: int, word: str, many: str = "") -> str:
    """``1 error``, ``2 errors``; ``many`` for words whose plural is not word + s."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def place(file: str, line: int, column: int) -> str:
    """``file:line:col``; the column (and the line) left out where the finding has none.

    Lines and columns are 1-based: 0 means the finding is about a whole line
    (a hunk that does not apply) or a whole file.
    """
    if line <= 0:
        return file
    return f"{file}:{line}:{column}" if column > 0 else f"{file}:{line}"


def location(finding: Finding, report: RunReport) -> str:
    if not finding.file:
        return report.source or "<series>"
    return place(finding.file, finding.line, finding.column)


def rule_name(finding: Finding, report: RunReport) -> str:
    info = report.rule(finding.rule_id)
    return info.name if info is not None else finding.rule_id


def counts_against(finding: Finding) -> bool:
    """Only what the series introduces (or what a scan finds) counts; fixed and moved do not."""
    return finding.status is Status.NEW and finding.suppressed is None


def summary_line(report: RunReport) -> str:
    counts = Counter(f.severity for f in report.findings if counts_against(f))
    parts = [
        plural(counts[Severity.ERROR], "error"),
        plural(counts[Severity.WARNING], "warning"),
        plural(counts[Severity.NOTE], "note"),
    ]
    applied = sum(1 for rule in report.rules if rule.applies)
    scope = (
        f"{plural(len(report.patches), 'patch', 'patches')}, " if report.mode == "check" else ""
    )
    others = Counter(f.status.value for f in report.findings if f.status is not Status.NEW)
    others["suppressed"] = sum(1 for f in report.findings if f.suppressed is not None)
    others = +others
    extra = "".join(f", {count} {name}" for name, count in sorted(others.items()))
    return (
        f"total: {', '.join(parts)}{extra} ({scope}"
        f"{plural(report.files_analysed, 'C file')} analysed, "
        f"{applied} of {plural(len(report.rules), 'rule')} applied)"
    )


def judged_line(report: RunReport) -> str:
    """What the contract kinds judged and did not report, and why: the silence, counted."""
    verdicts, reasons = report.judgement_totals()
    total = sum(verdicts.values())
    counted = ", ".join(f"{count} {verdict}" for verdict, count in sorted(verdicts.items()))
    why = "; ".join(f"{reason}: {count}" for reason, count in reasons.items())
    return f"contracts: {plural(total, 'judgement')} ({counted})" + (
        f"; not reported because {why}" if why else "")


def _counted_line(finding: Finding, report: RunReport) -> str:
    patch = f" (patch {finding.patch.index})" if finding.patch is not None else ""
    return (
        f"{location(finding, report)}: {finding.severity.label}: {finding.message}{patch} "
        f"[{rule_name(finding, report)}]"
    )


def _listed_line(finding: Finding, report: RunReport) -> str:
    """A finding that does not count: the location, then what it is in parentheses."""
    what = finding.severity.label
    if finding.patch is not None:
        what += f", patch {finding.patch.index}"
    line = f"    {location(finding, report)} ({what}): {finding.message} [{rule_name(finding, report)}]"
    if finding.suppressed is not None:
        line += f" -- {finding.suppressed or '(no reason given)'}"
    return line


# Blocks of findings that do not count, in this order: (title, which findings).
_BLOCKS: tuple[tuple[str, Callable[[Finding], bool]], ...] = (
    (
        "preexisting, not counted (only moved by their patch, or in the baseline):",
        lambda f: f.status is Status.PREEXISTING and f.suppressed is None,
    ),
    (
        "fixed, not counted (their patch removes them):",
        lambda f: f.status is Status.FIXED and f.suppressed is None,
    ),
    ("suppressed in the source, not counted:", lambda f: f.suppressed is not None),
)


def format_text(report: RunReport) -> str:
    lines = [_counted_line(f, report) for f in report.findings if counts_against(f)]
    for title, chosen in _BLOCKS:
        listed = [_listed_line(f, report) for f in report.findings if chosen(f)]
        if listed:
            lines += [title, *listed]
    for issue in report.file_issues:
        lines.append(f"{issue.file}: skipped: {issue.message}")
    if report.judged:
        lines.append(judged_line(report))
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
