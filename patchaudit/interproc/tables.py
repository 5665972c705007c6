"""The contract judge's tables (data/judge.toml), loaded once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from patchaudit.analyses.tables import Action, tables


@dataclass(frozen=True)
class HelperWords:
    """Names that read as taking a lock ([lock_helpers])."""

    words: frozenset[str]
    suffixes: tuple[str, ...]
    not_prefixes: tuple[str, ...]

    def lock_like(self, name: str) -> bool:
        """Whether a function or macro name reads as taking a lock (``hci_dev_lock``)."""
        parts = [p for p in name.lower().split("_") if p]
        if any(p.startswith(self.not_prefixes) for p in parts):
            return False
        return any(p in self.words or p.endswith(self.suffixes) for p in parts)


@dataclass(frozen=True)
class JudgeTables:
    exempt_words: frozenset[str]
    exempt_suffixes: tuple[str, ...]  # mount-time callbacks: nilfs_fill_super()
    interrupt_safe: frozenset[str]  # do not sleep when called in interrupt context
    lock_helpers: HelperWords
    fault_only: frozenset[str]  # sleep only to fault user memory in
    fault_disable: str  # pagefault_disable(): such calls fail instead of sleeping after it
    fault_enable: str
    fault_name_parts: frozenset[str]  # "inatomic": the function's callers disabled faults
    waivers: tuple[re.Pattern[str], ...]  # a comment says the function goes without the lock
    # A member's text that needs every lock it names for a write, not any one of them.
    all_locks: tuple[re.Pattern[str], ...] = ()

    def needs_all(self, text: str) -> bool:
        return any(p.search(text) for p in self.all_locks)

    def exempt(self, function: str) -> bool:
        """Whether writes in ``function`` are an object's construction or teardown."""
        return (any(part in self.exempt_words for part in function.split("_") if part)
                or function.endswith(self.exempt_suffixes))


@cache
def judge_tables() -> JudgeTables:
    raw = tomllib.loads(files("patchaudit.interproc").joinpath("data/judge.toml").read_text())
    helpers, fault = raw["lock_helpers"], raw["fault_only"]
    return JudgeTables(frozenset(raw["member_exempt"]["words"]),
                       tuple(raw["member_exempt"]["suffixes"]),
                       frozenset(raw["interrupt_safe"]["names"]),
                       HelperWords(frozenset(helpers["words"]), tuple(helpers["suffixes"]),
                                   tuple(helpers["not_prefixes"])),
                       frozenset(fault["names"]), str(fault["disable"]), str(fault["enable"]),
                       frozenset(fault["name_parts"]),
                       tuple(re.compile(p, re.IGNORECASE) for p in raw["waived"]["patterns"]),
                       tuple(re.compile(p, re.IGNORECASE)
                             for p in raw["member_all_locks"]["patterns"]))


def releases(callee: str) -> bool:
    """Whether ``callee`` is a primitive that releases a lock or a context (spin_unlock(),
    up_write(), local_irq_enable())."""
    primitive = tables().primitives.get(callee)
    return primitive is not None and primitive.action is Action.RELEASE
