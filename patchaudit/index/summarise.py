"""Summarise one file for the tree index: lock flow per function, contracts, structs and roots."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from patchaudit.analyses import FileLocks, FunctionLocks, analyse_file
from patchaudit.analyses.analyse import function_summary
from patchaudit.analyses.flow import FALSE_LITERALS, Summary
from patchaudit.analyses.state import (
    PAGE_CLASS,
    UNKNOWN_CLASS,
    Event,
    EventKind,
    LockRef,
    LockState,
)
from patchaudit.analyses.tables import tables
from patchaudit.analyses.types import (
    function_exprs,
    stmt_exprs,
    straight_line,
    struct_name,
    sub_exprs,
    walk_stmts,
)
from patchaudit.cfront.ir import (
    Assign,
    Binary,
    Block,
    Call,
    Cast,
    Decl,
    Expr,
    ExprStmt,
    Field,
    FileIR,
    If,
    Index,
    InitList,
    Name,
    Return,
    Stmt,
    Unary,
)
from patchaudit.contracts.mine import mine_file
from patchaudit.contracts.phrases import lock_names
from patchaudit.index.summary import (
    HELD,
    HELD_OR_ENTRY,
    MIXED,
    NOT_HELD,
    NOT_HELD_OR_ENTRY,
    PARTIAL,
    UNKNOWN,
    CallFact,
    Codes,
    Effect,
    FileSummary,
    FunctionSummary,
    LockVar,
    StructFacts,
    TakeFact,
    WriteFact,
)

# Bump when what a summary holds for the same file and wrappers changes.
SUMMARY_VERSION = "3"

_EXPORT_RE = re.compile(rb"\bEXPORT_(?:SYMBOL|SYMBOL_GPL|SYMBOL_NS|SYMBOL_NS_GPL)\s*\(\s*(\w+)")
_MACRO_PATH_RE = re.compile(r"^\s*[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)+\s*$")
_INIT_SECTION_RE = re.compile(r"\b__(?:init|meminit|net_init|devinit|cpuinit)\b")
# Calls whose result is a new object nobody else sees yet.
_FRESH_RE = re.compile(r"(?:^|_)(?:[kv]?[mz]?alloc\w*|kmemdup|kstrdup|create|new|dup|"
                       r"kmem_cache_z?alloc\w*)$")
_TEXT_LIMIT = 160


def _code(events: list[object]) -> str:
    """The code of one class from its last events on the paths reaching a point (summary.py)."""
    kinds = [e.kind for e in events]  # type: ignore[attr-defined]
    if EventKind.UNKNOWN in kinds:
        return UNKNOWN
    initial = EventKind.INITIAL in kinds
    holds = [k.holds for k in kinds if k is not EventKind.INITIAL]
    if not initial:
        if all(holds):
            return HELD
        return NOT_HELD if not any(holds) else PARTIAL
    if not holds:
        return UNKNOWN  # only INITIAL: cannot happen for a class in the state
    if all(holds):
        return HELD_OR_ENTRY
    return NOT_HELD_OR_ENTRY if not any(holds) else MIXED


def codes(state: LockState, skip: str = "") -> Codes:
    """The coded state of every named class (page locks and unnamed locks apart)."""
    found: dict[str, str] = {}
    for lock in state.locks():
        if lock.cls in (PAGE_CLASS, UNKNOWN_CLASS) or lock.cls == skip:
            continue
        code = _code(state.events(lock))  # type: ignore[arg-type]
        # Two unresolved locks of one class text (?.lock of two objects): the worst wins.
        previous = found.get(lock.cls)
        found[lock.cls] = code if previous is None or previous == code else UNKNOWN
    return tuple(sorted(found.items()))


def _atomic_class(state: LockState) -> str:
    """A class held on every path, by spinning primitives or as a context: the point is atomic.

    A lock is named before a context (spin_lock_irq() holds both): it is what
    a reader looks for in the code.
    """
    found = [lock.cls for lock in state.locks()
             if (events := state.events(lock)) and all(e.kind.holds and e.atomic for e in events)]
    found.sort(key=lambda cls: (cls.startswith("@"), cls))
    return found[0] if found else ""


def _page_codes(fl: FunctionLocks, call: Call, state: LockState) -> tuple[tuple[int, str], ...]:
    pages = [lock for lock in state.locks() if lock.cls == PAGE_CLASS]
    if not pages:
        return ()
    found = []
    for index, arg in enumerate(call.args):
        inst = fl.resolver.page_instance(arg)
        lock = LockRef(PAGE_CLASS, inst)
        if lock in pages:
            found.append((index, _code(state.events(lock))))  # type: ignore[arg-type]
    return tuple(found)


def _arg_classes(fl: FunctionLocks, call: Call) -> tuple[tuple[int, str], ...]:
    found = []
    for index, arg in enumerate(call.args):
        if arg.text.lstrip().startswith("&"):
            cls = fl.resolver.object_class(arg)
            if cls != UNKNOWN_CLASS:
                found.append((index, cls))
    return tuple(found)


def _gfp_sleeps(expr: Expr) -> bool:
    """Whether a gfp argument allows direct reclaim: a sleeping flag, no atomic one, no "~"."""
    sleep = tables().sleep
    names = {e.name for e in sub_exprs(expr) if isinstance(e, Name)}
    return bool(names & sleep.sleeping_gfp) and not names & sleep.atomic_gfp and "~" not in expr.text


def sleep_reason(call: Call) -> str:
    """Why a call may sleep whatever its caller (the sleep table), or ""."""
    sleep = tables().sleep
    reason = sleep.always.get(call.callee)
    if reason is not None:
        return reason
    index = sleep.gfp.get(call.callee)
    if index is not None and index < len(call.args) and _gfp_sleeps(call.args[index]):
        return f"it allocates with {' '.join(call.args[index].text.split())}, which may sleep"
    return ""


def _top_level(fl: FunctionLocks) -> dict[int, tuple[str, ...]]:
    """The calls of the body's straight line, each with the parameters that, when zero,
    make the function return before it (``if (!may_sleep) return;``)."""
    params = {p.name for p in fl.function.params}
    found: dict[int, tuple[str, ...]] = {}
    zero: set[str] = set()
    for stmt in straight_line(fl.function):
        unless = tuple(sorted(zero))
        for expr in stmt_exprs(stmt):
            for sub in sub_exprs(expr):
                if isinstance(sub, Call):
                    found[id(sub)] = unless
        if isinstance(stmt, If) and stmt.other is None and _returns(stmt.then):
            zero |= _zero_exits(stmt.cond, params)
    return found


def _zero_exits(cond: Expr, params: set[str]) -> set[str]:
    """The parameters whose being zero makes ``cond`` true: !p, p == 0, either side of ||."""
    if isinstance(cond, Binary) and cond.op == "||":
        return _zero_exits(cond.left, params) | _zero_exits(cond.right, params)
    if isinstance(cond, Unary) and cond.op == "!" and isinstance(cond.operand, Name):
        return {cond.operand.name} & params
    if isinstance(cond, Binary) and cond.op == "==":
        for name, other in ((cond.left, cond.right), (cond.right, cond.left)):
            if isinstance(name, Name) and other.text.strip() in FALSE_LITERALS:
                return {name.name} & params
    return set()


def _returns(stmt: Stmt) -> bool:
    """Whether ``stmt`` always returns: a return, or a block of plain statements ending in one."""
    if isinstance(stmt, Return):
        return True
    return (isinstance(stmt, Block) and bool(stmt.body) and isinstance(stmt.body[-1], Return)
            and all(isinstance(s, (ExprStmt, Decl)) for s in stmt.body[:-1]))


def _root_name(expr: Expr) -> str | None:
    for _ in range(16):
        if isinstance(expr, (Cast,)):
            expr = expr.operand
        elif isinstance(expr, Unary):
            expr = expr.operand
        elif isinstance(expr, (Field, Index)):
            expr = expr.base
        elif isinstance(expr, Name):
            return expr.name
        else:
            return None
    return None


class _Fresh:
    """Which locals hold an object nobody else sees yet, at a given line.

    On the stack: always. A pointer: where the last assignment above the
    line, in source order, is an allocation (``p = pregion`` further down
    makes p shared from there on; ``p = NULL`` changes nothing).
    """

    def __init__(self, stack: set[str], assigned: dict[str, list[tuple[int, bool]]]) -> None:
        self.stack = stack
        self.assigned = {name: sorted(found) for name, found in assigned.items()}

    def at(self, name: str, line: int) -> bool:
        if name in self.stack:
            return True
        last = None
        for at, allocates in self.assigned.get(name, ()):
            if at > line:
                break
            last = allocates
        return bool(last)


def _fresh_locals(fl: FunctionLocks) -> _Fresh:
    """The function's locals that hold an object nobody else sees yet (see _Fresh)."""
    fn = fl.function
    params = {p.name for p in fn.params}
    assigned: dict[str, list[tuple[int, bool]]] = {}
    stack: set[str] = set()
    for stmt in _decls(fl):
        if stmt.name in params:
            continue
        if struct_name(stmt.type) and not stmt.type.rstrip().endswith(("*", "]")):
            stack.add(stmt.name)
        if stmt.init is not None:
            assigned.setdefault(stmt.name, []).append((stmt.pos.line, _allocates(stmt.init)))
    for expr in function_exprs(fn):
        if isinstance(expr, Assign) and isinstance(expr.target, Name):
            if expr.target.name in params:
                continue
            made = expr.op == "=" and _allocates(expr.value)
            if expr.op == "=" and _is_null(expr.value):
                continue  # clearing a pointer publishes nothing
            assigned.setdefault(expr.target.name, []).append((expr.pos.line, made))
    return _Fresh(stack, assigned)


