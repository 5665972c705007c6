"""Lowering of tree-sitter statement nodes (function bodies) to IR statements."""

from __future__ import annotations

from tree_sitter import Node

from patchaudit.cfront.grammar import (
    ALTERNATIVE,
    ARGUMENTS,
    BODY,
    CONDITION,
    CONSEQUENCE,
    DECLARATOR,
    FUNCTION,
    INITIALIZER,
    LABEL,
    LEFT,
    RIGHT,
    UPDATE,
    VALUE,
)
from patchaudit.cfront.ir import (
    Block,
    Break,
    Case,
    Continue,
    Decl,
    Expr,
    ExprStmt,
    Goto,
    If,
    Label,
    Loop,
    LoopKind,
    Opaque,
    Return,
    Scoped,
    Stmt,
    Switch,
)
from patchaudit.cfront.lower_ctx import MAX_DEPTH, Ctx
from patchaudit.cfront.lower_expr import ExprLowerer
from patchaudit.cfront.lower_types import base_type, declarator_name, declared_type

_STATEMENTS = frozenset(
    {
        "compound_statement", "expression_statement", "if_statement", "while_statement",
        "do_statement", "for_statement", "switch_statement", "case_statement",
        "labeled_statement", "goto_statement", "return_statement", "break_statement",
        "continue_statement", "attributed_statement", "declaration", "type_definition",
        "preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef", "preproc_else",
        "ERROR",
    }
)  # fmt: skip
# Preprocessor conditionals that reach a body's tree: every branch is lowered,
# in source order, as if all were compiled, so no call of any configuration is
# lost. (Inside braces the kernel masking already keeps one branch and blanks
# the directives; this is for what it leaves, and for unmasked trees.)
_PREPROC_CONDITIONALS = frozenset(
    {"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef", "preproc_else"}
)
_PREPROC_OTHER = frozenset(
    {"preproc_def", "preproc_function_def", "preproc_call", "preproc_include"}
)
_PUNCTUATION = frozenset({"{", "}", ";", ":", "comment"})
_TRIVIA = frozenset({"comment", "{", "}"})


def _is_block_macro_head(node: Node) -> bool:
    """``name(args)`` whose ``;`` tree-sitter had to invent: a macro that takes the next statement.

    This is how unmasked ``list_for_each_entry(p, h, lru) {`` and
    ``scoped_guard(spinlock, &l) {`` come out of raw tree-sitter-c.
    """
    if node.type != "expression_statement" or node.child_count != 2:
        return False
    semicolon = node.children[1]
    call = node.children[0]
    if not semicolon.is_missing or call.type != "call_expression":
        return False
    function = call.child_by_field_id(FUNCTION)
    return function is not None and function.type == "identifier"


