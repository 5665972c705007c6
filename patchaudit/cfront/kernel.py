"""Kernel-aware masking: one pass over a file, driven by the macro table, keeping every byte offset."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from patchaudit.cfront.data import (
    Family,
    MacroTable,
    Treatment,
    kernel_table,
    lookup,
    pattern_regex,
)

# ---------------------------------------------------------------- scanning helpers

# Comments and literals are skipped whole so parentheses and names inside them
# never count. A block comment may be unterminated (a truncated patch); a
# literal stops at an unescaped newline so a stray quote (prose in `#if 0`,
# `#error don't`) cannot swallow the rest of the file.
_SKIPPED = rb"""/\*.*?(?:\*/|\Z)|//(?:\\\r?\n|[^\n])*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'"""

_CODE_TOKEN = re.compile(rb"(?P<skip>" + _SKIPPED + rb")|(?P<word>[A-Za-z_]\w*)", re.DOTALL)
_PAREN_TOKEN = re.compile(rb"(?:" + _SKIPPED + rb")|[()]", re.DOTALL)
_ARG_TOKEN = re.compile(rb"(?:" + _SKIPPED + rb")|(?P<punct>[()\[\]{},])", re.DOTALL)
# Comments between a macro name and its "(" are bounded so that an
# unterminated one costs a bounded look-ahead, not a scan to end of file.
_SPACE = re.compile(rb"(?:\s|/\*.{0,4096}?\*/|//[^\n]*)*", re.DOTALL)
_IDENT = re.compile(rb"[A-Za-z_]\w*")
_WORD_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_WORD_END = re.compile(rb"\w*", re.ASCII)

# An argument list longer than this is not a macro's: stop looking (bounds
# the work a stray "(" can cause).
_MAX_ARGS = 1 << 16


def _skip_space(data: bytes, pos: int) -> int:
    m = _SPACE.match(data, pos)
    return m.end() if m else pos


def _close_paren(data: bytes, open_pos: int) -> int | None:
    """Offset just past the ")" matching the "(" at ``open_pos``, or None."""
    depth = 0
    for m in _PAREN_TOKEN.finditer(data, open_pos, min(len(data), open_pos + _MAX_ARGS)):
        c = m.group()
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return m.end()
    return None


def _top_level_commas(data: bytes, open_pos: int, close: int) -> list[int]:
    """Offsets of the commas that separate the arguments of ``(...)`` at ``open_pos``."""
    commas, depth = [], 0
    for m in _ARG_TOKEN.finditer(data, open_pos, close):
        if m.lastgroup != "punct":
            continue  # a comment or a literal
        c = m.group()
        if c in b"([{":
            depth += 1
        elif c in b")]}":
            depth -= 1
        elif depth == 1:
            commas.append(m.start())
    return commas


# ---------------------------------------------------------------- queries for the lowering


@lru_cache(maxsize=1)
def _kernel_lookup() -> Callable[[str], Family | None]:
    """Name -> family in the shipped table, bound once.

    ``kernel_table().family_of(name)`` finds its memo by the table, and
    hashing a frozen table hashes every family and name in it: asked for
    each function header word and loop keyword, that was an eighth of the
    lowering's time.
    """
    return lookup(kernel_table())


@lru_cache(maxsize=1)
def _recorded_names() -> re.Pattern[bytes]:
    """Any name of a recorded family, anywhere (a necessary condition for annotations_in).

    Most definitions carry no annotation: one search of the header rejects
    them before the token scan, which looks every word up in the table.
    """
    names = [pattern_regex(n) for f in kernel_table().families if f.record for n in f.names]
    return re.compile("|".join(names).encode("ascii") if names else r"(?!)".encode("ascii"))


def macro_family(name: str) -> str | None:
    """The family ("iterator", "scope", "lock_annotation", ...) of a kernel macro name."""
    family = _kernel_lookup()(name)
    return family.name if family else None


def iterator_macro_at(original: bytes, start_byte: int) -> str | None:
    """The loop-treated macro (family iterator or scope) whose name starts at ``start_byte``.

    Masking rewrote such a name as ``while``, so the tree's while_statement
    starts here; a real ``while`` gives None.
    """
    m = _IDENT.match(original, start_byte)
    if m is None:
        return None
    name = m.group().decode("ascii")
    family = _kernel_lookup()(name)
    return name if family is not None and family.treatment is Treatment.LOOP else None


