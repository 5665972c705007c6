"""``scan``: every finding in whole files of a tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from patchaudit import __version__
from patchaudit.engine.common import (
    C_SUFFIXES,
    Applicability,
    Options,
    file_findings,
    parse,
    rule_infos,
)
from patchaudit.errors import InputError
from patchaudit.model import FileIssue, Finding, RunReport
from patchaudit.ruleset import RuleSet
from patchaudit.ruleset.anchor import RuleStatus
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.tree.base import BaseTree


def scan_files(
    base: BaseTree, files: Iterable[str], rules: RuleSet, options: Options
) -> tuple[list[Finding], list[FileIssue], int, dict[str, RuleStatus]]:
    applicability = Applicability(options.all_rules)
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
        ir = parse(data, path, options)
        analysed += 1
        issues.extend(FileIssue(path, issue.message) for issue in ir.issues)
        findings.extend(file_findings(file_rules, statuses, ir, data, None, None, base.read, options))
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
        rules=rule_infos(rules, statuses),
        file_issues=tuple(issues),
        files_analysed=analysed,
    )
