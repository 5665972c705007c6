"""Miner of the contracts a function's comments state: kernel-doc "Context:" lines and prose.

The comments read are the one right above a function definition (or above
a prototype that a kernel-doc block documents) and the ones at the top of
its body. Sentences of a kernel-doc "Context:" section are read with the
context phrasings as well (origin kernel-doc); @param descriptions with the
phrasings about a parameter ("@folio: The folio, which must be locked");
everything else as prose.
"""

from __future__ import annotations

from collections.abc import Iterator

from patchaudit.analyses.docs.blocks import DocKind, function_doc_block
from patchaudit.cfront.ir import Comment, Function
from patchaudit.contracts.model import CONTEXT_LOCKS, Contract, ContractKind, Origin
from patchaudit.contracts.phrases import Where
from patchaudit.contracts.statements import Statement, read
from patchaudit.contracts.text import Sentence, sentences
from patchaudit.contracts.unit import Unit

_SECTIONS = {"context": Where.CONTEXT}


def _section(sentence: Sentence) -> Where:
    heading = sentence.heading.lower()
    if heading.startswith("@"):
        return Where.PARAM
    return _SECTIONS.get(heading, Where.ANY)


def _contracts(unit: Unit, subject: str, comment: Comment, function_line: int,
               kernel_doc: bool) -> Iterator[Contract]:
    for sentence in sentences(comment):
        section = _section(sentence)
        if section is Where.ANY and sentence.heading and sentence.heading.lower() not in (
                "description", "note", "notes", "locking", "lock", "locks", "context"):
            # Return:, Example: and the like state results, not requirements.
            continue
        for statement in read(sentence.text, subject, section):
            origin = Origin.KERNEL_DOC if section is Where.CONTEXT and kernel_doc else Origin.PROSE
            yield from _from_statement(unit, subject, sentence, section, statement, origin,
                                       function_line)


def _from_statement(unit: Unit, subject: str, sentence: Sentence, section: Where,
                    statement: Statement, origin: Origin, function_line: int) -> Iterator[Contract]:
    base = dict(origin=origin, subject=subject, file=unit.path, line=sentence.line,
                text=sentence.text, conditional=statement.conditional,
                function_line=function_line)
    if statement.kind is ContractKind.CONTEXT:
        yield Contract(kind=ContractKind.CONTEXT, context=statement.context, **base)  # type: ignore[arg-type]
        return
    if statement.fixed:
        context = next((c for c, lock in CONTEXT_LOCKS.items() if lock == statement.fixed), None)
        yield Contract(kind=statement.kind, lock_text=statement.fixed, lock=statement.fixed,
                       context=context, **base)  # type: ignore[arg-type]
        return
    for lock_text in statement.lock_texts:
        if statement.page and section is Where.PARAM:
            lock_text = sentence.heading  # "@folio: ... must be locked": the parameter
        if statement.page:
            lock_text = f"page:{lock_text}"
        yield Contract(kind=statement.kind, lock_text=lock_text, **base)  # type: ignore[arg-type]


def _doc_subject(comment: Comment) -> str | None:
    """The function a kernel-doc block documents, when it documents one."""
    block = function_doc_block(comment)
    if block is None or block.kind is not DocKind.FUNCTION or not block.name:
        return None
    return block.name


def mine_comments(unit: Unit) -> Iterator[Contract]:
    """Contracts stated in the comments of each function and documented prototype."""
    bound: set[int] = set()
    functions: dict[int, Function] = {}
    for fn in unit.ir.functions:
        comment = unit.comment_above(fn.start_line)
        if comment is not None:
            functions[comment.start_line] = fn
            kernel_doc = comment.text.startswith("/**")
            named = _doc_subject(comment)
            # A block naming another function documents that one, not this.
            if named is None or named == fn.name:
                bound.add(comment.start_line)
                yield from _contracts(unit, fn.name, comment, fn.pos.line, kernel_doc)
        for inner in unit.body_head(fn):
            yield from _contracts(unit, fn.name, inner, fn.pos.line, False)
    # kernel-doc blocks of prototypes and macros: the function is defined elsewhere.
    for comment in unit.ir.comments:
        if comment.start_line in bound or not comment.text.startswith("/**"):
            continue
        named = _doc_subject(comment)
        if named is None or comment.start_line in functions:
            continue
        yield from _contracts(unit, named, comment, 0, True)

