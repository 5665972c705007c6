"""Putting patches together into a Series: cover letter, order, and problems with the whole."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from patchaudit.series.model import Patch, ProblemKind, Series, SeriesProblem
from patchaudit.series.subject import is_reply


def _label(patch: Patch) -> str:
    subject = patch.subject
    return f"{subject.index}/{subject.total}" if subject.total is not None else f"{subject.index}"


def _expected_total(cover: Patch | None, numbered: Sequence[Patch]) -> int | None:
    """The series length: the cover letter's N, else the N most patches agree on."""
    if cover is not None and cover.subject.total is not None:
        return cover.subject.total
    totals = Counter(p.subject.total for p in numbered if p.subject.total is not None)
    if not totals:
        return None
    # Most common; on a tie the larger, so that a missing patch is reported.
    return max(totals.items(), key=lambda item: (item[1], item[0]))[0]


def _version_problems(everything: Sequence[Patch]) -> list[SeriesProblem]:
    versions = sorted({p.subject.version for p in everything})
    if len(versions) < 2:
        return []
    listed = ", ".join(f"v{v}" for v in versions)
    return [SeriesProblem(ProblemKind.MIXED_VERSIONS, f"the series mixes versions {listed}")]


def _numbering_problems(
    cover: Patch | None, extra_covers: Sequence[Patch], numbered: Sequence[Patch]
) -> list[SeriesProblem]:
    problems: list[SeriesProblem] = []
    total = _expected_total(cover, numbered)
    for patch in ([cover] if cover else []) + list(extra_covers) + list(numbered):
        index, own = patch.subject.index, patch.subject.total
        if total is not None and own is not None and own != total:
            problems.append(
                SeriesProblem(
                    ProblemKind.TOTAL_MISMATCH,
                    f"patch {_label(patch)} says the series has {own} patches, the others say {total}",
                    index,
                )
            )
        elif total is not None and index is not None and index > total:
            problems.append(
                SeriesProblem(
                    ProblemKind.TOTAL_MISMATCH,
                    f"patch {_label(patch)} is numbered beyond the series length {total}",
                    index,
                )
            )
    present = Counter(p.subject.index for p in numbered)
    problems += _missing(total or 0, present)
    if extra_covers:
        count = len(extra_covers) + 1
        problems.append(
            SeriesProblem(ProblemKind.DUPLICATE_INDEX, f"{count} cover letters (0/{total})", 0)
        )
    for index, count in sorted(present.items(), key=lambda item: item[0] or 0):
        if index is not None and count > 1:
            problems.append(
                SeriesProblem(
                    ProblemKind.DUPLICATE_INDEX,
                    f"{count} patches are numbered {index}/{total}",
                    index,
                )
            )
    return problems


# Missing patches in a row up to this many are listed one by one; a longer
# run is one problem (a subject claiming 1/999999999 must not list a billion).
_LISTED_RUN = 10


def _missing(total: int, present: Counter[int | None]) -> list[SeriesProblem]:
    """The patches 1..total that are not present, found from the gaps between present ones."""
    problems: list[SeriesProblem] = []
    here = sorted(i for i in present if i is not None and 1 <= i <= total)
    start = 1
    for end in [*here, total + 1]:
        if end - start > _LISTED_RUN:
            problems.append(SeriesProblem(
                ProblemKind.MISSING_PATCH,
                f"patches {start}-{end - 1}/{total} are missing ({end - start} patches)", start,
            ))  # fmt: skip
        else:
            problems += [
                SeriesProblem(ProblemKind.MISSING_PATCH, f"patch {i}/{total} is missing", i)
                for i in range(start, end)
            ]
        start = end + 1
    return problems


def assemble(patches: Sequence[Patch], source: str) -> Series:
    """Pick the cover letter, order patches by index (stably) and list series problems.

    Replies (``Re:`` without a diff, as in a thread mbox) are not part of the series.
    """
    members = [p for p in patches if p.files or not is_reply(p.subject)]
    covers = [p for p in members if p.subject.index == 0]
    cover = covers[0] if covers else None
    ordered = sorted((p for p in members if p.subject.index != 0), key=lambda p: p.index)
    if cover is not None and cover.base_commit:
        # format-patch --cover-letter --base writes base-commit in the cover only.
        ordered = [
            p if p.base_commit else dataclasses.replace(p, base_commit=cover.base_commit)
            for p in ordered
        ]
    numbered = [p for p in ordered if p.subject.index is not None]
    # A single patch mail is checked as itself: only an input that brings
    # more (a cover letter, other patches, a thread with its replies) claims
    # to be the whole series, and only then can a patch of it be missing.
    lone = len(patches) == 1 and cover is None and (patches[0].subject.total or 1) > 1
    problems = _version_problems(members)
    if not lone:
        problems += _numbering_problems(cover, covers[1:], numbered)
    for patch in ordered:
        if not patch.files:
            label = _label(patch) if patch.subject.index is not None else "without a number"
            problems.append(
                SeriesProblem(
                    ProblemKind.NO_DIFF,
                    f"patch {label} ({patch.subject.title or patch.source}) has no diff",
                    patch.subject.index,
                )
            )
    return Series(
        patches=tuple(ordered), cover=cover, problems=tuple(problems), source=source, lone=lone
    )
