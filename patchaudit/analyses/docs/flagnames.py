"""Page flags under the names a tree gives them: PG_fscache is PG_private_2, PagePrivate2 is PG_private_2.

A flag has several spellings (PagePrivate2, folio_test_private_2,
PG_private_2) and some flags are other flags under a second name: the
``enum pageflags`` of include/linux/page-flags.h declares ``PG_fscache =
PG_private_2`` and a header may ``#define PageFsCache(page)
PagePrivate2(page)``. A comment that names PG_fscache speaks of a flag the
code uses as PG_private_2. The aliases are read from the tree, never
listed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from patchaudit.analyses.docs.vocabulary import flag_of
from patchaudit.cfront.ir import MacroDef
from patchaudit.errors import InputError

Reader = Callable[[str], "bytes | None"]

PAGE_FLAGS_HEADER = "include/linux/page-flags.h"
# An enum item or #define that makes one flag bit another: "PG_fscache =
# PG_private_2," in enum pageflags, "#define PG_foo PG_bar".
_ENUM_ALIAS_RE = re.compile(r"^\s*(PG_\w+)\s*=\s*(PG_\w+)\s*[,}]", re.MULTILINE)
_DEFINE_ALIAS_RE = re.compile(r"^\s*#\s*define\s+(PG_\w+)\s+\(?(PG_\w+)\)?\s*$", re.MULTILINE)
# "#define PageFsCache(page) PagePrivate2((page))": a helper defined as another flag's helper.
_HELPER_ALIAS_RE = re.compile(r"^\s*#\s*define\s+(\w+)\s*\([^)]*\)\s+\(?\s*(\w+)\s*\(", re.MULTILINE)
_FIRST_WORD_RE = re.compile(r"[A-Za-z_]\w*")


def flag_key(flag: str) -> str:
    """A flag as compared: PagePrivate2 gives "private2", PG_private_2 "private_2": both "private2"."""
    return flag.replace("_", "").lower()


def _pair(alias: str, target: str) -> tuple[str, str] | None:
    a, b = flag_of(alias), flag_of(target)
    if a is None or b is None or flag_key(a) == flag_key(b):
        return None
    return flag_key(a), flag_key(b)


@lru_cache(maxsize=8)
def aliases_in_text(data: bytes) -> tuple[tuple[str, str], ...]:
    """The flag aliases a file's text declares (its enum items and #defines), as flag keys."""
    text = data.decode("utf-8", "surrogateescape")
    found: list[tuple[str, str]] = []
    for pattern in (_ENUM_ALIAS_RE, _DEFINE_ALIAS_RE, _HELPER_ALIAS_RE):
        for match in pattern.finditer(text):
            pair = _pair(match.group(1), match.group(2))
            if pair is not None:
                found.append(pair)
    return tuple(found)


def aliases_in_macros(macros: Iterable[MacroDef]) -> tuple[tuple[str, str], ...]:
    """The flag aliases among parsed #defines: the body is another flag's name or helper call."""
    found: list[tuple[str, str]] = []
    for macro in macros:
        word = _FIRST_WORD_RE.search(macro.body)
        if word is None:
            continue
        pair = _pair(macro.name, word.group())
        if pair is not None:
            found.append(pair)
    return tuple(found)


class FlagNames:
    """Tells whether a flag a comment names is one the code uses, under any of its names.

    The tree's page-flags.h is read only when a name does not match as it
    stands: most comments name flags the way the code does.
    """

    def __init__(self, read: Reader | None = None, own: Iterable[tuple[str, str]] = ()) -> None:
        self._read = read
        self._own = tuple(own)
        self._roots: Mapping[str, str] | None = None

    def used(self, flag: str, code_flags: Iterable[str]) -> bool:
        keys = {flag_key(used) for used in code_flags}
        key = flag_key(flag)
        if key in keys:
            return True
        roots = self._aliases()
        if not roots:
            return False
        return _root(roots, key) in {_root(roots, used) for used in keys}

    def _aliases(self) -> Mapping[str, str]:
        if self._roots is None:
            pairs = list(self._own)
            if self._read is not None:
                try:
                    data = self._read(PAGE_FLAGS_HEADER)
                except InputError:
                    data = None  # unreadable: judged without the tree's aliases
                if data is not None:
                    pairs.extend(aliases_in_text(data))
            self._roots = dict(pairs)
        return self._roots


def _root(aliases: Mapping[str, str], key: str) -> str:
    seen = {key}
    while key in aliases and aliases[key] not in seen:
        key = aliases[key]
        seen.add(key)
    return key
