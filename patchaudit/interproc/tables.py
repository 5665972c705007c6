"""The contract judge's tables (data/judge.toml), loaded once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class JudgeTables:
    exempt_words: frozenset[str]
    interrupt_safe: frozenset[str]  # do not sleep when called in interrupt context

    def exempt(self, function: str) -> bool:
        """Whether writes in ``function`` are an object's construction or teardown."""
        return any(part in self.exempt_words for part in function.split("_") if part)


@cache
def judge_tables() -> JudgeTables:
    raw = tomllib.loads(files("patchaudit.interproc").joinpath("data/judge.toml").read_text())
    return JudgeTables(frozenset(raw["member_exempt"]["words"]),
                       frozenset(raw["interrupt_safe"]["names"]))
