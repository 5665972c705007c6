"""Kind ``doc-stale-reference``: an interface comment names what the code it governs no longer has."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from patchaudit.analyses.docs import governed_files, stale_references, vocabulary
from patchaudit.cfront import parse_c
from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import CheckContext, Hit, Scope, reject_unknown
from patchaudit.ruleset.model import Rule


def _governed(ir: FileIR, context: CheckContext) -> list[FileIR]:
    """``ir`` and the files it governs or that govern it; just ``ir`` without a tree."""
    irs = [ir]
    read = context.read
    if read is None:
        return irs
    parse = context.parse or (lambda data, path: parse_c(data, path))
    for path in governed_files(ir.path, read)[1:]:
        try:
            data = read(path)
        except InputError:
            continue  # an unreadable partner is not in view; the comment is judged without it
        if data is not None:
            irs.append(parse(data, path))
    return irs


class DocStaleKind:
    name = "doc-stale-reference"
    scope = Scope.FILE

    def parse_params(self, raw: Mapping[str, Any], where: str) -> None:
        reject_unknown(raw, set(), where)

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        return self.check_in(rule, ir, CheckContext())

    def check_in(self, rule: Rule, ir: FileIR, context: CheckContext) -> Iterator[Hit]:
        for ref in stale_references(ir, vocabulary(_governed(ir, context))):
            trace = tuple(
                TraceStep(ir.path, line, f"'{ref.name}' is mentioned here too")
                for line in ref.other_lines
            )
            yield Hit(ref.line, ref.column, ref.message, trace)
