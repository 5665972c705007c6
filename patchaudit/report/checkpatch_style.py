"""``terse`` and ``emacs``: checkpatch-compatible one-line forms for b4 hooks and editors.

Only what the input introduces is listed (``new`` findings): b4 pipes one
patch at a time and wants that patch's problems, and an editor's compile
buffer wants places to jump to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from patchaudit.model import Finding, RunReport, Severity
from patchaudit.report.text import counts_against, location, place, rule_name

# checkpatch's three levels; a note is what checkpatch calls a CHECK.
LEVELS = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.NOTE: "CHECK"}


def _listed(report: RunReport) -> list[Finding]:
    return [finding for finding in report.findings if counts_against(finding)]


def _total(findings: list[Finding]) -> str:
    counts = Counter(finding.severity for finding in findings)
    # checkpatch.pl's own words, "1 errors" included: scripts that read its
    # total line match "(\d+) errors, (\d+) warnings".
    return (
        f"total: {counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, "
        f"{counts[Severity.NOTE]} checks"
    )


def _where(finding: Finding, report: RunReport, column: bool) -> str:
    if not finding.file:
        return location(finding, report)
    return place(finding.file, finding.line, finding.column if column else 0)


def _format(report: RunReport, column: bool, level: Callable[[Finding], str]) -> str:
    findings = _listed(report)
    lines = [
        f"{_where(f, report, column)}: {level(f)}: {f.message} [{rule_name(f, report)}]"
        for f in findings
    ]
    lines.append(_total(findings))
    return "\n".join(lines) + "\n"


def format_terse(report: RunReport) -> str:
    """``FILE:LINE: LEVEL: message`` a line, then checkpatch's ``total:`` line."""
    return _format(report, False, lambda f: LEVELS[f.severity])


def format_emacs(report: RunReport) -> str:
    """``FILE:LINE:COL: level: message``: what compilation-mode and vim's quickfix parse."""
    return _format(report, True, lambda f: f.severity.label)
