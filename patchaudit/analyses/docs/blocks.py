"""Doc blocks: kernel-doc comments (``/**``) and plain ``/*`` comments written in kernel-doc form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from patchaudit.cfront.ir import Comment


class CommentStyle(Enum):
    KERNEL_DOC = "kernel-doc"  # opened with "/**" alone on its line: scripts/kernel-doc reads it
    PLAIN = "plain"  # opened with "/*": scripts/kernel-doc skips it although it has the form


class DocKind(Enum):
    FUNCTION = "function"  # also function-like and object-like macros, as in scripts/kernel-doc
    STRUCT = "struct"
    UNION = "union"
    ENUM = "enum"
    TYPEDEF = "typedef"
    OVERVIEW = "overview"  # a "DOC:" block, about no declaration


@dataclass(frozen=True)
class DocParam:
    """One ``@name:`` line; ``name`` as scripts/kernel-doc keys it (``...`` for ``@...``)."""

    name: str
    line: int
    column: int


@dataclass(frozen=True)
class DocBlock:
    style: CommentStyle
    kind: DocKind
    name: str  # the documented identifier ("" for an overview)
    name_line: int
    params: tuple[DocParam, ...]
    has_return: bool  # a "Return:" / "Returns:" / "@return:" section heading, even empty
    start_line: int
    end_line: int


# The patterns below restate scripts/kernel-doc's (Linux 6.12) so that the
# same comments are read the same way; they are re-derived, not copied.
#
# The name line must start with a word after the "*" column, or the block is
# not kernel-doc at all ("Cannot understand ..." in scripts/kernel-doc).
_NAME_WORD_RE = re.compile(r"^\s*\*\s*\w")
_DOC_OVERVIEW_RE = re.compile(r"^\s*\*\s*DOC:")
# First reading of the name line: words up to an optional "()" and an
# optional "- description" / ": description".
_NAME_WORDS_RE = re.compile(r"^\s*\*\s*([\w\s]+?)(?:\(\w*\))?\s*(?:[-:].*)?$")
_TYPE_DECL_RE = re.compile(r"^(struct|union|enum|typedef)\b\s*(\S*)")
# A function name line: an optional "type *" (some write "void *foo() -"),
# the name, an optional "()", an optional description; or, as a fallback that
# scripts/kernel-doc also accepts, anything before a mandatory description.
_FUNCTION_NAME_RE = re.compile(r"^\s*\*\s*(?:\w+\s*\*\s*)?(\w+)\s*(?:\(\w*\))?\s*(?:[-:].*)?$")
_FUNCTION_LOOSE_RE = re.compile(r"^\s*\*\s*(?:\w+\s*\*\s*)?(\w+.*)(?:\(\w*\))?\s*[-:].*$")
# Section headings: @param, @..., and the few named sections scripts/kernel-doc
# knows; "Example::" (a literal block) is not a heading, hence "[^:]".
# Matched within a comment's text from the line break before the line (a
# literal first character lets the search skip from line to line), each
# line on its own: no "\s" or "." may reach into the next line.
_SECTION_RE = re.compile(
    r"\n[^\S\n]*\*[^\S\n]*(@[.\w]+|@\.\.\.|description|context|returns?|notes?|examples?)"
    r"[^\S\n]*:(?:[^:\n][^\n]*)?$",
    re.IGNORECASE | re.MULTILINE,
)
# How a "@name" heading becomes the key of a parameter ("@a.b" for members).
_PARAM_KEY_RE = re.compile(r"@(\w*(?:(?:\.\w+)|(?:->\w+))*(?:\.\.\.)?)")
# A plain comment counts as kernel-doc form only with the documented name
# line "name - description" or "name() - description" (stricter than for
# "/**": prose such as "Note: ..." must not look like a name line).
_PLAIN_NAME_RE = re.compile(r"^\s*(?:/\*+|\*)?\s*(\w+)\s*(?:\(\))?\s+-\s+\S")
# The common name line, "foo() - ..." or "foo: ...": one word, an optional
# "(...)", then "-" or ":". Every pattern of _name_of then reads it as the
# function "foo" (no "*" for a "type *" prefix, no space in the word for
# "define"), except for the words that name a kind or an overview.
_COMMON_NAME_RE = re.compile(r"^\s*\*\s*(\w+)\s*(?:\(\w*\))?\s*[-:]")
_NOT_COMMON = frozenset({"struct", "union", "enum", "typedef", "DOC"})
_DEFINE_WORD_RE = re.compile(r"^define\s+")


def _name_of(line: str) -> tuple[DocKind, str] | None:
    """What a kernel-doc name line documents, or None when it is not a name line."""
    common = _COMMON_NAME_RE.match(line)
    if common is not None and common.group(1) not in _NOT_COMMON:
        return DocKind.FUNCTION, common.group(1)
    if _DOC_OVERVIEW_RE.match(line):
        return DocKind.OVERVIEW, ""
    if not _NAME_WORD_RE.match(line):
        return None
    words = _NAME_WORDS_RE.match(line)
    identifier = words.group(1) if words else ""
    typed = _TYPE_DECL_RE.match(identifier)
    if typed:
        return DocKind(typed.group(1)), typed.group(2)
    function = _FUNCTION_NAME_RE.match(line) or _FUNCTION_LOOSE_RE.match(line)
    if function is None:
        return None  # "This comment starts with '/**', but isn't a kernel-doc comment"
    name = _DEFINE_WORD_RE.sub("", function.group(1)).rstrip()
    if not name:
        return None
    return DocKind.FUNCTION, name


def _sections(
    text: str, first: int, index: int, start_line: int
) -> tuple[tuple[DocParam, ...], bool]:
    """The ``@param`` lines and whether a Return section heading exists, from the line that
    starts at ``text[first]`` (the comment's line ``index``) to the first line holding "*/".

    Text before "*/" on that line is not read unless the line is a heading
    (as in scripts/kernel-doc). The headings are found in one pass over
    those lines rather than by a match per line: most lines are prose.
    """
    closing = text.find("*/", first)
    end = -1 if closing < 0 else text.find("\n", closing)
    params: list[DocParam] = []
    has_return = False
    counted = first  # the line breaks before this index are counted in ``index``
    for heading in _SECTION_RE.finditer(text, first - 1, len(text) if end < 0 else end):
        title = heading[1]
        if title.lower() in ("return", "returns", "@return"):
            # scripts/kernel-doc (6.12) counts the heading itself: an empty
            # "Return:" gets no warning from it, so none from us either (and
            # the section's lines need not be read for content).
            has_return = True
            continue
        if title[0] != "@":
            continue  # Description:, Context:, Note:, Example:
        if "." in title:
            key = _PARAM_KEY_RE.match(title)
            name = key.group(1) if key else title[1:]
        else:
            name = title[1:]  # "@" and word characters: the key is the word
        line_start = heading.start() + 1
        index += text.count("\n", counted, line_start)
        counted = line_start
        # Only blanks and the "*" stand before the title's "@".
        column = heading.start(1) - line_start + 1
        params.append(DocParam(name, start_line + index, column))
    return tuple(params), has_return


def _kernel_doc_block(comment: Comment, functions_only: bool = False) -> DocBlock | None:
    text = comment.text
    lines = text.split("\n", 2)  # the opening line, the name line, the rest
    # scripts/kernel-doc starts a block only at a line that is exactly "/**".
    if len(lines) < 3 or lines[0].rstrip() != "/**":
        return None
    named = _name_of(lines[1])
    if named is None:
        return None
    kind, name = named
    if functions_only and kind is not DocKind.FUNCTION:
        return None
    params, has_return = _sections(text, len(lines[0]) + len(lines[1]) + 2, 2, comment.start_line)
    return DocBlock(
        CommentStyle.KERNEL_DOC,
        kind,
        name,
        comment.start_line + 1,
        params,
        has_return,
        comment.start_line,
        comment.end_line,
    )


def _plain_block(comment: Comment) -> DocBlock | None:
    text = comment.text
    lines = text.split("\n", 2)  # the opening line, the next one, the rest
    if len(lines) < 3 or lines[0].startswith("/**") or not lines[0].startswith("/*"):
        return None
    # The name may follow "/*" on the opening line or stand on the next one.
    name_index = 0 if lines[0][2:].strip() else 1
    match = _PLAIN_NAME_RE.match(lines[name_index])
    if match is None:
        return None
    named = _name_of(" * " + lines[name_index].lstrip().lstrip("/*").lstrip())
    if named is None or named[0] is not DocKind.FUNCTION:
        return None
    first = sum(len(line) + 1 for line in lines[: name_index + 1])
    params, has_return = _sections(text, first, name_index + 1, comment.start_line)
    if not params:
        return None  # without "@param:" lines a plain comment is just prose
    return DocBlock(
        CommentStyle.PLAIN,
        DocKind.FUNCTION,
        named[1],
        comment.start_line + name_index,
        params,
        has_return,
        comment.start_line,
        comment.end_line,
    )


def doc_block(comment: Comment) -> DocBlock | None:
    """The doc block a comment is, if it is one (kernel-doc or plain kernel-doc form)."""
    if comment.text.startswith("/**"):
        return _kernel_doc_block(comment)
    if "@" not in comment.text:
        return None  # a plain comment is in kernel-doc form only with "@param:" lines
    return _plain_block(comment)


def function_doc_block(comment: Comment) -> DocBlock | None:
    """doc_block for a reader of function blocks only: a type or overview block gives None
    before its sections (often one per member) are read."""
    if comment.text.startswith("/**"):
        return _kernel_doc_block(comment, functions_only=True)
    if "@" not in comment.text:
        return None
    return _plain_block(comment)  # always a function block


def doc_blocks(comments: tuple[Comment, ...]) -> Iterator[DocBlock]:
    for comment in comments:
        block = doc_block(comment)
        if block is not None:
            yield block
