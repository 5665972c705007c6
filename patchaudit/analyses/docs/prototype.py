"""Read a function prototype from source text, for declarations the IR does not hold (prototypes).

FileIR lowers function definitions and macros but not prototypes such as
``extern struct page *balloon_page_alloc(void);``, which kernel-doc comments
in headers often document. This reader handles the prototype text that
follows a doc comment, the way scripts/kernel-doc reads it: up to the first
``{`` or ``;``, comments removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Words that qualify a declaration but are neither its type nor its name.
_STORAGE = frozenset(
    {
        "static", "extern", "inline", "__inline", "__inline__", "__always_inline", "noinline",
        "asmlinkage", "__init", "__exit", "__meminit", "__weak", "__sched", "__must_check",
        "__deprecated", "__flatten", "__init_or_module", "__FORTIFY_INLINE", "__attribute_const__",
        "__cold", "__malloc", "notrace", "__always_unused", "__maybe_unused",
    }
)  # fmt: skip
# Type words: an argument made only of these (and '*') has no name.
_TYPE_WORDS = frozenset(
    {
        "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "bool",
        "_Bool", "const", "volatile", "struct", "union", "enum", "restrict", "__user", "__iomem",
    }
)  # fmt: skip
_COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_PAREN_RE = re.compile(r"[()]")
_BRACKET_RE = re.compile(r"[()\[\]{}]")
_ARG_MARK_RE = re.compile(r"[()\[\]{},]")
# int (*fn)(int), char (*rows)[4]: the name is the one inside "(*...)".
_POINTER_PARAM_RE = re.compile(r"\(\s*\*+\s*(?:const\s+)?(\w+)\s*\)")
_ARRAY_RE = re.compile(r"\[[^\]]*\]")
# A member declared as a function pointer: "(*name)" becomes "name".
_FUNCTION_POINTER_RE = re.compile(r"^((?:\w+\s*\**\s+)+)\(\s*\*\s*(\w+)\s*\)")
_SPACE_STAR_RE = re.compile(r"\s+\*")
# kernel-doc's test for a return type that returns nothing.
_VOID_RE = re.compile(r"void\s*\w*\s*$")
_WORD_RE = re.compile(r"[A-Za-z_]\w*")
# The word that ends a text (the name before a parameter list): the greedy
# ".*" backs off from the end to the last non-word character, so the match
# costs the length of the word, not a search from every position.
_NAME_AT_END_RE = re.compile(r"(?:.*\W)?(\w+)", re.DOTALL)
# Everything after the parameter list that may still belong to a prototype:
# annotations (__acquires(x), __attribute__((...)), __must_hold(&l)) and
# asm labels; anything else means the group was not the parameter list.
# Possessive and atomic (groups as (?>X*), see lower_text.py): no
# backtracking into blanks that either of two annotations may take, or into
# a word split at "__" (neither can change the answer, and on a long
# failing trailer they cost time exponential in its length).
_TRAILER_RE = re.compile(
    r"^(?>(?:\s*+(?:__\w++|asm|__asm__)\s*+(?:\((?>(?:[^()]|\([^()]*\))*)\))?)*)\s*+$"
)
# The common prototype, "static int foo(struct bar *b, int c)" (blanks
# are single spaces here): type words, the name and the only parenthesised
# group, with nothing after it. The general reading in _declarator gives
# the same three parts for it; this match costs one call.
_SIMPLE_RE = re.compile(r"([\w *]*[ *])?(\w+) ?\(([^()]*)\)")
# An annotation with arguments before the name: __printf(2, 3), __attribute__((x)).
_ANNOTATION_RE = re.compile(r"\b__\w+\s*\((?:[^()]|\([^()]*\))*\)")
# An argument that is wholly a macro call names parameters in its arguments.
_PARAM_MACRO_RE = re.compile(r"^[A-Z][A-Z0-9_]*\s*\((.*)\)$")
# Generated or pseudo-function declarations whose names are not C names.
_MUNGED = re.compile(r"\b(?:SYSCALL_DEFINE\d|COMPAT_SYSCALL_DEFINE\d|TRACE_EVENT|DEFINE_EVENT)\b")


@dataclass(frozen=True)
class Prototype:
    name: str
    params: tuple[str, ...]  # named parameters in order, "..." for variadic
    return_type: str  # without storage words; "" if none was written


def _groups(text: str) -> Iterator[tuple[int, int]]:
    """Spans (open, close) of the top-level parenthesised groups of ``text``, in order."""
    depth = 0
    start = 0
    for paren in _PAREN_RE.finditer(text):  # only the parentheses: most characters are neither
        index = paren.start()
        if paren.group() == "(":
            if depth == 0:
                start = index
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                yield start, index


def split_args(text: str) -> list[str]:
    """Split an argument list at top-level commas."""
    # Without brackets every comma is at the top level. A closing bracket
    # alone also counts: it makes the depth negative, and the commas after
    # it are then not split at.
    if not _BRACKET_RE.search(text):
        args = [arg.strip() for arg in text.split(",")]
        return [] if args == [""] else args
    args = []
    depth = 0
    start = 0
    for mark in _ARG_MARK_RE.finditer(text):
        char = mark.group()
        if char == ",":
            if depth == 0:
                args.append(text[start : mark.start()].strip())
                start = mark.end()
        elif char in "([{":
            depth += 1
        else:
            depth -= 1
    last = text[start:].strip()
    if last or args:
        args.append(last)
    return args


def param_names(arg: str) -> tuple[str, ...]:
    """The names one argument declares: ``struct page *page`` -> (page,); () when unnamed."""
    arg = " ".join(arg.split())
    if arg in ("", "void"):
        return ()
    if arg.endswith("..."):
        return ("...",)
    if "(" in arg:  # the three patterns below need a "("
        pointer = _POINTER_PARAM_RE.search(arg)
        if pointer:  # int (*fn)(int): a function pointer or pointer to array
            return (pointer.group(1),)
        grouped = _PARAM_MACRO_RE.match(arg)
        if grouped:  # DECL_BUCKET_PARAMS(size, b): a macro that expands to parameters
            return tuple(name for name in split_args(grouped.group(1)) if _WORD_RE.fullmatch(name))
    if "[" in arg:
        arg = _ARRAY_RE.sub("", arg)  # char buf[16]
    if "(" in arg:
        arg = _ANNOTATION_RE.sub("", arg)  # __counted_by(n)
    words = _WORD_RE.findall(arg)
    if len(words) > 2 and words[-1].startswith("__"):
        # After the last "*" only the name and its annotations can stand: a
        # "__" word there is the name when it is alone ("struct page *__page").
        after_star = len(_WORD_RE.findall(arg[arg.rfind("*") + 1 :])) if "*" in arg else len(words)
        while len(words) > 2 and words[-1].startswith("__") and after_star > 1:
            words.pop()  # int a __maybe_unused
            after_star -= 1
    if len(words) < 2 or arg.rstrip().endswith("*") or words[-1] in _TYPE_WORDS:
        return ()
    if words[-2] in ("struct", "union", "enum"):
        return ()  # "struct page" alone: a type without a name
    return (words[-1],)


def read_prototype(text: str) -> Prototype | None:
    """Name, parameters and return type of a function declaration; None if it is not one."""
    if "/" in text:
        text = _COMMENT_RE.sub(" ", text)
    for stop in ("{", ";"):
        if stop in text:
            text = text[: text.index(stop)]
    text = " ".join(text.split())
    # A typedef of a function type documents a type, not a function.
    if not text or text.startswith(("#", "typedef ")):
        return None
    # Each munged name holds one of these; most prototypes hold neither.
    if ("SYSCALL_DEFINE" in text or "_EVENT" in text) and _MUNGED.search(text):
        return None
    # int (*get_foo)(struct bar *b): documented like a function, as kernel-doc does.
    # (Blanks are single spaces by now, and most prototypes hold neither.)
    if "(*" in text or "( *" in text:
        text = _FUNCTION_POINTER_RE.sub(r"\1\2", text)
    parts = _declarator(text)
    if parts is None:
        return None
    prefix, name, inside = parts
    if "(" in prefix:
        prefix = _ANNOTATION_RE.sub(" ", prefix)
    words = [w for w in prefix.replace("*", " * ").split() if w not in _STORAGE]
    return_type = " ".join(words)
    if "*" in return_type:
        return_type = _SPACE_STAR_RE.sub(" *", return_type)
    args = split_args(inside)
    params = tuple(name for arg in args for name in param_names(arg))
    return Prototype(name, params, return_type.strip())


def _declarator(text: str) -> tuple[str, str, str] | None:
    """What stands before the name, the name, and the parameter list's text; None if no
    parenthesised group of ``text`` is a parameter list after a name."""
    simple = _SIMPLE_RE.fullmatch(text)
    if simple is not None:
        return simple.group(1) or "", simple.group(2), simple.group(3)
    for open_at, close_at in _groups(text):
        before = text[:open_at].rstrip()
        name_match = _NAME_AT_END_RE.fullmatch(before)
        if name_match is None:
            continue
        if not _TRAILER_RE.match(text[close_at + 1 :]):
            continue  # an annotation before the name, such as __printf(1, 2)
        return before[: name_match.start(1)], name_match.group(1), text[open_at + 1 : close_at]
    return None


def returns_value(return_type: str) -> bool:
    """Whether kernel-doc wants a Return section: not for "" (a macro) nor a plain ``void``.

    scripts/kernel-doc tests the type with ``void\\s*\\w*\\s*$``: ``void *``
    returns a value, ``void __noreturn`` does not.
    """
    return bool(return_type) and ("void" not in return_type or _VOID_RE.search(return_type) is None)
