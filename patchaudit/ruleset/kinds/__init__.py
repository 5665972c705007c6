"""The table of rule kinds: the ``kind`` field of a rule file names one of these."""

from __future__ import annotations

from patchaudit.ruleset.kinds.base import Hit, RuleKind, Scope
from patchaudit.ruleset.kinds.caller_contract import CallerContractKind
from patchaudit.ruleset.kinds.companion_call import CompanionCallKind
from patchaudit.ruleset.kinds.contract import (
    ContractChangedKind,
    ContractLockOrderKind,
    MemberUnprotectedKind,
    MustHoldContractKind,
    MustNotHoldContractKind,
    SleepInAtomicKind,
)
from patchaudit.ruleset.kinds.doc_stale import DocStaleKind
from patchaudit.ruleset.kinds.field_claim import FieldClaimKind
from patchaudit.ruleset.kinds.kernel_doc import KernelDocKind
from patchaudit.ruleset.kinds.lock_order import LockOrderKind
from patchaudit.ruleset.kinds.must_hold import MustHoldKind
from patchaudit.ruleset.kinds.paired_state import PairedStateKind
from patchaudit.ruleset.kinds.removed_api import RemovedApiKind
from patchaudit.ruleset.kinds.series_kinds import (
    PatchApplyKind,
    RuleSourceKind,
    SeriesProblemKind,
)
from patchaudit.ruleset.kinds.suppression import SuppressionKind

KINDS: dict[str, RuleKind] = {
    kind.name: kind for kind in (
        RemovedApiKind(),
        SeriesProblemKind(),
        PatchApplyKind(),
        RuleSourceKind(),
        MustHoldKind(),
        LockOrderKind(),
        CallerContractKind(),
        PairedStateKind(),
        CompanionCallKind(),
        KernelDocKind(),
        DocStaleKind(),
        FieldClaimKind(),
        SuppressionKind(),
        MustHoldContractKind(),
        MustNotHoldContractKind(),
        SleepInAtomicKind(),
        MemberUnprotectedKind(),
        ContractLockOrderKind(),
        ContractChangedKind(),
    )
}

__all__ = ["KINDS", "Hit", "RuleKind", "Scope"]
