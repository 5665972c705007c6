"""Commit message, trailers, base-commit and diff_text taken out of a mail body."""

from __future__ import annotations

import io

from patchaudit.series import load_series
from patchaudit.series.message import split_body, split_trailers
from patchaudit.series.model import Trailer

DIFF = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"


def test_trailer_block_with_folded_value_and_maintainer_note() -> None:
    lines = [
        "Fix the order.",
        "",
        'Fixes: 0123456789ab ("demo: add the balloon',
        '  driver")',
        "Cc: <stable@vger.kernel.org> # 5.1+",
        "[akpm@example.org: fix the comment]",
        "SIGNED-OFF-BY: Ada Lovelace <ada@example.org>",
        "acked-BY: Grace Hopper <grace@example.org>",
        "",
    ]
    body, trailers = split_trailers(lines)
    assert body == ["Fix the order.", ""]
    assert trailers == (
        Trailer("Fixes", '0123456789ab ("demo: add the balloon driver")'),
        Trailer("Cc", "<stable@vger.kernel.org> # 5.1+"),
        Trailer("Signed-off-by", "Ada Lovelace <ada@example.org>"),
        Trailer("Acked-by", "Grace Hopper <grace@example.org>"),
    )


def test_last_paragraph_that_is_not_a_trailer_block_stays_in_the_body() -> None:
    prose = ["Intro.", "", "Note: this paragraph has a colon but no known trailer."]
    assert split_trailers(prose) == (prose, ())
    urls = ["Intro.", "", "https://example.org/discussion", "See the thread above."]
    assert split_trailers(urls) == (urls, ())


def test_mixed_block_with_a_signoff_follows_the_quarter_rule() -> None:
    block = ["Body.", "", "(cherry picked from commit 0123abc)", "Signed-off-by: A <a@example.org>"]
    assert split_trailers(block) == (
        ["Body.", ""],
        (Trailer("Signed-off-by", "A <a@example.org>"),),
    )
    mostly_prose = [
        "one line of prose",
        "two lines of prose",
        "three lines of prose",
        "four lines of prose",
        "Signed-off-by: A <a@example.org>",
    ]
    assert split_trailers(mostly_prose) == (mostly_prose, ())


def test_split_body_parts() -> None:
    text = (
        "Explain the change.\n"
        "\n"
        "Signed-off-by: A <a@example.org>\n"
        "---\n"
        "v2: rebased\n"
        " x.c | 2 +-\n"
        "\n" + DIFF + "\n"
        "base-commit: 0123456789abcdef0123456789abcdef01234567\n"
        "-- \n"
        "2.39.5\n"
    )
    parts = split_body(text, "t")
    assert parts.body == "Explain the change."
    assert parts.trailers == (Trailer("Signed-off-by", "A <a@example.org>"),)
    assert parts.base_commit == "0123456789abcdef0123456789abcdef01234567"
    assert parts.diff_text == DIFF
    assert [f.path for f in parts.files] == ["x.c"]


def test_message_without_separator_ends_at_the_diff() -> None:
    parts = split_body("Just a line.\n" + DIFF, "t")
    assert (parts.body, parts.diff_text) == ("Just a line.", DIFF)


def test_b4_mbox_with_mboxrd_quoting_and_an_unquoted_from_line_in_the_body() -> None:
    mbx = (
        "From git@z Thu Jan  1 00:00:00 1970\n"
        "Subject: [PATCH v3 1/2] demo: one\n"
        "From: Ada Lovelace <ada@example.org>\n"
        "Message-Id: <20240101-demo-v3-1-abc@example.org>\n"
        "\n"
        "From the start the lock order was wrong.\n"
        ">>From quoted twice.\n"
        "\n"
        "Link: https://lore.example.org/r/20240101-demo-v3-1-abc@example.org\n"
        "Signed-off-by: Ada Lovelace <ada@example.org>\n"
        "---\n" + DIFF + "\n"
        "From git@z Thu Jan  1 00:00:00 1970\n"
        "Subject: [PATCH v3 2/2] demo: two\n"
        "From: Ada Lovelace <ada@example.org>\n"
        "\n"
        "Second.\n"
        "---\n" + DIFF + "\n"
    )
    series = load_series("-", stdin=io.BytesIO(mbx.encode()))
    first, second = series.patches
    assert (first.source, second.source) == ("<stdin>:1", "<stdin>:2")
    assert first.body == "From the start the lock order was wrong.\n>From quoted twice."
    assert first.message_id == "20240101-demo-v3-1-abc@example.org"
    assert [p.subject.version for p in series.patches] == [3, 3]
    assert series.problems == ()


def test_an_encoded_display_name_never_becomes_the_address() -> None:
    from patchaudit.series.mail import author_text

    # "Mallory\r\nBcc: victim@example.org" in base64: text of the name, not syntax.
    raw = "=?utf-8?b?TWFsbG9yeQ0KQmNjOiB2aWN0aW1AZXhhbXBsZS5vcmc=?= <mallory@example.org>"
    assert author_text(raw) == "Mallory Bcc: victim@example.org <mallory@example.org>"
    assert author_text('"Doe, John" <john@example.org>') == "Doe, John <john@example.org>"
    assert author_text("=?utf-8?q?J=C3=B6rg?= Doe <j@example.org>") == "Jörg Doe <j@example.org>"
    assert author_text("j@example.org (John)") == "John <j@example.org>"
    assert author_text("j@example.org") == "j@example.org"
