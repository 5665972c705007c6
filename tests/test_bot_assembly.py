"""Series assembly from loose list mail: threads, covers, versions, replies, late and missing mail."""

from __future__ import annotations

from patchaudit.bot.assembly import Action, decide, group_mail, outside_parents
from patchaudit.bot.intake import kind_of
from patchaudit.bot.state import MessageRow, SeriesRow
from patchaudit.series.identity import read_identity


def mail(subject: str, message_id: str, *, parent: str = "", refs: tuple[str, ...] = (),
         author: str = "Ann Author <ann@example.org>", diff: bool = True, at: float = 0.0) -> MessageRow:
    """A list mail as the bot records it, read from real header text."""
    head = f"From: {author}\nSubject: {subject}\nMessage-ID: <{message_id}>\n"
    if parent:
        head += f"In-Reply-To: <{parent}>\n"
    if refs or parent:
        head += "References: " + " ".join(f"<{r}>" for r in (refs or (parent,))) + "\n"
    body = "diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n" if diff else "Hello.\n"
    identity = read_identity((head + "\n" + body).encode())
    return MessageRow(
        message_id=identity.message_id, list="mm", source="test", position=message_id,
        arrived=at, kind=kind_of(identity), subject=identity.subject.raw,
        title=identity.subject.title, author=identity.author, version=identity.subject.version,
        index=identity.subject.index, total=identity.subject.total, parent=identity.parent,
        references=identity.references, size=len(head),
    )


def series_row(series_id: int, anchor: str, *, version: int = 1, total: int | None = 3,
               state: str = "answered") -> SeriesRow:
    return SeriesRow(series_id, anchor, "mm", "t", "ann@example.org", version, total, state, 0.0,
                     0.0, 0.0, None, None, "", None, None, "", "", 3, True, 0, 0, 0, 0, 0, (), "",
                     "", None, None)


def test_kinds_come_from_the_headers() -> None:
    assert mail("[PATCH 0/2] mm: things", "c", diff=False).kind == "cover"
    assert mail("[PATCH 1/2] mm: one", "p").kind == "patch"
    assert mail("[RFC PATCH v3 2/2] mm: two", "p", diff=False).kind == "patch"
    assert mail("Re: [PATCH 1/2] mm: one", "r", parent="p").kind == "reply"
    assert mail("[GIT PULL] mm updates for 6.13", "g").kind == "other"
    assert mail("mm: a patch without the tag", "n").kind == "patch"
    assert mail("Meeting notes", "o", diff=False).kind == "other"


def test_a_mail_without_message_id_gets_a_stable_one_from_its_bytes() -> None:
    data = b"Subject: [PATCH] x\n\nbody\n"
    first, second = read_identity(data), read_identity(data)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("patchaudit-no-id-")


def test_cover_and_patches_arriving_out_of_order_make_one_complete_series() -> None:
    waiting = [
        mail("[PATCH v2 3/3] mm: c", "p3", parent="cover", at=1),
        mail("[PATCH v2 1/3] mm: a", "p1", parent="cover", at=2),
        mail("[PATCH v2 0/3] mm: the series", "cover", diff=False, at=3),
        mail("[PATCH v2 2/3] mm: b", "p2", parent="cover", at=4),
    ]
    [group] = group_mail(waiting, {})
    assert [m.message_id for m in group.members] == ["cover", "p1", "p2", "p3"]
    assert (group.anchor, group.version, group.total, group.title) == ("cover", 2, 3, "mm: the series")
    assert group.complete and group.missing == ()
    assert (group.first_arrival, group.last_arrival) == (1, 4)


def test_patches_answering_a_cover_that_has_not_arrived_wait_for_it() -> None:
    waiting = [mail("[PATCH 1/2] mm: a", "q1", parent="q0", at=1),
               mail("[PATCH 2/2] mm: b", "q2", parent="q0", at=2)]
    [group] = group_mail(waiting, {})
    assert (group.anchor, group.missing, group.complete) == ("q1", (0,), False)
    assert [d.action for d in decide([group], now=50.0, wait_seconds=60)] == [Action.WAIT]
    [late] = decide([group], now=61.0, wait_seconds=60)
    assert (late.action, late.reason) == (Action.CHECK, "incomplete: waited 60 s")
    # A single patch sent --in-reply-to an older thread waits for nothing.
    [alone] = group_mail([mail("[PATCH] mm: c", "r1", parent="old-thread")], {})
    assert alone.complete


