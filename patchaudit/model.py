"""Findings: immutable, typed values with a total order; analysis never prints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum, IntEnum

from patchaudit.textbytes import to_bytes


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
    # fingerprint() under the finding's own path, computed once where the
    # finding is made: a whole-tree report writes 29,000 of them, and a
    # cached finding carries its own.
    _fingerprint: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fingerprint", self._identity(self.file))

    def fingerprint(self, file: str | None = None) -> str:
        """Identity that survives moves: rule, file, function and the offending code, not lines.

        ``file`` overrides the path (a finding of a renamed file is compared
        under its new name).
        """
        if not file or file == self.file:
            return self._fingerprint
        return self._identity(file)

    def _identity(self, file: str) -> str:
        code = " ".join(self.code.split())
        key = "\0".join((self.rule_id, file, self.function, code))
        return hashlib.blake2b(to_bytes(key), digest_size=12).hexdigest()

    def sort_key(self) -> tuple[int, str, int, int, str, str]:
        patch_index = self.patch.index if self.patch is not None else -1
        return (patch_index, self.file, self.line, self.column, self.rule_id, self.message)

    def __lt__(self, other: Finding) -> bool:
        return self.sort_key() < other.sort_key()


# ------------------------------------------------------------------ run metadata
# What formatters receive besides the findings: plain values, never the engine.


@dataclass(frozen=True)
class DiffLine:
    kind: str  # " ", "+" or "-"
    text: str
    old_line: int | None
    new_line: int | None  # the line in the file after the patch, where it applied


@dataclass(frozen=True)
class DiffHunk:
    header: str
    lines: tuple[DiffLine, ...]
    applied: bool
    offset: int
    reason: str


@dataclass(frozen=True)
class DiffFile:
    path: str
    old_path: str | None
    change: str  # "modified", "added", "deleted", "renamed", "copied"
    binary: bool
    hunks: tuple[DiffHunk, ...]


@dataclass(frozen=True)
class PatchSummary:
    index: int
    subject: str  # title without the [PATCH ...] prefix
    raw_subject: str
    author: str
    date: str
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    body: str
    trailers: tuple[tuple[str, str], ...]
    base_commit: str
    applies: bool
    files: tuple[DiffFile, ...]
    version: int = 1
    total: int | None = None
    recipients: tuple[str, ...] = ()  # To:, Cc: and list of the patch mail


@dataclass(frozen=True)
class RuleInfo:
    """A rule's documentation and whether it applied to the analysed tree."""

    id: str
    slug: str
    title: str
    kind: str
    severity: Severity
    confidence: Confidence
    summary: str
    why: str
    false_positives: str
    source: SourceQuote
    applies: bool
    applicability: str  # the reason: where its text was found, or why it did not apply

    @property
    def name(self) -> str:
        return f"{self.id}-{self.slug}"


@dataclass(frozen=True)
class FileIssue:
    """A file that could not be analysed (or only partly): not C, not UTF-8, too big, ..."""

    file: str
    message: str


@dataclass(frozen=True)
class MaintainerEntry:
    """An entry of the tree's MAINTAINERS file, as reports name it: who to tell."""

    name: str
    line: int  # of its title in MAINTAINERS
    maintainers: tuple[str, ...]  # M:
    reviewers: tuple[str, ...]  # R:
    lists: tuple[str, ...]  # L:
    status: str  # S:


@dataclass(frozen=True)
class Ownership:
    """The MAINTAINERS entries that own the files of a report's findings (longest match wins).

    ``owners`` maps a file to indexes into ``entries`` (usually one; entries
    tied for the deepest match all own it). ``restricted_to`` is the PATH of
    ``--maintainers-of`` when the report was limited to its entries.
    """

    entries: tuple[MaintainerEntry, ...]
    owners: dict[str, tuple[int, ...]] = field(default_factory=dict)
    restricted_to: str = ""

    def of(self, file: str) -> tuple[MaintainerEntry, ...]:
        return tuple(self.entries[i] for i in self.owners.get(file, ()))


@dataclass(frozen=True)
class Delivery:
    """How a review bot's replies are addressed and stamped (-f email); set by the CLI.

    Empty recipients mean the defaults (the patch's author; the patch mail's
    own To, Cc and list). An empty date means the time of formatting, an empty
    ``run_id`` a random one: Message-IDs must be unique across runs.
    """

    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    notes: bool = False  # also mail a patch whose only new findings are notes
    date: str = ""  # RFC 5322 date of the replies
    run_id: str = ""  # the unique part of this run's Message-IDs


@dataclass(frozen=True)
class RunReport:
    tool: str
    version: str
    mode: str  # "check" or "scan"
    tree: str
    source: str  # the series given to check, or the scanned paths
    findings: tuple[Finding, ...]
    rules: tuple[RuleInfo, ...]
    patches: tuple[PatchSummary, ...] = ()
    cover: PatchSummary | None = None
    file_issues: tuple[FileIssue, ...] = ()
    files_analysed: int = 0
    # The contract kinds' judgements, counted by "check: verdict (reason)": the
    # calls and writes they judged and did not report, and why (scan with an index).
    judged: tuple[tuple[str, int], ...] = ()
    # Who a review bot mails as (-f email's From and Reported-by; empty: the
    # formatter's default) and where it publishes the full report (empty:
    # nowhere): patchwork's target_url, a link in the mails.
    sender: str = ""
    report_url: str = ""
    delivery: Delivery = field(default_factory=Delivery)
    # Who owns the files of the findings, from the tree's MAINTAINERS; None
    # when the tree has none or the output does not use it.
    ownership: Ownership | None = None

    def judgement_totals(self) -> tuple[dict[str, int], dict[str, int]]:
        """The contract judgements by verdict (followed, violated, unknown, partial ...) and the
        unknown ones by reason, most frequent first."""
        verdicts: dict[str, int] = {}
        reasons: dict[str, int] = {}
        for key, count in self.judged:
            _, _, rest = key.partition(": ")
            verdict, _, reason = rest.partition(" (")
            verdicts[verdict] = verdicts.get(verdict, 0) + count
            if reason:
                reasons[reason.removesuffix(")")] = reasons.get(reason.removesuffix(")"), 0) + count
        ordered = dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
        return verdicts, ordered

    def rule(self, rule_id: str) -> RuleInfo | None:
        for info in self.rules:
            if info.id == rule_id:
                return info
        return None
