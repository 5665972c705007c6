"""The kernel macro table (macros.toml beside this file) as frozen families, with name lookup."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from importlib import resources


class Treatment(Enum):
    """How the masking rewrites a use of a macro; the table's comments say it byte by byte."""

    LOOP = "loop"  # NAME(args) stmt -> `while` padded: a loop (or scope) header
    ATTRIBUTE = "attribute"  # NAME and its (args) -> spaces
    KEYWORD = "keyword"  # NAME -> the family's keyword, padded
    DECLARATION = "declaration"  # NAME(var, ...); -> NAME var;
    TYPED_DECLARATION = "typed_declaration"  # NAME(type, var); -> type var;
    DEFINITION = "definition"  # NAME(fn, T1, a1, ...) { -> NAME fn(T1 a1, ...) {
    MEMBER_PATH = "member_path"  # offsetof(T, a.b[1]) -> offsetof(T, a_b_1_)
    OPAQUE = "opaque"  # NAME(...); -> spaces


@dataclass(frozen=True)
class Family:
    name: str
    treatment: Treatment
    names: tuple[str, ...]  # exact names and "prefix*" / "*suffix" / "*infix*" patterns
    record: bool = False  # kernel.annotations_in() reports uses of this family
    keyword: str = ""  # the replacement of a KEYWORD family


@dataclass(frozen=True)
class MacroTable:
    families: tuple[Family, ...]

    def family_of(self, name: str) -> Family | None:
        return lookup(self)(name)


def pattern_regex(pattern: str) -> str:
    """The regex of a table name: "*" stands for any identifier characters."""
    return r"\w*".join(re.escape(part) for part in pattern.split("*"))


class Lookup:
    """Name -> family: exact names first, then patterns in table order; memoised."""

    def __init__(self, table: MacroTable) -> None:
        self.exact: dict[str, Family] = {}
        self.patterns: list[tuple[re.Pattern[str], Family]] = []
        for family in table.families:
            for name in family.names:
                if "*" in name:
                    self.patterns.append((re.compile(pattern_regex(name)), family))
                else:
                    self.exact.setdefault(name, family)
        self.memo: dict[str, Family | None] = {}

    def __call__(self, name: str) -> Family | None:
        try:
            return self.memo[name]
        except KeyError:
            pass
        found = self.exact.get(name)
        if found is None:
            found = next((f for rx, f in self.patterns if rx.fullmatch(name)), None)
        self.memo[name] = found
        return found


@lru_cache(maxsize=8)
def lookup(table: MacroTable) -> Lookup:
    return Lookup(table)


_NAME = re.compile(r"\*?[A-Za-z_]\w*(?:\*\w*)*|\*\w+\*?")


def load_table(text: str, source: str = "macros.toml") -> MacroTable:
    """Read a macro table; a malformed one raises ValueError naming the family."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: {exc}") from exc
    families = []
    for name, entry in raw.get("family", {}).items():
        try:
            treatment = Treatment(entry["treatment"])
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{source}: family {name}: bad or missing treatment") from exc
        names = entry.get("names", [])
        if not names or not all(isinstance(n, str) and _NAME.fullmatch(n) for n in names):
            raise ValueError(f"{source}: family {name}: names must be identifiers or * patterns")
        keyword = entry.get("keyword", "")
        if (treatment is Treatment.KEYWORD) != bool(keyword):
            raise ValueError(f"{source}: family {name}: keyword goes with treatment keyword")
        families.append(
            Family(name, treatment, tuple(names), bool(entry.get("record", False)), keyword)
        )
    return MacroTable(tuple(families))


@lru_cache(maxsize=1)
def kernel_table() -> MacroTable:
    """The table shipped in cfront/data/macros.toml."""
    text = resources.files(__name__).joinpath("macros.toml").read_text("utf-8")
    return load_table(text)
