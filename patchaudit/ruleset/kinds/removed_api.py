"""Kind ``removed-api``: code that uses a name the kernel removed, with its replacement."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.cfront.ir import FileIR
from patchaudit.ruleset.kinds.base import Hit, Scope, param_str, param_str_list, reject_unknown
from patchaudit.ruleset.model import Rule


@dataclass(frozen=True)
class RemovedApiParams:
    names: tuple[str, ...]  # the removed identifiers
    replacement: str  # what to use instead
    removed_in: str  # kernel version that removed them


class RemovedApiKind:
    name = "removed-api"
    scope = Scope.FILE
    # Its tokens are names it compares whole (ident.name == token): scan wants them whole too.
    whole_identifiers = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> RemovedApiParams:
        reject_unknown(raw, {"names", "replacement", "removed_in"}, where)
        return RemovedApiParams(
            names=param_str_list(raw, "names", where),
            replacement=param_str(raw, "replacement", where),
            removed_in=param_str(raw, "removed_in", where),
        )

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # Only identifiers equal to a removed name are reported.
        params: RemovedApiParams = rule.params
        return params.names

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        params: RemovedApiParams = rule.params
        wanted = frozenset(params.names)
        # Identifiers come from code only (the IR excludes comments and string
        # literals), so prose that mentions the old name is never reported.
        for ident in ir.identifiers:
            if ident.name in wanted:
                yield Hit(
                    ident.line,
                    ident.column,
                    f"'{ident.name}' was removed in Linux {params.removed_in}; "
                    f"use '{params.replacement}'",
                )
