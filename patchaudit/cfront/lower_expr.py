"""Lowering of tree-sitter expression nodes to IR expressions."""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from patchaudit.cfront.grammar import (
    ALTERNATIVE,
    ARGUMENT,
    ARGUMENTS,
    CONDITION,
    CONSEQUENCE,
    DESIGNATOR,
    FIELD,
    FUNCTION,
    INDEX,
    LEFT,
    MEMBER,
    OPERATOR,
    RIGHT,
    TYPE,
    VALUE,
)
from patchaudit.cfront.ir import (
    Assign,
    Binary,
    Block,
    Call,
    Cast,
    Conditional,
    Expr,
    Field,
    Index,
    InitList,
    Literal,
    Name,
    StmtExpr,
    TypeArg,
    Unary,
    Unknown,
)
from patchaudit.cfront.lower_ctx import MAX_DEPTH, MAX_EXPR_BYTES, Ctx
from patchaudit.cfront.lower_types import descriptor_type, type_arg_text

_LITERALS = frozenset(
    {
        "number_literal",
        "string_literal",
        "char_literal",
        "concatenated_string",
        "true",
        "false",
        "null",
    }
)
_SKIPPED = frozenset({"comment", "(", ")", ",", "{", "}"})
# Argument budget for calls collected from a subtree too deep to lower: enough
# for ``&b->pages_lock`` or ``page``; anything deeper is only a placeholder,
# and its own calls are collected separately.
_SHALLOW_BUDGET = 6


