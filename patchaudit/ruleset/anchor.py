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


# Punctuation that may end a sentence the rule quotes without it: mainline's
# "... under balloon_pages_lock" is the same rule as "... under
# balloon_pages_lock." in a tree that added the full stop.
_CLOSING = frozenset(".,;:!?)")


def find_span(text: str, data: bytes) -> tuple[int, int] | None:
    """First and last line of the first occurrence of ``text`` (normalised) in ``data``."""
    haystack = _normalised_file(data)
    needle = normalise_words(text)
    if not needle:
        return None
    word_end = needle[-1].isalnum() or needle[-1] == "_"
    offset = haystack.text.find(needle, 0)
    while offset >= 0:
        end = offset + len(needle)
        after = haystack.text[end] if end < len(haystack.text) else " "
        if (offset == 0 or haystack.text[offset - 1] == " ") and (
            after == " " or (word_end and after in _CLOSING)
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
    return locate_all([rule], read)[rule.id]


def locate_in(rule: Rule, data: bytes, file: str | None = None) -> RuleStatus:
    """Where ``rule``'s text is in ``data``, the content of ``file`` (default: the rule's usual path)."""
    # find_span requires a word boundary at both ends so "the lock" does not
    # match "the locks".
    return _status(rule, file or rule.source.file, find_span(rule.source.text, data))


def _status(rule: Rule, file: str, span: tuple[int, int] | None) -> RuleStatus:
    if span is not None:
        line = span[0]
        return RuleStatus(rule.id, True, f"rule text found at {file}:{line}", file, line)
    return RuleStatus(
        rule.id,
        False,
        f"{file} does not contain the rule text (as worded in {rule.source.version})",
        file,
    )


def locate_all(rules: Iterable[Rule], read: Reader) -> dict[str, RuleStatus]:
    """``locate`` for many rules in one tree state: each quoted file read once, each text searched once.

    A rule whose file was renamed in some trees names the other paths
    (``also_in``): the first path that holds the text wins, else the first
    that exists says why the rule does not apply. A file that cannot be read
    (an unsafe path in a rule file, a directory) makes its rules not apply,
    with the reason, instead of stopping the run.
    """
    contents: dict[str, bytes | InputError | None] = {}
    spans: dict[tuple[str, str], tuple[int, int] | None] = {}
    statuses: dict[str, RuleStatus] = {}

    def content(file: str) -> bytes | InputError | None:
        if file not in contents:
            try:
                contents[file] = read(file)
            except InputError as exc:
                contents[file] = exc
        return contents[file]

    for rule in rules:
        text = rule.source.text
        found: RuleStatus | None = None
        for file in rule.source.files:
            data = content(file)
            if isinstance(data, InputError):
                status = RuleStatus(rule.id, False, data.problem, file)
            elif data is None:
                status = RuleStatus(rule.id, False, f"{file} is not in the tree", file)
            else:
                if (file, text) not in spans:
                    spans[file, text] = find_span(text, data)
                status = _status(rule, file, spans[file, text])
            if status.applies:
                found = status
                break
            # The first path that exists explains best why the rule does not apply.
            if found is None or (found.reason.endswith("is not in the tree") and data is not None):
                found = status
        assert found is not None  # a rule always has its usual file
        statuses[rule.id] = found
    return statuses


def assumed(rule: Rule) -> RuleStatus:
    return RuleStatus(rule.id, True, "applied without looking for its text (--all-rules)", rule.source.file)
