"""Placing the hunks of one file on its lines (exact, offset, fuzz) and writing the result."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from patchaudit.series.model import Hunk, HunkLine, LineKind
from patchaudit.tree.lines import ENCODING, ERRORS, encode_added, line_key, text_key
from patchaudit.tree.results import HunkResult

NO_MATCH = "context does not match"
# Line comparisons the nearest-first search of a hunk may make, in passes over
# the file, before the linear search takes over (_search).
SEARCH_PASSES = 4
OUT_OF_ORDER = "context matches only before the previous hunk (hunks out of order or overlapping)"


@dataclass(frozen=True)
class Patched:
    """The content after the hunks that could be placed, and what each hunk did."""

    after: bytes
    added_lines: frozenset[int]
    removed_lines: frozenset[int]
    hunks: tuple[HunkResult, ...]

    @property
    def complete(self) -> bool:
        return all(hunk.applied for hunk in self.hunks)


@dataclass(frozen=True)
class _Placement:
    start: int  # 0-based index of the first kept old-side line in the original lines
    lines: tuple[HunkLine, ...]  # the hunk without the context lines fuzz dropped


class _Image:
    """The original lines, split once per file; their match keys are made when a search needs them.

    A patch of a few hunks to a file of 700,000 lines (generated register
    headers) compares only the lines at its hunks' stated places: the keys of
    the others are never decoded, and rendering copies the untouched runs of
    lines as whole slices.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        parts = data.split(b"\n")
        # Only the last line may lack its "\n" (a file without a final newline).
        self.open_last = bool(parts[-1])
        if not self.open_last:
            parts.pop()
        self.parts = parts  # each line without its "\n" (a CR before it is kept)
        self.count = len(parts)
        self._keys: list[str] | None = None
        self._where: dict[str, list[int]] | None = None

    @property
    def eol(self) -> bytes | None:
        """``\r\n`` if most terminated lines use it, ``\n`` otherwise; None for no terminated line."""
        terminated = self.data.count(b"\n")
        if not terminated:
            return None
        return b"\r\n" if self.data.count(b"\r\n") * 2 > terminated else b"\n"

    def key(self, index: int) -> str:
        if self._keys is not None:
            return self._keys[index]
        return line_key(self.parts[index])

    def keys(self) -> list[str]:
        """Every line's key (line_key): decoded in one pass, as search by content needs them."""
        if self._keys is None:
            keys = self.data.decode(ENCODING, ERRORS).split("\n")
            if not self.open_last:
                keys.pop()
            self._keys = [key[:-1] if key.endswith("\r") else key for key in keys]
        return self._keys

    def open_end(self, index: int) -> bool:
        return self.open_last and index == self.count - 1

    def where(self, key: str) -> list[int]:
        """The indexes of the lines with this key, ascending (the index is built on demand)."""
        if self._where is None:
            self._where = {}
            for index, line_text in enumerate(self.keys()):
                self._where.setdefault(line_text, []).append(index)
        return self._where.get(key, [])

    def matches(self, pos: int, old: Sequence[tuple[str, bool]]) -> bool:
        """Whether the old-side lines (key, no_newline) are the file's lines from ``pos``."""
        return self.matched(pos, old) == len(old)

    def matched(self, pos: int, old: Sequence[tuple[str, bool]]) -> int:
        """How many of the old-side lines match the file's lines from ``pos``, in a row."""
        if pos < 0 or pos + len(old) > self.count:
            return 0
        for k, (key, no_newline) in enumerate(old):
            # "\ No newline at end of file" must agree with the file, as git apply insists.
            if self.key(pos + k) != key or self.open_end(pos + k) != no_newline:
                return k
        return len(old)

    def occurrences(self, old: Sequence[tuple[str, bool]], lo: int, hi: int) -> list[int]:
        """Every position in ``lo..hi`` where the old-side lines match, in time linear in the file.

        Knuth-Morris-Pratt over whole lines: each file line is compared a
        bounded number of times, however much the hunk repeats itself.
        """
        if not old:
            return list(range(lo, hi + 1))
        fallback = [0] * len(old)  # the longest proper border of old[:k + 1]
        k = 0
        for i in range(1, len(old)):
            while k and old[i] != old[k]:
                k = fallback[k - 1]
            if old[i] == old[k]:
                k += 1
            fallback[i] = k
        found: list[int] = []
        keys = self.keys()
        k = 0
        for i in range(lo, min(hi + len(old), len(keys))):
            line = (keys[i], self.open_end(i))
            while k and line != old[k]:
                k = fallback[k - 1]
            if line == old[k]:
                k += 1
            if k == len(old):
                found.append(i - k + 1)
                k = fallback[k - 1]
        return found


