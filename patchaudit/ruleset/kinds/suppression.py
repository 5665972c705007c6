"""Kind ``suppression``: an inline ``patchaudit: ignore`` comment that gives no reason."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.cfront.ir import FileIR
from patchaudit.ruleset.kinds.base import Hit, Scope, reject_unknown
from patchaudit.ruleset.model import Rule
from patchaudit.ruleset.suppress import suppressions


@dataclass(frozen=True)
class SuppressionParams:
    pass


class SuppressionKind:
    name = "suppression"
    scope = Scope.FILE
    # About patchaudit's own comments, not about what the tree documents.
    tree_independent = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> SuppressionParams:
        reject_unknown(raw, set(), where)
        return SuppressionParams()

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # The marker every suppression comment starts with.
        return ("patchaudit:",)

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        for found in suppressions(ir):
            if not found.reason:
                yield Hit(
                    found.line,
                    found.column,
                    f"suppression of {', '.join(found.refs)} gives no reason "
                    "(write: patchaudit: ignore RULE -- why it is fine here)",
                )