def annotations_in(original: bytes, start: int, end: int) -> tuple[str, ...]:
    """Recorded annotations written in ``original[start:end]``: ``("__must_hold(&l->lock)",)``.

    Families with ``record = true`` in the table count; whitespace inside an
    annotation is collapsed to single spaces.
    """
    if _recorded_names().search(original, start, end) is None:
        return ()
    family_of = _kernel_lookup()
    found: list[str] = []
    for m in _CODE_TOKEN.finditer(original, start, end):
        if m.lastgroup != "word":
            continue
        family = family_of(m.group().decode("ascii"))
        if family is None or not family.record:
            continue
        stop = m.end()
        after = _skip_space(original, stop)
        if original[after : after + 1] == b"(":
            close = _close_paren(original, after)
            if close is not None and close <= end:
                stop = close
        text = original[m.start() : stop].decode("utf-8", "surrogateescape")
        found.append(" ".join(text.split()))
    return tuple(found)


# ---------------------------------------------------------------- the code scan

# Every byte but white space becomes a space: offsets, line breaks and tabs survive.
_BLANK = bytes(c if c in b" \t\n\r\v\f" else 0x20 for c in range(256))

# Operators and keywords whose parenthesised operand is a type, not call
# arguments: their types must stay as tree-sitter knows them.
_TYPE_OPERATORS = frozenset(
    b"""sizeof typeof __typeof__ __typeof typeof_unqual __typeof_unqual__ alignof _Alignof
    __alignof__ offsetof __builtin_offsetof if while for switch return case _Generic""".split()
)

_PRIM = rb"(?:unsigned|signed|long|short|int|char|float|double)\b"
_QUALS = rb"(?>(?:\s+(?:const|volatile|__\w+)\b)*)"
# A whole macro argument that is a type tree-sitter cannot take as an
# expression: a tagged type, two or more primitive words, or a pointer type.
# Single words (`u32`, even `int`) already parse as identifiers. It follows
# "(" or ","; _join_type() rejects the "(" of a cast or of sizeof and friends.
# Possessive and atomic: a failed attempt must not backtrack through words.
# Groups repeat in atomic groups, (?>X*), never as X*+ (see lower_text.py).
_TYPE_ARG = (
    rb"[(,]\s*+(?>(?:const\s+|volatile\s+)*)"
    rb"(?:(?:struct|union|enum)\s+\w++" + _QUALS + rb"\s*\**"
    rb"|" + _PRIM + rb"(?>(?:\s+" + _PRIM + rb")+)" + _QUALS + rb"\s*\**"
    rb"|\w++" + _QUALS + rb"\s*\*++)"
    rb"(?=\s*[,)])"
)

# The code scan, one flat alternation: comments and literals (skipped),
# directives (one logical line with its backslash continuations and
# comments), type arguments, and invocations at the start of a line
# (file-scope macros). Every branch starts with its own literal byte, which
# lets `re` skip straight to candidate bytes; the handler dispatches on that
# byte (named groups or a leading lookahead would defeat the skipping and
# halve the speed). Atomic loops: no backtracking inside a literal.
_SCAN = re.compile(
    rb"/\*.*?\*/|/\*.*|//(?>(?:[^\n\\]++|\\.)*)"
    rb"|\"(?>(?:[^\"\\\n]++|\\.)*)\"|'(?>(?:[^'\\\n]++|\\.)*)'"
    rb"|\#[ \t]*+\w*+(?>(?:/\*.{0,4096}?\*/|\\.|[^\n\\])*)"
    rb"|" + _TYPE_ARG + rb"|\n[A-Za-z_]\w*+[ \t]*+\(",
    re.DOTALL | re.ASCII,
)
_DIRECTIVE_NAME = re.compile(rb"\#[ \t]*(\w*)")

# offsetof's member designator: `a.b.c`, `name[1]` (no expressions in the index).
# Line breaks only around it: "a\n.b" would become two words.
_MEMBER_PATH = re.compile(rb"\s*\w+(?:[ \t]*(?:\.[ \t]*\w+|\[[ \t]*\w+[ \t]*\]))*\s*")
_PATH_GLUE = re.compile(rb"[.\[\]]")
_WORD_BEFORE = re.compile(rb"(\w+) ?$")
_TYPE_GLUE = re.compile(rb"[ \t*]")
_TAG_PREFIX = re.compile(rb"(?:(?:const|volatile)\s+)*(?:struct|union|enum)\s+")
# GNU named variadic macro parameters (`fmt...`), which tree-sitter-c rejects.
_NAMED_VARIADIC = re.compile(rb"\#\s*define\s+\w+\([^)]*?\w(\.\.\.)\s*\)")
# `#if 0` marks dead code, often not even C: blank that branch, keep #else.
_IF_ZERO = re.compile(rb"\#[ \t]*if[ \t]+0\b")
# `#ifndef NAME` after the file's own unconditional `#define NAME` is dead the
# same way (hamachi.c: `#define final_version` above `#ifndef final_version`).
_IFNDEF = re.compile(rb"\#[ \t]*ifndef[ \t]+(\w+)")
_DEFINES = re.compile(rb"\#[ \t]*(define|undef)[ \t]+(\w+)")


