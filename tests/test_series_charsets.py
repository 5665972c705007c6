"""Which MIME charsets a patch may use: escape codecs and surrogate-producing decodings are refused.

A refused charset is read as UTF-8 (bytes that are not UTF-8 kept as
surrogate escapes), so every text the series stage produces turns back into
bytes; and every output format stays total over a hostile subject or line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from patchaudit.series import load_series
from patchaudit.series.headers import decode_bytes, decode_header_value

REPO = Path(__file__).resolve().parents[1]
FORMATS = ("text", "json", "html", "terse", "emacs", "sarif", "email", "patchwork")


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("=?utf-7?Q?+AOk-?=", "\u00e9"),  # a well-formed utf-7 word still decodes
        ("=?utf-7?Q?+2D0-?=", "+2D0-"),  # a lone high surrogate: read as UTF-8 instead
        ("=?utf-7?B?KzJEMy0=?=", "+2D3-"),  # the same, base64-encoded
        ("=?unicode_escape?Q?=5Cud800?=", "\\ud800"),  # escape codecs are not charsets
        ("=?raw_unicode_escape?Q?=5Cudc00x?=", "\\udc00x"),
        ("=?unicode_escape?Q?a=5Cnb?=", "a\\nb"),  # no backslash of C code is reinterpreted
        ("=?punycode?Q?abc-?=", "abc-"),
        ("=?iso-8859-1?Q?caf=E9?=", "caf\u00e9"),
    ],
)
def test_header_words_decode_to_text_that_turns_back_into_bytes(word: str, expected: str) -> None:
    decoded = decode_header_value(f"{word} [PATCH] x")
    assert decoded == f"{expected} [PATCH] x"
    assert encodable(decoded)


@pytest.mark.parametrize(
    ("charset", "data", "expected"),
    [
        ("utf-7", b"+2D0-", "+2D0-"),
        ("unicode_escape", b"int y; /* \\ud800 */", "int y; /* \\ud800 */"),
        ("raw_unicode_escape", b"\\u00e9", "\\u00e9"),
        ("idna", b"xn--caf-dma", "xn--caf-dma"),
        ("utf-16-le", b"\x00\xd8", "\x00\udcd8"),  # a lone surrogate in UTF-16: read as UTF-8
        ("koi8-r", b"\xf0\xd2\xc9\xd7\xc5\xd4", "\u041f\u0440\u0438\u0432\u0435\u0442"),
        ("no-such-charset", b"\xff", "\udcff"),
    ],
)
def test_body_charsets(charset: str, data: bytes, expected: str) -> None:
    text = decode_bytes(data, charset)
    assert text == expected
    assert encodable(text)


def mail(subject: str, charset: str, added: str) -> str:
    return (
        "From 1234 Mon Sep 17 00:00:00 2001\n"
        "From: A <a@example.org>\n"
        f"Subject: {subject}\n"
        "Message-Id: <x@example.org>\n"
        f"Content-Type: text/plain; charset={charset}\n"
        "\n"
        "msg\n\nSigned-off-by: A <a@example.org>\n---\n"
        "diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n"
        "@@ -1,2 +1,3 @@\n int x;\n"
        f"+{added}\n"
        " int z;\n"
    )


def test_a_unicode_escape_body_keeps_its_backslashes_in_the_added_line(tmp_path: Path) -> None:
    path = tmp_path / "s.mbox"
    path.write_text(mail("[PATCH] x", "unicode_escape", "\tint y = 2; /* \\ud800 \\n */"))
    (patch,) = load_series(str(path)).patches
    (hunk,) = patch.files[0].hunks
    assert [line.text for line in hunk.lines] == ["int x;", "\tint y = 2; /* \\ud800 \\n */", "int z;"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("subject", "charset", "added"),
    [
        ("=?utf-7?Q?+2D0-?= [PATCH] hostile subject", "utf-8", "\tint y = 2;"),
        ("[PATCH] hostile line", "unicode_escape", "\tint y = 2; /* \\ud800 */"),
        ("[PATCH] hostile line", "utf-7", "\tint y = 2; /* +2D3cAA- */"),
    ],
)
def test_every_format_survives_a_hostile_charset(
    tmp_path: Path, fmt: str, subject: str, charset: str, added: str
) -> None:
    (tmp_path / "tree" / "mm").mkdir(parents=True)
    (tmp_path / "tree" / "mm" / "x.c").write_text("int x;\nint z;\n")
    (tmp_path / "s.mbox").write_text(mail(subject, charset, added))
    result = subprocess.run(
        [sys.executable, "-m", "patchaudit", "check", "s.mbox", "--tree", "tree", "-f", fmt],
        capture_output=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    result.stdout.decode("utf-8")  # valid UTF-8, whatever the mail said
