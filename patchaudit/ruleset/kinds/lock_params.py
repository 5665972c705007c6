"""Parameter helpers shared by the lock rule kinds: lock class names and requirement tables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.analyses.state import PAGE_CLASS
from patchaudit.errors import InputError

# A class is what lockdep would print: struct.member, a global lock's name,
# or "page" for the page lock.
_CLASS_RE = re.compile(r"^(?:[A-Za-z_]\w*\.[A-Za-z_]\w*|[A-Za-z_]\w*)$")


def lock_class(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not _CLASS_RE.match(value):
        raise InputError(
            where,
            f"field 'params.{key}': must name a lock class (struct.member, a global lock, or 'page')",
        )
    return value


@dataclass(frozen=True)
class Requirement:
    """A lock that must be held at a call: a class, or the page lock of argument ``arg``."""

    lock: str
    arg: int | None = None

    def describe(self, args: tuple[str, ...]) -> str:
        if self.lock == PAGE_CLASS and self.arg is not None and self.arg < len(args):
            return f"the page lock of '{args[self.arg]}'"
        return self.lock


def requirements(raw: Mapping[str, Any], where: str) -> tuple[Requirement, ...]:
    value = raw.get("requires")
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise InputError(where, "field 'params.requires': must be a non-empty array of tables")
    found = []
    for index, entry in enumerate(value):
        unknown = sorted(set(entry) - {"lock", "arg"})
        if unknown:
            raise InputError(where, f"field 'params.requires[{index}].{unknown[0]}': unknown parameter")
        lock = lock_class(entry, "lock", f"{where}: requires[{index}]")
        arg = entry.get("arg")
        if arg is not None and (not isinstance(arg, int) or isinstance(arg, bool) or arg < 0):
            raise InputError(where, f"field 'params.requires[{index}].arg': must be a non-negative integer")
        if lock == PAGE_CLASS and arg is None:
            raise InputError(where, f"field 'params.requires[{index}].arg': the page lock needs the page argument")
        found.append(Requirement(lock, arg))
    return tuple(found)


def optional_strs(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(where, f"field 'params.{key}': must be a list of strings")
    return tuple(value)