_Trie = dict[str, "_Trie"]


def _trie(words: list[str]) -> str:
    """An alternation of ``words`` as a prefix tree: one branch per first letter, fast in `re`."""
    tree: _Trie = {}
    for word in words:
        node = tree
        for ch in word + "\0":
            node = node.setdefault(ch, {})

    def build(node: _Trie) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch != "\0"]
        if not alts:
            return ""
        body = "(?:" + "|".join(alts) + ")"
        return body + "?" if "\0" in node else body

    return build(tree)


_NAME_REGEXES: dict[MacroTable, tuple[re.Pattern[bytes], re.Pattern[bytes] | None]] = {}


def _names(table: MacroTable) -> tuple[re.Pattern[bytes], re.Pattern[bytes] | None]:
    """Macro-name candidates: exact names as a trie, patterns by their longest literal part.

    Two regexes because each runs at memory speed in `re` (a literal prefix
    search); the caller checks the word boundary before a match and looks
    the whole identifier up, which is faster than a leading \\b.
    """
    if table not in _NAME_REGEXES:
        exact = sorted({n for f in table.families for n in f.names if "*" not in n})
        needles = {max(n.split("*"), key=len) for f in table.families for n in f.names if "*" in n}
        exact_rx = re.compile(f"(?:{_trie(exact)})\\b".encode("ascii") if exact else b"(?!)")
        needle_rx = re.compile(_trie(sorted(needles)).encode("ascii")) if needles else None
        _NAME_REGEXES[table] = (exact_rx, needle_rx)
    return _NAME_REGEXES[table]


def _join_type(data: bytes, out: bytearray, m: re.Match[bytes]) -> bool:
    """Make a type argument one identifier: `struct foo *` -> `struct_foo__`.

    False when the match is not a call's argument after all (a cast).
    """
    opener = m.start()
    if data[opener] == 0x28:  # "(": a call's, not a cast's nor sizeof's
        word = _WORD_BEFORE.search(data, max(0, opener - 64), opener)
        if word is None:
            if data[opener - 1 : opener] != b")":
                return False
        elif word.group(1) in _TYPE_OPERATORS:
            return False
    text = m.group()[1:]
    body = text.strip()
    start = opener + 1 + len(text) - len(text.lstrip())
    if b"\n" in body or b"\r" in body:
        # Lines cannot be joined, but `struct\n\t\tfoo` still becomes the
        # identifier `foo` once the keyword is blanked.
        tag = _TAG_PREFIX.match(body)
        if tag is None or b"\n" in body[tag.end() :] or b"\r" in body[tag.end() :]:
            return False
        out[start : start + tag.end()] = body[: tag.end()].translate(_BLANK)
        start, body = start + tag.end(), body[tag.end() :]
    out[start : start + len(body)] = _TYPE_GLUE.sub(b"_", body)
    return True


# ---------------------------------------------------------------- masking


@dataclass(frozen=True)
class Masked:
    """Masked bytes (same length and line breaks as the input) and what was blanked whole."""

    data: bytes
    hidden: tuple[tuple[int, int], ...]  # byte ranges: #if branches not kept, opaque macros


class _Cond:
    """One open #if group while masking."""

    __slots__ = ("depth", "inner", "kept", "nested", "skip_from")

    def __init__(self, depth: int, inner: bool, nested: bool = False) -> None:
        self.depth = depth  # brace depth at the #if
        self.inner = inner  # inside braces: directive lines are blanked too
        self.kept = False  # some branch of the group is kept
        self.skip_from = -1  # start of the branch being blanked, or -1
        self.nested = nested  # opened inside a blanked branch: nothing to do


_SKIP_BYTES = frozenset(b"/\"'")  # what comments and literals start with


def _start(m: re.Match[bytes]) -> int:
    return m.start()


