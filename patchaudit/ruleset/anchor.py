"""Find a rule's quoted documentation text in the analysed tree, so a rule runs only where it holds."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from patchaudit.errors import InputError
from patchaudit.ruleset.model import Rule

# Comment decoration at the start of a line ("/*", " * ", "//", "*/") and at
# its end ("*/") is not part of the documented text; neither is whitespace,
# so reflowed lines still match.
_LEAD_RE = re.compile(r"^\s*(?:/\*+|\*+/|//+|\*+(?!\w))?")
_TRAIL_RE = re.compile(r"\*+/\s*$")

Reader = Callable[[str], "bytes | None"]


@dataclass(frozen=True)
class NormalisedText:
    """The words of a file with comment decoration removed, and the line of each word."""

    text: str
    offsets: tuple[int, ...]  # start offset in ``text`` of each word
    lines: tuple[int, ...]  # 1-based line of each word

    def line_at(self, offset: int) -> int:
        index = bisect.bisect_right(self.offsets, offset) - 1
        return self.lines[max(index, 0)]


def strip_decoration(line: str) -> str:
    """One line without its comment decoration ("/*", " * ", "//", "*/")."""
    return _TRAIL_RE.sub("", _LEAD_RE.sub("", line, count=1))


def normalise(text: str) -> NormalisedText:
    words: list[str] = []
    offsets: list[int] = []
    lines: list[int] = []
    position = 0
    for number, line in enumerate(text.splitlines(), start=1):
        for word in strip_decoration(line).split():
            words.append(word)
            offsets.append(position)
            lines.append(number)
            position += len(word) + 1
    return NormalisedText(" ".join(words), tuple(offsets), tuple(lines))


@lru_cache(maxsize=256)
def normalise_words(text: str) -> str:
    # Cached: the same few dozen rule texts are looked for in every snapshot.
    return normalise(text).text


# A check asks for several rules' texts in the same file, before and after
# each patch: a file's content is normalised once, not once per rule. The
# bound covers the files the shipped rules quote plus a patch's touched ones.
@lru_cache(maxsize=16)
def _normalised_file(data: bytes) -> NormalisedText:
    return normalise(data.decode("utf-8", "surrogateescape"))


def find_span(text: str, data: bytes) -> tuple[int, int] | None:
    """First and last line of the first occurrence of ``text`` (normalised) in ``data``."""
    haystack = _normalised_file(data)
    needle = normalise_words(text)
    if not needle:
        return None
    offset = haystack.text.find(needle)
    while offset >= 0:
        end = offset + len(needle)
        if (offset == 0 or haystack.text[offset - 1] == " ") and (
            end == len(haystack.text) or haystack.text[end] == " "
        ):
            return haystack.line_at(offset), haystack.line_at(end - 1)
        offset = haystack.text.find(needle, offset + 1)
    return None


@dataclass(frozen=True)
class RuleStatus:
    """Whether a rule applies to a tree, and why (or why not)."""

    rule_id: str
    applies: bool
    reason: str
    file: str
    line: int | None = None


def locate(rule: Rule, read: Reader) -> RuleStatus:
    data = read(rule.source.file)
    if data is None:
        return RuleStatus(rule.id, False, f"{rule.source.file} is not in the tree", rule.source.file)
    return locate_in(rule, data)


def locate_in(rule: Rule, data: bytes) -> RuleStatus:
    # find_span requires a word boundary at both ends so "the lock" does not
    # match "the locks".
    return _status(rule, find_span(rule.source.text, data))


def _status(rule: Rule, span: tuple[int, int] | None) -> RuleStatus:
    if span is not None:
        line = span[0]
        return RuleStatus(
            rule.id, True, f"rule text found at {rule.source.file}:{line}", rule.source.file, line
        )
    return RuleStatus(
        rule.id,
        False,
        f"{rule.source.file} does not contain the rule text (as worded in {rule.source.version})",
        rule.source.file,
    )


def locate_all(rules: Iterable[Rule], read: Reader) -> dict[str, RuleStatus]:
    """``locate`` for many rules in one tree state: each quoted file read once, each text searched once.

    A file that cannot be read (an unsafe path in a rule file, a directory)
    makes its rules not apply, with the reason, instead of stopping the run.
    """
    contents: dict[str, bytes | InputError | None] = {}
    spans: dict[tuple[str, str], tuple[int, int] | None] = {}
    statuses: dict[str, RuleStatus] = {}
    for rule in rules:
        file, text = rule.source.file, rule.source.text
        if file not in contents:
            try:
                contents[file] = read(file)
            except InputError as exc:
                contents[file] = exc
        data = contents[file]
        if isinstance(data, InputError):
            statuses[rule.id] = RuleStatus(rule.id, False, data.problem, file)
        elif data is None:
            statuses[rule.id] = RuleStatus(rule.id, False, f"{file} is not in the tree", file)
        else:
            if (file, text) not in spans:
                spans[file, text] = find_span(text, data)
            statuses[rule.id] = _status(rule, spans[file, text])
    return statuses


def assumed(rule: Rule) -> RuleStatus:
    return RuleStatus(rule.id, True, "applied without looking for its text (--all-rules)", rule.source.file)
