"""Run the rules: over each patch of a series applied to a tree (check), or over whole files (scan)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from patchaudit import __version__
from patchaudit.cfront import parse_c
from patchaudit.cfront.cache import ParseCache
from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.model import (
    DiffFile,
    DiffHunk,
    DiffLine,
    FileIssue,
    Finding,
    PatchRef,
    PatchSummary,
    RuleInfo,
    RunReport,
)
from patchaudit.ruleset import Rule, RuleSet
from patchaudit.ruleset.anchor import RuleStatus, assumed, locate_in
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.series.model import Patch, Series
from patchaudit.tree.apply import FileResult, PatchApplication, apply_series
from patchaudit.tree.base import BaseTree

C_SUFFIXES = (".c", ".h")
PATCH_APPLY_KIND = "patch-apply"
SERIES_PROBLEM_KIND = "series-problem"

Reader = Callable[[str], "bytes | None"]


@dataclass(frozen=True)
class Options:
    all_rules: bool = False  # apply rules even where their documentation text is absent
    cache: ParseCache | None = None
    tree_label: str = ""  # how reports name the tree (as the user gave it); default its path


@dataclass
class _Applicability:
    """Memoised rule applicability, keyed by the content of the file holding the rule text."""

    all_rules: bool
    memo: dict[tuple[str, str], RuleStatus] = field(default_factory=dict)

    def status(self, rule: Rule, read: Reader) -> RuleStatus:
        if self.all_rules:
            return assumed(rule)
        if KINDS[rule.kind].scope is Scope.SERIES:
            # These rules are about the mail, not the code: they do not
            # depend on what the tree documents.
            return RuleStatus(rule.id, True, "applies to every series", rule.source.file)
        try:
            data = read(rule.source.file)
        except InputError as exc:
            return RuleStatus(rule.id, False, exc.problem, rule.source.file)
        if data is None:
            return RuleStatus(
                rule.id, False, f"{rule.source.file} is not in the tree", rule.source.file
            )
        key = (rule.id, hashlib.blake2b(data, digest_size=16).hexdigest())
        if key not in self.memo:
            self.memo[key] = locate_in(rule, data)
        return self.memo[key]


def _is_c(path: str) -> bool:
    return path.endswith(C_SUFFIXES)


def _line_text(data: bytes, line: int) -> str:
    lines = data.split(b"\n")
    if 1 <= line <= len(lines):
        return lines[line - 1].decode("utf-8", "surrogateescape").strip()
    return ""


def _file_findings(
    rules: Sequence[Rule],
    statuses: dict[str, RuleStatus],
    ir: FileIR,
    data: bytes,
    patch: PatchRef | None,
    wanted_lines: frozenset[int] | None,
) -> Iterator[Finding]:
    """Findings of the file-scope rules in one file; ``wanted_lines`` limits them to a patch's lines."""
    for rule in rules:
        if KINDS[rule.kind].scope is not Scope.FILE or not statuses[rule.id].applies:
            continue
        for hit in KINDS[rule.kind].check(rule, ir):
            if wanted_lines is not None and hit.line not in wanted_lines:
                continue
            function = ir.function_at(hit.line)
            yield Finding(
                rule_id=rule.id,
                severity=rule.severity,
                confidence=rule.confidence,
                file=ir.path,
                line=hit.line,
                column=hit.column,
                message=hit.message,
                patch=patch,
                trace=hit.trace,
                source=rule.source.quote(statuses[rule.id].line),
                code=_line_text(data, hit.line),
                function=function.name if function is not None else "",
            )


def _rule_infos(rules: RuleSet, statuses: dict[str, RuleStatus]) -> tuple[RuleInfo, ...]:
    infos = []
    for rule in rules:
        status = statuses[rule.id]
        infos.append(
            RuleInfo(
                id=rule.id,
                slug=rule.slug,
                title=rule.title,
                kind=rule.kind,
                severity=rule.severity,
                confidence=rule.confidence,
                summary=rule.summary,
                why=rule.why,
                false_positives=rule.false_positives,
                source=rule.source.quote(status.line),
                applies=status.applies,
                applicability=status.reason,
            )
        )
    return tuple(infos)


def _parse(data: bytes, path: str, options: Options) -> FileIR:
    return parse_c(data, path, cache=options.cache)


# ------------------------------------------------------------------ check


def _patch_ref(patch: Patch) -> PatchRef:
    return PatchRef(patch.index, patch.subject.title)


def _diff_file(result: FileResult, patch: Patch) -> DiffFile:
    diff = next((d for d in patch.files if d.path == result.path), None)
    hunks: list[DiffHunk] = []
    if diff is not None:
        for number, hunk in enumerate(diff.hunks):
            outcome = result.hunks[number] if number < len(result.hunks) else None
            offset = outcome.offset if outcome is not None else 0
            old_line, new_line = hunk.old_start, hunk.new_start + offset
            lines = []
            for line in hunk.lines:
                kind = line.kind.value
                lines.append(
                    DiffLine(
                        kind,
                        line.text,
                        old_line if kind != "+" else None,
                        new_line if kind != "-" else None,
                    )
                )
                if kind != "+":
                    old_line += 1
                if kind != "-":
                    new_line += 1
            hunks.append(
                DiffHunk(
                    hunk.header,
                    tuple(lines),
                    outcome.applied if outcome is not None else False,
                    offset,
                    outcome.reason if outcome is not None else "",
                )
            )
    return DiffFile(
        result.path,
        result.old_path,
        result.change.value,
        diff.binary if diff is not None else False,
        tuple(hunks),
    )


