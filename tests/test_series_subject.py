"""Subject parsing: tags, version, index/total and title, as a table."""

from __future__ import annotations

import pytest

from patchaudit.series import parse_subject
from patchaudit.series.model import Subject

CASES = [
    (
        "[PATCH v2 3/8] mm: balloon: update comment about isolation",
        Subject(
            raw="[PATCH v2 3/8] mm: balloon: update comment about isolation",
            title="mm: balloon: update comment about isolation",
            prefixes=("PATCH",),
            version=2,
            index=3,
            total=8,
        ),
    ),
    (
        "[RFC PATCH net-next v3 02/10] net: demo: add stats",
        Subject(
            raw="[RFC PATCH net-next v3 02/10] net: demo: add stats",
            title="net: demo: add stats",
            prefixes=("RFC", "PATCH", "net-next"),
            version=3,
            index=2,
            total=10,
        ),
    ),
    (
        "[PATCH RESEND] kexec: export PG_offline",
        Subject(
            raw="[PATCH RESEND] kexec: export PG_offline",
            title="kexec: export PG_offline",
            prefixes=("PATCH", "RESEND"),
        ),
    ),
    (
        "Re: RE: Fwd: [PATCH v2 0/8] mm/kdump: exclude offline pages",
        Subject(
            raw="Re: RE: Fwd: [PATCH v2 0/8] mm/kdump: exclude offline pages",
            title="mm/kdump: exclude offline pages",
            prefixes=("PATCH",),
            version=2,
            index=0,
            total=8,
        ),
    ),
    (
        "[RFC][PATCH 1/2] [media] demo: fix",
        Subject(
            raw="[RFC][PATCH 1/2] [media] demo: fix",
            title="demo: fix",
            prefixes=("RFC", "PATCH", "media"),
            index=1,
            total=2,
        ),
    ),
    (
        "[PATCHv4 2/3] demo: glued version",
        Subject(
            raw="[PATCHv4 2/3] demo: glued version",
            title="demo: glued version",
            prefixes=("PATCH",),
            version=4,
            index=2,
            total=3,
        ),
    ),
    (
        "[PATCH net,V2 1/3] demo: patchwork commas",
        Subject(
            raw="[PATCH net,V2 1/3] demo: patchwork commas",
            title="demo: patchwork commas",
            prefixes=("PATCH", "net"),
            version=2,
            index=1,
            total=3,
        ),
    ),
    (
        "[PATCH v2 3/8] mm: balloon: update comment about\n isolation/migration/compaction",
        Subject(
            raw="[PATCH v2 3/8] mm: balloon: update comment about isolation/migration/compaction",
            title="mm: balloon: update comment about isolation/migration/compaction",
            prefixes=("PATCH",),
            version=2,
            index=3,
            total=8,
        ),
    ),
    (
        "[PATCH] =?UTF-8?q?demo=3A_fix_the_caf=C3=A9?=\n =?UTF-8?q?_driver?=",
        Subject(
            raw="[PATCH] demo: fix the café driver",
            title="demo: fix the café driver",
            prefixes=("PATCH",),
        ),
    ),
    (
        "=?utf-8?b?W1BBVENIIDEvMl0gZGVtbzogYsOkcg==?=",
        Subject(
            raw="[PATCH 1/2] demo: bär",
            title="demo: bär",
            prefixes=("PATCH",),
            index=1,
            total=2,
        ),
    ),
    (
        "mm: no tags at all",
        Subject(raw="mm: no tags at all", title="mm: no tags at all"),
    ),
    (
        "[PATCH 0/3]",
        Subject(raw="[PATCH 0/3]", title="", prefixes=("PATCH",), index=0, total=3),
    ),
]


@pytest.mark.parametrize(("raw", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_parse_subject(raw: str, expected: Subject) -> None:
    assert parse_subject(raw) == expected


def test_flags() -> None:
    subject = parse_subject("[RFC PATCH RESEND v2] demo: x")
    assert (subject.is_rfc, subject.is_resend, subject.version) == (True, True, 2)
    assert (parse_subject("[PATCH] x").is_rfc, parse_subject("[PATCH] x").is_resend) == (
        False,
        False,
    )


def test_undecodable_encoded_words_stay_readable() -> None:
    # An unknown charset falls back to UTF-8; broken base64 is left as written.
    assert parse_subject("[PATCH] =?x-unknown?q?caf=C3=A9?=").title == "café"
    assert parse_subject("[PATCH] =?base64?q?caf=C3=A9?=").title == "café"  # not a text codec
    # A raw 8-bit byte inside the charset name (kept as a surrogate by the mail parser).
    assert parse_subject("[PATCH] =?utf\udcff?q?caf=C3=A9?=").title == "café"
    assert parse_subject("[PATCH] =?utf-8?b?!!!?= x").title == "=?utf-8?b?!!!?= x"
