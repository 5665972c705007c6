"""The phrasing tables of contracts/data/phrases.toml, compiled once into typed values."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from patchaudit.contracts.model import Context, ContractKind
from patchaudit.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "phrases.toml"

_CONTEXTS = {
    "may-sleep": Context.MAY_SLEEP,
    "atomic": Context.ATOMIC,
    "hardirq": Context.HARDIRQ,
    "softirq": Context.SOFTIRQ,
    "process": Context.PROCESS,
    "any": Context.ANY,
}


class Where(Enum):
    ANY = "any"
    CONTEXT = "context"  # a kernel-doc "Context:" section only
    START = "start"  # at the start of a sentence only
    PARAM = "param"  # a kernel-doc @param description only


@dataclass(frozen=True)
class Phrase:
    kind: ContractKind
    pattern: re.Pattern[str]
    where: Where
    context: Context | None = None
    lock: str = ""  # a fixed lock or context the phrase names without words for it
    page: bool = False  # the words name a page or folio that must be locked


@dataclass(frozen=True)
class MemberPhrase:
    pattern: re.Pattern[str]
    reads: bool  # reads need the lock too
    protects: bool  # on a lock member: names the members it protects (group "members")


@dataclass(frozen=True)
class Alias:
    cls: str
    source: str


@dataclass(frozen=True)
class LockNames:
    """The table's names without its patterns: what resolving a lock text needs. Building it
    compiles nothing, so a check whose contracts all come from the index never pays for
    the phrase patterns."""

    aliases: Mapping[str, Alias]
    object_locks: Mapping[str, Alias]  # struct tag -> the lock an object of it is locked by
    spinning: frozenset[str]
    sleeping: frozenset[str]
    not_kernel: tuple[str, ...] = ()  # path prefixes of code that is not the kernel's

    def mined(self, path: str) -> bool:
        """Whether the contracts of ``path`` are the kernel's (not a tool's or a sample's)."""
        return not path.startswith(self.not_kernel)

    def lock_type(self, type_text: str) -> str | None:
        """"spin" or "sleep" when ``type_text`` is a lock type (not a pointer to one), else None."""
        text = " ".join(type_text.replace("volatile", " ").split())
        if text in self.spinning:
            return "spin"
        if text in self.sleeping:
            return "sleep"
        return None


@dataclass(frozen=True)
class Phrases:
    phrases: tuple[Phrase, ...]
    veto: tuple[re.Pattern[str], ...]
    member_veto: tuple[re.Pattern[str], ...]
    member_closing: re.Pattern[str] | None  # a comment that closes a block of members
    conditional: tuple[re.Pattern[str], ...]
    names: LockNames
    hint: re.Pattern[str]  # a sentence without a match states nothing any phrase reads
    lock_one: re.Pattern[str]  # one lock phrase, anchored at both ends
    joiner: re.Pattern[str]
    members: tuple[MemberPhrase, ...]
    orders: tuple[re.Pattern[str], ...]  # groups "first" (outer) and "second" (inner)
    hierarchy: re.Pattern[str]  # a comment holding it documents a lock order
    arrow: re.Pattern[str]  # between two locks of an "A -> B" order line
    # A group comment speaking of several members (else it covers the next one only).
    group_plural: re.Pattern[str] | None = None

    @property
    def aliases(self) -> Mapping[str, Alias]:
        return self.names.aliases

    def lock_type(self, type_text: str) -> str | None:
        return self.names.lock_type(type_text)


