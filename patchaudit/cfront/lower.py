"""Lowering of a parsed file to the plain IR: top-level walk, error accounting, text facts."""

from __future__ import annotations

import re

from tree_sitter import Node

from patchaudit.cfront.grammar import TYPE
from patchaudit.cfront.ir import FileIR, Function, GlobalVar, ParseIssue, StructDef
from patchaudit.cfront.lower_ctx import MAX_DEPTH, MAX_EXPR_BYTES, Ctx, paused_gc
from patchaudit.cfront.lower_decl import DeclLowerer
from patchaudit.cfront.lower_expr import ExprLowerer
from patchaudit.cfront.lower_stmt import StmtLowerer
from patchaudit.cfront.lower_text import scan_text
from patchaudit.cfront.parser import ParsedTree

# Nodes whose children are again file-scope items.
_CONTAINERS = frozenset(
    {"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef", "preproc_else",
     "linkage_specification", "declaration_list", "ERROR"}
)  # fmt: skip
# The name of the macro or function a broken construct belongs to: the last
# "name(" before the error on its line, e.g. list_for_each_entry_safe.
_CALL_NAME = re.compile(rb"([A-Za-z_]\w*)\s*\(")
_WORD = re.compile(rb"[A-Za-z_]\w*|\S")


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def lower_tree(parsed: ParsedTree, *, path: str, digest: str) -> FileIR:
    """The whole FileIR of one parsed file (diagnostics about the input are the caller's)."""
    with paused_gc():
        return _lower(parsed, path, digest)


def _lower(parsed: ParsedTree, path: str, digest: str) -> FileIR:
    ctx = Ctx(parsed.original, parsed.masked)
    exprs = ExprLowerer(ctx)
    stmts = StmtLowerer(ctx, exprs)
    decls = DeclLowerer(ctx, exprs, stmts)

    functions: list[Function] = []
    structs: list[StructDef] = []
    globals_: list[GlobalVar] = []
    stack: list[Node] = [parsed.tree.root_node]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "translation_unit" or kind in _CONTAINERS:
            stack.extend(reversed(node.named_children))
        elif kind == "function_definition":
            fn = decls.function(node)
            if fn is not None:
                functions.append(fn)
            type_node = node.child_by_field_id(TYPE)
            if type_node is not None:
                decls.structs_in(type_node, structs)
        elif kind == "declaration":
            type_node = node.child_by_field_id(TYPE)
            if type_node is not None:
                decls.structs_in(type_node, structs)
            globals_.extend(decls.globals_of(node))
        elif kind in ("struct_specifier", "union_specifier"):
            decls.structs_in(node, structs)
        elif kind == "type_definition":
            decls.type_definition(node, structs)

    exprs.lower_block = None  # the one reference cycle of a lowering: break it
    facts = scan_text(ctx.file_text())
    error_nodes, constructs = _errors(parsed.tree.root_node, parsed.original)
    issues: list[ParseIssue] = []
    if ctx.too_deep_lines:
        lines = sorted(set(ctx.too_deep_lines))
        shown = ", ".join(str(n) for n in lines[:5]) + (", ..." if len(lines) > 5 else "")
        issues.append(
            ParseIssue(
                f"nesting deeper than {MAX_DEPTH} levels (line {shown}): lowered as Opaque/Unknown"
            )
        )
    if ctx.too_long_lines:
        lines = sorted(set(ctx.too_long_lines))
        shown = ", ".join(str(n) for n in lines[:5]) + (", ..." if len(lines) > 5 else "")
        issues.append(
            ParseIssue(
                f"expression longer than {MAX_EXPR_BYTES} bytes (line {shown}): "
                "lowered as Unknown, its calls kept"
            )
        )
    return FileIR(
        path=path,
        digest=digest,
        size=len(parsed.original),
        lines=line_count(parsed.original),
        functions=tuple(functions),
        structs=tuple(structs),
        globals=tuple(globals_),
        macros=facts.macros,
        comments=facts.comments,
        identifiers=facts.identifiers,
        error_nodes=error_nodes,
        issues=tuple(issues),
        error_constructs=tuple(constructs),
    )


def _errors(root: Node, original: bytes) -> tuple[int, list[str]]:
    """Count ERROR and MISSING nodes, walking only subtrees that contain one."""
    count = 0
    constructs: list[str] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing or node.is_error:
            count += 1
            constructs.append(_describe(node, original))
        stack.extend(c for c in reversed(node.children) if c.has_error or c.is_missing)
    return count, constructs


def _describe(node: Node, original: bytes) -> str:
    """A short, aggregatable name for what broke: ``missing ; after list_for_each_entry``."""
    line_start = original.rfind(b"\n", 0, node.start_byte) + 1
    before = original[line_start : node.start_byte]
    names = _CALL_NAME.findall(before)
    if node.is_missing:
        anchor = names[-1].decode("ascii") if names else "?"
        return f"missing {node.type} after {anchor}"
    first = _WORD.search(original, node.start_byte, node.end_byte)
    token = first.group().decode("utf-8", "surrogateescape") if first else "?"
    if names:
        return f"error at {token} in {names[-1].decode('ascii')}("
    return f"error at {token}"
