"""Kinds ``contract-*``: code judged against the contracts the tree states (interproc/judge.py).

One kind per check; each reports the judge's violations in the file it runs
on and quotes the contract it breaks as the finding's source. The contracts
come from the tree index when the run has one (``patchaudit index``),
with the checked file's own summary laid over it; without an index (check
only: scan runs these kinds only with one), from the checked file alone
(its static helpers' assertions and comments, its structs' member
comments, its own lock-order text).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from patchaudit.cfront.ir import FileIR
from patchaudit.contracts.model import Verdict
from patchaudit.interproc.session import judge_file
from patchaudit.model import SourceQuote
from patchaudit.ruleset.kinds.base import CheckContext, Hit, Reader, Scope, reject_unknown
from patchaudit.ruleset.model import Rule


# Words without one of which a file has nothing to judge: no lock is taken,
# asserted or named in it, and no context (RCU, interrupts, preemption,
# bottom halves, interrupt handlers, timers) is entered or stated.
_CONTEXT_WORDS = (b"lock", b"rcu", b"irq", b"preempt", b"_bh", b"timer", b"tasklet", b"sleep",
                  b"atomic", b"Context:", b"held", b"protect", b"guard")


class _ContractKind:
    scope = Scope.FILE
    check_name = ""
    # The contracts are the tree's own text: the rule applies wherever that text is.
    tree_independent = True
    # scan runs it only with a tree index (engine/scan.py); check always does.
    scan_needs_index = True
    # A hand-written rule reporting the same line says it better (engine/common.py).
    yields_to_specific = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> None:
        reject_unknown(raw, set(), where)

    def may_report(self, rule: Rule, path: str, data: bytes, read: Reader | None,
                   read_before: Reader | None) -> bool:
        # Every judgement needs a lock or a context in the file: a lock taken, held
        # on entry by a stated contract, or named by a lock-aware helper's name.
        return any(word in data for word in _CONTEXT_WORDS)

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        return iter(())  # needs the file's text: run through check_in

    def check_in(self, rule: Rule, ir: FileIR, context: CheckContext) -> Iterator[Hit]:
        if context.data is None:
            return
        for judgement in judge_file(ir.path, context.data, ir, context.index, context.cache):
            if judgement.check != self.check_name or judgement.verdict is not Verdict.VIOLATED:
                continue
            contract = judgement.contract
            source = None
            if contract is not None:
                source = SourceQuote(contract.file, contract.subject, contract.text,
                                     f"{contract.origin.value} of the analysed tree", contract.line)
            yield Hit(judgement.line, judgement.column, judgement.message, judgement.trace,
                      judgement.function, source)


class MustHoldContractKind(_ContractKind):
    name = "contract-must-hold"
    check_name = "must-hold"


class MustNotHoldContractKind(_ContractKind):
    name = "contract-must-not-hold"
    check_name = "must-not-hold"


class SleepInAtomicKind(_ContractKind):
    name = "contract-sleep-in-atomic"
    check_name = "sleep-in-atomic"


class MemberUnprotectedKind(_ContractKind):
    name = "contract-member-unprotected"
    check_name = "member-unprotected"


class ContractLockOrderKind(_ContractKind):
    name = "contract-lock-order"
    check_name = "lock-order"


class ContractChangedKind(_ContractKind):
    """A patch adds a contract that callers elsewhere in the tree already break (check only)."""

    name = "contract-changed"
    check_name = "changed"
    # It compares a file before and after the patch: run it whatever the tokens say.
    across_patch = True
    # Only check has a "before": its fixtures are check cases (tests/rules/PA4006/check/).
    check_only = True

    def check_in(self, rule: Rule, ir: FileIR, context: CheckContext) -> Iterator[Hit]:
        from patchaudit.interproc.changes import Stale, added_contracts, describe

        if context.data is None or context.read_before is None or context.parse is None:
            return  # scan, or no tree: there is no "before" to compare with
        before = context.read_before(ir.path)
        if before is None:
            return  # a new file: nothing in the tree calls it yet
        before_ir = context.parse(before, ir.path)
        for change in added_contracts(ir.path, before, before_ir, context.data, ir,
                                      context.index, context.cache):
            contract = change.contract
            if isinstance(change, Stale):
                yield Hit(contract.line, 1, change.message, change.trace, contract.subject,
                          SourceQuote(contract.file, contract.subject, contract.text,
                                      f"{contract.origin.value} the patch leaves as it was",
                                      contract.line))
                continue
            message, trace = describe(change)
            added = ("acquisition added by the patch" if change.take is not None
                     else f"{contract.origin.value} added by the patch")
            yield Hit(contract.line, 1, message, trace, contract.subject,
                      SourceQuote(contract.file, contract.subject, contract.text, added,
                                  contract.line))