def _str(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(where, f"field '{key}': must be a non-empty string")
    return value


def _strs(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(where, f"field '{key}': must be a list of strings")
    return tuple(value)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise InputError(where, f"bad pattern {pattern!r}: {exc}") from None


@lru_cache(maxsize=1)
def _raw() -> Mapping[str, Any]:
    try:
        return tomllib.loads(DATA.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(str(DATA), f"unreadable phrase table: {exc}") from None


@lru_cache(maxsize=1)
def lock_names() -> LockNames:
    where = str(DATA)
    raw = _raw()
    aliases: dict[str, Alias] = {}
    for entry in raw.get("alias", []):
        alias = Alias(_str(entry, "class", where), _str(entry, "source", where))
        for name in _strs(entry, "names", where):
            aliases[" ".join(name.lower().split())] = alias
    objects = {
        _str(entry, "struct", where): Alias(_str(entry, "class", where), _str(entry, "source", where))
        for entry in raw.get("object_lock", [])
    }
    types = raw.get("locktypes", {})
    return LockNames(
        aliases=aliases,
        object_locks=objects,
        spinning=frozenset(_strs(types, "spinning", where)),
        sleeping=frozenset(_strs(types, "sleeping", where)),
        not_kernel=_strs(raw.get("not_kernel", {}), "paths", where) if "not_kernel" in raw else (),
    )


@lru_cache(maxsize=1)
def phrases() -> Phrases:
    where = str(DATA)
    raw = _raw()
    lock = raw.get("lock", {})
    article, code, words, mode = (_str(lock, k, where) for k in ("article", "code", "words", "mode"))
    joiner = _str(lock, "joiner", where)
    # Words first: "the RCU read lock" is one lock, not "RCU" followed by words.
    one = f"{article}(?:{words}|{code}(?:\\s+(?:lock|mutex|spinlock|semaphore|rwsem))?){mode}"
    many = f"(?P<lock>{one}(?:{joiner}{one})*)"
    named = f"(?P<lock>{article}{code})"
    found: list[Phrase] = []
    for entry in raw.get("phrase", []):
        try:
            kind = ContractKind(entry.get("kind"))
            place = Where(entry.get("where", "any"))
        except ValueError:
            raise InputError(where, "field 'kind' or 'where': unknown value") from None
        context = None
        if kind is ContractKind.CONTEXT:
            context = _CONTEXTS.get(str(entry.get("context")))
            if context is None:
                raise InputError(where, "field 'context': unknown context")
        text = _str(entry, "pattern", where)
        # A pattern may name the locks in two alternatives: the second is "lock2".
        text = text.replace("{LOCKS}", many, 1).replace("{LOCKS}", many.replace("?P<lock>", "?P<lock2>", 1))
        text = text.replace("{NAMED}", named)
        found.append(Phrase(kind, _compile(text, where), place, context,
                            str(entry.get("lock", "")), bool(entry.get("page", False))))

    def fill(text: str) -> str:
        text = text.replace("{LOCKS}", many, 1)
        text = text.replace("{LOCKS}", many.replace("?P<lock>", "?P<lock2>", 1))
        return text.replace("{NAMED}", named).replace("{ONE}", one)

    member_phrases = tuple(
        MemberPhrase(_compile(fill(_str(entry, "pattern", where)), where),
                     bool(entry.get("reads", False)), bool(entry.get("protects", False)))
        for entry in raw.get("member_phrase", [])
    )
    orders = tuple(
        _compile(fill(_str(entry, "pattern", where)), where) for entry in raw.get("order_phrase", [])
    )
    hierarchy = raw.get("hierarchy", {})
    return Phrases(
        phrases=tuple(found),
        veto=tuple(_compile(p, where) for p in _strs(raw.get("veto", {}), "patterns", where)),
        member_veto=tuple(_compile(p, where)
                          for p in _strs(raw.get("member_veto", {}), "patterns", where)),
        member_closing=_compile(_str(raw["member_veto"], "closing", where), where)
        if "closing" in raw.get("member_veto", {}) else None,
        conditional=tuple(
            _compile(p, where) for p in _strs(raw.get("conditional", {}), "patterns", where)
        ),
        names=lock_names(),
        hint=_compile(_str(raw.get("hint", {}), "pattern", where), where),
        lock_one=_compile(f"^{one}$", where),
        joiner=_compile(joiner, where),
        members=member_phrases,
        orders=orders,
        hierarchy=_compile(_str(hierarchy, "keywords", where), where),
        arrow=_compile(_str(hierarchy, "arrow", where), where),
        group_plural=_compile(_str(raw["member_group"], "plural", where), where)
        if "member_group" in raw else None,
    )
