"""A function's control flow as a graph of small nodes: if/else, loops, switch, goto, guards."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from patchaudit.analyses.tables import tables
from patchaudit.analyses.types import sub_exprs
from patchaudit.cfront.ir import (
    Assign,
    Block,
    Break,
    Call,
    Case,
    Continue,
    Decl,
    Expr,
    ExprStmt,
    Function,
    Goto,
    If,
    Label,
    Literal,
    Loop,
    LoopKind,
    Name,
    Opaque,
    Pos,
    Return,
    Scoped,
    Stmt,
    StmtExpr,
    Switch,
)


class NodeKind(Enum):
    NOP = "nop"
    EVAL = "eval"  # evaluate an expression: calls take and drop locks
    ASSUME = "assume"  # a branch was taken: the condition is known true or false
    GUARD = "guard"  # scoped_guard() takes its lock for the body
    GUARD_TRY = "guard-try"  # a conditional guard: the body runs only if the lock was taken
    RELEASE = "release"  # guards go out of scope
    EXIT = "exit"


@dataclass(frozen=True)
class GuardLock:
    kind: str  # the guard class: spinlock_irqsave, mutex, ...
    lock: Expr
    line: int


@dataclass
class Node:
    """One CFG node; built once by the builder, read-only afterwards."""

    kind: NodeKind
    line: int
    expr: Expr | None = None
    truth: bool = True
    guards: tuple[GuardLock, ...] = ()
    succ: list[int] = field(default_factory=list)
    returned: bool = False  # an EVAL of a return statement's value


@dataclass(frozen=True)
class Cfg:
    nodes: tuple[Node, ...]
    entry: int
    exit: int


@dataclass
class _Scope:
    block: int  # id() of the Block that opened it
    guards: list[GuardLock] = field(default_factory=list)


@dataclass
class _Jumps:
    """Where break and continue go from inside a loop, switch or scoped guard."""

    breaks: list[int]
    continues: list[int] | None  # None inside a switch: continue belongs to the loop outside
    depth: int  # scope depth at the construct, so jumps release the guards opened inside


def const_truth(expr: Expr | None) -> bool | None:
    """The value of a literal condition: do { } while (0), while (1), for (;;)."""
    if expr is None:
        return True
    if isinstance(expr, Literal):
        text = expr.text.strip().rstrip("uUlL")
        if text in ("0", "false"):
            return False
        if text.isdigit() or text == "true":
            return True
    return None


def guard_call(expr: Expr) -> GuardLock | None:
    """``guard(kind)(&lock)``: the callee is itself the call ``guard(kind)``."""
    if not isinstance(expr, Call) or not isinstance(expr.callee_expr, Call):
        return None
    inner = expr.callee_expr
    guards = tables().guards
    if inner.callee != guards.guard_macro or len(inner.args) != 1:
        return None
    kind = inner.args[0]
    if not isinstance(kind, Name):
        return None
    if kind.name in guards.contexts:
        # guard(rcu)(): no lock object, a context held to the end of the scope.
        return GuardLock(kind.name, context_lock(kind.name, expr.pos), expr.pos.line)
    if not expr.args:
        return None
    return GuardLock(kind.name, expr.args[0], expr.pos.line)


def context_lock(kind: str, pos: Pos) -> Expr:
    """The pseudo-lock a context guard holds, as the lock expression of its GuardLock."""
    cls = tables().guards.contexts[kind]
    return Name(pos, cls, cls)


class _Builder:
    def __init__(self, fn: Function) -> None:
        self.nodes: list[Node] = []
        self.scopes: list[_Scope] = []
        self.jumps: list[_Jumps] = []
        self.label_nodes: dict[str, int] = {}
        self.label_scopes: dict[str, tuple[int, ...]] = {}
        self.switch_heads: list[tuple[int, list[bool]]] = []
        self.exit = self.new(NodeKind.EXIT, fn.end_line)
        self._find_labels(fn.body, ())

    def new(self, kind: NodeKind, line: int, **extra: object) -> int:
        self.nodes.append(Node(kind, line, **extra))  # type: ignore[arg-type]
        return len(self.nodes) - 1

    def link(self, preds: list[int], node: int) -> None:
        for pred in preds:
            if node not in self.nodes[pred].succ:
                self.nodes[pred].succ.append(node)

    def step(self, preds: list[int], kind: NodeKind, line: int, **extra: object) -> list[int]:
        node = self.new(kind, line, **extra)
        self.link(preds, node)
        return [node]

    def _find_labels(self, stmt: Stmt, chain: tuple[int, ...]) -> None:
        if isinstance(stmt, Label):
            self.label_nodes[stmt.name] = self.new(NodeKind.NOP, stmt.pos.line)
            self.label_scopes[stmt.name] = chain
        children: list[Stmt] = []
        if isinstance(stmt, Block):
            chain = (*chain, id(stmt))
            children = list(stmt.body)
        elif isinstance(stmt, If):
            children = [stmt.then] + ([stmt.other] if stmt.other is not None else [])
        elif isinstance(stmt, Loop):
            children = [*stmt.init, stmt.body]
        elif isinstance(stmt, (Switch, Scoped)):
            children = [stmt.body]
        for child in children:
            self._find_labels(child, chain)

    # ------------------------------------------------------------ leaving scopes

    def release(self, preds: list[int], scopes: list[_Scope], line: int) -> list[int]:
        guards = tuple(g for scope in reversed(scopes) for g in reversed(scope.guards))
        if not guards or not preds:
            return preds
        return self.step(preds, NodeKind.RELEASE, line, guards=guards)

    # ------------------------------------------------------------ statements

    def stmts(self, body: tuple[Stmt, ...], preds: list[int]) -> list[int]:
        for stmt in body:
            preds = self.stmt(stmt, preds)
        return preds

    def stmt(self, stmt: Stmt, preds: list[int]) -> list[int]:
        line = stmt.pos.line
        if isinstance(stmt, Block):
            self.scopes.append(_Scope(id(stmt)))
            preds = self.stmts(stmt.body, preds)
            scope = self.scopes.pop()
            return self.release(preds, [scope], stmt.end.line)
        if isinstance(stmt, ExprStmt):
            preds = self.expr(stmt.expr, preds, line)
            guard = guard_call(stmt.expr)
            if guard is not None and self.scopes:
                self.scopes[-1].guards.append(guard)
            return preds
        if isinstance(stmt, Decl):
            if stmt.init is None:
                return preds
            # An initialisation is an assignment (int ok = spin_trylock(l)).
            var = Name(stmt.pos, stmt.name, stmt.name)
            return self.expr(Assign(stmt.init.pos, stmt.init.text, "=", var, stmt.init), preds, line)
        if isinstance(stmt, If):
            return self.branch(stmt.cond, preds, line, stmt.then, stmt.other)
        if isinstance(stmt, Loop):
            return self.loop(stmt, preds)
        if isinstance(stmt, Switch):
            return self.switch(stmt, preds)
        if isinstance(stmt, Scoped):
            return self.scoped(stmt, preds)
        if isinstance(stmt, Case):
            return self.case(stmt, preds)
        if isinstance(stmt, Label):
            node = self.label_nodes.get(stmt.name)
            if node is None:
                # A label inside a statement expression (({ ... label: ... })), which
                # the search for labels does not enter: a goto before it ends its path.
                node = self.label_nodes[stmt.name] = self.new(NodeKind.NOP, stmt.pos.line)
            self.link(preds, node)
            return [node]
        if isinstance(stmt, Goto):
            target = self.label_nodes.get(stmt.label)
            if target is None:
                return []
            chain = self.label_scopes.get(stmt.label, ())
            leaving = [scope for scope in self.scopes if scope.block not in chain]
            self.link(self.release(preds, leaving, line), target)
            return []
        if isinstance(stmt, Return):
            if stmt.value is not None:
                preds = self.expr(stmt.value, preds, line)
                for index in preds:
                    self.nodes[index].returned = True
            self.link(self.release(preds, list(self.scopes), line), self.exit)
            return []
        if isinstance(stmt, (Break, Continue)):
            return self.jump(stmt, preds, line)
        if isinstance(stmt, Opaque):
            for call in stmt.calls:
                preds = self.step(preds, NodeKind.EVAL, call.pos.line, expr=call)
            return preds
        return preds

    def expr(self, expr: Expr, preds: list[int], line: int) -> list[int]:
        # Statement expressions run their statements first (hoisted in order);
        # the EVAL node then skips them.
        for inner in sub_exprs(expr):
            if isinstance(inner, StmtExpr):
                preds = self.stmt(inner.body, preds)
        return self.step(preds, NodeKind.EVAL, line, expr=expr)

    def branch(
        self, cond: Expr, preds: list[int], line: int, then: Stmt | None, other: Stmt | None
    ) -> list[int]:
        head = self.expr(cond, preds, line)
        truth = const_truth(cond)
        tails: list[int] = []
        for value, body in ((True, then), (False, other)):
            if truth is not None and truth != value:
                continue
            start = self.step(head, NodeKind.ASSUME, line, expr=cond, truth=value)
            tails += self.stmt(body, start) if body is not None else start
        return tails

    def jump(self, stmt: Stmt, preds: list[int], line: int) -> list[int]:
        is_break = isinstance(stmt, Break)
        for target in reversed(self.jumps):
            sink = target.breaks if is_break else target.continues
            if sink is None:
                continue  # continue inside a switch goes to the enclosing loop
            preds = self.release(preds, self.scopes[target.depth :], line)
            sink.extend(preds)
            return []
        return []

    def loop(self, loop: Loop, preds: list[int]) -> list[int]:
        line = loop.pos.line
        for init in loop.init:
            preds = self.stmt(init, preds)
        if loop.kind is LoopKind.ITERATOR:
            head = self.step(preds, NodeKind.EVAL, line, expr=_args_expr(loop))
            body_start, exits = head, head
        elif loop.kind is LoopKind.DO_WHILE:
            head = self.step(preds, NodeKind.NOP, line)
            body_start, exits = head, []
        else:
            head = self.expr(loop.cond, preds, line) if loop.cond is not None else self.step(
                preds, NodeKind.NOP, line
            )
            body_start, exits = self._cond_edges(loop.cond, head, line)
        jumps = _Jumps([], [], len(self.scopes))
        self.jumps.append(jumps)
        tails = self.stmt(loop.body, body_start) + (jumps.continues or [])
        self.jumps.pop()
        if loop.kind is LoopKind.DO_WHILE:
            if loop.cond is not None:
                tails = self.expr(loop.cond, tails, loop.end.line)
            again, exits = self._cond_edges(loop.cond, tails, loop.end.line)
            self.link(again, head[0])
        else:
            if loop.step is not None:
                tails = self.expr(loop.step, tails, line)
            self.link(tails, head[0])
        return exits + jumps.breaks

    def _cond_edges(self, cond: Expr | None, head: list[int], line: int) -> tuple[list[int], list[int]]:
        truth = const_truth(cond)
        if cond is None or truth is not None:
            return (head if truth else []), ([] if truth else head)
        return (
            self.step(head, NodeKind.ASSUME, line, expr=cond, truth=True),
            self.step(head, NodeKind.ASSUME, line, expr=cond, truth=False),
        )

    def switch(self, switch: Switch, preds: list[int]) -> list[int]:
        head = self.expr(switch.cond, preds, switch.pos.line)
        jumps = _Jumps([], None, len(self.scopes))
        self.jumps.append(jumps)
        has_default = [False]
        self.switch_heads.append((head[0], has_default))
        tails = self.stmt(switch.body, [])
        self.switch_heads.pop()
        self.jumps.pop()
        return tails + jumps.breaks + ([] if has_default[0] else head)

    def case(self, case: Case, preds: list[int]) -> list[int]:
        node = self.new(NodeKind.NOP, case.pos.line)
        self.link(preds, node)
        if self.switch_heads:
            head, has_default = self.switch_heads[-1]
            self.link([head], node)
            if case.value is None:
                has_default[0] = True
        return [node]

    def scoped(self, scoped: Scoped, preds: list[int]) -> list[int]:
        line = scoped.pos.line
        index = tables().guards.scoped.get(scoped.macro)
        kind = scoped.args[0] if scoped.args else None
        context = isinstance(kind, Name) and kind.name in tables().guards.contexts
        if context and isinstance(kind, Name) and scoped.macro == "scoped_guard":
            # scoped_guard(rcu) { }: a context held for the body.
            guard = GuardLock(kind.name, context_lock(kind.name, scoped.pos), line)
        elif index is None or index >= len(scoped.args) or not isinstance(kind, Name):
            # An unknown scope macro: its body runs once, nothing is taken.
            return self.stmt(scoped.body, preds)
        else:
            guard = GuardLock(kind.name, scoped.args[index], line)
            preds = self.step(preds, NodeKind.EVAL, line, expr=scoped.args[index])
        skipped: list[int] = []
        if scoped.macro == "scoped_guard" and not _is_try(kind.name):
            head = self.step(preds, NodeKind.GUARD, line, guards=(guard,))
        else:
            # The lock may not be taken: scoped_cond_guard runs its fail
            # statement (usually a return), a _try guard skips the body.
            head = self.step(preds, NodeKind.GUARD_TRY, line, guards=(guard,))
            fail = scoped.args[1].text.strip() if scoped.macro != "scoped_guard" else ""
            if fail.startswith("return"):
                self.link(self.release(preds, list(self.scopes), line), self.exit)
            else:
                skipped = preds
        end = self.new(NodeKind.RELEASE, scoped.end.line, guards=(guard,))
        # break and continue inside scoped_guard() leave the guard's own for loop.
        jumps = _Jumps([], [], len(self.scopes))
        self.jumps.append(jumps)
        tails = self.stmt(scoped.body, head)
        self.jumps.pop()
        self.link(tails + jumps.breaks + (jumps.continues or []), end)
        return [end] + skipped


def _is_try(kind: str) -> bool:
    guards = tables().guards
    return kind.endswith(guards.try_suffixes + guards.waiting_suffixes)


def _args_expr(loop: Loop) -> Expr:
    """An iterator macro's arguments as one expression, so calls in them are evaluated."""
    return Call(loop.pos, loop.macro, loop.macro, Name(loop.pos, loop.macro, loop.macro), loop.args)


def build_cfg(fn: Function) -> Cfg:
    builder = _Builder(fn)
    entry = builder.new(NodeKind.NOP, fn.pos.line)
    tails = builder.stmt(fn.body, [entry])
    builder.link(builder.release(tails, list(builder.scopes), fn.end_line), builder.exit)
    return Cfg(tuple(builder.nodes), entry, builder.exit)
