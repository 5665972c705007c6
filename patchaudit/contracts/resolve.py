"""Naming the lock a contract means: prose and code words to lockdep-style classes, tree-wide.

The rules, in order (docs/contracts.md lists them with examples):
1. contexts and fixed names: "@rcu", "RTNL", "the page lock" (phrases.toml aliases);
2. a chain the code could not finish ("~vm_area_struct.vm_mm.mmap_lock"):
   walked through the tree's struct definitions;
3. "@arg", "@arg->member", "arg->a->member": through the parameter's type;
   "@arg" alone is the lock passed in ("arg:N") or the lock its type is
   locked by ("@dev": device.mutex, "@folio": the page lock);
4. "->member" and "member" in a member comment: the member of the same struct;
5. "var->member" with var no parameter: through the type that parameters
   named var have across the tree, else the one struct with a lock member
   of that name;
6. a bare name: a file-scope lock variable, else a lock member of a struct
   parameter, else the one struct with a lock member of that name;
7. words ("the zone lock", "the pages lock"): as the name they spell
   ("zone_lock", "pages_lock") or the lock member of the struct they name.
Anything else stays unresolved, with the reason, and is never checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from patchaudit.analyses.types import pointee, struct_name
from patchaudit.cfront.ir import Param
from patchaudit.contracts.model import PSEUDO_PREFIX, Contract, ContractKind
from patchaudit.contracts.phrases import LockNames, Phrases, lock_names

_ARTICLE_RE = re.compile(r"^(?:the|its|their|a|an|both|this|that)\s+", re.IGNORECASE)
_INDEFINITE_RE = re.compile(r"^(?:a|an|some|any|another)\s+", re.IGNORECASE)
_MODE_RE = re.compile(r"\s*\(?(?:for|in)\s+(?:read|write|reading|writing|exclusive|shared)"
                      r"(?:\s+mode)?\)?$|\s+exclusively$|\s+for\s+writing$", re.IGNORECASE)
_NOUN_RE = re.compile(r"\s+(?:lock|locks|mutex|spinlock|spin[ _]lock|semaphore|sem|rwsem|rwlock|"
                      r"seqlock)$", re.IGNORECASE)
_PATH_RE = re.compile(r"^(?:&\s*)?(?P<root>@?[A-Za-z_]\w*|->|@?[A-Za-z_]\w*\(\))?"
                      r"(?P<rest>(?:\s*(?:->|\.)\s*[A-Za-z_]\w*(?:\[\w*\])?)*)"
                      r"(?:\(\))?(?:'s)?$")
_STEP_RE = re.compile(r"(?:->|\.)\s*([A-Za-z_]\w*)(\[\w*\])?")
_GENERIC = frozenset({"lock", "locks", "spinlock", "mutex", "semaphore", "sem", "rwsem", "rwlock",
                      "spin lock", "spin_lock", "the lock", "seqlock", "lock held"})
_PAGE_TAGS = frozenset({"page", "folio"})
# Lock nouns that say what kind of lock they are: "spin" (spins) or "sleep" (phrases.py).
_NOUN_KINDS = {"mutex": "sleep", "semaphore": "sleep", "sem": "sleep", "rwsem": "sleep",
               "spinlock": "spin", "spin lock": "spin", "spin_lock": "spin", "rwlock": "spin"}


class TreeFacts(Protocol):
    """What resolution needs to know of the whole tree (the index, or files in memory)."""

    def members(self, tag: str) -> Mapping[str, str] | None:
        """Member name -> type of struct ``tag``; None when the tree does not define it."""
        ...

    def lock_owners(self, member: str) -> tuple[str, ...]:
        """Struct tags with a lock-typed member named ``member``."""
        ...

    def global_lock(self, name: str, file: str) -> bool:
        """Whether ``name`` is a file-scope lock variable seen from ``file``."""
        ...

    def params(self, function: str, file: str) -> tuple[Param, ...] | None:
        """The parameters of ``function`` (its definition in ``file`` first, else a unique one)."""
        ...

    def returns(self, function: str) -> str | None:
        """The return type of ``function`` when the tree agrees on one."""
        ...

    def name_type(self, var: str) -> str | None:
        """The struct tag that parameters named ``var`` point to across the tree, if one dominates."""
        ...

    def macro_path(self, name: str) -> str | None:
        """The member path an object-like macro stands for: ``d_lock`` -> ``d_lockref.lock``."""
        ...


@dataclass(frozen=True)
class Resolution:
    lock: str = ""
    arg: int | None = None
    reason: str = ""


def _unresolved(reason: str) -> Resolution:
    return Resolution(reason=reason)


class Resolver:
    """Resolves the locks of contracts against one tree's facts (memoised per lock text)."""

    def __init__(self, facts: TreeFacts, table: Phrases | None = None) -> None:
        self.facts = facts
        self.names: LockNames = table.names if table is not None else lock_names()

    # ------------------------------------------------------------ types

    def is_lock_type(self, type_text: str) -> bool:
        text = type_text.strip()
        while text.endswith("*"):
            text = text[:-1].strip()
        return self.names.lock_type(text) is not None

    def member_type(self, tag: str, member: str) -> str | None:
        members = self.facts.members(tag)
        if members is None:
            return None
        found = members.get(member)
        if found is not None:
            return found
        path = self.facts.macro_path(member)
        if path:
            # d_lock -> d_lockref.lock: walk the macro's own path from this struct.
            current: str | None = tag
            kind: str | None = None
            for step in path.split("."):
                if current is None:
                    return None
                kind = (self.facts.members(current) or {}).get(step)
                if kind is None:
                    return None
                current = struct_name(kind)
            return kind
        return None

    def walk(self, tag: str, steps: list[tuple[str, bool]]) -> tuple[str, str] | str:
        """Follow members from struct ``tag``: (class, type of the last member) or a reason."""
        current = tag
        for index, (member, element) in enumerate(steps):
            kind = self.member_type(current, member)
            if kind is None:
                if self.facts.members(current) is None:
                    return f"struct {current} is not defined in the tree"
                return f"struct {current} has no member {member}"
            if index == len(steps) - 1:
                return f"{current}.{member}", kind
            if element:
                kind = pointee(kind) or kind
            nxt = struct_name(kind)
            if nxt is None:
                return f"{current}.{member} is not a struct ({kind})"
            current = nxt
        return "empty path"

    def lock_class(self, tag: str, steps: list[tuple[str, bool]]) -> Resolution:
        walked = self.walk(tag, steps)
        if isinstance(walked, str):
            return _unresolved(walked)
        cls, kind = walked
        if not self.is_lock_type(kind):
            return _unresolved(f"{cls} is not a lock ({kind})")
        return Resolution(cls)

    # ------------------------------------------------------------ entry points

    def resolve(self, contract: Contract) -> Contract:
        """The contract with ``lock`` (and ``inner``) resolved, or ``unresolved`` saying why."""
        if contract.kind is ContractKind.CONTEXT:
            return contract
        if contract.kind is ContractKind.LOCK_ORDER:
            outer = self.lock(contract.lock_text, contract, contract.lock)
            inner = self.lock(contract.inner_text, contract, contract.inner)
            reason = outer.reason or inner.reason
            return contract.with_resolution(outer.lock if not reason else "", None,
                                            inner.lock if not reason else "", reason)
        found = self.lock(contract.lock_text, contract, contract.lock)
        return contract.with_resolution(found.lock, found.arg, "", found.reason)

    def lock(self, text: str, contract: Contract, known: str = "") -> Resolution:
        if known and not known.startswith(("~", "?")):
            if known == "page" and contract.arg is None:
                return _unresolved("the page is not a parameter")
            return Resolution(known, contract.arg)
        if known.startswith("~"):
            return self.chain(known[1:])
        if known.startswith("?"):
            return _unresolved("the code names the lock through an expression of unknown type")
        if text.startswith("page:"):
            return self.page(text[5:], contract)
        return self.words(text, contract)

    # ------------------------------------------------------------ forms

    def chain(self, chain: str) -> Resolution:
        """``vm_area_struct.vm_mm.mmap_lock`` or ``page_zone().lock``, as the code wrote it."""
        parts = chain.split(".")
        root, steps = parts[0], [(p.removesuffix("[]"), p.endswith("[]")) for p in parts[1:]]
        if root.endswith("()"):
            returned = self.facts.returns(root[:-2])
            tag = struct_name(returned)
            if tag is None:
                return _unresolved(f"the return type of {root} is unknown")
            root = tag
        # A chain's classes are the code's own: the last member need not be typed as a
        # lock here (xa_lock(&mapping->i_pages) locks an xarray).
        walked = self.walk(root, steps)
        if isinstance(walked, str):
            return _unresolved(walked)
        return Resolution(walked[0])

    def page(self, words: str, contract: Contract) -> Resolution:
        params = self.facts.params(contract.subject, contract.file) or ()
        name = words.lstrip("@").strip()
        for index, param in enumerate(params):
            if param.name == name:
                tag = struct_name(param.type)
                if tag in _PAGE_TAGS or tag is None:
                    return Resolution("page", index)
                return _unresolved(f"@{name} is a {param.type}, not a page or folio")
        pages = [i for i, p in enumerate(params) if struct_name(p.type) in _PAGE_TAGS]
        if len(pages) == 1:
            return Resolution("page", pages[0])
        if not params:
            return _unresolved(f"the parameters of {contract.subject}() are unknown")
        return _unresolved("which page is meant is not clear" if pages else "no page parameter")

    def words(self, text: str, contract: Contract) -> Resolution:
        raw = " ".join(text.split())
        raw = _MODE_RE.sub("", raw).strip()
        bare = _ARTICLE_RE.sub("", raw).strip()
        key = bare.lower()
        alias = self.names.aliases.get(key) or self.names.aliases.get(key.lstrip("&").strip())
        if alias is not None:
            if alias.cls == "page":
                return self.page("page", contract)
            return Resolution(alias.cls)
        if key in _GENERIC or raw.lower() in _GENERIC:
            if _INDEFINITE_RE.match(raw):
                # "hold a lock to prevent concurrency": some lock, not one the text names.
                return _unresolved(f"'{raw}' names no particular lock")
            return self.generic(bare, contract)
        code = _NOUN_RE.sub("", bare) if ("->" in bare or "_" in bare or "@" in bare) else bare
        match = _PATH_RE.match(code.replace(" ", "") if "->" in code or "." in code else code)
        if match is not None and (match.group("root") or match.group("rest")):
            return self.path(match.group("root") or "", match.group("rest") or "", contract)
        noun = _NOUN_RE.search(bare)
        if noun is not None:
            return self.spelled(bare[: noun.start()].strip(), noun.group(0).strip(), contract)
        return _unresolved(f"'{raw}' does not name a lock the tree defines")

    def spelled(self, base: str, noun: str, contract: Contract) -> Resolution:
        """"the zone lock": zone_lock, or the lock member of struct zone; "the interface
        mutex" of a function about a ``struct gb_interface``: its mutex."""
        if not base or len(base.split()) > 2:
            return _unresolved(f"'{base} {noun}' does not name a lock the tree defines")
        joined = "_".join(base.split())
        found = self.name(f"{joined}_{noun.replace(' ', '_')}", contract, quiet=True)
        if found.lock:
            return found
        # The structs the statement is about, named by the words, before any struct
        # of the tree that happens to carry the name.
        own = [t for t in self.subject_structs(contract)
               if t == joined or t.endswith(f"_{joined}")]
        for tag, about in [*((t, True) for t in own), (joined, joined in own)]:
            members = self.facts.members(tag)
            if members is None:
                continue
            locks = [m for m, t in members.items() if self.is_lock_type(t)]
            named = [m for m in locks if m == noun or m.endswith(f"_{noun}")]
            if len(named) == 1:
                return Resolution(f"{tag}.{named[0]}")
            # "the port mutex" is a mutex: a struct whose one lock spins has none.
            kind = _NOUN_KINDS.get(noun.lower())
            typed = [m for m in locks if kind is None or
                     self.names.lock_type(members[m].strip().rstrip("*").strip()) == kind]
            if about and len(locks) == 1 and typed:
                return Resolution(f"{tag}.{locks[0]}")
        return _unresolved(f"'{base} {noun}' does not name a lock the tree defines")

    def generic(self, text: str, contract: Contract) -> Resolution:
        """"the lock": the one lock member of the one struct the function (or member) is about."""
        candidates: list[str] = []
        for tag in self.subject_structs(contract):
            members = self.facts.members(tag) or {}
            candidates.extend(f"{tag}.{m}" for m, t in members.items() if self.is_lock_type(t))
        if len(candidates) == 1:
            return Resolution(candidates[0])
        if not candidates:
            return _unresolved(f"'{text}' names no lock of the structs in reach")
        return _unresolved(f"'{text}' could be any of {len(candidates)} locks")

    def subject_structs(self, contract: Contract) -> list[str]:
        if contract.kind is ContractKind.PROTECTED_BY:
            return [contract.subject.split(".", 1)[0]]
        params = self.facts.params(contract.subject, contract.file) or ()
        tags = [struct_name(p.type) for p in params]
        return list(dict.fromkeys(t for t in tags if t))

    def path(self, root: str, rest: str, contract: Contract) -> Resolution:
        steps = [(m.group(1), bool(m.group(2))) for m in _STEP_RE.finditer(rest)]
        if root == "->" or (not root and steps):
            # "->lock": a member of the struct the statement is about.
            tags = self.subject_structs(contract)
            found = [self.lock_class(tag, steps) for tag in tags]
            good = [f for f in found if f.lock]
            if len(good) == 1:
                return good[0]
            if not steps:
                return _unresolved("an empty member path")
            return self.by_member(steps, "->" + rest.lstrip("->."))
        if root.endswith("()"):
            if not steps:
                return _unresolved(f"'{root}' is a function, not a lock")
            return self.chain(f"{root}{rest.replace('->', '.').replace(' ', '')}")
        name = root.lstrip("@")
        params = self.facts.params(contract.subject, contract.file) if contract.kind not in (
            ContractKind.PROTECTED_BY, ContractKind.LOCK_ORDER) else None
        param_index = next((i for i, p in enumerate(params or ()) if p.name == name), None)
        if param_index is not None and params is not None:
            param = params[param_index]
            if not steps:
                return self.param_lock(param, param_index)
            tag = struct_name(param.type)
            if tag is None:
                return _unresolved(f"@{name} is not a struct pointer ({param.type})")
            return self.lock_class(tag, steps)
        if contract.kind is ContractKind.PROTECTED_BY and not steps:
            tag = contract.subject.split(".", 1)[0]
            if name in (self.facts.members(tag) or {}):
                return self.lock_class(tag, [(name, False)])
        if not steps:
            return self.name(name, contract)
        tag = self.facts.name_type(name)
        if tag is None:
            # "port.lock" above a function of struct imx_port: its member port (a
            # uart_port), before any struct that happens to be called port.
            for subject in self.subject_structs(contract):
                if name in (self.facts.members(subject) or {}):
                    typed = self.lock_class(subject, [(name, False), *steps])
                    if typed.lock:
                        return typed
        if tag is None and self.facts.members(name) is not None:
            tag = name  # "zone->lock": the variable is named after its struct
        if tag is not None:
            typed = self.lock_class(tag, steps)
            if typed.lock:
                return typed
        return self.by_member(steps, f"{name}{rest}")

    def param_lock(self, param: Param, index: int) -> Resolution:
        if self.is_lock_type(param.type):
            return Resolution(f"arg:{index}", index)
        tag = struct_name(param.type)
        if tag is not None and tag in self.names.object_locks:
            cls = self.names.object_locks[tag].cls
            return Resolution(cls, index if cls == "page" else None)
        return _unresolved(f"@{param.name} is a {param.type}, not a lock")

    def by_member(self, steps: list[tuple[str, bool]], written: str) -> Resolution:
        """The one struct of the tree with a lock member of that name (the last step)."""
        member = steps[-1][0]
        owners = self.facts.lock_owners(member)
        if len(owners) == 1:
            return Resolution(f"{owners[0]}.{member}")
        if not owners:
            return _unresolved(f"no struct of the tree has a lock member {member} ({written})")
        return _unresolved(f"{len(owners)} structs have a lock member {member} ({written})")

    def name(self, name: str, contract: Contract, quiet: bool = False) -> Resolution:
        if name.startswith(PSEUDO_PREFIX):
            return Resolution(name)
        if self.facts.global_lock(name, contract.file):
            return Resolution(name)
        for tag in self.subject_structs(contract):
            kind = self.member_type(tag, name)
            if kind is not None and self.is_lock_type(kind):
                return Resolution(f"{tag}.{name}")
        owners = self.facts.lock_owners(name)
        if len(owners) == 1:
            return Resolution(f"{owners[0]}.{name}")
        if quiet:
            return _unresolved("")
        if owners:
            return _unresolved(f"{len(owners)} structs have a lock member {name}")
        return _unresolved(f"no lock named {name} in the tree")
