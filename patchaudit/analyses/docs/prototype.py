"""Read a function prototype from source text, for declarations the IR does not hold (prototypes).

FileIR lowers function definitions and macros but not prototypes such as
``extern struct page *balloon_page_alloc(void);``, which kernel-doc comments
in headers often document. This reader handles the prototype text that
follows a doc comment, the way scripts/kernel-doc reads it: up to the first
``{`` or ``;``, comments removed.
"""

from __future__ import annotations

import re
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
_WORD_RE = re.compile(r"[A-Za-z_]\w*")
# Everything after the parameter list that may still belong to a prototype:
# annotations (__acquires(x), __attribute__((...)), __must_hold(&l)) and
# asm labels; anything else means the group was not the parameter list.
_TRAILER_RE = re.compile(r"^(?:\s*(?:__\w+|asm|__asm__)\s*(?:\((?:[^()]|\([^()]*\))*\))?)*\s*$")
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


def _groups(text: str) -> list[tuple[int, int]]:
    """Spans (open, close) of the top-level parenthesised groups of ``text``."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index
            depth += 1
        elif char == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, index))
    return spans


def split_args(text: str) -> list[str]:
    """Split an argument list at top-level commas."""
    args: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    last = "".join(current).strip()
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
    pointer = re.search(r"\(\s*\*+\s*(?:const\s+)?(\w+)\s*\)", arg)
    if pointer:  # int (*fn)(int): a function pointer or pointer to array
        return (pointer.group(1),)
    grouped = _PARAM_MACRO_RE.match(arg)
    if grouped:  # DECL_BUCKET_PARAMS(size, b): a macro that expands to parameters
        return tuple(name for name in split_args(grouped.group(1)) if _WORD_RE.fullmatch(name))
    arg = re.sub(r"\[[^\]]*\]", "", arg)  # char buf[16]
    arg = _ANNOTATION_RE.sub("", arg)  # __counted_by(n)
    words = _WORD_RE.findall(arg)
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
    text = _COMMENT_RE.sub(" ", text)
    for stop in ("{", ";"):
        if stop in text:
            text = text[: text.index(stop)]
    text = " ".join(text.split())
    # A typedef of a function type documents a type, not a function.
    if not text or text.startswith(("#", "typedef ")) or _MUNGED.search(text):
        return None
    # int (*get_foo)(struct bar *b): documented like a function, as kernel-doc does.
    text = re.sub(r"^((?:\w+\s*\**\s+)+)\(\s*\*\s*(\w+)\s*\)", r"\1\2", text)
    for open_at, close_at in _groups(text):
        before = text[:open_at].rstrip()
        name_match = re.search(r"(\w+)$", before)
        if name_match is None:
            continue
        if not _TRAILER_RE.match(text[close_at + 1 :]):
            continue  # an annotation before the name, such as __printf(1, 2)
        name = name_match.group(1)
        prefix = _ANNOTATION_RE.sub(" ", before[: name_match.start()])
        words = [w for w in prefix.replace("*", " * ").split() if w not in _STORAGE]
        return_type = re.sub(r"\s+\*", " *", " ".join(words)).strip()
        args = split_args(text[open_at + 1 : close_at])
        params = tuple(name for arg in args for name in param_names(arg))
        return Prototype(name, params, return_type)
    return None


def returns_value(return_type: str) -> bool:
    """Whether kernel-doc wants a Return section: not for "" (a macro) nor a plain ``void``.

    scripts/kernel-doc tests the type with ``void\\s*\\w*\\s*$``: ``void *``
    returns a value, ``void __noreturn`` does not.
    """
    return bool(return_type) and re.search(r"void\s*\w*\s*$", return_type) is None
