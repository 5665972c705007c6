"""Findings: immutable, typed values with a total order; analysis never prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum


class Severity(IntEnum):
    """How bad a finding is; ordered so that ``max()`` gives the worst."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


class Confidence(IntEnum):
    """How sure the rule is that a match is a real problem."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Confidence:
        return cls[text.upper()]


class Status(Enum):
    """A finding relative to the tree state before the patch that carries it."""

    NEW = "new"
    PREEXISTING = "preexisting"
    FIXED = "fixed"


@dataclass(frozen=True, order=True)
class TraceStep:
    """One step of the explanation of a finding (where a lock was taken, ...)."""

    file: str
    line: int
    message: str


@dataclass(frozen=True)
class SourceQuote:
    """The documentation a rule enforces: verbatim text and where it lives."""

    file: str
    symbol: str
    text: str
    version: str
    line: int | None = None  # where the text was found in the analysed tree


@dataclass(frozen=True, order=True)
class PatchRef:
    """The patch of a series that a finding belongs to."""

    index: int
    subject: str


@dataclass(frozen=True)
class Finding:
    """One reported problem. ``file`` is relative to the tree root, lines 1-based."""

    rule_id: str
    severity: Severity
    confidence: Confidence
    file: str
    line: int
    column: int
    message: str
    patch: PatchRef | None = None
    status: Status = Status.NEW
    trace: tuple[TraceStep, ...] = ()
    source: SourceQuote | None = None
    code: str = ""  # the offending source line, stripped
    function: str = ""  # enclosing function, if any
    suppressed: str | None = field(default=None)  # reason, when an inline suppression applies

    def sort_key(self) -> tuple[int, str, int, int, str, str]:
        patch_index = self.patch.index if self.patch is not None else -1
        return (patch_index, self.file, self.line, self.column, self.rule_id, self.message)

    def __lt__(self, other: Finding) -> bool:
        return self.sort_key() < other.sort_key()
