"""Kind ``field-claim``: a comment says a struct field is written only through Z, with values of type T."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.analyses.docs import FieldClaim, claim_violations
from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.ruleset.kinds.base import Hit, Scope, param_str, param_str_list, reject_unknown
from patchaudit.ruleset.model import Rule


@dataclass(frozen=True)
class FieldClaimParams:
    claim: FieldClaim
    files_using: tuple[str, ...]  # the claim governs files whose code uses one of these names


def _value_args(raw: Mapping[str, Any], where: str) -> tuple[tuple[str, int], ...]:
    table = raw.get("value_args", {})
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0
        for k, v in table.items()
    ):
        raise InputError(
            where, "field 'params.value_args': must map writer names to argument numbers (1-based)"
        )
    return tuple(sorted(table.items()))


def _optional_list(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    return param_str_list(raw, key, where) if key in raw else ()


class FieldClaimKind:
    name = "field-claim"
    scope = Scope.FILE
    # Its tokens are names it compares whole (ident.name == token): scan wants them whole too.
    whole_identifiers = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> FieldClaimParams:
        known = {
            "struct", "field", "writers", "value_args", "value_types", "allow_null",
            "other_writers", "files_using",
        }  # fmt: skip
        reject_unknown(raw, known, where)
        allow_null = raw.get("allow_null", True)
        if not isinstance(allow_null, bool):
            raise InputError(where, "field 'params.allow_null': must be true or false")
        writers = param_str_list(raw, "writers", where)
        value_args = _value_args(raw, where)
        stray = [name for name, _ in value_args if name not in writers]
        if stray:
            raise InputError(where, f"field 'params.value_args': '{stray[0]}' is not a writer")
        value_types = _optional_list(raw, "value_types", where)
        if value_args and not value_types:
            raise InputError(where, "field 'params.value_types': needed with value_args")
        claim = FieldClaim(
            struct_name=param_str(raw, "struct", where),
            field=param_str(raw, "field", where),
            writers=writers,
            value_args=value_args,
            value_types=value_types,
            allow_null=allow_null,
            other_writers=_optional_list(raw, "other_writers", where),
        )
        return FieldClaimParams(claim, param_str_list(raw, "files_using", where))

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # The claim governs only files whose code uses one of these names.
        params: FieldClaimParams = rule.params
        return params.files_using

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        params: FieldClaimParams = rule.params
        wanted = frozenset(params.files_using)
        if not any(ident.name in wanted for ident in ir.identifiers):
            return
        for violation in claim_violations(ir, params.claim):
            yield Hit(violation.line, violation.column, violation.message)