class ExprLowerer:
    """Expression lowering for one file; ``lower_block`` is provided by the statement lowerer."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.lower_block: Callable[[Node, int], Block] | None = None
        self._dispatch: dict[str, Callable[[Node, int], Expr]] = {
            "identifier": self._name,
            "field_expression": self._field,
            "call_expression": self.call,
            "pointer_expression": self._unary,
            "unary_expression": self._unary,
            "update_expression": self._update,
            "binary_expression": self._binary,
            "comma_expression": self._binary,
            "assignment_expression": self._assign,
            "conditional_expression": self._conditional,
            "cast_expression": self._cast,
            # (type){...} reads like a cast of its initializer: same fields, same IR.
            "compound_literal_expression": self._cast,
            "subscript_expression": self._index,
            "parenthesized_expression": self._parenthesized,
            "initializer_list": self.init_list,
            "sizeof_expression": self._sizeof,
            "alignof_expression": self._sizeof,
            "offsetof_expression": self._offsetof,
            "type_descriptor": self._type_arg,
        }

    # ------------------------------------------------------------ entry points

    def expr(self, node: Node, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            self.ctx.note_too_deep(node)
            return Unknown(self.ctx.pos(node), self.ctx.text(node), self.calls_in(node))
        kind = node.type
        if kind == "identifier":  # a third of all expressions: no dispatch
            name = self.ctx.name(node)
            return Name(self.ctx.pos(node), name, name)
        if kind in _LITERALS:
            return Literal(self.ctx.pos(node), self.ctx.text(node))
        if node.end_byte - node.start_byte > MAX_EXPR_BYTES and kind != "initializer_list":
            self.ctx.note_too_long(node)
            return Unknown(self.ctx.pos(node), self.ctx.text(node), self.calls_in(node))
        handler = self._dispatch.get(kind)
        if handler is not None:
            return handler(node, depth + 1)
        return self._unknown(node, depth + 1)

    def call(self, node: Node, depth: int) -> Call:
        function = node.child_by_field_id(FUNCTION)
        arguments = node.child_by_field_id(ARGUMENTS)
        pos, text = self.ctx.pos(node), self.ctx.text(node)
        if function is None:
            callee_expr: Expr = Unknown(pos, text, ())
        else:
            callee_expr = self.expr(function, depth)
        callee = callee_expr.name if isinstance(callee_expr, Name) else ""
        args = self.arguments(arguments, depth) if arguments is not None else ()
        return Call(pos, text, callee, callee_expr, args)

    def arguments(self, arglist: Node, depth: int) -> tuple[Expr, ...]:
        """Arguments split at top-level commas; a segment whose text is a type becomes a TypeArg.

        Splitting at the comma tokens (not at named children) keeps
        ``struct page`` one argument even where tree-sitter made two nodes
        and an ERROR of it.
        """
        segments: list[list[Node]] = [[]]
        for child in arglist.children:
            kind = child.type
            if kind == ",":
                segments.append([])
            elif kind not in _SKIPPED:
                segments[-1].append(child)
        if not segments[-1] and len(segments) == 1:
            return ()
        return tuple(self.segment(nodes, depth) for nodes in segments if nodes)

    def segment(self, nodes: list[Node], depth: int) -> Expr:
        """One macro or call argument made of one or more nodes."""
        first, last = nodes[0], nodes[-1]
        text = self.ctx.span_text(first.start_byte, last.end_byte)
        as_type = type_arg_text(text)
        if as_type is not None:
            return TypeArg(self.ctx.pos(first), text, as_type)
        if len(nodes) == 1:
            return self.expr(first, depth)
        children = tuple(self.expr(n, depth) for n in nodes if n.is_named)
        return Unknown(self.ctx.pos(first), text, children)

    def calls_in(self, node: Node) -> tuple[Call, ...]:
        """Every call in a subtree, outermost first, in source order, without recursion.

        Used where a subtree cannot be lowered (parse errors, nesting limit).
        Arguments are lowered only shallowly; calls nested in them are in the
        result in their own right.
        """
        found: list[Call] = []
        # A cursor walks in pre-order without holding the nodes it has yet to visit
        # (a stack of them held two per level of a million-level expression).
        cursor = node.walk()
        while True:
            current = cursor.node
            if current is not None and current.type == "call_expression":
                found.append(self._shallow_call(current, _SHALLOW_BUDGET))
            if cursor.goto_first_child():
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return tuple(found)

    def init_list(self, node: Node, depth: int) -> InitList:
        items: list[tuple[str, Expr]] = []
        for child in node.named_children:
            if child.type == "comment":
                continue
            if child.type == "initializer_pair":
                value = child.child_by_field_id(VALUE)
                designators = [self._designator(d) for d in child.children_by_field_id(DESIGNATOR)]
                designator = ".".join(designators).replace(".[", "[")
                if value is not None:
                    items.append((designator, self.expr(value, depth)))
            else:
                items.append(("", self.expr(child, depth)))
        return InitList(self.ctx.pos(node), self.ctx.text(node), tuple(items))

    # ------------------------------------------------------------ handlers

    def _name(self, node: Node, depth: int) -> Expr:
        text = self.ctx.name(node)
        return Name(self.ctx.pos(node), text, text)

    def _field(self, node: Node, depth: int) -> Expr:
        base = node.child_by_field_id(ARGUMENT)
        member = node.child_by_field_id(FIELD)
        operator = node.child_by_field_id(OPERATOR)
        if base is None or member is None:
            return self._unknown(node, depth)
        arrow = operator is not None and operator.type == "->"
        return Field(
            self.ctx.pos(node),
            self.ctx.text(node),
            self.expr(base, depth),
            self.ctx.name(member),
            arrow,
        )

    def _unary(self, node: Node, depth: int) -> Expr:
        operator = node.child_by_field_id(OPERATOR)
        operand = node.child_by_field_id(ARGUMENT)
        if operator is None or operand is None:
            return self._unknown(node, depth)
        return Unary(
            self.ctx.pos(node), self.ctx.text(node), operator.type, self.expr(operand, depth)
        )

    def _update(self, node: Node, depth: int) -> Expr:
        return self._unary(node, depth)

    def _binary(self, node: Node, depth: int) -> Expr:
        left = node.child_by_field_id(LEFT)
        right = node.child_by_field_id(RIGHT)
        if left is None or right is None:
            return self._unknown(node, depth)
        operator = node.child_by_field_id(OPERATOR)
        op = operator.type if operator is not None else ","
        return Binary(
            self.ctx.pos(node),
            self.ctx.text(node),
            op,
            self.expr(left, depth),
            self.expr(right, depth),
        )

    def _assign(self, node: Node, depth: int) -> Expr:
        left = node.child_by_field_id(LEFT)
        right = node.child_by_field_id(RIGHT)
        operator = node.child_by_field_id(OPERATOR)
        if left is None or right is None or operator is None:
            return self._unknown(node, depth)
        return Assign(
            self.ctx.pos(node),
            self.ctx.text(node),
            operator.type,
            self.expr(left, depth),
            self.expr(right, depth),
        )

    def _conditional(self, node: Node, depth: int) -> Expr:
        cond = node.child_by_field_id(CONDITION)
        then = node.child_by_field_id(CONSEQUENCE)
        other = node.child_by_field_id(ALTERNATIVE)
        if cond is None or other is None:
            return self._unknown(node, depth)
        return Conditional(
            self.ctx.pos(node),
            self.ctx.text(node),
            self.expr(cond, depth),
            self.expr(then, depth) if then is not None else None,
            self.expr(other, depth),
        )

    def _cast(self, node: Node, depth: int) -> Expr:
        type_node = node.child_by_field_id(TYPE)
        value = node.child_by_field_id(VALUE)
        if type_node is None or value is None:
            return self._unknown(node, depth)
        return Cast(
            self.ctx.pos(node),
            self.ctx.text(node),
            descriptor_type(self.ctx, type_node),
            self.expr(value, depth),
        )

    def _index(self, node: Node, depth: int) -> Expr:
        base = node.child_by_field_id(ARGUMENT)
        index = node.child_by_field_id(INDEX)
        if base is None or index is None:
            return self._unknown(node, depth)
        return Index(
            self.ctx.pos(node), self.ctx.text(node), self.expr(base, depth), self.expr(index, depth)
        )

    def _parenthesized(self, node: Node, depth: int) -> Expr:
        inner = [c for c in node.named_children if c.type != "comment"]
        if (
            len(inner) == 1
            and inner[0].type == "compound_statement"
            and self.lower_block is not None
        ):
            return StmtExpr(
                self.ctx.pos(node), self.ctx.text(node), self.lower_block(inner[0], depth)
            )
        if len(inner) == 1:
            # Parentheses only group: the IR tree already says what they said.
            return self.expr(inner[0], depth)
        return self._unknown(node, depth)

    def _sizeof(self, node: Node, depth: int) -> Expr:
        keyword = node.children[0].type if node.child_count else "sizeof"
        operand = node.child_by_field_id(VALUE) or node.child_by_field_id(TYPE)
        if operand is None:
            return self._unknown(node, depth)
        return Unary(self.ctx.pos(node), self.ctx.text(node), keyword, self.expr(operand, depth))

    def _offsetof(self, node: Node, depth: int) -> Expr:
        type_node = node.child_by_field_id(TYPE)
        member = node.child_by_field_id(MEMBER)
        pos, text = self.ctx.pos(node), self.ctx.text(node)
        args: list[Expr] = []
        if type_node is not None:
            args.append(self._type_arg(type_node, depth))
        if member is not None:
            args.append(self.expr(member, depth))
        callee = Name(pos, "offsetof", "offsetof")
        return Call(pos, text, "offsetof", callee, tuple(args))

    def _type_arg(self, node: Node, depth: int) -> Expr:
        return TypeArg(self.ctx.pos(node), self.ctx.text(node), descriptor_type(self.ctx, node))

    def _unknown(self, node: Node, depth: int) -> Expr:
        children = tuple(self.expr(c, depth) for c in node.named_children if c.type != "comment")
        return Unknown(self.ctx.pos(node), self.ctx.text(node), children)

    def _designator(self, node: Node) -> str:
        if node.type == "field_designator":
            return self.ctx.text(node).lstrip(".").strip()
        if node.type == "field_identifier":
            return self.ctx.text(node)
        return " ".join(self.ctx.text(node).split())

    # ------------------------------------------------------------ shallow mode

    def _shallow_call(self, node: Node, budget: int) -> Call:
        function = node.child_by_field_id(FUNCTION)
        arguments = node.child_by_field_id(ARGUMENTS)
        pos, text = self.ctx.pos(node), self.ctx.text(node)
        callee_expr = (
            self._shallow(function, budget) if function is not None else Unknown(pos, text, ())
        )
        callee = callee_expr.name if isinstance(callee_expr, Name) else ""
        args: tuple[Expr, ...] = ()
        if arguments is not None:
            args = tuple(
                self._shallow(a, budget) for a in arguments.named_children if a.type != "comment"
            )
        return Call(pos, text, callee, callee_expr, args)

    def _shallow(self, node: Node, budget: int) -> Expr:
        """Lowering with a fixed budget and no recursion beyond it."""
        pos, text = self.ctx.pos(node), self.ctx.name(node)
        kind = node.type
        if budget <= 0:
            return Unknown(pos, text, ())
        if kind == "identifier":
            return Name(pos, text, text)
        if kind in _LITERALS:
            return Literal(pos, text)
        if kind == "field_expression":
            base = node.child_by_field_id(ARGUMENT)
            member = node.child_by_field_id(FIELD)
            operator = node.child_by_field_id(OPERATOR)
            if base is not None and member is not None:
                arrow = operator is not None and operator.type == "->"
                return Field(
                    pos, text, self._shallow(base, budget - 1), self.ctx.name(member), arrow
                )
        if kind in ("pointer_expression", "unary_expression"):
            operator = node.child_by_field_id(OPERATOR)
            operand = node.child_by_field_id(ARGUMENT)
            if operator is not None and operand is not None:
                return Unary(pos, text, operator.type, self._shallow(operand, budget - 1))
        if kind == "call_expression":
            return self._shallow_call(node, budget - 1)
        return Unknown(pos, text, ())
