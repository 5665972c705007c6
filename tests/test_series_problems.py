"""Series problems are reported, never raised: missing, duplicate, mixed, mismatched, empty."""

from __future__ import annotations

from pathlib import Path

from patchaudit.series import load_series
from patchaudit.series.model import ProblemKind, Series, SeriesProblem

DIFF = "---\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"


def mail(subject: str, diff: bool = True) -> str:
    return (
        "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n"
        "From: Ada Lovelace <ada@example.org>\n"
        f"Subject: {subject}\n"
        "\n"
        "Signed-off-by: Ada Lovelace <ada@example.org>\n"
        + (DIFF if diff else "")
        + "-- \n2.39.5\n\n"
    )


def load(tmp_path: Path, *mails: str) -> Series:
    path = tmp_path / "series.mbox"
    path.write_text("".join(mails))
    return load_series(str(path))


def test_a_complete_series_has_no_problems(tmp_path: Path) -> None:
    series = load(
        tmp_path, mail("[PATCH 0/2] demo", diff=False), mail("[PATCH 1/2] a"), mail("[PATCH 2/2] b")
    )
    assert series.problems == ()


def test_patches_are_ordered_by_index(tmp_path: Path) -> None:
    series = load(tmp_path, mail("[PATCH 3/3] c"), mail("[PATCH 1/3] a"), mail("[PATCH 2/3] b"))
    assert [p.subject.title for p in series.patches] == ["a", "b", "c"]
    assert [p.source for p in series.patches] == [
        f"{tmp_path / 'series.mbox'}:2",
        f"{tmp_path / 'series.mbox'}:3",
        f"{tmp_path / 'series.mbox'}:1",
    ]


def test_missing_patch(tmp_path: Path) -> None:
    series = load(tmp_path, mail("[PATCH 1/4] a"), mail("[PATCH 3/4] c"), mail("[PATCH 4/4] d"))
    assert series.problems == (SeriesProblem(ProblemKind.MISSING_PATCH, "patch 2/4 is missing", 2),)


def test_duplicate_index(tmp_path: Path) -> None:
    series = load(
        tmp_path, mail("[PATCH 1/2] a"), mail("[PATCH 2/2] b"), mail("[PATCH 2/2] b again")
    )
    assert series.problems == (
        SeriesProblem(ProblemKind.DUPLICATE_INDEX, "2 patches are numbered 2/2", 2),
    )
    assert [p.subject.title for p in series.patches] == ["a", "b", "b again"]


def test_mixed_versions(tmp_path: Path) -> None:
    series = load(tmp_path, mail("[PATCH v2 1/2] a"), mail("[PATCH v3 2/2] b"))
    assert series.problems == (
        SeriesProblem(ProblemKind.MIXED_VERSIONS, "the series mixes versions v2, v3"),
    )


def test_total_mismatch(tmp_path: Path) -> None:
    series = load(tmp_path, mail("[PATCH 1/3] a"), mail("[PATCH 2/3] b"), mail("[PATCH 3/4] c"))
    assert series.problems == (
        SeriesProblem(
            ProblemKind.TOTAL_MISMATCH,
            "patch 3/4 says the series has 4 patches, the others say 3",
            3,
        ),
    )


def test_index_beyond_the_cover_letters_total(tmp_path: Path) -> None:
    series = load(
        tmp_path, mail("[PATCH 0/1] demo", diff=False), mail("[PATCH 1/1] a"), mail("[PATCH 2/1] b")
    )
    assert series.problems == (
        SeriesProblem(
            ProblemKind.TOTAL_MISMATCH, "patch 2/1 is numbered beyond the series length 1", 2
        ),
    )


def test_numbered_patch_without_a_diff(tmp_path: Path) -> None:
    series = load(
        tmp_path, mail("[PATCH 1/2] a"), mail("[PATCH 2/2] b: forgot the diff", diff=False)
    )
    assert series.problems == (
        SeriesProblem(ProblemKind.NO_DIFF, "patch 2/2 (b: forgot the diff) has no diff", 2),
    )
    assert [p.subject.index for p in series.patches] == [1, 2]


def test_cover_letter_only_reports_every_patch_missing(tmp_path: Path) -> None:
    series = load(tmp_path, mail("[PATCH 0/2] demo", diff=False))
    assert series.cover is not None and series.patches == ()
    assert series.problems == (
        SeriesProblem(ProblemKind.MISSING_PATCH, "patch 1/2 is missing", 1),
        SeriesProblem(ProblemKind.MISSING_PATCH, "patch 2/2 is missing", 2),
    )


def test_several_problems_at_once_in_a_fixed_order(tmp_path: Path) -> None:
    series = load(
        tmp_path,
        mail("[PATCH v1 0/3] demo", diff=False),
        mail("[PATCH v2 1/3] a"),
        mail("[PATCH v2 1/3] a"),
        mail("[PATCH v2 3/3] c", diff=False),
    )
    assert series.problems == (
        SeriesProblem(ProblemKind.MIXED_VERSIONS, "the series mixes versions v1, v2"),
        SeriesProblem(ProblemKind.MISSING_PATCH, "patch 2/3 is missing", 2),
        SeriesProblem(ProblemKind.DUPLICATE_INDEX, "2 patches are numbered 1/3", 1),
        SeriesProblem(ProblemKind.NO_DIFF, "patch 3/3 (c) has no diff", 3),
    )
