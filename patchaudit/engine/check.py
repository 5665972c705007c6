"""``check``: apply a series patch by patch and say what each patch introduces, moves or fixes.

Each touched C file is analysed before and after the patch. Findings are
matched by fingerprint (rule, file, function, normalised offending code), not
by line, so a finding that only moved is ``preexisting``; one that only the
after-state has is ``new``; one that only the before-state has is ``fixed``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial

from patchaudit import __version__
from patchaudit.engine.common import (
    Applicability,
    FileState,
    Options,
    file_findings,
    is_c,
    rule_infos,
)
from patchaudit.engine.limits import FileTimeout, ScanLimits, over_limit, time_limit, timed_out
from patchaudit.engine.removals import removal_findings, with_removals
from patchaudit.engine.prefilter import build_filter
from patchaudit.engine.summary import summarise_patch
from patchaudit.model import (
    FileIssue,
    Finding,
    PatchRef,
    PatchSummary,
    RunReport,
    Status,
    TraceStep,
)
from patchaudit.ruleset import Rule, RuleSet
from patchaudit.ruleset.anchor import RuleStatus, find_span
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.ruleset.kinds.base import PartnerKind, judges_across_patch
from patchaudit.errors import InputError
from patchaudit.series.model import FileChange, Patch, Series
from patchaudit.tree.apply import MISSING, FileResult, PatchApplication, iter_applications
from patchaudit.tree.base import BaseTree

PATCH_APPLY_KIND = "patch-apply"
SERIES_PROBLEM_KIND = "series-problem"
RULE_SOURCE_KIND = "rule-source"
# How large a file check reads to apply a patch to it: a patch may touch any
# file of a tree (the largest of 6.12, generated amdgpu register headers, are
# 24 MB); whether a file is analysed is ScanLimits.max_file_size's to say.
READ_LIMIT = 64 << 20
DEFAULT_LIMITS = ScanLimits()


def _patch_ref(patch: Patch) -> PatchRef:
    return PatchRef(patch.index, patch.subject.title)


def _series_findings(series: Series, rules: RuleSet) -> Iterator[Finding]:
    by_problem = {rule.params.problem: rule for rule in rules if rule.kind == SERIES_PROBLEM_KIND}
    subjects = {patch.index: patch.subject.title for patch in series.patches}
    for problem in series.problems:
        rule = by_problem.get(problem.kind)
        if rule is None:
            continue
        ref = None
        # A missing patch has no subject to show: the finding is about the series.
        if problem.patch_index in subjects:
            ref = PatchRef(problem.patch_index, subjects[problem.patch_index])
        yield Finding(
            rule_id=rule.id,
            severity=rule.severity,
            confidence=rule.confidence,
            file="",
            line=0,
            column=0,
            message=problem.message,
            patch=ref,
            source=rule.source.quote(),
        )


def _finding(rule: Rule, file: str, line: int, message: str, patch: PatchRef,
             trace: tuple[TraceStep, ...] = ()) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        file=file,
        line=line,
        column=0,
        message=message,
        patch=patch,
        trace=trace,
        source=rule.source.quote(),
    )


def _apply_findings(application: PatchApplication, rule: Rule, lone: bool) -> Iterator[Finding]:
    ref = _patch_ref(application.patch)
    for result in application.files:
        diff = next((d for d in application.patch.files if d.path == result.path), None)
        failed = [hunk for hunk in result.hunks if not hunk.applied]
        if result.reason and failed and all(hunk.reason == result.reason for hunk in result.hunks):
            # The file as a whole could not be patched (missing, binary, a
            # directory): one finding for the file, not one for each hunk.
            count = f"{len(failed)} hunk{'s' if len(failed) != 1 else ''}"
            if result.reason == MISSING:
                message = (
                    f"patch {application.index} changes {result.old_path or result.path}, "
                    f"which is not in the tree ({count} not applied)"
                )
                if lone and application.index > 1:
                    message += "; an earlier patch of the series, not given, may add it"
            else:
                message = (
                    f"patch {application.index} does not apply to {result.path}: "
                    f"{result.reason} ({count} not applied)"
                )
            yield _finding(rule, result.path, 0, message, ref)
            continue
        for hunk in failed:
            line = 0
            # HunkResult.index counts from 1, as patch(1) numbers hunks.
            if diff is not None and 0 < hunk.index <= len(diff.hunks):
                line = diff.hunks[hunk.index - 1].old_start
            message = (
                f"hunk #{hunk.index} ({hunk.header}) of patch {application.index} "
                f"does not apply: {hunk.reason}"
            )
            yield _finding(rule, result.path, line, message, ref)
        if not result.hunks and not result.applied:
            message = f"patch {application.index} does not apply to {result.path}: {result.reason}"
            yield _finding(rule, result.path, 0, message, ref)


def check_tree_fits(series: Series, base: BaseTree, tree_label: str) -> None:
    """Stop when (almost) none of the files the series changes is in the tree: a wrong tree.

    A series checked against the wrong directory (the default ``.``, a
    typo) would otherwise yield a does-not-apply finding for every file and
    nothing else. A file that an earlier patch of the series adds is not
    counted; one or two missing files in a tree that has the rest are
    findings, not a wrong tree. Judged on the tree and the diffs alone,
    before any patch is applied.
    """
    needed: dict[str, bool] = {}  # path -> whether the tree has it
    added: set[str] = set()
    for patch in series.patches:
        for diff in patch.files:
            if diff.change is FileChange.ADDED:
                added.add(diff.path)
                continue
            path = diff.old_path or diff.path
            if path not in added and path not in needed:
                try:
                    needed[path] = base.exists(path)
                except InputError:
                    needed[path] = False
    found = sum(needed.values())
    # "Almost none": fewer than one in five of them.
    if not needed or found * 5 >= len(needed):
        return
    missing = sorted(path for path, present in needed.items() if not present)
    where = "the current directory" if tree_label in ("", ".") else tree_label
    have = "none" if not found else f"only {found}"
    raise InputError(
        where,
        f"{have} of the {len(needed)} files the series changes {'is' if not found else 'are'} "
        f"here ({missing[0]} is not, for one): this does not look like the tree the series "
        "applies to; name that tree with --tree DIR",
    )


def _text_lines(data: bytes, span: tuple[int, int]) -> str:
    lines = data.decode("utf-8", "surrogateescape").splitlines()
    return "\n".join(lines[span[0] - 1 : span[1]])


def _source_changes(application: PatchApplication, rules: RuleSet, rule: Rule) -> Iterator[Finding]:
    """One note per edited file whose documentation text some rule quotes."""
    ref = _patch_ref(application.patch)
    for result in application.files:
        touched = [
            r for r in rules
            if KINDS[r.kind].scope is Scope.FILE
            and {result.path, result.old_path}.intersection(r.source.files)
        ]
        if not touched or not (result.added_lines or result.removed_lines):
            continue
        affected: list[tuple[Rule, tuple[int, int] | None, tuple[int, int] | None]] = []
        for candidate in touched:
            before = find_span(candidate.source.text, result.before) if result.before else None
            after = find_span(candidate.source.text, result.after) if result.after else None
            # Text still present after the patch (reflowed, redecorated) is not
            # an edit of what the rule encodes; only appearing or vanishing is.
            if (before is None) != (after is None):
                affected.append((candidate, before, after))
        if not affected:
            continue
        names = ", ".join(f"{r.id}-{r.slug}" for r, _, _ in affected)
        started = [r.id for r, b, a in affected if b is None and a is not None]
        stopped = [r.id for r, b, a in affected if b is not None and a is None]
        parts = []
        if started:
            parts.append(f"now apply: {', '.join(started)}")
        if stopped:
            parts.append(f"no longer apply: {', '.join(stopped)}")
        effect = f" ({'; '.join(parts)})" if parts else ""
        # Rules that quote the same text share one step: six rules anchored
        # on one sentence show it once, not six times.
        grouped: dict[tuple[str, tuple[int, int] | None, tuple[int, int] | None], list[str]] = {}
        for candidate, before, after in affected:
            grouped.setdefault((candidate.source.text, before, after), []).append(candidate.id)
        trace: list[TraceStep] = []
        for (_, before, after), ids in grouped.items():
            sharing = ", ".join(ids)
            if before is not None and result.before is not None:
                trace.append(TraceStep(result.old_path or result.path, before[0],
                                       f"{sharing} text before the patch:\n"
                                       f"{_text_lines(result.before, before)}"))
            if after is not None and result.after is not None:
                trace.append(TraceStep(result.path, after[0],
                                       f"{sharing} text after the patch:\n"
                                       f"{_text_lines(result.after, after)}"))
        line = next((a[0] for _, _, a in affected if a is not None), 0) or min(
            result.added_lines, default=0)
        message = f"the patch edits documentation that rules encode: {names}{effect}"
        yield _finding(rule, result.path, line, message, ref, tuple(trace))


def _compare(
    before: list[Finding], after: list[Finding], path: str, added: frozenset[int], ref: PatchRef
) -> Iterator[Finding]:
    """Label the after-state findings against the before-state ones (multiset by fingerprint)."""
    remaining = Counter(f.fingerprint(path) for f in before)
    unmatched_added = []
    # Findings on lines the patch did not touch are the same findings as before;
    # consume their fingerprints first so a moved copy is matched correctly.
    for finding in sorted(after):
        key = finding.fingerprint()
        if finding.line not in added and remaining[key] > 0:
            remaining[key] -= 1
        else:
            unmatched_added.append(finding)
    for finding in unmatched_added:
        key = finding.fingerprint()
        if remaining[key] > 0:
            remaining[key] -= 1
            if finding.line in added:
                yield _with(finding, ref, Status.PREEXISTING)
        else:
            yield _with(finding, ref, Status.NEW)
    for finding in sorted(before):
        key = finding.fingerprint(path)
        if remaining[key] > 0:
            remaining[key] -= 1
            yield _with(finding, ref, Status.FIXED)


@dataclass(frozen=True)
class _Step:
    """One applied patch, and what analysing its files needs."""

    application: PatchApplication
    ref: PatchRef
    before_statuses: dict[str, RuleStatus]
    statuses: dict[str, RuleStatus]
    options: Options
    limits: ScanLimits


# What analysing one file gives: labelled findings, notes about the file
# (parse issues, or why it was skipped) and whether it was analysed at all.
Analysed = tuple[list[Finding], list[FileIssue], bool]


def _budgeted(path: str, sizes: tuple[bytes | None, ...], limits: ScanLimits,
              analyse: Callable[[], tuple[list[Finding], list[FileIssue]]]) -> Analysed:
    """``analyse()`` within the per-file budget scan uses; over it, no findings and why.

    The size limit is judged on the larger of the file's states in the patch.
    """
    size = max(len(data) for data in sizes if data is not None)
    if size > limits.max_file_size:
        return [], [FileIssue(path, over_limit(size, limits.max_file_size))], False
    try:
        with time_limit(limits.seconds_per_file):
            findings, issues = analyse()
    except FileTimeout:
        return [], [FileIssue(path, timed_out(limits.seconds_per_file))], False
    except RecursionError:
        return [], [FileIssue(path, "too deeply nested to analyse")], False
    return findings, issues, True


def _touched_file(
    step: _Step, rules: _StateRules, result: FileResult
) -> tuple[list[Finding], list[FileIssue]]:
    """A file the patch changed, analysed before and after it; the after-state's parse issues."""
    application, ref, options = step.application, step.ref, step.options
    after: list[Finding] = []
    before: list[Finding] = []
    issues: list[FileIssue] = []
    state = old_state = None
    if result.after is not None:
        state = FileState(result.path, result.after, options)
        after = list(file_findings(rules(result.after), step.statuses, state, ref, None,
                                   application.after.read, read_before=application.before.read))
    if result.before is not None:
        old_state = FileState(result.old_path or result.path, result.before, options)
        before = list(file_findings(rules(result.before), step.before_statuses, old_state, ref,
                                    None, application.before.read))
    compared = list(_compare(before, after, result.path, result.added_lines, ref))
    if state is not None and old_state is not None:
        # What the patch removed that a rule depends on (engine/removals.py).
        removed = removal_findings(rules(result.before or b""), step.statuses, old_state, state,
                                   result, ref)
        compared = with_removals(compared, removed, result.added_lines)
    if state is not None and state.parsed:
        issues = [FileIssue(result.path, i.message) for i in state.ir.issues]
    return compared, issues