def summarise_patch(patch: Patch, application: PatchApplication | None) -> PatchSummary:
    files: tuple[DiffFile, ...] = ()
    if application is not None:
        files = tuple(_diff_file(result, patch) for result in application.files)
    return PatchSummary(
        index=patch.index,
        subject=patch.subject.title,
        raw_subject=patch.subject.raw,
        author=patch.author,
        date=patch.date,
        message_id=patch.message_id,
        in_reply_to=patch.in_reply_to,
        references=patch.references,
        body=patch.body,
        trailers=tuple((t.key, t.value) for t in patch.trailers),
        base_commit=patch.base_commit,
        applies=application.applies if application is not None else True,
        files=files,
        version=patch.subject.version,
        total=patch.subject.total,
    )


def _series_findings(series: Series, rules: RuleSet) -> Iterator[Finding]:
    by_problem = {
        rule.params.problem: rule for rule in rules if rule.kind == SERIES_PROBLEM_KIND
    }
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


def _apply_findings(application: PatchApplication, rule: Rule) -> Iterator[Finding]:
    ref = _patch_ref(application.patch)
    for result in application.files:
        for hunk in result.hunks:
            if hunk.applied:
                continue
            line = 0
            diff = next((d for d in application.patch.files if d.path == result.path), None)
            # HunkResult.index counts from 1, as patch(1) numbers hunks.
            if diff is not None and 0 < hunk.index <= len(diff.hunks):
                line = diff.hunks[hunk.index - 1].old_start
            yield Finding(
                rule_id=rule.id,
                severity=rule.severity,
                confidence=rule.confidence,
                file=result.path,
                line=line,
                column=0,
                message=(
                    f"hunk #{hunk.index} ({hunk.header}) of patch {application.index} "
                    f"does not apply: {hunk.reason}"
                ),
                patch=ref,
                source=rule.source.quote(),
            )
        if not result.hunks and not result.applied:
            yield Finding(
                rule_id=rule.id,
                severity=rule.severity,
                confidence=rule.confidence,
                file=result.path,
                line=0,
                column=0,
                message=f"patch {application.index} does not apply to {result.path}: {result.reason}",
                patch=ref,
                source=rule.source.quote(),
            )


def check_series(series: Series, base: BaseTree, rules: RuleSet, options: Options) -> RunReport:
    """Apply the series patch by patch and report what each patch adds."""
    applications = apply_series(base, series)
    applicability = _Applicability(options.all_rules)
    findings: list[Finding] = list(_series_findings(series, rules))
    issues: list[FileIssue] = []
    apply_rule = next((rule for rule in rules if rule.kind == PATCH_APPLY_KIND), None)
    analysed = 0
    statuses: dict[str, RuleStatus] = {}
    for application in applications:
        if apply_rule is not None:
            findings.extend(_apply_findings(application, apply_rule))
        read = application.after.read
        statuses = {rule.id: applicability.status(rule, read) for rule in rules}
        ref = _patch_ref(application.patch)
        for result in application.files:
            if result.after is None or not _is_c(result.path) or not result.added_lines:
                continue
            ir = _parse(result.after, result.path, options)
            analysed += 1
            issues.extend(FileIssue(result.path, issue.message) for issue in ir.issues)
            findings.extend(
                _file_findings(rules, statuses, ir, result.after, ref, result.added_lines)
            )
    if not applications:
        statuses = {rule.id: applicability.status(rule, base.read) for rule in rules}
    return RunReport(
        tool="patchaudit",
        version=__version__,
        mode="check",
        tree=options.tree_label or str(base.root),
        source=series.source,
        findings=tuple(sorted(findings)),
        rules=_rule_infos(rules, statuses),
        patches=tuple(summarise_patch(app.patch, app) for app in applications),
        cover=summarise_patch(series.cover, None) if series.cover is not None else None,
        file_issues=tuple(issues),
        files_analysed=analysed,
    )


# ------------------------------------------------------------------ scan


def scan_files(
    base: BaseTree, files: Iterable[str], rules: RuleSet, options: Options
) -> tuple[list[Finding], list[FileIssue], int, dict[str, RuleStatus]]:
    applicability = _Applicability(options.all_rules)
    statuses = {rule.id: applicability.status(rule, base.read) for rule in rules}
    file_rules = [rule for rule in rules if KINDS[rule.kind].scope is Scope.FILE]
    findings: list[Finding] = []
    issues: list[FileIssue] = []
    analysed = 0
    for path in files:
        # One bad file never stops the scan: it is listed and the scan goes on.
        try:
            data = base.read(path)
        except InputError as exc:
            issues.append(FileIssue(path, exc.problem))
            continue
        if data is None:
            issues.append(FileIssue(path, "no such file"))
            continue
        ir = _parse(data, path, options)
        analysed += 1
        issues.extend(FileIssue(path, issue.message) for issue in ir.issues)
        findings.extend(_file_findings(file_rules, statuses, ir, data, None, None))
    return findings, issues, analysed, statuses


def scan_tree(base: BaseTree, paths: Sequence[str], rules: RuleSet, options: Options) -> RunReport:
    """Report every match in the C files under ``paths`` (the whole tree when empty)."""
    files = list(base.iter_files(paths, C_SUFFIXES))
    findings, issues, analysed, statuses = scan_files(base, files, rules, options)
    return RunReport(
        tool="patchaudit",
        version=__version__,
        mode="scan",
        tree=options.tree_label or str(base.root),
        source=" ".join(paths) if paths else ".",
        findings=tuple(sorted(findings)),
        rules=_rule_infos(rules, statuses),
        file_issues=tuple(issues),
        files_analysed=analysed,
    )