def test_a_cover_arriving_after_its_checked_patches_joins_their_series() -> None:
    cover = mail("[PATCH 0/3] mm: the series", "k0", diff=False, at=30)
    [group] = group_mail([cover], {}, {"k0": series_row(4, "k1")})
    [decision] = decide([group], now=31, wait_seconds=3600)
    assert (decision.action, decision.reason) == (Action.LATE, "continues series 4")
    # Not the cover of another version or length.
    for other in (series_row(5, "k1", version=2), series_row(6, "k1", total=4)):
        [alone] = group_mail([cover], {}, {"k0": other})
        assert alone.late_for is None


def test_without_a_cover_patches_thread_under_patch_one_or_in_a_chain() -> None:
    shallow = [mail("[PATCH 1/3] mm: a", "a1"), mail("[PATCH 2/3] mm: b", "a2", parent="a1"),
               mail("[PATCH 3/3] mm: c", "a3", parent="a1")]
    chained = [mail("[PATCH 1/2] fs: a", "b1"), mail("[PATCH 2/2] fs: b", "b2", parent="b1",
                                                       refs=("b1",))]
    groups = group_mail(shallow + chained, {})
    assert [(g.anchor, g.patches, g.complete) for g in groups] == [("a1", 3, True), ("b1", 2, True)]


def test_replies_and_other_versions_do_not_join_a_series() -> None:
    waiting = [
        mail("[PATCH 0/2] mm: x", "c1", diff=False),
        mail("[PATCH 1/2] mm: x1", "c1.1", parent="c1"),
        # A v2 sent in reply to v1's cover letter starts its own series.
        mail("[PATCH v2 0/2] mm: x", "c2", parent="c1", diff=False),
        mail("[PATCH v2 1/2] mm: x1", "c2.1", parent="c2", refs=("c1", "c2")),
        # A single patch answering another single patch is a series of its own.
        mail("[PATCH] mm: follow-up", "single", parent="c1.1"),
    ]
    groups = group_mail(waiting, {})
    assert sorted((g.anchor, g.version, g.patches, g.missing) for g in groups) == [
        ("c1", 1, 1, (2,)), ("c2", 2, 1, (2,)), ("single", 1, 1, ()),
    ]
    assert "c1" in next(g for g in groups if g.anchor == "c2").references


def test_an_incomplete_series_waits_then_is_checked_with_what_arrived() -> None:
    waiting = [mail("[PATCH 2/3] mm: b", "x2", parent="x1", at=100.0),
               mail("[PATCH 3/3] mm: c", "x3", parent="x1", at=101.0)]
    [group] = group_mail(waiting, {})
    assert (group.anchor, group.missing, group.complete) == ("x2", (1,), False)
    assert [d.action for d in decide([group], now=150.0, wait_seconds=60)] == [Action.WAIT]
    [late] = decide([group], now=160.0, wait_seconds=60)
    assert (late.action, late.reason) == (Action.CHECK, "incomplete: waited 60 s")
    [final] = decide([group], now=101.0, wait_seconds=60, final=True)
    assert (final.action, final.reason) == (Action.CHECK, "incomplete: the replay ended")


def test_a_newer_version_supersedes_a_waiting_older_one() -> None:
    waiting = [
        mail("[PATCH 1/2] mm: make it faster", "v1.1", at=1),  # 2/2 never came
        mail("[PATCH v2 1/2] mm: make it faster", "v2.1", at=5),
        mail("[PATCH v2 2/2] mm: make it faster, part two", "v2.2", parent="v2.1", at=6),
        # Same title from someone else: not a version of Ann's series.
        mail("[PATCH v3 1/1] mm: make it faster", "bob", author="Bob <bob@example.org>", at=7),
    ]
    decisions = {d.group.anchor: (d.action, d.reason) for d in decide(group_mail(waiting, {}),
                                                                      now=10, wait_seconds=3600)}
    assert decisions == {
        "v1.1": (Action.SUPERSEDED, "v2 <v2.1> arrived"),
        "v2.1": (Action.CHECK, "complete"),
        "bob": (Action.CHECK, "complete"),
    }


def test_mail_answering_an_existing_series_is_late_for_it() -> None:
    waiting = [mail("[PATCH 3/3] mm: c", "s3", parent="s0", at=9),
               mail("[PATCH v2 3/3] mm: c", "t3", parent="s0", at=9)]
    assigned = {"s0": series_row(7, "s0")}
    assert outside_parents(waiting) == {"s0"}
    decisions = {d.group.anchor: d for d in decide(group_mail(waiting, assigned), 10, 3600)}
    assert (decisions["s3"].action, decisions["s3"].reason) == (Action.LATE, "continues series 7")
    # Another version answering the old thread is not part of it.
    assert decisions["t3"].action is Action.WAIT
    assert decisions["s3"].group.late_for == assigned["s0"]
    assert decisions["t3"].group.late_for is None