class _Masker:
    """One pass over a file: code-scan events merged in order with macro-name candidates."""

    def __init__(self, data: bytes, table: MacroTable) -> None:
        self.data = data
        self.table = table
        self.family_of = lookup(table)
        self.out = bytearray(data)
        self.hidden: list[tuple[int, int]] = []
        self.conds: list[_Cond] = []
        self.depth = 0  # brace depth at self.pos, outside blanked branches
        self.pos = 0  # the scan is done up to here (braces before it are counted)
        self.skipping = False  # inside a blanked #if branch
        self.defined: set[bytes] = set()  # #define'd outside any #if group, not #undef'd since
        self.no_join_until = 0  # type arguments before this offset stay as written
        # Bytes the argument-list scans may look at in all: bounds the work on
        # pathological input (thousands of names followed by an unclosed "(").
        self.budget = 4 * len(data) + (1 << 20)

    # ------------------------------------------------------------ helpers

    def blank(self, start: int, end: int) -> None:
        self.out[start:end] = self.data[start:end].translate(_BLANK)

    def hide(self, start: int, end: int) -> None:
        if end > start:
            self.blank(start, end)
            self.hidden.append((start, end))

    def count_to(self, end: int) -> None:
        """Advance the brace depth over code up to ``end``."""
        if end > self.pos:
            if not self.skipping:
                data, pos = self.data, self.pos
                opened = data.count(b"{", pos, end) - data.count(b"}", pos, end)
                self.depth = max(0, self.depth + opened)
            self.pos = end

    def args(self, name_end: int) -> tuple[int, int] | None:
        """The "(" and the end of the ")" of the argument list right after a macro name."""
        open_pos = _skip_space(self.data, name_end)
        if self.data[open_pos : open_pos + 1] != b"(" or self.budget <= 0:
            return None
        close = _close_paren(self.data, open_pos)
        self.budget -= (close or open_pos + _MAX_ARGS) - open_pos
        return None if close is None else (open_pos, close)

    def next_char(self, pos: int) -> bytes:
        at = _skip_space(self.data, pos)
        return self.data[at : at + 1]

    # ------------------------------------------------------------ the pass

    def run(self) -> Masked:
        data = self.data
        exact_rx, needle_rx = _names(self.table)
        names = list(exact_rx.finditer(data))
        if needle_rx is not None:
            names.extend(needle_rx.finditer(data))
            names.sort(key=_start)
        starts = [m.start() for m in names]
        starts.append(len(data) + 1)  # sentinel: no bounds checks below
        n = 0  # next name candidate
        count = data.count
        # self.pos and self.depth live in locals on the hot path (comments and
        # literals, most events); they are synced around every method call.
        pos, depth = self.pos, self.depth
        for m in _SCAN.finditer(data):
            start = m.start()
            if starts[n] < start:
                self.pos, self.depth = pos, depth
                while starts[n] < start:
                    self.name(names[n])
                    n += 1
                pos, depth = self.pos, self.depth
            if start < pos:
                continue  # inside text a macro treatment already handled
            kind = data[start]
            if kind in _SKIP_BYTES:
                if not self.skipping:
                    depth += count(b"{", pos, start) - count(b"}", pos, start)
                    depth = max(depth, 0)
                pos = end = m.end()
                while starts[n] < end:
                    n += 1  # inside the comment or literal
                continue
            self.pos, self.depth = pos, depth
            self.count_to(start)
            if kind == 0x23:  # "#"
                self.directive(m)
                consumed = True
            elif kind == 0x0A:  # "\n"
                consumed = self.file_scope_call(start + 1, m.end() - 1)
            else:  # "(" or ","
                consumed = not (self.skipping or start < self.no_join_until) and _join_type(
                    data, self.out, m
                )
            if consumed:
                self.pos = max(self.pos, m.end())
                while starts[n] < self.pos:
                    n += 1  # inside a directive, type argument or blanked invocation
            else:
                # Not a file-scope invocation after all, or not a type argument
                # (a cast such as `(void __iomem *)`): names inside still count.
                self.pos = start + 1
            pos, depth = self.pos, self.depth
        self.pos, self.depth = pos, depth
        for name in names[n:]:
            self.name(name)
        if self.skipping:
            skip_from = next(c.skip_from for c in self.conds if c.skip_from >= 0)
            self.hide(skip_from, len(data))
        return Masked(bytes(self.out), tuple(self.hidden))

    def name(self, m: re.Match[bytes]) -> None:
        """Apply the table to a macro-name candidate."""
        data = self.data
        start, end = m.start(), m.end()
        if start < self.pos or self.skipping:
            return
        while start and data[start - 1] in _WORD_CHARS:
            start -= 1  # a pattern's literal part, or an exact name inside a longer word
        end = _WORD_END.match(data, end).end()  # type: ignore[union-attr]
        word = data[start:end]
        family = self.family_of(word.decode("ascii"))
        if family is None:
            return
        self.count_to(start)
        treatment = family.treatment
        if treatment is Treatment.ATTRIBUTE:
            args = self.args(end)
            stop = args[1] if args else end
            self.blank(start, stop)
            self.pos = stop
        elif treatment is Treatment.KEYWORD:
            keyword = family.keyword.encode("ascii")
            self.out[start:end] = (
                keyword.ljust(len(word)) if len(keyword) <= len(word) else b" " * len(word)
            )
        elif treatment is Treatment.LOOP:
            # Loop headers only inside a body: at file scope NAME(...) { is
            # the definition of a function whose name happens to match.
            args = self.args(end) if self.depth > 0 and len(word) >= 5 else None
            if args is not None and _starts_statement(self.next_char(args[1])):
                self.out[start:end] = b"while".ljust(len(word))
        else:
            args = self.args(end)
            if args is not None:
                self.macro_call(treatment, start, end, *args)

    def file_scope_call(self, start: int, open_pos: int) -> bool:
        """Blank a file-scope invocation that ends its line with no ";" (True if blanked).

        `module_init(foo_init)`, `__XFS_HAS_FEAT(reflink, REFLINK)`: macros
        that expand to whole definitions. tree-sitter-c reads them as an
        expression statement missing its ";" and the error spills into the
        next definition. Table macros are left to the table, and a
        function's own declarator (`foo(int a)` then `{`, `;` or an
        annotation) is not one of these.
        """
        data = self.data
        if self.skipping or self.depth > 0 or not _after_definition(data, start):
            return False
        name = data[start : _WORD_END.match(data, start).end()]  # type: ignore[union-attr]
        family = self.family_of(name.decode("ascii"))
        if family is not None and family.treatment not in _NEEDS_SEMICOLON:
            return False
        args = self.args(open_pos)
        if args is None:
            return False
        close = args[1]
        line_end = data.find(b"\n", close)
        line_end = len(data) if line_end < 0 else line_end
        if data[close:line_end].strip() and not _COMMENT_ONLY.fullmatch(data, close, line_end):
            return False
        nxt = _IDENT.match(data, _skip_space(data, close))
        if nxt is None:
            at = _skip_space(data, close)
            if at < len(data) and data[at] not in b"#}":
                return False
        else:
            following = self.family_of(nxt.group().decode("ascii"))
            if following is not None and following.treatment is Treatment.ATTRIBUTE:
                return False  # an annotation of the function being declared
        self.count_to(start)
        self.hide(start, close)
        self.pos = close
        return True

    def macro_call(
        self, treatment: Treatment, start: int, end: int, open_pos: int, close: int
    ) -> None:
        """The treatments that rewrite a whole invocation NAME(...)."""
        data, out = self.data, self.out
        after = self.next_char(close)
        if treatment is Treatment.OPAQUE:
            at = _skip_space(data, close)
            stop = at + 1 if data[at : at + 1] == b";" else close
            self.hide(start, stop)
            self.pos = stop
        elif treatment is Treatment.MEMBER_PATH:
            commas = _top_level_commas(data, open_pos, close)
            path = data[commas[-1] + 1 : close - 1] if commas else b""
            if _MEMBER_PATH.fullmatch(path) and _PATH_GLUE.search(path):
                out[commas[-1] + 1 : close - 1] = _PATH_GLUE.sub(b"_", path)
        elif treatment is Treatment.DEFINITION:
            if self.depth != 0 or after != b"{":
                return
            commas = _top_level_commas(data, open_pos, close)
            out[open_pos] = 0x20
            if commas:
                out[commas[0]] = 0x28  # "(": the function's own parameter list starts
                for comma in commas[1::2]:
                    out[comma] = 0x20  # between a parameter's type and its name
            else:
                out[close - 1] = 0x20
            self.no_join_until = close
        elif after in (b";", b"=") and _declaration_starts(data, start):
            commas = _top_level_commas(data, open_pos, close)
            if treatment is Treatment.DECLARATION:
                first = data[open_pos + 1 : commas[0] if commas else close - 1]
                if not _IDENT.fullmatch(first.strip()):
                    return  # DEFINE_MAX_SEQ(walk->lruvec): not a declaration after all
                out[open_pos] = 0x20
                self.blank(commas[0] if commas else close - 1, close)
                self.pos = close
            elif commas:  # TYPED_DECLARATION
                self.blank(start, end)
                for at in (open_pos, commas[-1], close - 1):
                    out[at] = 0x20
                self.no_join_until = close

    def directive(self, m: re.Match[bytes]) -> None:
        """Track #if groups: inside braces keep one branch and blank the directive lines.

        tree-sitter-c accepts directives between statements and declarations
        but not inside expressions or initializers, and an #else branch that
        repeats an opening line (`if (a) {` / `if (b) {`) unbalances the
        braces. Inside braces the first branch is kept (the #else one after
        `#if 0`) and every directive line is blanked; at file scope every
        branch is kept unless the first one leaves the braces unbalanced.
        """
        name = _DIRECTIVE_NAME.match(m.group()).group(1)  # type: ignore[union-attr]
        start, end = m.start(), m.end()
        conds = self.conds
        if name in (b"if", b"ifdef", b"ifndef"):
            if self.skipping:
                conds.append(_Cond(self.depth, False, nested=True))
                return
            cond = _Cond(self.depth, self.depth > 0)
            conds.append(cond)
            ifndef = _IFNDEF.match(m.group())
            if _IF_ZERO.match(m.group()) or (ifndef is not None
                                             and ifndef.group(1) in self.defined):
                cond.skip_from = end
            else:
                cond.kept = True
        elif name in (b"elif", b"else", b"endif") and conds:
            cond = conds[-1]
            if cond.nested:
                if name == b"endif":
                    conds.pop()
                return
            if cond.skip_from >= 0:
                self.hide(cond.skip_from, start)
                cond.skip_from = -1
                if name != b"endif" and cond.kept:
                    cond.skip_from = end
                cond.kept = True
            elif name != b"endif" and (cond.inner or self.depth != cond.depth):
                cond.skip_from = end
            if name == b"endif":
                conds.pop()
        else:
            defines = _DEFINES.match(m.group())
            if defines is not None and not self.skipping:
                if defines.group(1) == b"undef":
                    self.defined.discard(defines.group(2))
                elif not conds:
                    self.defined.add(defines.group(2))
            if not self.skipping:
                if self.depth > 0:
                    self.blank(start, end)
                elif name == b"define":
                    variadic = _NAMED_VARIADIC.match(m.group())
                    if variadic:
                        self.blank(start + variadic.start(1), start + variadic.end(1))
            return
        self.skipping = bool(conds) and (conds[-1].skip_from >= 0 or conds[-1].nested)
        if cond.inner:
            self.blank(start, end)


