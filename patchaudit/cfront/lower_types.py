"""Normalised type text from declarations, declarators and type descriptors."""

from __future__ import annotations

import re
from functools import lru_cache

from tree_sitter import Node

from patchaudit.cfront.grammar import BODY, DECLARATOR, NAME, TYPE
from patchaudit.cfront.lower_ctx import Ctx

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_STAR_SPACES = re.compile(r"\s*\*\s*")
# "struct page*" -> "struct page *": one space between a name and its first star.
_WORD_STAR = re.compile(r"(?<=[\w\]\)])\*")
# "int *const" -> "int * const": keep qualifiers after a star readable.
_STAR_WORD = re.compile(r"\*(?=\w)")
# "void(*)(int)" -> "void (*)(int)": the abstract declarator of a function pointer.
_WORD_PAREN = re.compile(r"(?<=\w)\((?=\*)")
# "(struct dev * , int )" -> "(struct dev *, int)": left over where names were cut.
_SPACE_BEFORE_CLOSE = re.compile(r"\s+(?=[,)\]])")
_SPACE_AFTER_OPEN = re.compile(r"(?<=[(\[])\s+")

_NAME_TYPES = frozenset({"identifier", "field_identifier", "type_identifier"})
_SPECIFIERS_WITH_BODY = frozenset({"struct_specifier", "union_specifier", "enum_specifier"})


# Memoised: a file spells the same few types over and over (``struct page *``,
# ``int``), and the six passes below cost some forty times a cache hit.
# Bounded, so that a whole-tree scan does not keep every type it met.
@lru_cache(maxsize=4096)
def normalise_type(text: str) -> str:
    """Collapse whitespace and comments; ``struct page*`` and ``struct  page *`` both become ``struct page *``."""
    text = " ".join(_COMMENT.sub(" ", text).split())
    text = _STAR_SPACES.sub("*", text)
    text = _WORD_STAR.sub(" *", text)
    text = _STAR_WORD.sub("* ", text)
    text = _SPACE_BEFORE_CLOSE.sub("", _SPACE_AFTER_OPEN.sub("", text))
    return _WORD_PAREN.sub(" (", text)


def declarator_name(node: Node) -> Node | None:
    """The identifier a (possibly nested) declarator declares, if any."""
    current: Node | None = node
    while current is not None:
        if current.type in _NAME_TYPES:
            return current
        inner = current.child_by_field_id(DECLARATOR)
        if inner is None:
            # parenthesized_declarator and attributed_declarator have no field name.
            inner = next((c for c in current.named_children if c.type != "comment"), None)
        current = inner
    return None


def specifier_text(ctx: Ctx, node: Node) -> str:
    """``struct foo`` for a specifier, without the body of a definition."""
    if node.type in _SPECIFIERS_WITH_BODY and node.child_by_field_id(BODY) is not None:
        keyword = node.type.split("_", 1)[0]
        name = node.child_by_field_id(NAME)
        return f"{keyword} {ctx.text(name)}" if name is not None else f"{keyword} {{...}}"
    return ctx.masked_text(node.start_byte, node.end_byte)


def base_type(ctx: Ctx, decl: Node) -> str:
    """Qualifiers and type specifier of a declaration-like node (no storage class, no declarator)."""
    type_node = decl.child_by_field_id(TYPE)
    parts = [
        ctx.masked_text(c.start_byte, c.end_byte)
        for c in decl.children
        if c.type == "type_qualifier"
    ]
    if type_node is not None:
        parts.append(specifier_text(ctx, type_node))
    return " ".join(parts)


def declared_type(ctx: Ctx, base: str, declarator: Node | None) -> str:
    """The type a declarator gives its name: base ``struct page`` + ``**pp`` -> ``struct page **``."""
    # `(name)` is the name: LIST_HEAD(pages) read as a declaration declares
    # `pages` of type LIST_HEAD, not of type "LIST_HEAD ()".
    while declarator is not None and declarator.type == "parenthesized_declarator":
        inner = [c for c in declarator.named_children if c.type != "comment"]
        if len(inner) != 1 or inner[0].type not in _NAME_TYPES:
            break
        declarator = inner[0]
    if declarator is None or declarator.type in _NAME_TYPES:
        # No declarator, or a bare name (most declarations): nothing of it
        # is left in the type, so the walk below has nothing to cut.
        return ctx.intern(normalise_type(base))
    # The type is the declarator's text without the names it declares: its
    # own name and those of the parameters of any function (pointer) type in
    # it, so int (*resize)(struct dev *dev) gives int (*)(struct dev *).
    cut = [n for n in (declarator_name(declarator),) if n is not None]
    stack = [declarator]
    while stack:
        current = stack.pop()
        if current.type == "parameter_declaration":
            param = current.child_by_field_id(DECLARATOR)
            param_name = declarator_name(param) if param is not None else None
            if param_name is not None:
                cut.append(param_name)
        stack.extend(current.named_children)
    pieces: list[str] = []
    pos = declarator.start_byte
    for name in sorted(cut, key=lambda n: n.start_byte):
        pieces.append(ctx.masked_text(pos, name.start_byte))
        pos = name.end_byte
    pieces.append(ctx.masked_text(pos, declarator.end_byte))
    return ctx.intern(normalise_type(f"{base} {''.join(pieces)}"))


def descriptor_type(ctx: Ctx, node: Node) -> str:
    """A ``type_descriptor`` (casts, sizeof) as normalised text."""
    if node.type != "type_descriptor":
        return normalise_type(ctx.masked_text(node.start_byte, node.end_byte))
    return declared_type(ctx, base_type(ctx, node), node.child_by_field_id(DECLARATOR))


def is_static(ctx: Ctx, decl: Node) -> bool:
    return any(
        c.type == "storage_class_specifier" and ctx.text(c) == "static" for c in decl.children
    )


# A macro argument that is a type (container_of(p, struct foo, m), va_arg(ap,
# unsigned long)): C has no expression that starts with these keywords, so the
# text alone decides, whatever tree-sitter made of it.
_TYPE_ARG = re.compile(
    r"(?:(?:const|volatile)\s+)*"
    r"(?:(?:struct|union|enum)\s+\w+"
    r"|(?:(?:unsigned|signed|short|long|int|char|void|bool|_Bool|float|double)\b\s*)+)"
    r"(?:\s*\*|\s+const\b|\s+volatile\b)*\s*",
    re.ASCII,
)


def type_arg_text(text: str) -> str | None:
    """Normalised type if ``text`` (a macro argument, comments allowed) is a type, else None."""
    # The substitution only when there can be a comment: most arguments have none.
    stripped = (_COMMENT.sub(" ", text) if "/" in text else text).strip()
    if _TYPE_ARG.fullmatch(stripped):
        return normalise_type(stripped)
    return None