def _old_side(lines: Sequence[HunkLine]) -> list[HunkLine]:
    return [line for line in lines if line.kind is not LineKind.ADDED]


def _context_run(lines: Iterable[HunkLine]) -> int:
    run = 0
    for line in lines:
        if line.kind is not LineKind.CONTEXT:
            break
        run += 1
    return run


def _search(
    image: _Image, lines: Sequence[HunkLine], expected: int, lo: int, anchor: int | None
) -> int | None:
    """The matching position nearest ``expected`` at or after ``lo``; forward first on a tie.

    Nearest first, like patch(1): the hunk most likely moved with the lines around it.
    """
    old = [(text_key(line.text), line.no_newline) for line in lines]
    hi = image.count - len(old)
    if anchor is not None:
        return anchor if lo <= anchor <= hi and image.matches(anchor, old) else None
    if not old:
        return min(max(expected, lo), hi) if lo <= hi else None  # pure insertion: trust the header
    if lo <= expected <= hi and image.matches(expected, old):
        return expected
    # Only places where the hunk's rarest line sits can match, tried nearest first: a
    # hunk that moved is found after a few candidates. Where its every line is common
    # and the candidates keep nearly matching (a hostile or repetitive hunk), that
    # costs candidates x hunk length; past a budget of a few passes over the file, one
    # linear search finds every match instead.
    rarest = min(range(len(old)), key=lambda k: len(image.where(old[k][0])))
    starts = (index - rarest for index in image.where(old[rarest][0]))
    candidates = sorted(
        (abs(pos - expected), pos < expected, pos) for pos in starts if lo <= pos <= hi
    )
    budget = SEARCH_PASSES * (image.count + len(old))
    for _distance, _backward, pos in candidates:
        compared = image.matched(pos, old)
        if compared == len(old):
            return pos
        budget -= compared + 1
        if budget < 0:
            found = image.occurrences(old, lo, hi)
            return min(found, key=lambda p: (abs(p - expected), p < expected, p), default=None)
    return None


def _locate(
    image: _Image, hunk: Hunk, lo: int, shift: int, fuzz: int
) -> tuple[_Placement, int, int] | None:
    """Where ``hunk`` goes: placement, offset from its header and the fuzz used; or None.

    Fuzz follows patch(1): at level f, up to f context lines are ignored at each end, fewer
    at an end whose context is already short. A hunk with shorter context at its start than
    at its end was cut by the start of the file and may only match there (when its header
    says line 1); shorter context at the end means it must match at the end of the file.
    """
    lines = hunk.lines
    lead = _context_run(lines)
    # A hunk of context alone (no change) has no cut end: treat both ends alike.
    trail = lead if lead == len(lines) else _context_run(reversed(lines))
    context = max(lead, trail)
    full_old = _old_side(lines)
    stated = hunk.old_start - 1 if full_old else hunk.old_start
    for level in range(min(fuzz, context) + 1):  # fuzz never eats changed lines
        lead_slack = level + lead - context
        trail_slack = level + trail - context
        at_start = lead_slack < 0 and hunk.old_start <= 1
        drop_lead, drop_trail = max(lead_slack, 0), max(trail_slack, 0)
        kept = tuple(lines[drop_lead : len(lines) - drop_trail])
        old = _old_side(kept)
        ends_open = any(line.no_newline for line in kept)
        at_end = trail_slack < 0 or ends_open
        anchor: int | None = None
        if at_start:
            anchor = 0
            if at_end and len(old) != image.count:
                continue  # a hunk cut at both ends is the whole file
        elif at_end:
            anchor = image.count - len(old)
        # Leading lines that fuzz ignores must still exist in the file, as patch(1) requires
        # (no match before line 1); trailing ones need not, so fuzz can absorb a cut-off end.
        pos = _search(image, old, stated + drop_lead + shift, max(lo, drop_lead), anchor)
        if pos is not None:
            return _Placement(pos, kept), pos - drop_lead - stated, level
    return None


