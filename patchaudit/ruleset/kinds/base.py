"""The contract every rule kind implements, and the helpers kinds share for parameters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.model import TraceStep
from patchaudit.ruleset.model import Rule


class Scope(Enum):
    FILE = "file"  # runs over the IR of one C file
    SERIES = "series"  # emitted by the engine about the series itself (no C involved)


@dataclass(frozen=True)
class Hit:
    """What a kind reports; the engine turns it into a Finding with rule and patch data."""

    line: int
    column: int
    message: str
    trace: tuple[TraceStep, ...] = ()


class RuleKind(Protocol):
    name: str
    scope: Scope

    def parse_params(self, raw: Mapping[str, Any], where: str) -> Any:
        """Validate the ``[params]`` table; raise InputError naming ``where`` and the field."""
        ...

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        """Report every match in one file (FILE scope kinds only)."""
        ...


def param_str(raw: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise InputError(where, f"field 'params.{key}': must be a non-empty string")
    return value


def param_str_list(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise InputError(where, f"field 'params.{key}': must be a non-empty list of strings")
    return tuple(value)


def reject_unknown(raw: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(where, f"field 'params.{unknown[0]}': unknown parameter")
