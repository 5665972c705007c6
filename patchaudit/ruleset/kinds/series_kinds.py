"""Kinds the engine emits about the series itself: series problems and hunks that do not apply."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.ruleset.kinds.base import Hit, Scope, param_str, reject_unknown
from patchaudit.ruleset.model import Rule
from patchaudit.series.model import ProblemKind


@dataclass(frozen=True)
class SeriesProblemParams:
    problem: ProblemKind


class SeriesProblemKind:
    """Reported by the engine from ``Series.problems``; one rule per ProblemKind."""

    name = "series-problem"
    scope = Scope.SERIES

    def parse_params(self, raw: Mapping[str, Any], where: str) -> SeriesProblemParams:
        reject_unknown(raw, {"problem"}, where)
        text = param_str(raw, "problem", where)
        try:
            return SeriesProblemParams(ProblemKind(text))
        except ValueError:
            known = ", ".join(kind.value for kind in ProblemKind)
            raise InputError(where, f"field 'params.problem': must be one of {known}") from None

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        return ()  # about the series, never found in a file

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        return iter(())


@dataclass(frozen=True)
class NoParams:
    """The parameters of a kind that takes none."""


class _EngineKind:
    """A series kind the engine emits itself: no parameters, nothing found in files."""

    name = ""
    scope = Scope.SERIES

    def parse_params(self, raw: Mapping[str, Any], where: str) -> NoParams:
        reject_unknown(raw, set(), where)
        return NoParams()

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        return ()  # about the series, never found in a file

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        return iter(())


class PatchApplyKind(_EngineKind):
    """Reported by the engine for each hunk that does not apply to the tree."""

    name = "patch-apply"


class RuleSourceKind(_EngineKind):
    """Reported by the engine when a patch edits documentation text that rules encode."""

    name = "rule-source"
