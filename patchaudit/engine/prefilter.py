"""Token prefilter: which rules may match a file, decided on its raw bytes before any parsing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from patchaudit.ruleset import Rule
from patchaudit.ruleset.kinds import KINDS
from patchaudit.ruleset.kinds.base import required_tokens

# Anchors shorter than this hit too many files by accident ("_page_", "alloc"):
# a longer shared substring ("balloon_") stays rare and still stands for many tokens.
MIN_ANCHOR = 8


@dataclass(frozen=True)
class RuleTokens:
    rule_id: str
    tokens: tuple[bytes, ...] | None  # None: every file


@dataclass(frozen=True)
class TokenFilter:
    """The rules of a scan with the tokens each needs, and a short list of anchors to search first.

    Every token contains at least one anchor, so a file holding no anchor
    holds no token: most files cost one ``bytes.find`` per anchor and nothing
    more. ``bytes.find`` runs at gigabytes a second where one regular
    expression alternation of the same words manages about a tenth of that.
    """

    rules: tuple[RuleTokens, ...]
    anchors: tuple[bytes, ...]

    @property
    def every_file(self) -> bool:
        """Whether some rule needs every file (a kind without tokens)."""
        return any(entry.tokens is None for entry in self.rules)

    def select(self, data: bytes) -> tuple[str, ...]:
        """Ids of the rules that may match in ``data``, in rule order."""
        if not self.every_file and not any(anchor in data for anchor in self.anchors):
            return ()
        present: dict[bytes, bool] = {}
        chosen = []
        for entry in self.rules:
            if entry.tokens is None or any(_has(data, token, present) for token in entry.tokens):
                chosen.append(entry.rule_id)
        return tuple(chosen)


def _has(data: bytes, token: bytes, memo: dict[bytes, bool]) -> bool:
    found = memo.get(token)
    if found is None:
        found = memo[token] = token in data
    return found


def build_filter(rules: Iterable[Rule]) -> TokenFilter:
    """The filter for ``rules`` (the applicable file-scope rules of a scan)."""
    entries = []
    for rule in rules:
        tokens = required_tokens(KINDS[rule.kind], rule)
        encoded = None if tokens is None else _minimal({t.encode("utf-8") for t in tokens if t})
        entries.append(RuleTokens(rule.id, encoded))
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
    uncovered = set(_minimal(tokens))
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
            key=lambda c: (sum(1 for t in uncovered if c in t), len(c), c),
        )
        chosen.append(best)
        uncovered = {t for t in uncovered if best not in t}
    return tuple(sorted(chosen))