def _edits(placements: Sequence[_Placement]) -> tuple[set[int], dict[int, list[HunkLine]]]:
    """Removed old line indexes, and added lines by the old index they go before."""
    removed: set[int] = set()
    inserted: dict[int, list[HunkLine]] = {}
    for placement in placements:
        index = placement.start
        for line in placement.lines:
            if line.kind is LineKind.ADDED:
                inserted.setdefault(index, []).append(line)
                continue
            if line.kind is LineKind.REMOVED:
                removed.add(index)
            index += 1
    return removed, inserted


def _change_end(placement: _Placement) -> int:
    """The old index just after the placement's last change (its trailing context excluded)."""
    index = end = placement.start
    for line in placement.lines:
        if line.kind is LineKind.ADDED:
            end = index
        elif line.kind is LineKind.REMOVED:
            index += 1
            end = index
        else:
            index += 1
    return end


def _render(image: _Image, placements: Sequence[_Placement]) -> Patched:
    """The new content: untouched runs of lines copied whole, removed lines left out, added
    lines put in the file's line-end style."""
    eol = image.eol
    removed, inserted = _edits(placements)
    out: list[bytes] = []
    added: set[int] = set()
    produced = 0  # lines written so far
    open_tail = False  # the last bytes written end without a line terminator

    def emit(chunk: bytes, lines: int) -> None:
        nonlocal produced, open_tail
        # Only a fuzzy placement can put lines after an unterminated last line; end it
        # rather than glue two lines together.
        if open_tail:
            out[-1] += eol or b"\n"
        out.append(chunk)
        produced += lines
        open_tail = not chunk.endswith(b"\n")

    def copy(start: int, end: int) -> None:
        if start < end:
            run = b"\n".join(image.parts[start:end])
            emit(run if end == image.count and image.open_last else run + b"\n", end - start)

    cursor = 0
    for point in sorted(removed | inserted.keys()):
        copy(cursor, point)
        for line in inserted.get(point, ()):
            emit(encode_added(line.text, line.no_newline, eol), 1)
            added.add(produced)
        cursor = point + 1 if point in removed else point
    copy(cursor, image.count)
    removed_lines = frozenset(index + 1 for index in removed)
    return Patched(b"".join(out), frozenset(added), removed_lines, ())


def apply_hunks(content: bytes, hunks: Sequence[Hunk], *, fuzz: int = 0) -> Patched:
    """Apply ``hunks`` in order to ``content``; a hunk that cannot be placed is skipped.

    Hunks are matched against the original lines, in order: a hunk may share context lines
    with the previous one (offsets make that happen) but not start before its last change.
    Each search starts where the previous hunk's offset predicts, as patch(1) does.
    """
    image = _Image(content)
    placements: list[_Placement] = []
    results: list[HunkResult] = []
    lo = 0
    shift = 0
    for number, hunk in enumerate(hunks, start=1):
        found = _locate(image, hunk, lo, shift, fuzz)
        if found is None:
            reason = OUT_OF_ORDER if lo and _locate(image, hunk, 0, shift, fuzz) else NO_MATCH
            results.append(HunkResult(number, hunk.header, False, 0, reason))
            continue
        placement, offset, level = found
        placements.append(placement)
        lo = _change_end(placement)
        shift = offset
        note = f"fuzz {level}" if level else ""
        results.append(HunkResult(number, hunk.header, True, offset, note))
    rendered = _render(image, placements)
    return Patched(rendered.after, rendered.added_lines, rendered.removed_lines, tuple(results))


def failed_hunks(hunks: Sequence[Hunk], reason: str) -> tuple[HunkResult, ...]:
    """Every hunk recorded as not applied, for the same reason (missing file, ...)."""
    return tuple(
        HunkResult(number, hunk.header, False, 0, reason)
        for number, hunk in enumerate(hunks, start=1)
    )
