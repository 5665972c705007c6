"""Rules as typed values: what a rule file in rules/ becomes after validation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from patchaudit.model import Confidence, Severity, SourceQuote


@dataclass(frozen=True)
class RuleSource:
    """The documentation a rule encodes, verbatim, and the tree it was written against."""

    file: str
    symbol: str
    text: str
    version: str
    # The era of the documentation: which wording of the file the rule
    # encodes ("5.1-6.12", "2026"); a tree gets the rules whose text it has.
    era: str = ""
    # Where the same text lives in trees that renamed the file
    # (include/linux/balloon_compaction.h became include/linux/balloon.h).
    also_in: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        """Every path the text may live at, the usual one first."""
        return (self.file, *self.also_in)

    def quote(self, line: int | None = None, file: str | None = None) -> SourceQuote:
        """The quoted text; ``file`` names where it was found, if not at the usual path."""
        return SourceQuote(file or self.file, self.symbol, self.text, self.version, line)


@dataclass(frozen=True)
class Rule:
    id: str  # stable code, e.g. "PA1001"
    slug: str  # names the bad pattern, e.g. "removed-pageballoon"
    title: str
    kind: str
    severity: Severity
    confidence: Confidence
    summary: str
    why: str
    false_positives: str
    source: RuleSource
    params: Any  # the kind's own frozen parameter dataclass
    path: str  # the rule file, for messages
    # The [params] table as the rule file writes it, one "key = value" line
    # each, in TOML: what `rules show` prints (the dataclass is the engine's).
    params_text: str = ""

    @property
    def name(self) -> str:
        return f"{self.id}-{self.slug}"

    def matches_ref(self, ref: str) -> bool:
        """Whether ``ref`` (as written by a user: code, slug or both) names this rule."""
        return ref in (self.id, self.slug, self.name)
