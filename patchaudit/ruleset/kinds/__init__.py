"""The table of rule kinds: the ``kind`` field of a rule file names one of these."""

from __future__ import annotations

from patchaudit.ruleset.kinds.base import Hit, RuleKind, Scope
from patchaudit.ruleset.kinds.removed_api import RemovedApiKind
from patchaudit.ruleset.kinds.series_kinds import (
    PatchApplyKind,
    RuleSourceKind,
    SeriesProblemKind,
)

KINDS: dict[str, RuleKind] = {
    kind.name: kind for kind in (
        RemovedApiKind(),
        SeriesProblemKind(),
        PatchApplyKind(),
        RuleSourceKind(),
    )
}

__all__ = ["KINDS", "Hit", "RuleKind", "Scope"]
