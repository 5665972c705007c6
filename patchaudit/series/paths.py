"""File names in diff headers: C-quoted paths, a/ b/ prefixes and the ambiguous ``diff --git`` line."""

from __future__ import annotations

import re

# git quotes a name holding control characters, '"', '\\' or (core.quotePath)
# bytes >= 0x80, with C escapes and octal for every such byte.
_SIMPLE_ESCAPES = {
    "a": 7,
    "b": 8,
    "t": 9,
    "n": 10,
    "v": 11,
    "f": 12,
    "r": 13,
    '"': 34,
    "\\": 92,
}
# git writes one-letter prefixes: a/ b/ by default, c/ i/ o/ w/ with
# diff.mnemonicPrefix, 1/ 2/ for `git diff --no-index`.
_PREFIX = re.compile(r"^[abciow12]/")

DEV_NULL = "/dev/null"


class QuoteError(ValueError):
    """A quoted path without its closing quote."""


def unquote_c(text: str) -> tuple[str, str]:
    """Read a C-quoted name at the start of ``text``; return (name, rest after the quote)."""
    assert text.startswith('"')
    out = bytearray()
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return out.decode("utf-8", "surrogateescape"), text[i + 1 :]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            octal = re.match(r"[0-7]{1,3}", text[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
                continue
            if nxt in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[nxt])
            else:  # not an escape git writes: keep the character itself
                out.extend(nxt.encode("utf-8", "surrogateescape"))
            i += 2
            continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    raise QuoteError(f"unterminated quoted path: {text}")


def header_path(value: str) -> str:
    """The name on a ``---``/``+++`` line, without quotes or the tab-separated timestamp.

    git ends a name holding a space with a tab; GNU diff puts the timestamp after one.
    """
    value = value.rstrip("\n")
    if value.startswith('"'):
        return unquote_c(value)[0]
    return value.split("\t", 1)[0].rstrip(" ") if "\t" in value else value


def extended_path(value: str) -> str:
    """The name on a ``rename from``/``copy to`` line (quoted or not, never prefixed)."""
    value = value.rstrip("\n")
    return unquote_c(value)[0] if value.startswith('"') else value


def has_prefix_pair(old: str, new: str) -> bool:
    """Whether two header names carry git's two different one-letter prefixes (a/ b/ ...)."""
    return bool(_PREFIX.match(old) and _PREFIX.match(new)) and old[0] != new[0]


def strip_component(path: str) -> str:
    """Drop the first path component, as ``patch -p1`` does."""
    return path.split("/", 1)[1] if "/" in path else path


def split_git_line(rest: str) -> tuple[str, str] | None:
    """Split the two names of ``diff --git A B``; None when spaces make it ambiguous.

    Unquoted names may hold spaces, so like git we accept a split only where both
    halves name the same file once their prefixes are removed; renames are then
    resolved from the ``rename from``/``to`` or ``---``/``+++`` lines instead.
    """
    rest = rest.rstrip("\n")
    try:
        if rest.startswith('"'):
            old, after = unquote_c(rest)
            after = after.lstrip(" ")
            new = unquote_c(after)[0] if after.startswith('"') else after
            return old, new
        if rest.endswith('"') and ' "' in rest:
            cut = rest.index(' "')
            return rest[:cut], unquote_c(rest[cut + 1 :])[0]
    except QuoteError:
        return None
    # Both accepted forms (the same name twice, or it with two one-letter
    # prefixes) make the halves equal in length: the only possible cut is the
    # middle one. Trying every space instead costs the square of their count.
    cut = len(rest) // 2
    if len(rest) % 2 == 0 or rest[cut] != " ":
        return None
    old, new = rest[:cut], rest[cut + 1 :]
    if old == new or (has_prefix_pair(old, new) and old[2:] == new[2:]):
        return old, new
    return None