def _is_null(expr: Expr) -> bool:
    return expr.text.strip() in ("NULL", "0")


def _decls(fl: FunctionLocks) -> Iterator[Decl]:
    for stmt in walk_stmts(fl.function.body):
        if isinstance(stmt, Decl):
            yield stmt


def _allocates(expr: Expr) -> bool:
    while isinstance(expr, Cast):
        expr = expr.operand
    return isinstance(expr, Call) and bool(_FRESH_RE.search(expr.callee))


def _effect(summary: Summary, own: set[str]) -> Effect:
    """What other files see a call of the function do.

    "May take or release" is kept only for the classes the function takes
    itself (``own``: a conditional lock such as a trylock wrapper's).
    Passed on from callee to caller, it would reach every function above an
    internal lock that analysis cannot balance (kfree() would make its
    allocator's locks unknown in every caller), and the tree index would
    never settle; callers never rely on those classes anyway.
    """

    def page(lock: LockRef) -> str:
        return lock.inst if lock.cls == PAGE_CLASS else ""

    def named(lock: LockRef) -> bool:
        return lock.cls != UNKNOWN_CLASS and (lock.cls != PAGE_CLASS or lock.inst in summary.params)

    return Effect(
        acquires=tuple(sorted((e.lock.cls, page(e.lock), e.atomic) for e in summary.acquires
                              if named(e.lock))),
        releases=tuple(sorted((lock.cls, page(lock)) for lock in summary.releases if named(lock))),
        unsure=tuple(sorted((lock.cls, page(lock)) for lock in summary.unsure
                            if named(lock) and lock.cls in own)),
        cond=tuple(sorted((e.lock.cls, page(e.lock), e.atomic, nonzero)
                          for e, nonzero in summary.cond if named(e.lock))),
    )


