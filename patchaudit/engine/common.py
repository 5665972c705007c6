"""What check and scan share: options, rule applicability, and running file rules on one file."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from patchaudit.cfront import parse_c
from patchaudit.cfront.cache import ParseCache
from patchaudit.cfront.ir import FileIR
from patchaudit.model import Finding, PatchRef, RuleInfo
from patchaudit.ruleset import Rule, RuleSet
from patchaudit.ruleset.anchor import RuleStatus, assumed, locate_all
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.ruleset.kinds.base import CheckContext, may_report, run_lazily
from patchaudit.ruleset.suppress import SUPPRESSION_MARK, Suppression, suppressions

C_SUFFIXES = (".c", ".h")
PATCH_APPLY_KIND = "patch-apply"
SERIES_PROBLEM_KIND = "series-problem"

Reader = Callable[[str], "bytes | None"]


@dataclass(frozen=True)
class Options:
    all_rules: bool = False  # apply rules even where their documentation text is absent
    cache: ParseCache | None = None
    tree_label: str = ""  # how reports name the tree (as the user gave it); default its path
    index: str | None = None  # the tree index the contract kinds read (patchaudit index)
    # Keep the contract kinds' file summaries in ``cache`` (check: the same
    # files come back with every version of a series; scan has its result cache).
    keep_summaries: bool = False


@dataclass(frozen=True)
class Applicability:
    """Which rules apply in a tree state: where each rule's text is found (anchor.py)."""

    all_rules: bool

    def statuses(self, rules: Iterable[Rule], read: Reader) -> dict[str, RuleStatus]:
        """The status of every rule in one tree state; each file that quotes rule text read once."""
        found: dict[str, RuleStatus] = {}
        located: list[Rule] = []
        for rule in rules:
            kind = KINDS[rule.kind]
            if self.all_rules:
                found[rule.id] = assumed(rule)
            elif kind.scope is Scope.SERIES or getattr(kind, "tree_independent", False):
                # These rules are about the mail or patchaudit's own markers,
                # not the code: they do not depend on what the tree documents.
                found[rule.id] = RuleStatus(rule.id, True, "applies to every tree", rule.source.file)
            else:
                located.append(rule)
        found.update(locate_all(located, read))
        return found


def is_c(path: str) -> bool:
    return path.endswith(C_SUFFIXES)


class FileState:
    """One file as one tree state has it: its path and bytes, parsed only when a rule needs the IR.

    Text kinds (kernel-doc) read the bytes alone; a file no other rule runs
    on is never parsed.
    """

    def __init__(self, path: str, data: bytes, options: Options | None = None,
                 ir: FileIR | None = None) -> None:
        self.path = path
        self.data = data
        self.options = options or Options()
        self._ir = ir
        self._lines: list[bytes] | None = None

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based), stripped; "" past the end."""
        if self._lines is None:
            self._lines = self.data.split(b"\n")
        if 1 <= line <= len(self._lines):
            return self._lines[line - 1].decode("utf-8", "surrogateescape").strip()
        return ""

    @property
    def parsed(self) -> bool:
        return self._ir is not None

    @property
    def ir(self) -> FileIR:
        if self._ir is None:
            self._ir = parse(self.data, self.path, self.options)
        return self._ir

    def suppressions(self) -> tuple[Suppression, ...]:
        # A suppression is a comment holding the marker: without it in the
        # bytes there is none, and no parse is needed to know.
        if SUPPRESSION_MARK not in self.data:
            return ()
        return suppressions(self.ir)


def file_findings(
    rules: Iterable[Rule],
    statuses: dict[str, RuleStatus],
    state: FileState,
    patch: PatchRef | None,
    wanted_lines: frozenset[int] | None,
    read: Reader | None = None,
    read_before: Reader | None = None,
) -> Iterator[Finding]:
    """Findings of the file-scope rules in one file (see _file_findings).

    A finding of a general kind (``yields_to_specific``: the contract rules)
    gives way to a finding of another rule on the same line: the rule written
    for that API already reports the line, with its own text.
    """
    found = list(_file_findings(rules, statuses, state, patch, wanted_lines, read, read_before))
    general = {rule.id for rule in rules if getattr(KINDS[rule.kind], "yields_to_specific", False)}
    if not general:
        return iter(found)
    specific = {f.line for f in found if f.rule_id not in general}
    return iter([f for f in found if f.rule_id not in general or f.line not in specific])


def _file_findings(
    rules: Iterable[Rule],
    statuses: dict[str, RuleStatus],
    state: FileState,
    patch: PatchRef | None,
    wanted_lines: frozenset[int] | None,
    read: Reader | None = None,
    read_before: Reader | None = None,
) -> Iterator[Finding]:
    """Findings of the file-scope rules in one file; ``wanted_lines`` limits them to a patch's lines.

    ``read`` is the tree state the file belongs to: kinds that judge a file
    against others (doc-stale-reference) read them through it. In check mode,
    the after-state run also gets ``read_before``, the tree before the patch.
    """
    options = state.options
    data = state.data
    # Kinds that use more than the IR get the file's bytes and the tree.
    context = CheckContext(data, read, lambda d, p: parse(d, p, options), read_before,
                           options.index, options.cache if options.keep_summaries else None)
    muted: tuple[Suppression, ...] | None = None
    for rule in rules:
        kind = KINDS[rule.kind]
        if kind.scope is not Scope.FILE or not statuses[rule.id].applies:
            continue
        if not may_report(kind, rule, state.path, data, read, read_before):
            continue  # its text gate: nothing to report, no parse needed for it
        refs = (rule.id, rule.slug, rule.name)
        for hit in run_lazily(kind, rule, state.path, lambda: state.ir, context):
            if wanted_lines is not None and hit.line not in wanted_lines:
                continue
            if hit.function is not None:
                function = hit.function
            else:
                found = state.ir.function_at(hit.line)
                function = found.name if found is not None else ""
            if muted is None:
                muted = state.suppressions()
            reason = next((s.reason for s in muted if s.covers(refs, hit.line)), None)
            yield Finding(
                rule_id=rule.id,
                severity=rule.severity,
                confidence=rule.confidence,
                file=state.path,
                line=hit.line,
                column=hit.column,
                message=hit.message,
                patch=patch,
                trace=hit.trace,
                source=hit.source or rule.source.quote(statuses[rule.id].line,
                                                       statuses[rule.id].file),
                code=state.line_text(hit.line),
                function=function,
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
                source=rule.source.quote(status.line, status.file),
                applies=status.applies,
                applicability=status.reason,
            )
        )
    return tuple(infos)


def parse(data: bytes, path: str, options: Options) -> FileIR:
    return parse_c(data, path, cache=options.cache)
