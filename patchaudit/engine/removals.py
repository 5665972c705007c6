"""Removal-aware checking: what a patch drops that a rule depends on, reported where it was.

A rule kind that implements ``RemovalKind`` names the operations of a file
whose removal breaks its rule (a PageOffline clear, a list removal under the
pages lock, a companion export) and what counts as a replacement. For each
such operation on a line the patch removes, with no replacement of the same
key in the same function of the new file, the kind is asked for a finding
at the place the line was. A new finding of the same rule elsewhere in the
file that the removal explains (its line is in the removal's trace: the set
whose clear went away) gives way to it, so the report points at the change.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable
from typing import cast

from patchaudit.engine.common import FileState
from patchaudit.model import Finding, PatchRef, Status
from patchaudit.ruleset import Rule
from patchaudit.ruleset.anchor import RuleStatus
from patchaudit.ruleset.kinds import KINDS
from patchaudit.ruleset.kinds.base import Guarded, RemovalKind, implements
from patchaudit.tree.lines import count_lines
from patchaudit.tree.results import FileResult, line_map


def removal_findings(
    rules: Iterable[Rule],
    statuses: dict[str, RuleStatus],
    before: FileState,
    after: FileState,
    result: FileResult,
    ref: PatchRef,
) -> list[Finding]:
    """Findings for what the patch removed without a replacement, at the removed lines' places."""
    if not result.removed_lines:
        return []
    chosen = [
        rule for rule in rules
        if statuses[rule.id].applies and implements(KINDS[rule.kind], RemovalKind)
    ]
    found: list[Finding] = []
    place = _places(result)
    for rule in chosen:
        kind = cast(RemovalKind, KINDS[rule.kind])
        guarded = list(kind.guarded(rule, before.ir))
        if not any(op.line in result.removed_lines for op in guarded):
            continue
        functions = {fn.name for fn in after.ir.functions}
        replacements = list(kind.equivalents(rule, after.ir))
        for op in _unreplaced(guarded, replacements, result, functions):
            line = place(op.line)
            hit = kind.removal_hit(rule, op, line, after.ir)
            if hit is None:
                continue
            refs = (rule.id, rule.slug, rule.name)
            muted = next((s.reason for s in after.suppressions() if s.covers(refs, hit.line)), None)
            status = statuses[rule.id]
            found.append(Finding(
                rule_id=rule.id,
                severity=rule.severity,
                confidence=rule.confidence,
                file=after.path,
                line=hit.line,
                column=hit.column,
                message=hit.message,
                patch=ref,
                status=Status.NEW,
                trace=hit.trace,
                source=rule.source.quote(status.line, status.file),
                # The offending code is the line the patch removed.
                code=before.line_text(op.line),
                function=hit.function or op.function,
                suppressed=muted,
            ))
    return found


def with_removals(
    compared: Iterable[Finding], removals: list[Finding], added: frozenset[int]
) -> list[Finding]:
    """The file's labelled findings plus the removal findings, each problem reported once.

    A new finding of a rule on a line the patch did not touch is the far end
    of a problem the patch caused by removing something: when a removal
    finding of the same rule traces to its line, the removal finding stands
    for it.
    """
    traced = {(f.rule_id, f.file, step.line) for f in removals for step in f.trace}
    kept = [
        finding for finding in compared
        if not (
            finding.status is Status.NEW
            and finding.line not in added
            and (finding.rule_id, finding.file, finding.line) in traced
        )
    ]
    return kept + removals


def _unreplaced(
    guarded: list[Guarded], replacements: list[Guarded], result: FileResult, functions: set[str]
) -> list[Guarded]:
    """Removed operations that nothing of their key replaces in their function.

    Per function and key, the operations the patch kept need as many
    replacements as before; what is left over may stand in for removed ones,
    first those written the same way on an added line (a move), then any
    (a respelling: a loop over frames, a helper that does it).
    """
    removed = sorted(
        (op for op in guarded if op.line in result.removed_lines), key=lambda op: op.line
    )
    kept = Counter((op.function, op.key) for op in guarded if op.line not in result.removed_lines)
    spare = Counter((op.function, op.key) for op in replacements)
    spare.subtract(kept)
    moved = Counter(
        (op.function, op.key, op.text) for op in replacements if op.line in result.added_lines
    )
    left: list[Guarded] = []
    for op in removed:
        if op.function not in functions:
            continue  # the function is gone or renamed: a rewrite, not a dropped line
        group = (op.function, op.key)
        if moved[(*group, op.text)] > 0 and spare[group] > 0:
            moved[(*group, op.text)] -= 1
            spare[group] -= 1
        else:
            left.append(op)
    for op in list(left):
        group = (op.function, op.key)
        if spare[group] > 0:
            spare[group] -= 1
            left.remove(op)
    return left


def _places(result: FileResult) -> Callable[[int], int]:
    """Where each line of the old file is, or was, in the new one.

    A removed line's place is the line after the last kept line before it:
    the first line the patch put in its stead, or the next kept line.
    """
    mapped = line_map(result)
    last = max(count_lines(result.after or b""), 1)
    kept = sorted(line for line in range(1, count_lines(result.before or b"") + 1)
                  if line not in result.removed_lines)

    def place(old: int) -> int:
        index = bisect.bisect_left(kept, old)
        if index < len(kept) and kept[index] == old:
            return mapped(old) or 1
        before = kept[index - 1] if index > 0 else None
        new = (mapped(before) or 0) + 1 if before is not None else 1
        return min(new, last)

    return place
