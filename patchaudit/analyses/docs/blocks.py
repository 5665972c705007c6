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
# A comment line: optional indentation, the "*" column, then the text.
_BODY_RE = re.compile(r"^\s*\* ?(.*)$")
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
_SECTION_RE = re.compile(
    r"^\s*\*\s*(@[.\w]+|@\.\.\.|description|context|returns?|notes?|examples?)\s*:([^:].*)?$",
    re.IGNORECASE,
)
# How a "@name" heading becomes the key of a parameter ("@a.b" for members).
_PARAM_KEY_RE = re.compile(r"@(\w*(?:(?:\.\w+)|(?:->\w+))*(?:\.\.\.)?)")
# A plain comment counts as kernel-doc form only with the documented name
# line "name - description" or "name() - description" (stricter than for
# "/**": prose such as "Note: ..." must not look like a name line).
_PLAIN_NAME_RE = re.compile(r"^\s*(?:/\*+|\*)?\s*(\w+)\s*(?:\(\))?\s+-\s+\S")


def _lines(comment: Comment) -> list[str]:
    return comment.text.split("\n")


def _name_of(line: str) -> tuple[DocKind, str] | None:
    """What a kernel-doc name line documents, or None when it is not a name line."""
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
    name = re.sub(r"^define\s+", "", function.group(1)).rstrip()
    if not name:
        return None
    return DocKind.FUNCTION, name


def _sections(lines: list[str], first: int, start_line: int) -> tuple[tuple[DocParam, ...], bool]:
    """The ``@param`` lines and whether a Return section heading exists, from line index ``first``."""
    params: list[DocParam] = []
    has_return = False
    in_return = False
    for index in range(first, len(lines)):
        line = lines[index]
        if "*/" in line and _SECTION_RE.match(line) is None:
            break  # the closing line; text before "*/" is not read (as in scripts/kernel-doc)
        heading = _SECTION_RE.match(line)
        if heading is not None:
            title = heading.group(1)
            in_return = title.lower() in ("return", "returns", "@return")
            if in_return:
                # scripts/kernel-doc (6.12) counts the heading itself: an empty
                # "Return:" gets no warning from it, so none from us either.
                has_return = True
            elif title.startswith("@") and title.lower() != "@return":
                key = _PARAM_KEY_RE.match(title)
                name = key.group(1) if key else title[1:]
                params.append(DocParam(name, start_line + index, line.index("@") + 1))
            if "*/" in line:
                break
            continue
        body = _BODY_RE.match(line)
        # Any non-empty line of the Return section gives it content.
        if in_return and body is not None and body.group(1) != "":
            has_return = True
    return tuple(params), has_return


def _kernel_doc_block(comment: Comment) -> DocBlock | None:
    lines = _lines(comment)
    # scripts/kernel-doc starts a block only at a line that is exactly "/**".
    if len(lines) < 3 or lines[0].rstrip() != "/**":
        return None
    named = _name_of(lines[1])
    if named is None:
        return None
    kind, name = named
    params, has_return = _sections(lines, 2, comment.start_line)
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
    lines = _lines(comment)
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
    params, has_return = _sections(lines, name_index + 1, comment.start_line)
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


def doc_blocks(comments: tuple[Comment, ...]) -> Iterator[DocBlock]:
    for comment in comments:
        block = doc_block(comment)
        if block is not None:
            yield block
