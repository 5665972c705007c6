"""Lowering of file-scope declarations: functions, struct definitions, global variables."""

from __future__ import annotations

from tree_sitter import Node

from patchaudit.cfront.grammar import BODY, DECLARATOR, NAME, PARAMETERS, TYPE, VALUE
from patchaudit.cfront.ir import Function, GlobalVar, Param, StructDef, StructField
from patchaudit.cfront.kernel import annotations_in
from patchaudit.cfront.lower_ctx import Ctx
from patchaudit.cfront.lower_expr import ExprLowerer
from patchaudit.cfront.lower_stmt import StmtLowerer
from patchaudit.cfront.lower_types import (
    base_type,
    declarator_name,
    declared_type,
    is_static,
    normalise_type,
)

_AGGREGATES = frozenset({"struct_specifier", "union_specifier"})
_FIELD_CONTAINERS = frozenset(
    {"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef", "preproc_else"}
)


def _function_declarator(declarator: Node | None) -> Node | None:
    """The function_declarator that names the function (not one of a returned function pointer)."""
    current = declarator
    while current is not None:
        if current.type == "function_declarator":
            inner = current.child_by_field_id(DECLARATOR)
            if inner is not None and inner.type == "identifier":
                return current
        nxt = current.child_by_field_id(DECLARATOR)
        if nxt is None:
            nxt = next((c for c in current.named_children if c.type != "comment"), None)
        current = nxt
    return None


class DeclLowerer:
    """Functions, structs and globals of one file."""

    def __init__(self, ctx: Ctx, exprs: ExprLowerer, stmts: StmtLowerer) -> None:
        self.ctx = ctx
        self.exprs = exprs
        self.stmts = stmts

    # ------------------------------------------------------------ functions

    def function(self, node: Node) -> Function | None:
        ctx = self.ctx
        declarator = node.child_by_field_id(DECLARATOR)
        fdecl = _function_declarator(declarator)
        body = node.child_by_field_id(BODY)
        if declarator is None or fdecl is None or body is None:
            return None
        name = fdecl.child_by_field_id(DECLARATOR)
        parameters = fdecl.child_by_field_id(PARAMETERS)
        if name is None:
            return None
        returned = ctx.masked_text(declarator.start_byte, fdecl.start_byte) + ctx.masked_text(
            fdecl.end_byte, declarator.end_byte
        )
        return Function(
            name=ctx.text(name),
            pos=ctx.pos(name),
            start_line=node.start_point[0] + 1,
            end_line=node.end_point[0] + 1,
            return_type=normalise_type(f"{base_type(ctx, node)} {returned}"),
            params=self.params(parameters) if parameters is not None else (),
            body=self.stmts.block(body, 0),
            static=is_static(ctx, node),
            has_error=node.has_error,
            annotations=self._annotations(node, body),
        )

    def params(self, parameters: Node) -> tuple[Param, ...]:
        params: list[Param] = []
        for child in parameters.named_children:
            if child.type == "variadic_parameter":
                params.append(Param("...", "..."))
            elif child.type == "parameter_declaration":
                declarator = child.child_by_field_id(DECLARATOR)
                type_text = declared_type(self.ctx, base_type(self.ctx, child), declarator)
                name = declarator_name(declarator) if declarator is not None else None
                if name is None and type_text == "void":
                    continue  # f(void)
                params.append(Param(self.ctx.text(name) if name is not None else "", type_text))
        return tuple(params)

    def _annotations(self, node: Node, body: Node) -> tuple[str, ...]:
        """``__must_hold(&l)`` and friends between the start of the definition and its body."""
        return annotations_in(self.ctx.original, node.start_byte, body.start_byte)

    # ------------------------------------------------------------ structs

    def structs_in(self, type_node: Node, out: list[StructDef], typedef_name: str = "") -> None:
        """Every struct/union definition in a type specifier, nested ones included."""
        stack = [(type_node, typedef_name)]
        while stack:
            current, alias = stack.pop()
            body = current.child_by_field_id(BODY) if current.type in _AGGREGATES else None
            if body is None:
                continue
            name = current.child_by_field_id(NAME)
            tag = self.ctx.text(name) if name is not None else alias
            fields: list[StructField] = []
            nested: list[Node] = []
            self._fields(body, fields, nested)
            if tag:
                out.append(StructDef(tag, tuple(fields), current.start_point[0] + 1))
            stack.extend((n, "") for n in reversed(nested))

    def _fields(self, body: Node, fields: list[StructField], nested: list[Node]) -> None:
        for child in body.named_children:
            if child.type in _FIELD_CONTAINERS:
                self._fields(child, fields, nested)
                continue
            if child.type != "field_declaration":
                continue
            type_node = child.child_by_field_id(TYPE)
            declarators = child.children_by_field_id(DECLARATOR)
            if (
                type_node is not None
                and type_node.type in _AGGREGATES
                and type_node.child_by_field_id(BODY) is not None
            ):
                if not declarators:
                    # An anonymous union/struct member: its members are the parent's.
                    inner = type_node.child_by_field_id(BODY)
                    if inner is not None:
                        self._fields(inner, fields, nested)
                    continue
                nested.append(type_node)
            base = base_type(self.ctx, child)
            for declarator in declarators:
                name = declarator_name(declarator)
                if name is not None:
                    fields.append(
                        StructField(
                            self.ctx.text(name),
                            declared_type(self.ctx, base, declarator),
                            name.start_point[0] + 1,
                        )
                    )

    def type_definition(self, node: Node, out: list[StructDef]) -> None:
        type_node = node.child_by_field_id(TYPE)
        if type_node is None:
            return
        declarator = node.child_by_field_id(DECLARATOR)
        alias_node = declarator_name(declarator) if declarator is not None else None
        # typedef struct { ... } foo_t; has no tag: the typedef name stands in.
        alias = self.ctx.text(alias_node) if alias_node is not None else ""
        self.structs_in(type_node, out, alias)

    # ------------------------------------------------------------ globals

    def globals_of(self, node: Node) -> list[GlobalVar]:
        """Variables of a file-scope declaration; function prototypes are not variables."""
        ctx = self.ctx
        base = base_type(ctx, node)
        static = is_static(ctx, node)
        found: list[GlobalVar] = []
        for declarator in node.children_by_field_id(DECLARATOR):
            inner: Node | None = declarator
            value: Node | None = None
            if declarator.type == "init_declarator":
                inner = declarator.child_by_field_id(DECLARATOR)
                value = declarator.child_by_field_id(VALUE)
            # Only a function declarator that names an identifier declares a
            # function; (*fp)(int) declares a pointer variable.
            if inner is None or _function_declarator(inner) is not None:
                continue
            name = declarator_name(inner)
            if name is None:
                continue
            init = self.exprs.expr(value, 0) if value is not None else None
            found.append(
                GlobalVar(
                    ctx.text(name),
                    declared_type(ctx, base, inner),
                    init,
                    name.start_point[0] + 1,
                    static,
                )
            )
        return found