def effect_summary(params: tuple[str, ...], effect: Effect) -> Summary:
    """An Effect read back into the flow's Summary, for callers in other files."""

    def ref(cls: str, page: str) -> LockRef:
        return LockRef(cls, page)

    return Summary(
        params=params,
        acquires=tuple(Event(0, EventKind.ACQUIRE, ref(c, p), "", atomic)
                       for c, p, atomic in effect.acquires),
        releases=tuple(ref(c, p) for c, p in effect.releases),
        unsure=tuple(ref(c, p) for c, p in effect.unsure),
        cond=tuple((Event(0, EventKind.TRYLOCK, ref(c, p), "", atomic), nonzero)
                   for c, p, atomic, nonzero in effect.cond),
    )


def _roots(ir: FileIR) -> dict[str, set[str]]:
    """How functions of the file are entered when the file registers them: contexts and no-locks."""
    table = tables()
    names = {fn.name for fn in ir.functions}
    roots: dict[str, set[str]] = {}

    def mark(value: Expr, root: str) -> None:
        while isinstance(value, (Cast, Unary)):
            value = value.operand
        if isinstance(value, Name) and value.name in names:
            roots.setdefault(value.name, set()).add(root)

    exprs: list[Expr] = [g.init for g in ir.globals if g.init is not None]
    for fn in ir.functions:
        exprs.extend(function_exprs(fn))
    fields = {f: root.context for root in table.context_roots for f in root.fields}
    field_names = {f.split(".", 1)[1]: f for f in fields}
    for root_expr in exprs:
        for expr in sub_exprs(root_expr):
            if isinstance(expr, Call):
                for root in table.context_roots:
                    index = root.calls.get(expr.callee)
                    if index is not None and index < len(expr.args):
                        mark(expr.args[index], root.context)
                        mark(expr.args[index], "no-locks")
                if expr.callee in table.no_lock_calls:
                    for arg in expr.args:
                        mark(arg, "no-locks")
            elif isinstance(expr, Assign) and isinstance(expr.target, Field):
                member = expr.target.member
                if member in field_names:
                    mark(expr.value, fields[field_names[member]])
                    mark(expr.value, "no-locks")
            elif isinstance(expr, InitList):
                for designator, value in expr.items:
                    key = designator.lstrip(".")
                    if key in table.no_lock_fields:
                        mark(value, "no-locks")
    return roots


