"""Kind ``must-hold``: an operation (list removal, call, field write) requires a lock class held."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from patchaudit.analyses import FunctionLocks, lock_analysis
from patchaudit.analyses.callgraph import call_graph
from patchaudit.analyses.explain import class_holding, lock_trace, missing_text
from patchaudit.analyses.lists import entry_var, list_of, memberships
from patchaudit.analyses.state import Holding, LockState
from patchaudit.analyses.tables import tables
from patchaudit.analyses.types import struct_name
from patchaudit.cfront.ir import FileIR, Pos
from patchaudit.errors import InputError
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import Guarded, Hit, Scope, param_str, reject_unknown
from patchaudit.ruleset.kinds.lock_params import lock_class, optional_strs
from patchaudit.ruleset.model import Rule


class Operation(Enum):
    LIST_REMOVE = "list-remove"  # target: the list head class, struct.member
    CALL = "call"  # target: the function
    FIELD_WRITE = "field-write"  # target: struct.member


@dataclass(frozen=True)
class MustHoldParams:
    lock: str
    operation: Operation
    target: str
    # field-write: calls that write the target field of their first argument
    # (set_page_private(page, v) writes page->private), besides plain stores.
    writers: tuple[str, ...] = ()
    # The file must name one of these for the rule to look at it: a field
    # as common as page->private is the balloon's only in balloon code.
    files_using: tuple[str, ...] = ()
    # list-remove: calls that do the removal for their caller (the balloon
    # library's dequeue); in check, one replaces a removal a patch drops.
    done_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Op:
    pos: Pos
    state: LockState
    what: str  # the operation, for the message
    why: tuple[TraceStep, ...] = ()  # how we know it is the target (list membership)
    text: str = ""  # the call as written


class MustHoldKind:
    name = "must-hold"
    scope = Scope.FILE
    # Its tokens are names it compares whole (ident.name == token): scan wants them whole too.
    whole_identifiers = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> MustHoldParams:
        reject_unknown(
            raw, {"lock", "operation", "target", "writers", "files_using", "done_by"}, where
        )
        try:
            operation = Operation(param_str(raw, "operation", where))
        except ValueError:
            choices = ", ".join(op.value for op in Operation)
            raise InputError(where, f"field 'params.operation': must be one of {choices}") from None
        target = param_str(raw, "target", where)
        if operation is not Operation.CALL and "." not in target:
            raise InputError(where, "field 'params.target': must be struct.member")
        writers = optional_strs(raw, "writers", where)
        if writers and operation is not Operation.FIELD_WRITE:
            raise InputError(where, "field 'params.writers': only for operation field-write")
        done_by = optional_strs(raw, "done_by", where)
        if done_by and operation is not Operation.LIST_REMOVE:
            raise InputError(where, "field 'params.done_by': only for operation list-remove")
        return MustHoldParams(
            lock_class(raw, "lock", where), operation, target, writers,
            optional_strs(raw, "files_using", where), done_by,
        )

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # The same names as the cheap filter in check(), as bytes a file must hold.
        return _filter_names(rule.params)

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        params: MustHoldParams = rule.params
        # Cheap filter: the file must name the target's struct or function.
        names = set(_filter_names(params))
        if not any(ident.name in names for ident in ir.identifiers):
            return
        for fl in lock_analysis(ir).functions:
            if not fl.trusted_for_absence:
                continue
            for op in _operations(fl, params, ir.path):
                holding, locks = class_holding(op.state, params.lock)
                if holding not in (Holding.NOT_HELD, Holding.PARTIAL):
                    continue
                trace = list(op.why) + lock_trace(ir.path, op.state, locks, fl.function.pos.line)
                if not locks:
                    trace.append(TraceStep(ir.path, fl.function.pos.line,
                                           f"{params.lock} is not taken on any path to here"))
                trace.append(TraceStep(ir.path, op.pos.line, f"{op.what} here"))
                yield Hit(
                    op.pos.line,
                    op.pos.column,
                    f"{op.what}, but {params.lock} {missing_text(holding)}",
                    tuple(sorted(set(trace))),
                )


    # ------------------------------------------------------------ removals
    # Only list removals matter: dropping a call that needs the lock breaks
    # nothing, but dropping the removal leaves the page on the list.

    def guarded(self, rule: Rule, ir: FileIR) -> Iterator[Guarded]:
        params: MustHoldParams = rule.params
        if params.operation is not Operation.LIST_REMOVE:
            return
        names = set(_filter_names(params))
        if not any(ident.name in names for ident in ir.identifiers):
            return
        for fl in lock_analysis(ir).functions:
            for op in _removals(fl, params, ir.path):
                yield Guarded(fl.function.name, _removal_key(params), op.pos.line,
                              op.pos.column, " ".join(op.text.split()))

    def equivalents(self, rule: Rule, ir: FileIR) -> Iterator[Guarded]:
        """Any list removal, a library call that does one, or a helper of the file that does."""
        params: MustHoldParams = rule.params
        if params.operation is not Operation.LIST_REMOVE:
            return
        ops = tables().lists
        removing = set(ops.remove_entry) | set(ops.remove_all) | set(params.done_by)
        graph = call_graph(ir)
        doing = graph.reaching(lambda call: call.callee in removing)
        for function, calls in graph.calls.items():
            for call in calls:
                if call.callee in removing or (call.callee in doing and call.callee != function):
                    yield Guarded(function, _removal_key(params), call.pos.line, call.pos.column,
                                  " ".join(call.text.split()))

    def removal_hit(self, rule: Rule, removed: Guarded, line: int, ir: FileIR) -> Hit | None:
        params: MustHoldParams = rule.params
        trace = (TraceStep(ir.path, line, f"{removed.text} took the page off {params.target} "
                                          f"here, in {removed.function}()"),)
        return Hit(
            line,
            0,
            f"the patch removes {removed.text} from {removed.function}() and nothing there "
            f"replaces it: the page stays on {params.target}, which must lose it under "
            f"{params.lock}",
            trace,
            removed.function,
        )


def _removal_key(params: MustHoldParams) -> str:
    return f"list-remove {params.target}"


def _filter_names(params: MustHoldParams) -> tuple[str, ...]:
    """The target's struct or function, and for list removals the owner lookups (balloon_page_device).

    A rule limited to the files that name something (``files_using``) needs those names instead.
    """
    if params.files_using:
        return params.files_using
    word = params.target.split(".")[0]
    owners = sorted(tables().lists.owners) if params.operation is Operation.LIST_REMOVE else []
    return (word, *owners)


def _operations(fl: FunctionLocks, params: MustHoldParams, path: str) -> Iterator[_Op]:
    if params.operation is Operation.CALL:
        for site in fl.flow.calls:
            if site.call.callee == params.target:
                yield _Op(site.call.pos, site.state, f"calling {params.target}()")
    elif params.operation is Operation.FIELD_WRITE:
        struct, member = params.target.split(".", 1)
        for target, state in fl.flow.writes:
            if target.member == member and struct_name(fl.env.of(target.base)) == struct:
                yield _Op(target.pos, state, f"writing {params.target}")
        for site in fl.flow.calls:
            call = site.call
            # Only a first argument of known type is judged: precision first.
            if call.callee in params.writers and call.args and struct_name(
                    fl.env.of(call.args[0])) == struct:
                yield _Op(call.pos, site.state, f"{call.callee}() writes {params.target}")
    else:
        yield from _removals(fl, params, path)


def _removals(fl: FunctionLocks, params: MustHoldParams, path: str) -> Iterator[_Op]:
    ops = tables().lists
    entries = None
    for site in fl.flow.calls:
        call = site.call
        if call.callee in ops.remove_all:
            index = ops.remove_all[call.callee]
            if index < len(call.args) and fl.resolver.object_class(call.args[index]) == params.target:
                yield _Op(call.pos, site.state, f"{call.callee}() empties {params.target}",
                          text=call.text)
            continue
        index = ops.remove_entry.get(call.callee, -1)
        if not 0 <= index < len(call.args):
            continue
        found = entry_var(call.args[index])
        if found is None:
            continue
        if entries is None:
            entries = memberships(fl.function, fl.resolver)
        member = list_of(entries, found[0], call.pos.line)
        if member is None or member.list_class != params.target:
            continue
        why = (TraceStep(path, member.line, member.reason),)
        yield _Op(call.pos, site.state, f"{call.callee}() takes '{found[0]}' off {params.target}", why,
                  call.text)
