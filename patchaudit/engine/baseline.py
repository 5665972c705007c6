"""``--baseline FILE``: findings already in a previous JSON report are not new."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

from patchaudit.errors import InputError
from patchaudit.model import RunReport, Status

_MAX_BASELINE = 256 * 1024 * 1024


def load_baseline(path: Path) -> Counter[str]:
    """Fingerprints of the findings a previous report had (fixed ones excluded)."""
    where = str(path)
    try:
        if path.stat().st_size > _MAX_BASELINE:
            raise InputError(where, "baseline file is too large")
        # A bounded read: a device such as /dev/zero has no size to check first,
        # and a pipe (--baseline <(...)) has none either but is fine.
        with path.open("rb") as handle:
            raw = handle.read(_MAX_BASELINE + 1)
        if len(raw) > _MAX_BASELINE:
            raise InputError(where, "baseline file is too large")
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise InputError(where, "baseline file does not exist") from None
    except OSError as exc:
        raise InputError(where, f"cannot read the baseline: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(where, "baseline is not a patchaudit JSON report") from None
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(
        data.get("findings"), list
    ):
        raise InputError(where, "baseline is not a version 1 patchaudit JSON report")
    prints: Counter[str] = Counter()
    for finding in data["findings"]:
        if not isinstance(finding, dict) or not isinstance(finding.get("fingerprint"), str):
            raise InputError(where, "baseline finding without a fingerprint (made by an older patchaudit?)")
        if finding.get("status") != "fixed":
            prints[finding["fingerprint"]] += 1
    return prints


def apply_baseline(report: RunReport, known: Counter[str]) -> RunReport:
    """Mark as preexisting each new finding whose fingerprint the baseline holds (as a multiset)."""
    remaining = Counter(known)
    findings = []
    for finding in report.findings:
        key = finding.fingerprint()
        if finding.status is Status.NEW and remaining[key] > 0:
            remaining[key] -= 1
            finding = replace(finding, status=Status.PREEXISTING)
        findings.append(finding)
    return replace(report, findings=tuple(findings))