def _partner_file(
    step: _Step, partner: str, rules: list[Rule], before_data: bytes, after_data: bytes
) -> tuple[list[Finding], list[FileIssue]]:
    application, ref, options = step.application, step.ref, step.options
    after = list(file_findings(rules, step.statuses, FileState(partner, after_data, options), ref,
                               None, application.after.read, read_before=application.before.read))
    before = list(file_findings(rules, step.before_statuses,
                                FileState(partner, before_data, options), ref, None,
                                application.before.read))
    return list(_compare(before, after, partner, frozenset(), ref)), []


def _partner_findings(step: _Step, rules: RuleSet) -> tuple[list[Finding], list[FileIssue]]:
    """Findings that change in files the patch leaves alone, because a partner file changed.

    A header's comment goes stale when its .c file stops using a name the
    comment mentions: kinds that know such partnerships name the files, and
    those are analysed before and after the patch like touched files.
    """
    application = step.application
    touched = {r.path for r in application.files} | {
        r.old_path for r in application.files if r.old_path
    }
    wanted: dict[str, list[Rule]] = {}
    for rule in rules:
        kind = KINDS[rule.kind]
        if not isinstance(kind, PartnerKind) or not step.statuses[rule.id].applies:
            continue
        for result in application.files:
            if not is_c(result.path) or not (result.added_lines or result.removed_lines):
                continue
            for partner in kind.partners(result.path, application.after.read):
                if partner not in touched and is_c(partner):
                    wanted.setdefault(partner, []).append(rule)
    findings: list[Finding] = []
    issues: list[FileIssue] = []
    for partner, partner_rules in sorted(wanted.items()):
        after_data = application.after.read(partner)
        before_data = application.before.read(partner)
        if after_data is None or before_data is None:
            continue
        chosen = list(dict.fromkeys(partner_rules))
        found, notes, _ = _budgeted(
            partner, (before_data, after_data), step.limits,
            partial(_partner_file, step, partner, chosen, before_data, after_data),
        )  # fmt: skip
        findings.extend(found)
        issues.extend(notes)
    return findings, issues


