"""``--format email``: replies threaded under each patch mail, ``>>`` on added lines, rule cited."""

from __future__ import annotations

import email.header
import email.utils
import email.message
import email.policy
import mailbox
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from patchaudit.engine import Options, check_series
from patchaudit.model import Confidence, Delivery, Finding, PatchRef, RunReport, Severity, Status
from patchaudit.report import FORMATTERS
from patchaudit.report.email_format import check_sender
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "samples" / "series-raw.mbox"


@pytest.fixture(scope="module")
def raw_report() -> RunReport:
    """The sample series as delivered by a list: every mail has a Message-Id."""
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return check_series(
            load_series("samples/series-raw.mbox"),
            BaseTree(Path("samples/tree")),
            load_rules([rules_dir()]),
            Options(tree_label="samples/tree"),
        )
    finally:
        os.chdir(cwd)


def read_mbox(text: str, tmp_path: Path) -> list[email.message.Message]:
    path = tmp_path / "replies.mbox"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return list(mailbox.mbox(str(path)))


def sent() -> dict[int, email.message.Message]:
    """The sample's own mails, read by the standard library, keyed by patch index."""
    mails = {}
    for message in mailbox.mbox(str(RAW)):
        subject = " ".join(str(message["Subject"]).split())
        match = re.search(r"\[PATCH v2 (\d+)/\d+\]", subject)
        assert match is not None
        mails[int(match.group(1))] = message
    return mails


