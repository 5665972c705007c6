"""Where a name stands in a text as a whole C word, found without a regular expression per name."""

from __future__ import annotations

from collections.abc import Iterator

# What continues a C identifier (GCC takes "$" too), as in cfront/lower_text.py.
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def word_positions(text: str, name: str) -> Iterator[int]:
    """Each index where ``name`` stands in ``text`` with no identifier character on either side.

    str.find runs at memory speed; a compiled pattern per name (these names
    come from the code being read) would fill the regular expression cache.
    Non-ASCII letters count as boundaries, which only finds more places.
    """
    if not name:
        return
    at = text.find(name)
    size = len(name)
    while at >= 0:
        before = text[at - 1] if at else " "
        after = text[at + size] if at + size < len(text) else " "
        if before not in _WORD_CHARS and after not in _WORD_CHARS:
            yield at
        at = text.find(name, at + 1)
