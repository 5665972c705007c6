"""Token prefilter: which rules may match a file, decided on its raw bytes before any parsing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from patchaudit.ruleset import Rule
from patchaudit.ruleset.kinds import KINDS
from patchaudit.ruleset.kinds.base import (
    ByteCheckKind,
    grep_pattern,
    may_match,
    required_tokens,
    whole_identifiers,
)

# Anchors shorter than this hit too many files by accident ("_page_", "alloc"):
# a longer shared substring ("balloon_") stays rare and still stands for many tokens.
MIN_ANCHOR = 8


@dataclass(frozen=True)
class RuleTokens:
    rule_id: str
    tokens: tuple[bytes, ...] | None  # None: every file
    whole: bool = False  # tokens count only as whole identifiers
    # The rule, when its kind has a finer byte test (may_match) for files
    # that hold a token: "->" is in nearly every file, "->" in a comment is not.
    refine: Rule | None = None
    # A Perl-compatible pattern every file the rule may match in has a match
    # of (GrepPatternKind): grep -zP finds those files in the first pass.
    pattern: bytes | None = None


@dataclass(frozen=True)
class TokenFilter:
    """The rules of a scan with the tokens each needs, and a short list of anchors to search first.

    Every token contains its anchor, so a file holding no anchor holds no
    token: most files cost one ``bytes.find`` per anchor and nothing more.
    ``bytes.find`` of a long name runs at gigabytes a second, where one
    regular expression alternation of the same words manages about a tenth
    of that.
    """

    rules: tuple[RuleTokens, ...]
    anchors: tuple[bytes, ...]

    @cached_property
    def every_file(self) -> bool:
        """Whether some rule needs every file (a kind without tokens)."""
        return any(entry.tokens is None for entry in self.rules)

    @cached_property
    def _anchor_of(self) -> dict[bytes, bytes]:
        tokens = {t for entry in self.rules if entry.tokens is not None for t in entry.tokens}
        return {token: anchor_of(self.anchors, token) for token in tokens}

    @cached_property
    def _standing_for(self) -> dict[bytes, dict[bytes, bool]]:
        """For each anchor, the other tokens it stands for, as absent (what a missing anchor settles)."""
        grouped: dict[bytes, dict[bytes, bool]] = {}
        for token, anchor in self._anchor_of.items():
            if token != anchor:
                grouped.setdefault(anchor, {})[token] = False
        return grouped

    @cached_property
    def rare_anchors(self) -> tuple[bytes, ...]:
        """The anchors a first pass (grep) can look for: long names, absent from most files."""
        return tuple(anchor for anchor in self.anchors if len(anchor) >= MIN_ANCHOR)

    @cached_property
    def first_pass_pattern(self) -> bytes | None:
        """One pattern for grep -zP matching in every file a rule with a pattern may match in."""
        patterns = sorted({entry.pattern for entry in self.rules if entry.pattern is not None})
        if not patterns:
            return None
        return b"|".join(b"(?:" + pattern + b")" for pattern in patterns)

    @cached_property
    def needs_reading(self) -> bool:
        """Whether a file the first pass does not name may still match.

        It may unless every rule has a pattern, or tokens whose anchors are
        all rare (a short anchor is not searched for by grep).
        """
        return not all(self._found_first(entry) for entry in self.rules)

    def _found_first(self, entry: RuleTokens) -> bool:
        if entry.pattern is not None:
            return True
        if entry.tokens is None:
            return False
        return all(len(self._anchor_of[token]) >= MIN_ANCHOR for token in entry.tokens)

    def select(self, data: bytes, absent: tuple[bytes, ...] = ()) -> tuple[str, ...]:
        """Ids of the rules that may match in ``data``, in rule order.

        ``absent``: anchors already known not to be in ``data`` (the first pass).
        """
        present: dict[bytes, bool] = dict.fromkeys(absent, False)
        if not self.every_file and not any(
            _has(data, anchor, present) for anchor in self.anchors
        ):
            return ()
        # A token is searched for only if its anchor is in the file: an
        # absent token costs a pass over the whole file, an absent anchor
        # one pass for all the tokens it stands for.
        for anchor, unsought in self._standing_for.items():
            if not _has(data, anchor, present):
                present.update(unsought)
        refined: dict[tuple[str, object], bool] = {}
        chosen = []
        for entry in self.rules:
            if entry.tokens is not None and not any(
                _has(data, token, present) for token in entry.tokens
            ):
                continue
            if entry.whole and entry.tokens and _identifiers(entry.tokens).search(data) is None:
                continue
            if entry.refine is not None and not _refined(data, entry.refine, refined):
                continue
            chosen.append(entry.rule_id)
        return tuple(chosen)


def _has(data: bytes, token: bytes, memo: dict[bytes, bool]) -> bool:
    found = memo.get(token)
    if found is None:
        found = memo[token] = token in data
    return found


@lru_cache(maxsize=256)
def _identifiers(tokens: tuple[bytes, ...]) -> re.Pattern[bytes]:
    # Not next to an ASCII identifier character; a non-ASCII byte counts as a
    # boundary, which can only let more files through (the front end would
    # read "épages_lock" as one identifier).
    names = b"|".join(re.escape(token) for token in tokens)
    return re.compile(rb"(?<![A-Za-z0-9_$])(?:" + names + rb")(?![A-Za-z0-9_$])")


def _refined(data: bytes, rule: Rule, memo: dict[tuple[str, object], bool]) -> bool:
    # Rules of one kind with equal parameters (PA3001-PA3004) share one test.
    key = (rule.kind, rule.params)
    found = memo.get(key)
    if found is None:
        found = memo[key] = may_match(KINDS[rule.kind], rule, data)
    return found


def build_filter(rules: Iterable[Rule]) -> TokenFilter:
    """The filter for ``rules`` (the applicable file-scope rules of a scan)."""
    entries = []
    for rule in rules:
        kind = KINDS[rule.kind]
        tokens = required_tokens(kind, rule)
        whole = whole_identifiers(kind)
        encoded = None
        if tokens is not None:
            unique = {t.encode("utf-8") for t in tokens if t}
            # "__SetPageBalloon" holds "PageBalloon" as bytes, not as a whole identifier.
            encoded = tuple(sorted(unique)) if whole else _minimal(unique)
        refine = rule if isinstance(kind, ByteCheckKind) else None
        entries.append(RuleTokens(rule.id, encoded, whole, refine, grep_pattern(kind, rule)))
    every = {t for entry in entries if entry.tokens is not None for t in entry.tokens}
    return TokenFilter(tuple(entries), choose_anchors(every))


def _minimal(tokens: set[bytes]) -> tuple[bytes, ...]:
    """Drop tokens that contain another one: "__SetPageBalloon" is found whenever "PageBalloon" is."""
    kept = {t for t in tokens if not any(other != t and other in t for other in tokens)}
    return tuple(sorted(kept))


def choose_anchors(tokens: set[bytes]) -> tuple[bytes, ...]:
    """Few substrings such that every token contains one (a greedy set cover).

    Candidates are the token's substrings of MIN_ANCHOR bytes or more (a
    shorter token is its own candidate); each round takes the candidate in
    most of the tokens still uncovered, the longer on a tie (a longer needle
    is both rarer and searched faster).
    """
    uncovered = set(tokens)
    chosen: list[bytes] = []
    while uncovered:
        candidates: set[bytes] = set()
        for token in uncovered:
            if len(token) <= MIN_ANCHOR:
                candidates.add(token)
                continue
            for start in range(len(token) - MIN_ANCHOR + 1):
                for end in range(start + MIN_ANCHOR, len(token) + 1):
                    candidates.add(token[start:end])
        best = max(
            candidates,
            key=lambda c: (sum(1 for t in uncovered if _covers(c, t)), len(c), c),
        )
        chosen.append(best)
        uncovered = {t for t in uncovered if not _covers(best, t)}
    return tuple(sorted(chosen))


def _covers(anchor: bytes, token: bytes) -> bool:
    """Whether ``anchor`` stands for ``token``: a short anchor only for itself.

    "Page" (a token of the documentation rules) is in nearly every file; were
    it the anchor of "PageBalloon", that token would be searched for in
    nearly every file too.
    """
    return anchor == token or (len(anchor) >= MIN_ANCHOR and anchor in token)


def anchor_of(anchors: tuple[bytes, ...], token: bytes) -> bytes:
    """The anchor that stands for ``token`` (see choose_anchors); the token itself without one."""
    return next((anchor for anchor in anchors if _covers(anchor, token)), token)
