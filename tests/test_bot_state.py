"""The bot's SQLite state: schema, mail recorded once, write-ahead answers, dirty index pages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from patchaudit.bot.state import (
    PAGE_SIZE,
    Intent,
    MessageRow,
    NewSeries,
    Outcome,
    State,
    page_of,
)
from patchaudit.errors import InputError


def row(message_id: str, kind: str = "patch", raw: bytes | None = b"raw mail") -> MessageRow:
    return MessageRow(message_id, "mm", "maildir:/m", message_id, 1.0, kind, "[PATCH] t", "t",
                      "Ann <ann@example.org>", 1, None, None, "", ("a", "b"), 8, raw)


def test_mail_is_recorded_once_and_kept_across_a_reopen(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite")
    with state.transaction():
        assert state.add_message(row("m1@x"))
        assert not state.add_message(row("m1@x"))  # the same Message-Id again
        assert state.add_message(row("r1@x", kind="reply", raw=None))
        state.set_cursor("public-inbox:/a", "0", "c0ffee")
        state.mark_seen("maildir:/m", "1700000000.1.host")
    state.close()
    state = State(tmp_path / "state.sqlite")
    assert state.integrity() == "ok"
    assert state.cursors("public-inbox:/a") == {"0": "c0ffee"}
    assert state.is_seen("maildir:/m", "1700000000.1.host")
    assert [m.message_id for m in state.waiting_messages()] == ["m1@x"]
    assert state.waiting_messages()[0].references == ("a", "b")
    assert state.message_counts() == {"patch": 1, "reply": 1}


def test_a_rolled_back_step_leaves_nothing(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite")
    with pytest.raises(RuntimeError), state.transaction():
        state.add_message(row("m1@x"))
        state.set_cursor("s", "0", "abc")
        raise RuntimeError("killed here")
    assert state.waiting_messages() == [] and state.cursor("s", "0") is None


def test_an_answer_is_intended_with_its_bytes_then_delivered_without_them(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite")
    with state.transaction():
        state.add_message(row("m1@x"))
        series = state.create_series(NewSeries("m1@x", "mm", "t", "ann@example.org", 1, None,
                                               "queued", 1.0, 1.0), ["m1@x"], 2.0)
    assert state.series_mail(series) == [("m1@x", b"raw mail")]
    assert state.waiting_messages() == []
    intents = [Intent("file", "series/000001/report.json", b"{}"),
               Intent("outbox", "<a@bot>", b"mail"), Intent("smtp", "<a@bot>", b"mail", ("ann@x",))]
    with state.transaction():
        state.record_outcome(series, Outcome("answering", new_warnings=2, fingerprints=("f1",)),
                             intents, 3.0)
        # Recording the same intents again (a check redone after a crash) adds nothing.
        state.record_outcome(series, Outcome("answering", new_warnings=2), intents, 3.0)
    recorded = state.series(series)
    assert (recorded.state, recorded.new_warnings, recorded.mails) == ("answering", 2, 1)
    deliveries = state.open_deliveries()
    assert [(d.channel, d.key, d.payload, d.recipients) for d in deliveries] == [
        ("file", "series/000001/report.json", b"{}", ()),
        ("outbox", "<a@bot>", b"mail", ()),
        ("smtp", "<a@bot>", b"mail", ("ann@x",)),
    ]
    with state.transaction():
        for delivery in deliveries:
            state.mark_delivery(delivery.id, "delivered", 4.0)
    assert state.open_deliveries() == [] and state.unfinished_series(series) == 0
    assert state.delivered_keys("smtp") == ["<a@bot>"]
    payloads = sqlite3.connect(tmp_path / "state.sqlite").execute(
        "SELECT count(*) FROM delivery WHERE payload IS NOT NULL").fetchone()
    assert payloads == (0,)


def test_changes_mark_their_index_page_dirty(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite")
    assert page_of(1) == 1 and page_of(PAGE_SIZE) == 1 and page_of(PAGE_SIZE + 1) == 2
    with state.transaction():
        state.create_series(NewSeries("s1", "mm", "t", "a", 1, None, "queued", 1.0, 1.0), [], 1.0)
    assert state.dirty_pages() == [1]
    with state.transaction():
        state.clean_pages([1])
    assert state.dirty_pages() == []


def test_a_file_that_is_not_a_state_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="not a usable state database: file is not a database"):
        State(path)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("PRAGMA user_version=7")
    with pytest.raises(InputError) as caught:
        State(other)
    assert caught.value.problem == "state schema 7 is not 1: made by another patchaudit version"


def test_a_dry_run_works_on_a_copy(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with State(path).transaction():
        pass
    copy = State(path, memory=True)
    with copy.transaction():
        copy.add_message(row("m1@x"))
    assert [m.message_id for m in copy.waiting_messages()] == ["m1@x"]
    assert State(path).waiting_messages() == []