def _with(finding: Finding, ref: PatchRef, status: Status) -> Finding:
    from dataclasses import replace

    return replace(finding, patch=ref, status=status)


class _StateRules:
    """The file rules worth running on one file state: the scan's token prefilter, used per state.

    Tokens are judged on one tree state, and before and after a patch are
    analysed apart, so a rule whose tokens a state lacks reports nothing
    there. Kinds that compare the two states (a name's last use removed)
    always run; their own text gate decides.
    """

    def __init__(self, rules: RuleSet) -> None:
        self.rules = [r for r in rules if KINDS[r.kind].scope is Scope.FILE]
        self.filter = build_filter(
            [r for r in self.rules if not judges_across_patch(KINDS[r.kind])]
        )

    def __call__(self, data: bytes) -> list[Rule]:
        chosen = set(self.filter.select(data))
        return [
            r for r in self.rules if r.id in chosen or judges_across_patch(KINDS[r.kind])
        ]


def check_series(
    series: Series, base: BaseTree, rules: RuleSet, options: Options, *,
    limits: ScanLimits = DEFAULT_LIMITS,
) -> RunReport:
    """Apply the series patch by patch and report what each patch introduces, moves or fixes.

    Each touched file is analysed within ``limits``, as scan analyses a file:
    a larger or slower one is listed as skipped instead.
    """
    # One patch at a time: each application (the file contents of a patch) is let go once
    # analysed and summarised, so a series of thousands of patches holds one tree state.
    # The touched files' summaries are kept in the parse cache: the next check of
    # this series (another version, one patch at a time) meets the same contents.
    options = replace(options, keep_summaries=True)
    if not series.lone:
        check_tree_fits(series, base, options.tree_label or str(base.root))
    summaries: list[PatchSummary] = []
    state_rules = _StateRules(rules)
    applicability = Applicability(options.all_rules)
    findings: list[Finding] = list(_series_findings(series, rules))
    issues: list[FileIssue] = []
    apply_rule = next((r for r in rules if r.kind == PATCH_APPLY_KIND), None)
    source_rule = next((r for r in rules if r.kind == RULE_SOURCE_KIND), None)
    analysed = 0
    statuses: dict[str, RuleStatus] = {}
    for application in iter_applications(base, series):
        summaries.append(summarise_patch(application.patch, application))
        if apply_rule is not None:
            findings.extend(_apply_findings(application, apply_rule, series.lone))
        if source_rule is not None:
            findings.extend(_source_changes(application, rules, source_rule))
        before_statuses = applicability.statuses(rules, application.before.read)
        statuses = applicability.statuses(rules, application.after.read)
        step = _Step(application, _patch_ref(application.patch), before_statuses, statuses,
                     options, limits)
        for result in application.files:
            if not is_c(result.path) or not (result.added_lines or result.removed_lines):
                continue
            found, notes, done = _budgeted(
                result.path, (result.before, result.after), limits,
                partial(_touched_file, step, state_rules, result),
            )  # fmt: skip
            analysed += done and result.after is not None
            findings.extend(found)
            issues.extend(notes)
        partner, partner_notes = _partner_findings(step, rules)
        findings.extend(partner)
        issues.extend(partner_notes)
    if not summaries:
        statuses = applicability.statuses(rules, base.read)
    return RunReport(
        tool="patchaudit",
        version=__version__,
        mode="check",
        tree=options.tree_label or str(base.root),
        source=series.source,
        findings=tuple(sorted(findings)),
        rules=rule_infos(rules, statuses),
        patches=tuple(summaries),
        cover=summarise_patch(series.cover, None) if series.cover is not None else None,
        file_issues=tuple(dict.fromkeys(issues)),
        files_analysed=analysed,
    )
