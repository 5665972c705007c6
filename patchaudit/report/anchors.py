"""Stable HTML anchors for findings: a bot links to one finding of a published report.

A finding's anchor is ``f-`` and its fingerprint (rule, file, function and
normalised code; not the line, so a link survives unrelated edits). The
rare finding whose fingerprint an earlier one of the same report already
has (the same code twice in one function) gets ``-2``, ``-3``, ... in
report order. JSON carries the same value in each finding's ``anchor``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from patchaudit.model import Finding


def finding_anchors(findings: Sequence[Finding]) -> list[str]:
    """The anchor of each finding, in the order given (the report's order)."""
    seen: Counter[str] = Counter()
    anchors = []
    for finding in findings:
        base = f"f-{finding.fingerprint()}"
        seen[base] += 1
        anchors.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return anchors
