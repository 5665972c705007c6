"""What check and scan share: options, rule applicability, and running file rules on one file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from patchaudit.cfront import parse_c
from patchaudit.cfront.cache import ParseCache
from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.model import Finding, PatchRef, RuleInfo
from patchaudit.ruleset import Rule, RuleSet
from patchaudit.ruleset.anchor import RuleStatus, assumed, locate_in
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.ruleset.kinds.base import CheckContext, run_check
from patchaudit.ruleset.suppress import suppressions

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
class Applicability:
    """Memoised rule applicability, keyed by the content of the file holding the rule text."""

    all_rules: bool
    memo: dict[tuple[str, str], RuleStatus] = field(default_factory=dict)

    def status(self, rule: Rule, read: Reader) -> RuleStatus:
        if self.all_rules:
            return assumed(rule)
        kind = KINDS[rule.kind]
        if kind.scope is Scope.SERIES or getattr(kind, "tree_independent", False):
            # These rules are about the mail or patchaudit's own markers, not
            # the code: they do not depend on what the tree documents.
            return RuleStatus(rule.id, True, "applies to every tree", rule.source.file)
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


def is_c(path: str) -> bool:
    return path.endswith(C_SUFFIXES)


def line_text(data: bytes, line: int) -> str:
    lines = data.split(b"\n")
    if 1 <= line <= len(lines):
        return lines[line - 1].decode("utf-8", "surrogateescape").strip()
    return ""


def file_findings(
    rules: Iterable[Rule],
    statuses: dict[str, RuleStatus],
    ir: FileIR,
    data: bytes,
    patch: PatchRef | None,
    wanted_lines: frozenset[int] | None,
    read: Reader | None = None,
    options: Options | None = None,
    read_before: Reader | None = None,
) -> Iterator[Finding]:
    """Findings of the file-scope rules in one file; ``wanted_lines`` limits them to a patch's lines.

    ``read`` is the tree state the file belongs to: kinds that judge a file
    against others (doc-stale-reference) read them through it. In check mode,
    the after-state run also gets ``read_before``, the tree before the patch.
    """
    # Kinds that use more than the IR get the file's bytes and the tree.
    context = CheckContext(
        data,
        read,
        (lambda d, p: parse(d, p, options)) if options is not None else None,
        read_before,
    )
    muted = suppressions(ir)
    for rule in rules:
        if KINDS[rule.kind].scope is not Scope.FILE or not statuses[rule.id].applies:
            continue
        refs = (rule.id, rule.slug, rule.name)
        for hit in run_check(KINDS[rule.kind], rule, ir, context):
            if wanted_lines is not None and hit.line not in wanted_lines:
                continue
            function = ir.function_at(hit.line)
            reason = next((s.reason for s in muted if s.covers(refs, hit.line)), None)
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
                code=line_text(data, hit.line),
                function=function.name if function is not None else "",
                suppressed=reason,
            )


def rule_infos(rules: RuleSet, statuses: dict[str, RuleStatus]) -> tuple[RuleInfo, ...]:
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


def parse(data: bytes, path: str, options: Options) -> FileIR:
    return parse_c(data, path, cache=options.cache)
