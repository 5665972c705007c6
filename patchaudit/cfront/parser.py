"""tree-sitter parsing of C bytes after kernel-aware masking, and descriptions of the errors left."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Tree

from patchaudit.cfront.kernel import mask
from patchaudit.errors import InputError

# Larger inputs are refused: the biggest file of Linux 6.12 (a generated
# register header) is 24 MB, and tree-sitter keeps the whole tree in memory.
MAX_BYTES = 64 << 20

# tree-sitter-c parses kernel code at 8-13 MB/s on one core here; a file it
# parses slower than 0.5 MB/s (2 s per MB, at least 10 s) is pathological
# (thousands of nested casts, megabytes of garbage) and is given up on.
SECONDS_PER_MB = 2.0
MIN_SECONDS = 10.0

_CHUNK = 1 << 20  # bytes handed to tree-sitter per read callback


@dataclass(frozen=True)
class ParsedTree:
    """A tree over ``masked`` bytes, which have the same length and line breaks as ``original``.

    Node byte offsets therefore point into the original file; node text for
    reporting is taken from ``original``.
    """

    tree: Tree
    original: bytes
    masked: bytes
    # Byte ranges blanked whole by the masking: #if branches not kept,
    # `#if 0` blocks, opaque macro invocations (see kernel.py).
    hidden: tuple[tuple[int, int], ...] = ()

    def text(self, node: Node) -> str:
        return self.original[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")


@lru_cache(maxsize=1)
def c_language() -> Language:
    return Language(tree_sitter_c.language())


def time_limit(size: int) -> float:
    """Seconds tree-sitter may spend on ``size`` bytes before the input counts as pathological."""
    return max(MIN_SECONDS, SECONDS_PER_MB * size / (1 << 20))


def parse_tree(data: bytes, *, source: str = "<input>", seconds: float | None = None) -> ParsedTree:
    """Parse C source after kernel-aware masking (see kernel.py).

    Raises InputError for input over MAX_BYTES or when tree-sitter needs
    longer than ``seconds`` (default: time_limit(len(data))).
    """
    if len(data) > MAX_BYTES:
        raise InputError(source, f"{len(data)} bytes: too big to parse (limit {MAX_BYTES})")
    masked = mask(data)
    text = masked.data
    deadline = time.monotonic() + (time_limit(len(data)) if seconds is None else seconds)

    def read(offset: int, _point: tuple[int, int]) -> bytes:
        return text[offset : offset + _CHUNK]

    def give_up(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        tree = Parser(c_language()).parse(read, progress_callback=give_up)
    except ValueError as exc:  # tree-sitter's "Parsing failed": the callback gave up
        raise InputError(source, "pathological input: tree-sitter gave up (time limit)") from exc
    return ParsedTree(tree, data, text, masked.hidden)


# ---------------------------------------------------------------- error descriptions

# Tokens as far as describing an error needs: words, numbers, literals,
# directives, punctuators.
_TOKEN = re.compile(
    rb"[A-Za-z_]\w*|\.?\d[\w.]*|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?|\#\s*\w*"
    rb"|\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|[-+*/%&|^!=<>]=|&&|\|\||\S"
)
_TOKEN_BEFORE = re.compile(rb"(?:([A-Za-z_]\w*)\s*\(|([A-Za-z_]\w*)|(\S))\s*\Z")

MAX_DESCRIPTIONS = 200


def _token_text(tok: bytes) -> str:
    """Normalise a token: literals by kind, everything else as written."""
    if tok[:1] == b'"':
        return '"…"'
    if tok[:1] == b"'":
        return "'…'"
    if tok[:1].isdigit() or (tok[:1] == b"." and tok[1:2].isdigit()):
        return "0"
    if tok[:1] == b"#":
        return "#" + tok[1:].strip().decode("ascii", "replace")
    return tok.decode("utf-8", "replace")


def _before(original: bytes, start: int) -> str:
    """The token before ``start``, naming the macro it belongs to where there is one.

    ``NAME(`` when it opens a macro's arguments, ``NAME(…,`` for a comma
    between them, ``NAME(…)`` for the ")" that closes them (a missing ";"
    after a macro invocation then says which macro).
    """
    m = _TOKEN_BEFORE.search(original, max(0, start - 256), start)
    if m is None:
        return "^"
    if m.group(1):
        return m.group(1).decode("ascii") + "("
    tok = m.group(2) or m.group(3)
    if tok in (b")", b","):
        opener = _unmatched_paren(original, m.start(3), b")" if tok == b")" else b"")
        if opener is not None:
            call = _TOKEN_BEFORE.search(original, max(0, opener - 256), opener)
            if call is not None and call.group(2):
                return call.group(2).decode("ascii") + ("(…)" if tok == b")" else "(…,")
    return tok.decode("utf-8", "replace")


def _unmatched_paren(original: bytes, pos: int, closing: bytes) -> int | None:
    """Offset of the "(" that the ")" at ``pos`` closes (``closing``) or that ``pos`` is inside.

    Looks back at most 4 KB and ignores literals, which is good enough for
    naming a construct.
    """
    depth = 0 if closing else 1
    for i in range(pos, max(-1, pos - 4096), -1):
        c = original[i]
        if c == 0x29:
            depth += 1
        elif c == 0x28:
            depth -= 1
            if depth == 0:
                return i
    return None


def _describe(original: bytes, node: Node) -> str:
    if node.is_missing:
        return f"{_before(original, node.start_byte)} ‸missing {node.type}"
    toks = _TOKEN.findall(original, node.start_byte, min(node.end_byte, node.start_byte + 256))
    head = " ".join(_token_text(t) for t in toks[:2])
    return f"{_before(original, node.start_byte)} ‸{head}"


def describe_errors(parsed: ParsedTree, limit: int = MAX_DESCRIPTIONS) -> tuple[str, ...]:
    """One short description per outermost ERROR and per MISSING node, in file order.

    A description is the token before the error, naming its macro where
    there is one (see _before), a caret, then the first two tokens of the
    erroneous text (literals normalised) or ``missing X``:
    ``STATIC ‸uint xfs_foo``, ``TP_PROTO( ‸struct bch_fs``,
    ``ASSERTCMP(…, ‸== ,``, ``module_init(…) ‸missing ;``.
    """
    found: list[str] = []
    stack = [parsed.tree.root_node]
    while stack and len(found) < limit:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append(_describe(parsed.original, node))
            continue
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return tuple(found)
