"""What governed code speaks of: its identifiers, page flags, structs, and the struct behind each variable."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from patchaudit.analyses.docs.walk import statements
from patchaudit.cfront.ir import Decl, FileIR

# A page flag is touched through its generated helpers (PageFoo,
# __SetPageFoo, ...), its folio twins (folio_test_foo, __folio_clear_foo)
# or its bit (PG_foo): any of them counts as using the flag.
_PAGE_HELPER_RE = re.compile(r"^(?:__)?(?:TestSet|TestClear|Set|Clear)?Page([A-Z][A-Za-z]*)$")
_FOLIO_HELPER_RE = re.compile(r"^(?:__)?folio_(?:test_set|test_clear|test|set|clear)_(\w+)$")
_BIT_RE = re.compile(r"^PG_(\w+)$")
_TAG_RE = re.compile(r"\b(?:struct|union)\s+(\w+)")


def flag_of(identifier: str) -> str | None:
    """The page flag an identifier manipulates, in lower case: __SetPageOffline -> offline."""
    for pattern in (_PAGE_HELPER_RE, _FOLIO_HELPER_RE, _BIT_RE):
        match = pattern.match(identifier)
        if match:
            return match.group(1).lower()
    return None


@dataclass(frozen=True, eq=False)
class Vocabulary:
    files: tuple[str, ...]
    identifiers: frozenset[str]  # every identifier token of the code (comments excluded)
    flags: frozenset[str]  # page flags the code manipulates
    defined: frozenset[str]  # functions, macros, structs and globals defined or declared
    fields: Mapping[str, frozenset[str]]  # struct tag -> member names
    variables: Mapping[str, frozenset[str]]  # variable name -> struct tags it is declared with


def _struct_tag(type_text: str) -> str | None:
    match = _TAG_RE.search(type_text)
    return match.group(1) if match else None


def vocabulary(irs: Iterable[FileIR]) -> Vocabulary:
    files: list[str] = []
    identifiers: set[str] = set()
    defined: set[str] = set()
    fields: dict[str, set[str]] = {}
    variables: dict[str, set[str]] = {}

    def declare(name: str, type_text: str) -> None:
        tag = _struct_tag(type_text)
        if name and tag is not None:
            variables.setdefault(name, set()).add(tag)

    for ir in irs:
        files.append(ir.path)
        identifiers.update(ident.name for ident in ir.identifiers)
        defined.update(macro.name for macro in ir.macros)
        for struct in ir.structs:
            defined.add(struct.name)
            fields.setdefault(struct.name, set()).update(f.name for f in struct.fields)
        for var in ir.globals:
            defined.add(var.name)
            declare(var.name, var.type)
        for fn in ir.functions:
            defined.add(fn.name)
            for param in fn.params:
                declare(param.name, param.type)
            for stmt in statements(fn.body):
                if isinstance(stmt, Decl):
                    declare(stmt.name, stmt.type)
    flags = frozenset(flag for name in identifiers if (flag := flag_of(name)) is not None)
    return Vocabulary(
        files=tuple(files),
        identifiers=frozenset(identifiers),
        flags=flags,
        defined=frozenset(defined),
        fields={tag: frozenset(names) for tag, names in fields.items()},
        variables={name: frozenset(tags) for name, tags in variables.items()},
    )