def _is_init(fn_start: int, fn_line: int, lines: list[bytes]) -> bool:
    text = b" ".join(lines[fn_start - 1: fn_line]).decode("utf-8", "surrogateescape")
    return bool(_INIT_SECTION_RE.search(text))


def _function(fl: FunctionLocks, summary: Summary, roots: set[str],
              lines: list[bytes]) -> FunctionSummary:
    fn = fl.function
    top = _top_level(fl)
    fresh = _fresh_locals(fl) if fl.flow.writes else _Fresh(set(), {})
    params = {p.name for p in fn.params}
    calls = []
    for site in fl.flow.calls:
        call = site.call
        calls.append(CallFact(
            callee=call.callee,
            line=call.pos.line,
            column=call.pos.column,
            locks=codes(site.state),
            pages=_page_codes(fl, call, site.state),
            arg_classes=_arg_classes(fl, call),
            sleep=sleep_reason(call),
            top=id(call) in top,
            unless=top.get(id(call), ()),
            text=" ".join(call.text.split())[:_TEXT_LIMIT],
            atomic=_atomic_class(site.state),
        ))
    takes = []
    atomic: set[str] = set()
    for acquired in fl.flow.acquires:
        take = acquired.take
        cls = take.lock.cls
        if take.atomic:
            atomic.add(cls)
        takes.append(TakeFact(
            lock=cls if cls != PAGE_CLASS else PAGE_CLASS,
            line=take.line,
            column=acquired.column,
            blocking=take.blocking,
            nested=take.nested,
            atomic=take.atomic,
            held=codes(acquired.state),
            text=" ".join(take.text.split())[:_TEXT_LIMIT],
            via=take.via,
            shared=take.shared,
            first=all(e.kind in (EventKind.INITIAL, EventKind.ENTRY)
                      or not fn.pos.line <= e.line <= fn.end_line  # a caller's, on entry
                      for e in acquired.state.events(take.lock)),
        ))
    writes = []
    # A list head an entry is put on changes as an assignment to it would
    # (list_add(&page->lru, &b->pages) writes balloon_dev_info.pages).
    adds = tables().lists.add_entry
    written = list(fl.flow.writes)
    for site in fl.flow.calls:
        head = adds.get(site.call.callee)
        if head is not None and head < len(site.call.args):
            arg = site.call.args[head]
            if isinstance(arg, Unary) and arg.op == "&" and isinstance(arg.operand, Field):
                written.append((arg.operand, site.state))
    if written and not fl.flow.writes:
        fresh = _fresh_locals(fl)
    for target, state in written:
        cls = fl.resolver.object_class(target)
        root = _root_name(target.base)
        writes.append(WriteFact(
            member=cls,
            line=target.pos.line,
            column=target.pos.column,
            locks=codes(state),
            fresh=root is not None and root not in params and fresh.at(root, target.pos.line),
            base=" ".join(target.base.text.split())[:_TEXT_LIMIT],
        ))
    params_named = {p.name for p in fn.params}
    entry = tuple(sorted({
        (f"page:{lock.inst}" if lock.cls == PAGE_CLASS else lock.cls, HELD)
        for lock, event in fl.entry.facts
        if event.kind is EventKind.ENTRY and lock.cls != UNKNOWN_CLASS
        and (lock.cls != PAGE_CLASS or lock.inst in params_named)
    }))
    if _is_init(fn.start_line, fn.pos.line, lines):
        roots = roots | {"init"}
    return FunctionSummary(
        name=fn.name,
        line=fn.pos.line,
        end_line=fn.end_line,
        static=fn.static,
        params=tuple((p.name, p.type) for p in fn.params),
        reliable=fl.reliable,
        effect=_effect(summary, {a.take.lock.cls for a in fl.flow.acquires if not a.take.via}),
        calls=tuple(calls),
        takes=tuple(takes),
        writes=tuple(writes),
        returns=fn.return_type,
        entry=entry,
        atomic=tuple(sorted(atomic)),
        roots=tuple(sorted(roots)),
    )