class StmtLowerer:
    """Statement lowering for one file."""

    def __init__(self, ctx: Ctx, exprs: ExprLowerer) -> None:
        self.ctx = ctx
        self.exprs = exprs
        exprs.lower_block = self.block

    def block(self, node: Node, depth: int) -> Block:
        return Block(
            self.ctx.pos(node), self.ctx.end(node), tuple(self.sequence(node.children, depth + 1))
        )

    def stmt(self, node: Node, depth: int) -> Stmt:
        """Exactly one statement; a label or case with its statement becomes a Block."""
        out = self.sequence([node], depth)
        if len(out) == 1:
            return out[0]
        return Block(self.ctx.pos(node), self.ctx.end(node), tuple(out))

    def sequence(self, children: list[Node], depth: int) -> list[Stmt]:
        out: list[Stmt] = []
        i = 0
        while i < len(children):
            child = children[i]
            i += 1
            kind = child.type
            if kind in _TRIVIA:
                continue
            if kind == "expression_statement" and _is_block_macro_head(child):
                j = i
                while j < len(children) and children[j].type == "comment":
                    j += 1
                if (
                    j < len(children)
                    and children[j].type in _STATEMENTS
                    and children[j].type != "ERROR"
                ):
                    out.append(self._raw_block_macro(child, children[j], depth))
                    i = j + 1
                    continue
            self._emit(child, depth, out)
        return out

    # ------------------------------------------------------------ one node

    def _emit(self, node: Node, depth: int, out: list[Stmt]) -> None:
        ctx = self.ctx
        kind = node.type
        if depth > MAX_DEPTH:
            ctx.note_too_deep(node)
            out.append(
                Opaque(ctx.pos(node), ctx.end(node), ctx.text(node), self.exprs.calls_in(node))
            )
            return
        pos = ctx.pos(node)
        d = depth + 1
        if kind == "compound_statement":
            out.append(self.block(node, depth))
        elif kind == "expression_statement":
            self._expression_statement(node, d, out)
        elif kind == "declaration":
            out.extend(self.declaration(node, d))
        elif kind == "if_statement":
            out.append(self._if(node, d))
        elif kind == "while_statement":
            out.append(self._while(node, d))
        elif kind == "do_statement":
            body = node.child_by_field_id(BODY)
            cond = node.child_by_field_id(CONDITION)
            out.append(
                Loop(
                    pos, ctx.end(node), LoopKind.DO_WHILE,
                    self.exprs.expr(cond, d) if cond is not None else None,
                    self._body(body, node, d),
                )
            )  # fmt: skip
        elif kind == "for_statement":
            out.append(self._for(node, d))
        elif kind == "switch_statement":
            cond = node.child_by_field_id(CONDITION)
            body = node.child_by_field_id(BODY)
            if cond is None:
                out.append(self._opaque(node))
            else:
                out.append(
                    Switch(pos, ctx.end(node), self.exprs.expr(cond, d), self._body(body, node, d))
                )
        elif kind == "case_statement":
            self._case(node, d, out)
        elif kind == "labeled_statement":
            label = node.child_by_field_id(LABEL)
            colon = next((c for c in node.children if c.type == ":"), label)
            if label is not None and colon is not None:
                out.append(Label(pos, ctx.end(colon), ctx.text(label)))
            out.extend(
                self.sequence(
                    [c for c in node.named_children if c.type != "statement_identifier"], d
                )
            )
        elif kind == "goto_statement":
            label = node.child_by_field_id(LABEL)
            out.append(Goto(pos, ctx.end(node), ctx.text(label) if label is not None else ""))
        elif kind == "return_statement":
            value = next((c for c in node.named_children if c.type != "comment"), None)
            out.append(
                Return(pos, ctx.end(node), self.exprs.expr(value, d) if value is not None else None)
            )
        elif kind == "break_statement":
            out.append(Break(pos, ctx.end(node)))
        elif kind == "continue_statement":
            out.append(Continue(pos, ctx.end(node)))
        elif kind == "attributed_statement":
            out.extend(
                self.sequence(
                    [c for c in node.named_children if c.type != "attribute_declaration"], d
                )
            )
        elif kind in _PREPROC_CONDITIONALS:
            self._preproc(node, d, out)
        elif kind in _PREPROC_OTHER:
            return  # #define and friends are read from the text (lower_text)
        elif kind == "ERROR":
            self._error(node, d, out)
        elif kind in _STATEMENTS or not node.is_named:
            out.append(self._opaque(node))
        else:
            # An expression where a statement should be (inside preprocessor
            # branches or error recovery): keep it as the expression it is.
            out.append(ExprStmt(pos, ctx.end(node), self.exprs.expr(node, d)))

    def _opaque(self, node: Node) -> Opaque:
        return Opaque(
            self.ctx.pos(node), self.ctx.end(node), self.ctx.text(node), self.exprs.calls_in(node)
        )

    def _body(self, body: Node | None, owner: Node, depth: int) -> Stmt:
        if body is None:
            return Block(self.ctx.end(owner), self.ctx.end(owner), ())
        return self.stmt(body, depth)

    def _expression_statement(self, node: Node, depth: int, out: list[Stmt]) -> None:
        content = [c for c in node.children if c.type not in _PUNCTUATION]
        if not content:
            return  # the empty statement ";"
        if len(content) == 1 and content[0].type != "ERROR":
            out.append(
                ExprStmt(self.ctx.pos(node), self.ctx.end(node), self.exprs.expr(content[0], depth))
            )
        else:
            out.append(self._opaque(node))

    def declaration(self, node: Node, depth: int) -> list[Stmt]:
        """One Decl per declarator, each spanning the whole declaration."""
        base = base_type(self.ctx, node)
        pos, end = self.ctx.pos(node), self.ctx.end(node)
        decls: list[Stmt] = []
        for declarator in node.children_by_field_id(DECLARATOR):
            init: Expr | None = None
            inner: Node | None = declarator
            if declarator.type == "init_declarator":
                inner = declarator.child_by_field_id(DECLARATOR)
                value = declarator.child_by_field_id(VALUE)
                init = self.exprs.expr(value, depth) if value is not None else None
            name = declarator_name(inner) if inner is not None else None
            if name is None:
                continue
            decls.append(
                Decl(pos, end, self.ctx.name(name), declared_type(self.ctx, base, inner), init)
            )
        return decls

    def _if(self, node: Node, depth: int) -> Stmt:
        cond = node.child_by_field_id(CONDITION)
        then = node.child_by_field_id(CONSEQUENCE)
        alternative = node.child_by_field_id(ALTERNATIVE)
        if cond is None:
            return self._opaque(node)
        other: Stmt | None = None
        if alternative is not None:
            # else_clause wraps the statement.
            inner = [c for c in alternative.named_children if c.type != "comment"]
            other = self.stmt(inner[0], depth) if inner else None
        return If(
            self.ctx.pos(node),
            self.ctx.end(node),
            self.exprs.expr(cond, depth),
            self._body(then, node, depth),
            other,
        )

    def _while(self, node: Node, depth: int) -> Stmt:
        ctx = self.ctx
        cond = node.child_by_field_id(CONDITION)
        body = self._body(node.child_by_field_id(BODY), node, depth)
        keyword = ctx.keyword_at(node)
        if keyword == "while":
            return Loop(
                ctx.pos(node),
                ctx.end(node),
                LoopKind.WHILE,
                self.exprs.expr(cond, depth) if cond is not None else None,
                body,
            )
        # The masking turned an iterator or scope macro into "while": the
        # original text at the keyword names it.
        args = self._macro_args(cond, depth) if cond is not None else ()
        return self._macro_construct(node, node, keyword, args, body)

    def _macro_args(self, cond: Node, depth: int) -> tuple[Expr, ...]:
        inner = [c for c in cond.named_children if c.type != "comment"]
        if len(inner) != 1 or inner[0].type != "comma_expression":
            return self.exprs.arguments(cond, depth)
        leaves: list[Node] = []
        stack = [inner[0]]
        while stack:
            current = stack.pop()
            if current.type == "comma_expression":
                right = current.child_by_field_id(RIGHT)
                left = current.child_by_field_id(LEFT)
                stack.extend(n for n in (right, left) if n is not None)
            else:
                leaves.append(current)
        return tuple(self.exprs.segment([leaf], depth) for leaf in leaves)

    def _raw_block_macro(self, head: Node, body_node: Node, depth: int) -> Stmt:
        call = head.children[0]
        function = call.child_by_field_id(FUNCTION)
        arguments = call.child_by_field_id(ARGUMENTS)
        name = self.ctx.text(function) if function is not None else ""
        args = self.exprs.arguments(arguments, depth + 1) if arguments is not None else ()
        body = self.stmt(body_node, depth + 1)
        return self._macro_construct(head, body_node, name, args, body)

    def _macro_construct(
        self, first: Node, last: Node, name: str, args: tuple[Expr, ...], body: Stmt
    ) -> Stmt:
        pos, end = self.ctx.pos(first), self.ctx.end(last)
        if self.ctx.is_scope_macro(name):
            return Scoped(pos, end, name, args, body)
        return Loop(pos, end, LoopKind.ITERATOR, None, body, macro=name, args=args)

    def _for(self, node: Node, depth: int) -> Stmt:
        init_node = node.child_by_field_id(INITIALIZER)
        cond = node.child_by_field_id(CONDITION)
        update = node.child_by_field_id(UPDATE)
        init: list[Stmt] = []
        if init_node is not None:
            if init_node.type == "declaration":
                init.extend(self.declaration(init_node, depth))
            else:
                init.append(
                    ExprStmt(
                        self.ctx.pos(init_node),
                        self.ctx.end(init_node),
                        self.exprs.expr(init_node, depth),
                    )
                )
        return Loop(
            self.ctx.pos(node), self.ctx.end(node), LoopKind.FOR,
            self.exprs.expr(cond, depth) if cond is not None else None,
            self._body(node.child_by_field_id(BODY), node, depth),
            init=tuple(init),
            step=self.exprs.expr(update, depth) if update is not None else None,
        )  # fmt: skip

    def _case(self, node: Node, depth: int, out: list[Stmt]) -> None:
        value = node.child_by_field_id(VALUE)
        colon_index = next((i for i, c in enumerate(node.children) if c.type == ":"), None)
        if colon_index is None:
            out.append(self._opaque(node))
            return
        colon = node.children[colon_index]
        out.append(
            Case(
                self.ctx.pos(node),
                self.ctx.end(colon),
                self.exprs.expr(value, depth) if value is not None else None,
            )
        )
        out.extend(self.sequence(node.children[colon_index + 1 :], depth))

    def _preproc(self, node: Node, depth: int, out: list[Stmt]) -> None:
        kept = [
            child
            for i, child in enumerate(node.children)
            if child.is_named
            and child.type != "preproc_arg"
            and node.field_name_for_child(i) not in ("condition", "name")
        ]
        out.extend(self.sequence(kept, depth))

    def _error(self, node: Node, depth: int, out: list[Stmt]) -> None:
        """Statements inside an ERROR are lowered; the rest become Opaque runs that keep their calls."""
        run: list[Node] = []

        def flush() -> None:
            if run and any(n.is_named for n in run):
                text = self.ctx.span_text(run[0].start_byte, run[-1].end_byte)
                calls = tuple(c for n in run for c in self.exprs.calls_in(n))
                out.append(Opaque(self.ctx.pos(run[0]), self.ctx.end(run[-1]), text, calls))
            run.clear()

        for child in node.children:
            if child.type in _STATEMENTS and child.type != "ERROR" or child.type in _PREPROC_OTHER:
                flush()
                self._emit(child, depth, out)
            elif child.type != "comment":
                run.append(child)
        flush()
