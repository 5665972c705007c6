"""The parsed form of a patch series: patches, their mail metadata and their diffs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class LineKind(Enum):
    CONTEXT = " "
    REMOVED = "-"
    ADDED = "+"


@dataclass(frozen=True)
class HunkLine:
    """One line of a hunk, without its line terminator.

    ``text`` is decoded with UTF-8 + surrogateescape so non-UTF-8 bytes survive a
    round trip; ``no_newline`` marks a line followed by ``\\ No newline at end of file``.
    """

    kind: LineKind
    text: str
    no_newline: bool = False


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_length: int
    new_start: int
    new_length: int
    section: str  # the text after the second @@ (often the enclosing function)
    lines: tuple[HunkLine, ...]

    @property
    def header(self) -> str:
        text = f"@@ -{self.old_start},{self.old_length} +{self.new_start},{self.new_length} @@"
        return f"{text} {self.section}" if self.section else text


class FileChange(Enum):
    MODIFIED = "modified"
    ADDED = "added"
    DELETED = "deleted"
    RENAMED = "renamed"
    COPIED = "copied"


@dataclass(frozen=True)
class FileDiff:
    """Changes to one file. Paths are as written in the patch, ``a/``/``b/`` stripped."""

    old_path: str | None  # None for a new file
    new_path: str | None  # None for a deleted file
    change: FileChange
    hunks: tuple[Hunk, ...]
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None

    @property
    def path(self) -> str:
        """The path the file has after the patch (before it, for a deletion)."""
        result = self.new_path if self.new_path is not None else self.old_path
        assert result is not None
        return result


@dataclass(frozen=True)
class Trailer:
    key: str  # canonical case: Signed-off-by, Acked-by, ...
    value: str


@dataclass(frozen=True)
class Subject:
    """``[PATCH RFC v2 3/8] subsys: title`` taken apart."""

    raw: str
    title: str
    prefixes: tuple[str, ...] = ()  # e.g. ("PATCH", "RFC", "RESEND", "net-next")
    version: int = 1
    index: int | None = None
    total: int | None = None

    @property
    def is_rfc(self) -> bool:
        return any(p.upper() == "RFC" for p in self.prefixes)

    @property
    def is_resend(self) -> bool:
        return any(p.upper() == "RESEND" for p in self.prefixes)


@dataclass(frozen=True)
class Patch:
    """One mail (or file) of a series. A cover letter is a Patch with no files."""

    source: str  # where it came from: file name, "<stdin>", "mbox:3"
    subject: Subject
    author: str = ""
    date: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    # Who the mail went to (To:, Cc: and the list's List-Post: address), as
    # "Name <addr>" or "addr": a review bot's reply copies them.
    recipients: tuple[str, ...] = ()
    body: str = ""  # commit message without trailers
    trailers: tuple[Trailer, ...] = ()
    base_commit: str = ""
    diff_text: str = ""  # the diff part, as applied
    files: tuple[FileDiff, ...] = ()

    @property
    def index(self) -> int:
        return self.subject.index if self.subject.index is not None else 1

    @property
    def is_cover(self) -> bool:
        return self.subject.index == 0


class ProblemKind(Enum):
    MISSING_PATCH = "series-missing-patch"
    DUPLICATE_INDEX = "series-duplicate-index"
    MIXED_VERSIONS = "series-mixed-versions"
    TOTAL_MISMATCH = "series-total-mismatch"
    NO_DIFF = "series-patch-without-diff"


@dataclass(frozen=True)
class SeriesProblem:
    """Something wrong with the series as a whole; reported as a finding, not a crash."""

    kind: ProblemKind
    message: str
    patch_index: int | None = None


@dataclass(frozen=True)
class Series:
    patches: tuple[Patch, ...]  # ordered by index, cover letter excluded
    cover: Patch | None = None
    problems: tuple[SeriesProblem, ...] = field(default=())
    source: str = ""
    # One patch of a longer series given alone ("[PATCH 3/8]" without its
    # cover letter or siblings, as b4's per-patch hook pipes it): checked as
    # itself, with no findings about the patches it does not claim to bring.
    lone: bool = False
