"""Find a rule's quoted documentation text in the analysed tree, so a rule runs only where it holds."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

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


def normalise(text: str) -> NormalisedText:
    words: list[str] = []
    offsets: list[int] = []
    lines: list[int] = []
    position = 0
    for number, line in enumerate(text.splitlines(), start=1):
        line = _TRAIL_RE.sub("", _LEAD_RE.sub("", line, count=1))
        for word in line.split():
            words.append(word)
            offsets.append(position)
            lines.append(number)
            position += len(word) + 1
    return NormalisedText(" ".join(words), tuple(offsets), tuple(lines))


def normalise_words(text: str) -> str:
    return normalise(text).text


def find_span(text: str, data: bytes) -> tuple[int, int] | None:
    """First and last line of the first occurrence of ``text`` (normalised) in ``data``."""
    haystack = normalise(data.decode("utf-8", "surrogateescape"))
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
    span = find_span(rule.source.text, data)
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


def assumed(rule: Rule) -> RuleStatus:
    return RuleStatus(rule.id, True, "applied without looking for its text (--all-rules)", rule.source.file)