def summarise(path: str, data: bytes, ir: FileIR,
              wrappers: Mapping[str, Summary] | None = None) -> FileSummary:
    """The summary of one parsed file; ``wrappers``: lock helpers of other files it calls."""
    locks: FileLocks = analyse_file(ir, wrappers)
    roots = _roots(ir)
    lines = data.split(b"\n")
    functions = []
    for fl in locks.functions:
        summary = function_summary(fl.function, fl.reliable, fl.entry, fl.flow)
        functions.append(_function(fl, summary, roots.get(fl.function.name, set()), lines))
    table = lock_names()
    lock_vars = tuple(
        LockVar(g.name, g.type, g.static, g.line) for g in ir.globals
        if g.name and table.lock_type(g.type) is not None
    )
    structs = tuple(
        StructFacts(s.name, s.line, tuple((f.name, f.type) for f in s.fields)) for s in ir.structs
    )
    macro_paths = tuple(
        (m.name, "".join(m.body.split())) for m in ir.macros
        if m.params is None and _MACRO_PATH_RE.match(m.body)
    )
    exports = tuple(sorted({m.group(1).decode("ascii") for m in _EXPORT_RE.finditer(data)}))
    contracts = mine_file(path, ir, data, locks) if lock_names().mined(path) else ()
    used = tuple(sorted(name for name in (wrappers or {})
                        if any(c.callee == name for f in functions for c in f.calls)))
    return FileSummary(
        path=path,
        digest=ir.digest,
        functions=tuple(functions),
        contracts=contracts,
        structs=structs,
        lock_vars=lock_vars,
        macro_paths=macro_paths,
        exports=exports,
        address_taken=tuple(sorted(locks.escaped)),
        wrappers_used=used,
        issues=tuple(i.message for i in ir.issues),
    )

