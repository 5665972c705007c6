"""kernel-doc conformance: the four function warning classes of scripts/kernel-doc, also for plain comments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from patchaudit.analyses.docs.blocks import CommentStyle, DocBlock, function_doc_block
from patchaudit.analyses.docs.decls import Declaration, declaration_after
from patchaudit.analyses.docs.source import doc_comment_spans
from patchaudit.cfront.ir import Comment


class DocProblemKind(Enum):
    EXCESS_PARAM = "excess-param"  # "Excess function parameter 'x' description in 'f'"
    UNDESCRIBED_PARAM = "undescribed-param"  # "Function parameter ... 'x' not described in 'f'"
    NAME_MISMATCH = "name-mismatch"  # "expecting prototype for f(). Prototype was for g() instead"
    MISSING_RETURN = "missing-return"  # "No description found for return value of 'f'"


@dataclass(frozen=True)
class DocProblem:
    """One warning. Like scripts/kernel-doc it is placed at the declaration, so a patch that
    changes the function's signature or its comment is the patch that gets it; ``doc_line``
    is the comment line it is about."""

    kind: DocProblemKind
    style: CommentStyle
    line: int  # the declaration's name
    column: int
    doc_line: int  # the @param line, the comment's name line, or its first line
    message: str
    subject: str  # the parameter, or the documented name
    declaration: str  # the name of the declaration that follows the comment
    function: str  # the function the declaration defines ("" for a prototype or macro)


def _plain_note(block: DocBlock) -> str:
    if block.style is CommentStyle.PLAIN:
        return " (a plain /* comment in kernel-doc form, which scripts/kernel-doc does not check)"
    return ""


def check_block(block: DocBlock, decl: Declaration) -> Iterator[DocProblem]:
    """The warnings scripts/kernel-doc gives for one function doc block, in its order."""
    note = _plain_note(block)

    def problem(kind: DocProblemKind, doc_line: int, message: str, subject: str) -> DocProblem:
        return DocProblem(
            kind,
            block.style,
            decl.line,
            decl.column,
            doc_line,
            message + note,
            subject,
            decl.name,
            decl.defines,
        )

    documented = {param.name for param in block.params}
    # Undescribed parameters come first and do not depend on the name
    # matching: kernel-doc collects them while reading the prototype.
    for param in decl.params:
        if param.variadic or param.name in documented:
            continue
        yield problem(
            DocProblemKind.UNDESCRIBED_PARAM,
            block.name_line,
            f"Function parameter '{param.name}' not described in '{decl.name}'",
            param.name,
        )
    if block.name != decl.name:
        yield problem(
            DocProblemKind.NAME_MISMATCH,
            block.name_line,
            f"expecting prototype for {block.name}(). Prototype was for {decl.name}() instead",
            block.name,
        )
        return  # kernel-doc stops here: the rest of the doc is about another function
    actual = {param.name for param in decl.params}
    for described in block.params:
        if described.name in actual:
            continue
        yield problem(
            DocProblemKind.EXCESS_PARAM,
            described.line,
            f"Excess function parameter '{described.name}' description in '{decl.name}'",
            described.name,
        )
    if decl.returns_value and not block.has_return:
        yield problem(
            DocProblemKind.MISSING_RETURN,
            block.name_line,
            f"No description found for return value of '{decl.name}'",
            decl.name,
        )


def kernel_doc_problems(text: str) -> list[DocProblem]:
    """Every function doc problem of a file, from its text alone (no parse).

    Only comments that open in column 1 are read: scripts/kernel-doc never
    looks at one inside a body. Struct, union, enum, typedef and DOC:
    blocks are skipped: their members take the shapes kernel-doc checks
    (nested anonymous structs, struct_group(), ...) only after a real
    declaration parse, and a wrong member warning would be noise.
    """
    problems: list[DocProblem] = []
    # Only the comments that doc_block may take ("/**", or an "@" in a
    # plain comment) are copied out of the text: most comments are neither.
    for start, end, line in doc_comment_spans(text):
        body = text[start:end]
        block = function_doc_block(Comment(body, line, line + body.count("\n")))
        if block is None:
            continue
        # The declaration is read from the line after the comment's last one.
        after = text.find("\n", end) + 1 or len(text)
        decl = declaration_after(block, text, after)
        if decl is None:
            continue
        # A plain comment documents the declaration only when that starts on
        # the very next line; kernel-doc's reach over blank and #ifdef lines
        # is for "/**" blocks, whose intent is explicit.
        if block.style is CommentStyle.PLAIN and decl.first_line != block.end_line + 1:
            continue
        problems.extend(check_block(block, decl))
    return problems
