"""Kind ``doc-stale-reference``: an interface comment names what the code it governs no longer has."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from patchaudit.analyses.docs import (
    StaleReference,
    governed_files,
    lost_references,
    stale_references,
    vocabulary,
)
from patchaudit.analyses.docs.flagnames import FlagNames, aliases_in_macros
from patchaudit.analyses.docs.gate import may_lose_reference, may_name_stale
from patchaudit.analyses.docs.stretches import NEEDLES
from patchaudit.cfront import parse_c
from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import (
    CheckContext,
    Hit,
    Parser,
    Reader,
    Scope,
    reject_unknown,
)
from patchaudit.ruleset.kinds.bytescan import comment_pattern, comments_contain
from patchaudit.ruleset.model import Rule

# Mentions the analysis judges on one tree state hold one of these (the gate's own needles).
_NEEDLES = tuple(needle.encode() for needle in NEEDLES)


def _governed(
    ir: FileIR, read: Reader | None, parse: Parser, path: str | None = None
) -> list[FileIR]:
    """The IR of ``ir``'s file (or of ``path`` as ``read`` has it) and of the files it governs."""
    if read is None:
        return [ir]
    own = path or ir.path
    irs = [ir] if path is None else []
    for name in governed_files(own, read)[1 if path is None else 0 :]:
        try:
            data = read(name)
        except InputError:
            continue  # an unreadable partner is not in view; the comment is judged without it
        if data is not None:
            irs.append(parse(data, name))
    return irs


def _references(ir: FileIR, context: CheckContext) -> list[StaleReference]:
    parse: Parser = context.parse or (lambda data, path: parse_c(data, path))
    governed = _governed(ir, context.read, parse)
    after = vocabulary(governed)
    # Flag aliases from the tree's page-flags.h and the governed code's own #defines.
    names = FlagNames(context.read, aliases_in_macros(m for code in governed for m in code.macros))
    found = stale_references(ir, after, names)
    if context.read_before is not None:
        # What the patch removed: mentions whose last use in the governed
        # code went away, whatever kind of name they are.
        before_irs = _governed(ir, context.read_before, parse, ir.path)
        if before_irs:
            named = {(ref.comment_line, ref.name) for ref in found}
            lost = lost_references(ir, vocabulary(before_irs), after, names)
            found.extend(ref for ref in lost if (ref.comment_line, ref.name) not in named)
    return found


class DocStaleKind:
    name = "doc-stale-reference"
    scope = Scope.FILE
    across_patch = True  # a patch that removes a name's last use makes its mention stale

    def parse_params(self, raw: Mapping[str, Any], where: str) -> None:
        reject_unknown(raw, set(), where)

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # On one tree state only page-flag mentions (PagePrivate, SetPageLRU,
        # PG_private) and var->member mentions are judged (analyses/docs/stale.py).
        # Across a patch (check) any mention can be: check does not prefilter.
        return tuple(needle.decode() for needle in _NEEDLES)

    def may_match(self, rule: Rule, data: bytes) -> bool:
        # Mentions come from interface comments only ("->" in code, in nearly
        # every file, does not count). A one-line "//" comment is neither a
        # doc block nor a header's top comment: it counts only as a struct
        # member's comment (the generated AMD register headers, 7 MB of
        # "//" lines and #defines, need no parse).
        members = b"struct" in data or b"union" in data
        return comments_contain(data, _NEEDLES, line_comments=members)

    def grep_pattern(self, rule: Rule) -> bytes:
        return comment_pattern(_NEEDLES)

    def may_report(
        self, rule: Rule, path: str, data: bytes, read: Reader | None, read_before: Reader | None
    ) -> bool:
        if may_name_stale(path, data, read):
            return True
        return read is not None and read_before is not None and may_lose_reference(
            path, data, read, read_before
        )

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        return self.check_in(rule, ir, CheckContext())

    def partners(self, path: str, read: Reader) -> tuple[str, ...]:
        """A header's comments go stale when its .c file changes, and the other way round."""
        return governed_files(path, read)[1:]

    def check_in(self, rule: Rule, ir: FileIR, context: CheckContext) -> Iterator[Hit]:
        for ref in _references(ir, context):
            trace = tuple(
                TraceStep(ir.path, line, f"'{ref.name}' is mentioned here too")
                for line in ref.other_lines
            )
            yield Hit(ref.line, ref.column, ref.message, trace)
