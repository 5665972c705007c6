"""``--format patchwork``: the JSON body of one patchwork check per patch (docs/formats.md).

Each object carries patchwork's check fields (``state``, ``context``,
``description``, ``target_url``) plus ``patch`` naming which patch of the
series it is for, so a bot can POST it to that patch's ``checks/`` endpoint.
"""

from __future__ import annotations

import json
from collections import Counter
from enum import Enum
from typing import Any

from patchaudit.model import Finding, PatchSummary, RunReport, Severity, Status
from patchaudit.report.text import counts_against

CONTEXT = "patchaudit"  # patchwork groups checks by context: one name, kept stable


class CheckState(Enum):
    """The patchwork check states patchaudit sets (patchwork also knows ``pending``)."""

    SUCCESS = "success"
    WARNING = "warning"
    FAIL = "fail"


def check_state(findings: list[Finding]) -> CheckState:
    """fail on a new error, warning on a new warning; notes, moved and fixed findings pass."""
    counted = [f.severity for f in findings if counts_against(f)]
    if Severity.ERROR in counted:
        return CheckState.FAIL
    if Severity.WARNING in counted:
        return CheckState.WARNING
    return CheckState.SUCCESS


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def description(patch: PatchSummary, findings: list[Finding]) -> str:
    """One line: the new errors, warnings and notes, then fixed / preexisting / suppressed ones.

    "1 new error, 2 new notes; 1 fixed" -- only counts that are not zero;
    "no new findings" when the patch introduces nothing.
    """
    new = Counter(f.severity for f in findings if counts_against(f))
    counted = ", ".join(
        _plural(new[severity], f"new {severity.label}")
        for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
        if new[severity]
    )
    parts = [counted or "no new findings"]
    fixed = sum(1 for f in findings if f.status is Status.FIXED)
    moved = sum(1 for f in findings if f.status is Status.PREEXISTING)
    suppressed = sum(1 for f in findings if f.suppressed is not None)
    if fixed:
        parts.append(f"{fixed} fixed")
    if moved:
        parts.append(f"{moved} preexisting")
    if suppressed:
        parts.append(f"{suppressed} suppressed")
    text = "; ".join(parts)
    return text if patch.applies else f"does not apply; {text}"


def check_dict(patch: PatchSummary, findings: list[Finding], target_url: str = "") -> dict[str, Any]:
    return {
        "patch": {"index": patch.index, "message_id": patch.message_id, "subject": patch.subject},
        "state": check_state(findings).value,
        "context": CONTEXT,
        "description": description(patch, findings),
        "target_url": target_url,
    }


def format_patchwork(report: RunReport) -> str:
    checks = [
        check_dict(
            patch,
            [f for f in report.findings if f.patch is not None and f.patch.index == patch.index],
            # The patch's own section of the published report, not its top.
            f"{report.report_url}#patch-{patch.index}" if report.report_url else "",
        )
        for patch in report.patches
    ]
    return json.dumps(checks, indent=2, ensure_ascii=False) + "\n"
