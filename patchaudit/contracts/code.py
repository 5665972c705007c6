"""Miner of contracts stated in code: lock assertions, annotations, might_sleep(), protected accessors."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from patchaudit.analyses import FileLocks, FunctionLocks
from patchaudit.analyses.lockclass import parse_annotation, parse_lock_text
from patchaudit.analyses.state import PAGE_CLASS, EventKind, LockRef
from patchaudit.analyses.tables import Action, LockObject, tables
from patchaudit.analyses.types import stmt_exprs, straight_line, sub_exprs
from patchaudit.cfront.ir import Binary, Call, Cast, Expr, Name, Unary
from patchaudit.contracts.model import Context, Contract, ContractKind, Origin
from patchaudit.contracts.unit import Unit
from patchaudit.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "code.toml"

_ANNOTATION_KINDS = {
    "__must_hold": ContractKind.MUST_HOLD,
    "__must_hold_shared": ContractKind.MUST_HOLD,
    "__must_not_hold": ContractKind.MUST_NOT_HOLD,
    "__acquires": ContractKind.ACQUIRES,
    "__acquires_shared": ContractKind.ACQUIRES,
    "__releases": ContractKind.RELEASES,
    "__releases_shared": ContractKind.RELEASES,
}
# __cond_acquires(x): held on some returns only; catalogued as conditional.
_CONDITIONAL_ANNOTATIONS = {"__cond_acquires": ContractKind.ACQUIRES,
                            "__cond_acquires_shared": ContractKind.ACQUIRES,
                            "__cond_releases": ContractKind.RELEASES}


@dataclass(frozen=True)
class CodeTable:
    warn_on_true: frozenset[str]
    assert_true: frozenset[str]
    not_held: frozenset[str]
    may_sleep: frozenset[str]
    may_sleep_if: frozenset[str]
    protected: dict[str, tuple[int, bool]]  # accessor -> (condition argument, either RCU)
    named_protected: dict[str, str]  # accessor -> the class it names


@lru_cache(maxsize=1)
def code_table() -> CodeTable:
    where = str(DATA)
    try:
        raw = tomllib.loads(DATA.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(where, f"unreadable code table: {exc}") from None

    def names(key: str) -> frozenset[str]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(where, f"field '{key}': must be a list of strings")
        return frozenset(value)

    protected: dict[str, tuple[int, bool]] = {}
    for entry in raw.get("protected", []):
        for name in entry.get("names", []):
            protected[name] = (int(entry["cond_arg"]), bool(entry.get("either_rcu", False)))
    named = {name: str(entry["class"]) for entry in raw.get("named_protected", [])
             for name in entry.get("names", [])}
    return CodeTable(names("warn_on_true"), names("assert_true"), names("not_held"),
                     names("may_sleep"), names("may_sleep_if"), protected, named)


@dataclass(frozen=True)
class _Stated:
    """One lock a condition states: held (True) or not held (False), and whether it is a choice."""

    held: bool
    test: Call
    lock: LockRef
    either: bool


def _strip(expr: Expr) -> Expr:
    while isinstance(expr, Cast):
        expr = expr.operand
    return expr


class _Reader:
    def __init__(self, unit: Unit, fl: FunctionLocks) -> None:
        self.unit = unit
        self.fl = fl
        self.data = tables()
        self.table = code_table()
        self.sites = {id(site.call): site for site in fl.flow.calls}

    def tested(self, expr: Expr, truth: bool, either: bool) -> list[_Stated]:
        """The locks ``expr`` states when it must be ``truth`` (True: lockdep_assert(expr))."""
        expr = _strip(expr)
        if isinstance(expr, Unary) and expr.op == "!":
            return self.tested(expr.operand, not truth, either)
        if isinstance(expr, Binary) and expr.op in ("&&", "||"):
            # Must be true: a && b states both, a || b a choice; must be false: the reverse.
            both = (expr.op == "&&") == truth
            return (self.tested(expr.left, truth, either or not both)
                    + self.tested(expr.right, truth, either or not both))
        if isinstance(expr, Call):
            prim = self.data.primitives.get(expr.callee)
            if prim is not None and prim.action is Action.TEST:
                lock = self.lock_of(expr)
                if lock is not None:
                    return [_Stated(truth, expr, lock, either)]
        return []

    def lock_of(self, call: Call) -> LockRef | None:
        prim = self.data.primitives[call.callee]
        if prim.object is LockObject.CONTEXT:
            return LockRef(prim.context.lstrip("~"))
        if prim.arg >= len(call.args):
            return None
        return self.fl.resolver.lock(prim.object, call.args[prim.arg])

    def entry_state(self, call: Call, lock: LockRef) -> bool:
        """Whether ``lock`` is untouched by the function before ``call``: a statement about entry."""
        site = self.sites.get(id(call))
        if site is None:
            return False  # not reached by the analysis (dead code)
        entry = self.fl.entry.facts
        # Events of the entry state (a callback context, the callers of a
        # static helper) are about entry too.
        return all(e.kind in (EventKind.INITIAL, EventKind.ENTRY) or (lock, e) in entry
                   for e in site.state.events(lock))

    def statements(self, call: Call) -> Iterator[tuple[ContractKind, Call, LockRef, bool, Origin]]:
        """(kind, the call that names the lock, lock, conditional, origin) for one call."""
        table = self.table
        callee = call.callee
        prim = self.data.primitives.get(callee)
        if prim is not None and prim.action is Action.ASSERT:
            lock = self.lock_of(call)
            if lock is not None:
                yield ContractKind.MUST_HOLD, call, lock, False, Origin.ASSERT
            return
        if callee in table.not_held and call.args:
            lock = self.fl.resolver.lock(LockObject.ARG, call.args[0])
            yield ContractKind.MUST_NOT_HOLD, call, lock, False, Origin.ASSERT
            return
        condition: list[_Stated] = []
        if callee in table.warn_on_true and call.args:
            condition = self.tested(call.args[0], False, False)
        elif callee in table.assert_true and call.args:
            condition = self.tested(call.args[0], True, False)
        elif callee in table.protected:
            index, either = table.protected[callee]
            if index < len(call.args):
                condition = self.tested(call.args[index], True, either)
        elif callee in table.named_protected:
            yield (ContractKind.MUST_HOLD, call, LockRef(table.named_protected[callee]), False,
                   Origin.ASSERT)
            return
        for stated in condition:
            kind = ContractKind.MUST_HOLD if stated.held else ContractKind.MUST_NOT_HOLD
            yield kind, stated.test, stated.lock, stated.either, Origin.ASSERT


def _top_level_calls(fl: FunctionLocks) -> set[int]:
    """Calls evaluated by the body's straight line (not inside an if, loop or switch body,
    nor after a label that only a goto reaches)."""
    found: set[int] = set()
    for stmt in straight_line(fl.function):
        for expr in stmt_exprs(stmt):
            for sub in sub_exprs(expr):
                if isinstance(sub, Call):
                    found.add(id(sub))
    return found


def _page_arg(fl: FunctionLocks, lock: LockRef) -> int | None:
    params = [p.name for p in fl.function.params]
    return params.index(lock.inst) if lock.inst in params else None


def _contract(unit: Unit, fl: FunctionLocks, kind: ContractKind, origin: Origin, call_line: int,
              lock: LockRef, lock_text: str, conditional: bool) -> Contract:
    fn = fl.function
    text = unit.line(call_line).strip()
    arg = None
    cls = lock.cls
    unresolved = ""
    if cls == PAGE_CLASS:
        arg = _page_arg(fl, lock)
        if arg is None:
            # A page that is not a parameter: a statement about a local, not the callers.
            unresolved = f"the page '{lock.inst}' is not a parameter of {fn.name}()"
            cls = ""
    return Contract(kind=kind, origin=origin, subject=fn.name, file=unit.path, line=call_line,
                    text=text, lock_text=lock_text, lock=cls, arg=arg, conditional=conditional,
                    unresolved=unresolved, function_line=fn.pos.line)


def _annotations(unit: Unit, fl: FunctionLocks) -> Iterator[Contract]:
    fn = fl.function
    for annotation in fn.annotations:
        parsed = parse_annotation(annotation)
        if parsed is None:
            name, _, rest = annotation.partition("(")
            parsed = (name.strip(), rest.rstrip(")")) if rest else None
        if parsed is None:
            continue
        name, argument = parsed
        kind = _ANNOTATION_KINDS.get(name) or _CONDITIONAL_ANNOTATIONS.get(name)
        if kind is None:
            continue
        expr = parse_lock_text(argument, fn.pos)
        cls = fl.resolver.lock(LockObject.ARG, expr).cls if expr is not None else ""
        if expr is not None and isinstance(_strip(expr), Name) and cls == argument.strip():
            # __acquires(RCU), __releases(rcu): a word, not a variable of the tree.
            cls = ""
        line = _annotation_line(unit, fn.start_line, fn.body.pos.line, name)
        yield Contract(kind=kind, origin=Origin.ANNOTATION, subject=fn.name, file=unit.path,
                       line=line, text=annotation, lock_text=argument.strip(), lock=cls,
                       conditional=name in _CONDITIONAL_ANNOTATIONS, function_line=fn.pos.line)


def _annotation_line(unit: Unit, first: int, last: int, name: str) -> int:
    for number in range(first, last + 1):
        if name in unit.line(number):
            return number
    return first


def mine_code(unit: Unit, locks: FileLocks) -> Iterator[Contract]:
    """Contracts the code of each function states about its callers."""
    table = code_table()
    for fl in locks.functions:
        fn = fl.function
        yield from _annotations(unit, fl)
        reader = _Reader(unit, fl)
        top = _top_level_calls(fl)
        seen: set[tuple[str, str, int]] = set()
        for site in fl.flow.calls:
            call = site.call
            if call.callee in table.may_sleep or call.callee in table.may_sleep_if:
                conditional = call.callee in table.may_sleep_if or id(call) not in top
                yield Contract(kind=ContractKind.CONTEXT, origin=Origin.MIGHT_SLEEP,
                               subject=fn.name, file=unit.path, line=call.pos.line,
                               text=unit.line(call.pos.line).strip(), context=Context.MAY_SLEEP,
                               conditional=conditional, function_line=fn.pos.line)
                continue
            for kind, named, lock, either, origin in reader.statements(call):
                if not reader.entry_state(named, lock):
                    continue  # the function took or dropped it itself first: not about callers
                key = (kind.value, lock.cls + lock.inst, call.pos.line)
                if key in seen:
                    continue
                seen.add(key)
                lock_text = named.args[0].text if named.args else named.callee
                if lock.cls.startswith("@") or lock.cls == "rtnl_mutex":
                    lock_text = named.callee + "()"
                conditional = either or id(call) not in top
                yield _contract(unit, fl, kind, origin, call.pos.line, lock, lock_text,
                                conditional)
