"""The kernel's MAINTAINERS file as data: entries, and which entries cover a path.

Matching follows scripts/get_maintainer.pl (Linux 6.12) to the letter, so a
report groups a file under the entry that get_maintainer.pl names first:

- An ``F:``/``X:`` pattern is a regular expression anchored at the start of
  the path, made from the glob by turning ``.`` into ``\\.``, ``*`` into
  ``.*`` and ``?`` into ``.``; a pattern naming a directory of the tree
  without its trailing slash gets one. A pattern ending in ``/`` matches
  everything below; any other matches only paths with as many slashes.
- ``N:`` is a regular expression searched anywhere in the path (Perl's
  ``/x``: whitespace in it is not significant).
- An entry with an ``X:`` pattern that matches the path does not cover it.
- Each covering entry gets a depth: the slashes of its pattern, plus one
  unless it ends in ``/``; -1 for a pattern that starts with ``*`` (THE
  REST); 0 for ``N:``. As in get_maintainer.pl, the entry's last matching
  line (in file order) sets it. The deepest entries own the path: longest
  match wins.

Everything here is plain Python on the file's text: nothing runs Perl.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

# A typed line: one capital letter, a colon, the value ("F:\tmm/").
_TYPED = re.compile(r"^([A-Z]):\s*(.*)")
# Where a converted pattern stops being literal: any regular-expression syntax
# ("\." is a literal dot and is read as one).
_META = re.compile(r"\\\.|[.*?+()\[\]{}|^$\\]")


@dataclass(frozen=True)
class Pattern:
    """One ``F:`` or ``X:`` line: as written, and as the anchored regular expression it means."""

    written: str
    regex: str  # get_maintainer.pl's converted form

    @property
    def depth(self) -> int:
        if self.regex.startswith(".*"):
            return -1
        slashes = self.regex.count("/")
        return slashes if self.regex.endswith("/") else slashes + 1

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.regex)

    @cached_property
    def literal_directory(self) -> str:
        """The directory every path it matches is in: the literal text up to its last slash."""
        literal = []
        position = 0
        for match in _META.finditer(self.regex):
            literal.append(self.regex[position : match.start()])
            if match.group() != "\\.":
                break
            literal.append(".")
            position = match.end()
        else:
            literal.append(self.regex[position:])
        text = "".join(literal)
        return text[: text.rfind("/") + 1]

    def matches(self, path: str) -> bool:
        """get_maintainer.pl's file_match_pattern()."""
        if self.compiled.match(path) is None:
            return False
        return self.regex.endswith("/") or path.count("/") == self.regex.count("/")


@dataclass(frozen=True)
class Entry:
    """One section of MAINTAINERS: its title line and its typed lines."""

    index: int  # position among the entries, in file order
    name: str
    line: int  # 1-based line of the title in MAINTAINERS
    fields: tuple[tuple[str, str], ...]  # (letter, value) in order; F/X values as written
    patterns: tuple[tuple[str, Pattern | str], ...] = field(repr=False)  # ("F"/"X", Pattern) or ("N", regex)

    def values(self, letter: str) -> tuple[str, ...]:
        return tuple(value for kind, value in self.fields if kind == letter)

    @property
    def maintainers(self) -> tuple[str, ...]:
        return self.values("M")

    @property
    def reviewers(self) -> tuple[str, ...]:
        return self.values("R")

    @property
    def lists(self) -> tuple[str, ...]:
        return self.values("L")

    @property
    def status(self) -> str:
        return next(iter(self.values("S")), "")

    @property
    def files(self) -> tuple[str, ...]:
        return self.values("F")


def glob_to_regex(value: str) -> str:
    """get_maintainer.pl's conversion of an F:/X: glob (before the directory check)."""
    return value.replace(".", "\\.").replace("*", ".*").replace("?", ".")


class Maintainers:
    """The entries of a MAINTAINERS file and an index of their patterns by directory."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = tuple(entries)
        # Patterns by the directory their literal start names: a path can only
        # match patterns filed under one of its own ancestors.
        self._by_directory: dict[str, list[tuple[Entry, int, Pattern]]] = {}
        self._names: list[tuple[Entry, int, re.Pattern[str]]] = []
        for entry in self.entries:
            for position, (kind, pattern) in enumerate(entry.patterns):
                if kind == "N":
                    assert isinstance(pattern, str)
                    self._names.append((entry, position, re.compile(pattern, re.VERBOSE)))
                elif kind == "F":
                    assert isinstance(pattern, Pattern)
                    self._by_directory.setdefault(pattern.literal_directory, []).append(
                        (entry, position, pattern)
                    )

    def covering(self, path: str) -> list[tuple[Entry, int]]:
        """Every entry that covers ``path`` with its depth, deepest first (file order on ties)."""
        directories = [""] + [path[: i + 1] for i, char in enumerate(path) if char == "/"]
        hits: dict[int, tuple[int, int]] = {}  # entry index -> (line position, depth)
        for directory in directories:
            for entry, position, pattern in self._by_directory.get(directory, ()):
                if pattern.matches(path):
                    self._record(hits, entry, position, pattern.depth)
        for entry, position, compiled in self._names:
            if compiled.search(path):
                self._record(hits, entry, position, 0)
        found = [
            (self.entries[index], depth)
            for index, (_, depth) in hits.items()
            if not self._excluded(self.entries[index], path)
        ]
        found.sort(key=lambda item: (-item[1], item[0].index))
        return found

    @staticmethod
    def _record(hits: dict[int, tuple[int, int]], entry: Entry, position: int, depth: int) -> None:
        # The entry's last matching line in file order sets its depth.
        if entry.index not in hits or hits[entry.index][0] < position:
            hits[entry.index] = (position, depth)

    @staticmethod
    def _excluded(entry: Entry, path: str) -> bool:
        return any(
            kind == "X" and isinstance(pattern, Pattern) and pattern.matches(path)
            for kind, pattern in entry.patterns
        )

    def owners(self, path: str) -> tuple[Entry, ...]:
        """The deepest entries covering ``path`` (usually one): longest match wins."""
        found = self.covering(path)
        if not found:
            return ()
        best = found[0][1]
        return tuple(entry for entry, depth in found if depth == best)


def parse_maintainers(text: str, is_dir: Callable[[str], bool] = lambda _: False) -> Maintainers:
    """Read MAINTAINERS: a section is a title line followed by typed lines (``X:\\tvalue``).

    ``is_dir`` says whether a path names a directory of the tree, as
    get_maintainer.pl's ``-d`` does for a pattern without a trailing slash.
    Lines before the first section (the file's own introduction) and blank
    or ``#`` lines are not part of any entry.
    """
    entries: list[Entry] = []
    title: tuple[str, int] | None = None
    typed: list[tuple[str, str]] = []
    patterns: list[tuple[str, Pattern | str]] = []

    def close() -> None:
        nonlocal typed, patterns
        if title is not None and typed:
            entries.append(Entry(len(entries), title[0], title[1], tuple(typed), tuple(patterns)))
        typed, patterns = [], []

    for number, line in enumerate(text.splitlines(), start=1):
        match = _TYPED.match(line)
        if match is None:
            if line.strip() and not line.lstrip().startswith("#"):
                close()
                title = (line.strip(), number)
            continue
        letter, value = match.group(1), match.group(2).rstrip()
        typed.append((letter, value))
        if letter in ("F", "X"):
            regex = glob_to_regex(value)
            if not regex.endswith("/") and is_dir(regex):
                regex += "/"
            patterns.append((letter, Pattern(value, regex)))
        elif letter == "N":
            patterns.append(("N", value))
    close()
    return Maintainers(entries)