def body(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def _mailed(report: RunReport, notes: bool = False) -> list[int]:
    """The patches a reply goes to: new findings, and (without --email-notes) not only notes."""
    return sorted(
        {
            f.patch.index
            for f in report.findings
            if f.patch is not None and f.status is Status.NEW and f.suppressed is None
            and (notes or f.severity > Severity.NOTE)
        }
    )


def test_one_reply_per_patch_with_new_findings(raw_report: RunReport, tmp_path: Path) -> None:
    replies = read_mbox(FORMATTERS["email"](raw_report), tmp_path)
    originals = sent()
    wanted = _mailed(raw_report)
    # Patch 1 only rewrites a comment the rules quote: a note, and no mail.
    assert wanted == [2, 3, 4, 5, 6, 7, 8]
    assert len(replies) == len(wanted)
    for reply, index in zip(replies, wanted, strict=True):
        original = originals[index]
        subject = " ".join(str(original["Subject"]).split())
        assert " ".join(str(reply["Subject"]).split()) == f"Re: {subject}"
        assert reply["In-Reply-To"] == original["Message-Id"]
        # The whole chain: the cover letter, then the patch replied to.
        assert reply["References"].split() == [originals[0]["Message-Id"], original["Message-Id"]]
        assert reply["From"] == "patchaudit <patchaudit@localhost>"
        assert reply["To"] == "Dana Example <dana@example.org>"
        # The list and everyone the patch went to, once each.
        assert [a for _, a in email.utils.getaddresses([reply["Cc"]])] == [
            "linux-mm@lists.example.org", "rob@example.com", "kim@example.net",
            "lee@example.com", "linux-kernel@lists.example.org",
        ]  # fmt: skip
        assert email.utils.parsedate_to_datetime(reply["Date"]) is not None
        assert re.fullmatch(r"<patchaudit\.[\w.]+\.\d+@localhost>", reply["Message-ID"])
        assert reply.get_content_type() == "text/plain"
    ids = [reply["Message-ID"] for reply in replies]
    assert len(set(ids)) == len(ids)
    # Another run, another set of ids: a mail archive never sees one twice.
    again = read_mbox(FORMATTERS["email"](raw_report), tmp_path)
    assert not set(ids) & {reply["Message-ID"] for reply in again}


def test_email_notes_mails_a_patch_whose_only_findings_are_notes(
    raw_report: RunReport, tmp_path: Path
) -> None:
    asked = replace(raw_report, delivery=Delivery(notes=True))
    replies = read_mbox(FORMATTERS["email"](asked), tmp_path)
    assert _mailed(raw_report, notes=True) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert len(replies) == 8
    assert "found 1 new problem (1 note) that it introduces" in " ".join(body(replies[0]).split())
    assert "note: the patch edits documentation that rules encode" in body(replies[0])


def test_to_and_cc_overrides_date_and_message_id(raw_report: RunReport, tmp_path: Path) -> None:
    report = replace(
        raw_report,
        sender="Mm Bot <mm-bot@bots.example.org>",
        delivery=Delivery(
            to=("Kim Maintainer <kim@example.net>",),
            cc=("ci-log@example.org", "mm-bot@bots.example.org"),
            date="Tue, 03 Mar 2026 09:00:00 +0000",
            run_id="20260303090000.abc",
        ),
    )
    replies = read_mbox(FORMATTERS["email"](report), tmp_path)
    assert {(r["To"], r["Cc"], r["Date"]) for r in replies} == {
        # The sender is never copied on its own mail.
        ("Kim Maintainer <kim@example.net>", "ci-log@example.org", "Tue, 03 Mar 2026 09:00:00 +0000")
    }
    assert [r["Message-ID"] for r in replies] == [
        f"<patchaudit.20260303090000.abc.{n}@bots.example.org>" for n in range(2, 9)
    ]


def test_a_patch_without_its_own_references_is_threaded_under_the_cover_letter(
    raw_report: RunReport, tmp_path: Path
) -> None:
    # Some mailers set only In-Reply-To: the reply still names the whole thread.
    bare = replace(raw_report, patches=tuple(replace(p, references=()) for p in raw_report.patches))
    replies = read_mbox(FORMATTERS["email"](bare), tmp_path)
    cover = sent()[0]["Message-Id"]
    assert [r["References"].split() for r in replies] == [
        [cover, sent()[n]["Message-Id"]] for n in range(2, 9)
    ]


def test_patch_2_reply_quotes_the_planted_line(raw_report: RunReport, tmp_path: Path) -> None:
    replies = read_mbox(FORMATTERS["email"](raw_report), tmp_path)
    (reply,) = [r for r in replies if "2/" in str(r["Subject"]).split("]")[0]]
    assert reply["In-Reply-To"] == "<20181119101600.4711-3-dana@example.org>"
    text = body(reply)
    assert text.startswith(
        "Hi Dana Example,\n\npatchaudit checked this patch against samples/tree (base commit\n"
    )
    assert "    [PATCH v2 2/" in text
    block = (
        "error: 'PG_balloon' was removed in Linux 5.1; use 'PG_offline' "
        "[PA1004-removed-pg-balloon]\n"
        "at fs/proc/pagetypes.c:33:4\n"
        "\n"
        ">  @@ -30,7 +30,7 @@ static const struct pagetype_name {\n"
        ">   } pagetype_names[] = {\n"
        '>   \t{ PG_buddy,\t"buddy"   },\n'
        '>  -\t{ PG_balloon,\t"balloon" },\n'
        '>> +\t{ PG_balloon,\t"offline" },\n'
        '>   \t{ PG_table,\t"table"   },\n'
        ">   };\n"
        ">\n"
        "\n"
        "The rule enforces this text of include/linux/page-flags.h:100 "
        "(PageOffline, v5.1 (unchanged through v6.12)):\n"
        "\n"
        "    PageOffline() indicates that the page is logically offline although the\n"
        "    containing section is online. (e.g. inflated in a balloon driver or\n"
        "    not onlined when onlining the section).\n"
    )
    assert block in text
    assert text.endswith(
        "\n-- \npatchaudit 0.1.0\nA rule's full documentation: patchaudit rules show RULE-ID\n"
    )


def test_every_planted_line_is_marked(raw_report: RunReport, tmp_path: Path) -> None:
    replies = read_mbox(FORMATTERS["email"](raw_report), tmp_path)
    marked = [
        line for reply in replies for line in body(reply).splitlines() if line.startswith(">>")
    ]
    planted = {
        "fs/proc/pagetypes.c:33": '>> +\t{ PG_balloon,\t"offline" },',
        "kernel/crash_info.c:68": ">> +\tVMCOREINFO_NUMBER(PAGE_BALLOON_MAPCOUNT_VALUE);",
        "drivers/misc/hyp_balloon.c:72": ">> +\t\t__SetPageBalloon(page);",
        "drivers/virtio/toy_balloon.c:165": ">> +\t\t__ClearPageBalloon(page);",
        "kernel/power/snapshot_lite.c:57": ">> +\tif (PageBalloon(page))",
    }
    assert set(planted.values()) <= set(marked)
    # One marked line a finding the mails list, and only new ones of mailed patches are listed.
    new = [f for f in raw_report.findings if f.status is Status.NEW and f.suppressed is None]
    mailed = _mailed(raw_report)
    assert len(marked) == len([f for f in new if f.file and f.patch and f.patch.index in mailed])
    fixed = [f for f in raw_report.findings if f.status is Status.FIXED]
    assert fixed  # the sample fixes two old uses in hyp_balloon.c: they are not mailed
    mails = "".join(body(r) for r in replies)
    for finding in fixed:
        assert f"{finding.file}:{finding.line}" not in mails


def test_the_trace_is_listed(raw_report: RunReport) -> None:
    traced = next(
        f
        for f in raw_report.findings
        if f.trace and f.status is Status.NEW and f.file.endswith(".c")
    )
    text = FORMATTERS["email"](raw_report)
    lines = "\n".join(f"    {s.file}:{s.line}: {s.message}" for s in traced.trace)
    assert f"How patchaudit got there:\n{lines}\n" in text


def _single(report: RunReport, **changes: object) -> RunReport:
    patch = replace(report.patches[1], **changes)  # type: ignore[arg-type]
    finding = Finding(
        rule_id="PA1004",
        severity=Severity.ERROR,
        confidence=Confidence.HIGH,
        file="fs/proc/pagetypes.c",
        line=33,
        column=4,
        message="'PG_balloon' was removed",
        patch=PatchRef(2, patch.subject),
        code='{ PG_balloon,\t"offline" },',
    )
    return replace(report, patches=(patch,), cover=None, findings=(finding,))


def test_a_single_patch_gives_one_bare_message(raw_report: RunReport) -> None:
    text = FORMATTERS["email"](_single(raw_report))
    assert text.startswith(
        "From: patchaudit <patchaudit@localhost>\n"
        "To: Dana Example <dana@example.org>\n"
        "Cc: linux-mm@lists.example.org,\n Rob Reviewer <rob@example.com>,\n"
        " Kim Maintainer <kim@example.net>,\n Lee Tester <lee@example.com>,\n"
        " linux-kernel@lists.example.org\n"
        "Subject: Re: [PATCH v2 2/"
    )
    assert "\nFrom patchaudit " not in text
    assert '\n>> +\t{ PG_balloon,\t"offline" },\n' in text


def test_hostile_and_non_ascii_headers(raw_report: RunReport) -> None:
    report = _single(
        raw_report,
        raw_subject="[PATCH] mm: café\udcff\r\nBcc: victim@example.org",
        author="Zoë Ünïcode <zoe@example.org>",
        message_id="<evil@example.org>\nX-Injected: yes",
        references=(),
    )
    text = FORMATTERS["email"](report)
    head = text.split("\n\n", 1)[0]
    message = email.message_from_string(text, policy=email.policy.default)
    assert str(message["Subject"]) == "Re: [PATCH] mm: café\ufffd Bcc: victim@example.org"
    assert str(message["To"]) == "Zoë Ünïcode <zoe@example.org>"
    assert message["In-Reply-To"] == "<evil@example.orgX-Injected:yes>"
    assert "Bcc" not in message and "X-Injected" not in message
    assert head.isascii()
    assert all(len(line) <= 78 for line in head.splitlines())


def test_a_display_name_that_reads_as_syntax_is_quoted(raw_report: RunReport) -> None:
    report = _single(raw_report, author="Mallory Bcc: victim@example.org <mallory@example.org>")
    message = email.message_from_string(FORMATTERS["email"](report), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "mallory@example.org"
    assert len(message["To"].addresses) == 1
    assert "To: \"Mallory Bcc: victim@example.org\" <mallory@example.org>\n" in str(message)


def test_nothing_new_means_no_mail(raw_report: RunReport) -> None:
    quiet = replace(
        raw_report,
        findings=tuple(replace(f, status=Status.PREEXISTING) for f in raw_report.findings),
    )
    assert FORMATTERS["email"](quiet) == ""


def test_series_findings_reply_to_the_cover_letter(raw_report: RunReport, tmp_path: Path) -> None:
    problem = Finding(
        rule_id="PA0001",
        severity=Severity.WARNING,
        confidence=Confidence.HIGH,
        file="",
        line=0,
        column=0,
        message="patch 9 of the series is missing",
    )
    report = replace(raw_report, findings=(problem,))
    (reply,) = read_mbox(FORMATTERS["email"](report), tmp_path)
    assert reply["In-Reply-To"] == sent()[0]["Message-Id"]
    assert "patchaudit checked this series against samples/tree" in body(reply)
    assert "warning: patch 9 of the series is missing [PA0001-series-missing-patch]\n" in body(
        reply
    )
    assert email.header.decode_header(str(reply["Subject"]))[0][0].startswith("Re: [PATCH v2 0/")


def test_body_lines_that_read_as_separators_are_quoted(
    raw_report: RunReport, tmp_path: Path
) -> None:
    # The tree label is wrapped into the greeting paragraph; this one puts
    # "From " at the start of a line, which an mbox reader would take for a
    # new message unless it is quoted (mboxrd).
    report = replace(raw_report, tree="x" * 34 + " From the attic")
    text = FORMATTERS["email"](report)
    assert "\n>From the attic" in text
    expected = len(read_mbox(FORMATTERS["email"](raw_report), tmp_path))
    replies = read_mbox(text, tmp_path)
    assert len(replies) == expected


def test_a_bot_mails_as_itself_and_links_its_report(raw_report: RunReport) -> None:
    report = replace(
        _single(raw_report),
        sender="Mm Bot <mm-bot@example.org>",
        report_url="https://ci.example.org/r/1234",
    )
    text = FORMATTERS["email"](report)
    assert text.startswith("From: Mm Bot <mm-bot@example.org>\nTo: Dana Example <dana@example.org>\n")
    # The 0-day robot's tags: who reported it, and the report it closes (the patch's section).
    assert (
        "in a new version of\nthis patch, kindly add the following tags:\n"
        "| Reported-by: Mm Bot <mm-bot@example.org>\n"
        "| Closes: https://ci.example.org/r/1234#patch-2\n"
    ) in text
    assert text.endswith(
        "\n-- \npatchaudit 0.1.0\nThe full report: https://ci.example.org/r/1234#patch-2\n"
        "A rule's full documentation: patchaudit rules show RULE-ID\n"
    )
    assert "Closes:" not in FORMATTERS["email"](_single(raw_report))
    named = replace(report, sender="Zoë Bot <zoe-bot@example.org>")
    message = email.message_from_string(FORMATTERS["email"](named), policy=email.policy.default)
    assert str(message["From"]) == "Zoë Bot <zoe-bot@example.org>"


@pytest.mark.parametrize(
    "sender",
    [
        "bot@example.org\nBcc: victim@example.org",  # a header added
        "Bot <bot@example.org>, victim@example.org",  # a second address
        "not an address",
        "Bot <bøt@example.org>",  # needs SMTPUTF8
        " bot@example.org",
    ],
)
def test_a_sender_that_is_not_one_plain_address_is_refused(sender: str) -> None:
    with pytest.raises(ValueError):
        check_sender(sender)


def test_a_huge_subject_is_folded_within_the_line_limit(raw_report: RunReport) -> None:
    subject = "[PATCH] " + "x" * 20_000
    text = FORMATTERS["email"](_single(raw_report, raw_subject=subject))
    head = text.split("\n\n", 1)[0]
    assert max(len(line) for line in head.splitlines()) <= 78
    message = email.message_from_string(text, policy=email.policy.default)
    assert str(message["Subject"]) == "Re: " + subject


def test_control_characters_in_the_body_are_shown_not_sent(raw_report: RunReport) -> None:
    code = "{ PG_balloon,\x1b[2J\x07\x9b31m \u202e/* x */ },"
    report = _single(raw_report)
    report = replace(report, findings=(replace(report.findings[0], code=code, line=9999),))
    text = FORMATTERS["email"](report)
    assert ">> { PG_balloon,\\x1b[2J\\x07\\x9b31m \\u202e/* x */ }," in text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text)


@pytest.mark.parametrize(
    ("author", "to"),
    [
        pytest.param('"Evil\r\nBcc: victim@example.org" <a@example.org>',
                     '"Evil Bcc: victim@example.org" <a@example.org>', id="header-in-name"),
        pytest.param("a@example.org, victim@example.org", None, id="two-recipients"),
        pytest.param("Thor, A <a@example.org>", None, id="unquoted-comma"),
        pytest.param('"Thor, A" <a@example.org>', '"Thor, A" <a@example.org>', id="quoted-comma"),
        pytest.param("Evil <a@example.org> <b@example.org>", None, id="two-brackets"),
        pytest.param("not an address", None, id="no-address"),
        pytest.param("N" * 300 + " <a@example.org>", "a@example.org", id="long-name"),
    ],
)  # fmt: skip
def test_a_hostile_from_gives_one_sound_to_or_none(
    raw_report: RunReport, author: str, to: str | None
) -> None:
    text = FORMATTERS["email"](_single(raw_report, author=author))
    head = text.split("\n\n", 1)[0]
    assert max(len(line) for line in head.splitlines()) <= 78
    message = email.message_from_string(text, policy=email.policy.default)
    assert "Bcc" not in message
    if to is None:
        assert "To" not in message
    else:
        assert str(message["To"]) == to
        assert len(message["To"].addresses) == 1


def test_a_message_id_longer_than_a_line_is_left_out(raw_report: RunReport) -> None:
    # Found by tests/test_fuzz.py: a 3,000-character id made a 3,015-byte In-Reply-To.
    report = _single(raw_report, message_id="<" + "x" * 3000 + "@example.org>", references=())
    head = FORMATTERS["email"](report).split("\n\n", 1)[0]
    assert "In-Reply-To" not in head and "References" not in head
    assert max(len(line) for line in head.splitlines()) <= 78