# What may come right before a declaration: the end of the previous one, a
# brace, a comment, or a word such as `static` -- but not `x = NAME(...)` nor
# `return NAME(...)`, where a DEFINE_ macro is an expression (DEFINE_RES_MEM).
_DECL_BEFORE = re.compile(rb"(?:^|[;{}/]|\b(?!return\b|case\b)[A-Za-z_]\w*)\s*$")


def _declaration_starts(data: bytes, start: int) -> bool:
    return _DECL_BEFORE.search(data, max(0, start - 64), start) is not None


# Table treatments that apply only to an invocation followed by ";" or "=":
# without one, the generic file-scope rule applies.
_NEEDS_SEMICOLON = frozenset({Treatment.DECLARATION, Treatment.TYPED_DECLARATION})
_COMMENT_ONLY = re.compile(rb"\s*(?:/\*.*?\*/\s*|//.*)*", re.DOTALL)


def _after_definition(data: bytes, start: int) -> bool:
    """Whether the line at ``start`` follows a finished declaration, a comment or a directive."""
    before = data[max(0, start - 512) : start].rstrip()
    if not before or before[-1:] in (b";", b"}", b")", b"/"):
        return True
    last_line = before[before.rfind(b"\n") + 1 :]
    return last_line.lstrip().startswith(b"#")


def _starts_statement(nxt: bytes) -> bool:
    """After NAME(args): a block, a statement starting with a word, or a directive."""
    return nxt == b"{" or nxt == b"#" or nxt.isalpha() or nxt == b"_"


def mask(data: bytes, table: MacroTable | None = None) -> Masked:
    """Rewrite kernel idioms so tree-sitter-c parses them; see cfront/data/macros.toml."""
    return _Masker(data, table or kernel_table()).run()
