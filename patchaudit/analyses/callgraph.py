"""Who calls whom inside one file, and which of its functions can run at all."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from patchaudit.analyses.types import function_exprs
from patchaudit.cfront.ir import Call, FileIR

_WORD_RE = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class CallGraph:
    """The calls of each function of one file, and the functions that can be reached.

    A function is live when code outside the file can reach it: it is not
    static (or it is in a header), or its name is used other than by a direct call (stored in an
    ops table, handed to module_init() or a work item, declared again,
    named in a macro), or a live function of the file calls it. A static
    function nobody calls is dead code: what it does never happens. A file
    in which nothing is live is a fragment: all of its functions count.
    """

    calls: Mapping[str, tuple[Call, ...]]  # function -> the calls in its body, in order
    live: frozenset[str]
    # Functions code outside the file can call: not static, in a header, or
    # whose name is used other than by a direct call.
    roots: frozenset[str] = frozenset()

    def callers_of(self, name: str) -> list[tuple[str, Call]]:
        """The direct calls of ``name`` in this file, as (calling function, call)."""
        return [
            (caller, call)
            for caller, calls in self.calls.items()
            for call in calls
            if call.callee == name
        ]

    def reaching(self, does: Callable[[Call], bool]) -> frozenset[str]:
        """Functions that make a call ``does`` accepts, themselves or through helpers of the file."""
        found = {name for name, calls in self.calls.items() if any(does(c) for c in calls)}
        changed = True
        while changed:
            changed = False
            for name, calls in self.calls.items():
                if name not in found and any(call.callee in found for call in calls):
                    found.add(name)
                    changed = True
        return frozenset(found)


def call_graph(ir: FileIR) -> CallGraph:
    calls = {
        fn.name: tuple(expr for expr in function_exprs(fn) if isinstance(expr, Call))
        for fn in ir.functions
    }
    # A header's functions, static inline or not, are there for the files that include it.
    header = ir.path.endswith(".h")
    roots = {fn.name for fn in ir.functions if header or not fn.static}
    roots |= _used_as_values(ir, calls)
    live: set[str] = set()
    todo = sorted(roots)
    while todo:
        name = todo.pop()
        if name in live or name not in calls:
            continue
        live.add(name)
        todo.extend(call.callee for call in calls[name] if call.callee in calls)
    if not live:
        # Nothing can run: a fragment (a snippet, code whose callers a macro
        # hides) whose reachability we cannot tell. Take every function.
        live = set(calls)
    return CallGraph(calls, frozenset(live), frozenset(roots))


def _used_as_values(ir: FileIR, calls: Mapping[str, Iterable[Call]]) -> set[str]:
    """Functions named somewhere other than their definition and their direct calls."""
    names = set(calls)
    # Where each function's own name and its direct calls stand: every other
    # occurrence of the name (a prototype, an initializer, an argument,
    # module_init(f)) hands the function to someone we may not see.
    expected = {(fn.name, fn.pos.line, fn.pos.column) for fn in ir.functions}
    for found in calls.values():
        for call in found:
            if call.callee in names:
                pos = call.callee_expr.pos
                expected.add((call.callee, pos.line, pos.column))
    used = {
        ident.name for ident in ir.identifiers
        if ident.name in names and (ident.name, ident.line, ident.column) not in expected
    }
    for macro in ir.macros:
        used.update(names.intersection(_WORD_RE.findall(macro.body)))
    return used
