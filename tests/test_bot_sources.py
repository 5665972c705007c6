"""Where the bot reads mail: real public-inbox v2 archives (epochs, purges), Maildirs, mboxes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from botparts import Archive

from patchaudit.bot.intake import message_row
from patchaudit.bot.sources import MaildirSource, MboxSource, PublicInboxSource, replay_source
from patchaudit.bot.state import State
from patchaudit.errors import InputError


def plain(number: int, subject: str = "") -> bytes:
    return (f"From: Ann <ann@example.org>\nTo: kernel-list@example.org\n"
            f"Subject: {subject or f'[PATCH] mm: change {number}'}\n"
            f"Message-ID: <m{number}@example.org>\nDate: Mon, 18 Nov 2024 12:00:0{number % 10} +0000\n"
            f"\nChange {number}.\n").encode()


def record(state: State, source: PublicInboxSource | MaildirSource | MboxSource,
           limit: int = 100, max_bytes: int = 1 << 20) -> list[str]:
    """Poll once and record like the service does; the Message-Ids (or too-large marks) read."""
    found = []
    mails = source.poll(state, limit, max_bytes)
    with state.transaction():
        for mail in mails:
            row = message_row(mail, source.key, source.list_name, 0.0)
            if row is not None and state.add_message(row):
                found.append(row.message_id)
            if mail.cursor is not None:
                state.set_cursor(source.key, *mail.cursor)
            if mail.seen is not None:
                state.mark_seen(source.key, mail.seen)
    return found


def test_an_archive_is_read_from_the_last_commit_recorded(tmp_path: Path, public_inbox: None) -> None:
    archive = Archive(tmp_path / "pi")
    state = State(tmp_path / "state.sqlite")
    source = PublicInboxSource(archive.inbox, "kernel-list")
    assert record(state, source) == []
    for number in (1, 2):
        archive.deliver(plain(number))
    assert record(state, source) == ["m1@example.org", "m2@example.org"]
    assert record(state, source) == []
    archive.deliver(plain(3))
    # A new source object (a restarted bot) goes on from the recorded commit.
    assert record(state, PublicInboxSource(archive.inbox, "kernel-list")) == ["m3@example.org"]
    head = subprocess.run(["git", "-C", str(archive.inbox / "git/0.git"), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert state.cursors(source.key) == {"0": head}


def test_batches_respect_the_limit_and_resume_in_order(tmp_path: Path, public_inbox: None) -> None:
    archive = Archive(tmp_path / "pi")
    archive.import_bulk([plain(n) for n in range(1, 6)])
    state = State(tmp_path / "state.sqlite")
    source = PublicInboxSource(archive.inbox, "kernel-list")
    first = record(state, source, limit=2)
    second = record(state, source, limit=2)
    third = record(state, source, limit=2)
    assert (len(first), len(second), len(third)) == (2, 2, 1)
    assert sorted(first + second + third) == [f"m{n}@example.org" for n in range(1, 6)]


def test_epochs_are_read_in_order_each_from_its_own_commit(tmp_path: Path, public_inbox: None) -> None:
    # lore's layout: git/0.git, git/1.git, ... Two epochs made by public-inbox
    # (the second inbox starts at epoch 1) put side by side.
    first = Archive(tmp_path / "pi0")
    first.deliver(plain(1))
    later = Archive(tmp_path / "pi1", skip_epoch=1)
    later.deliver(plain(2))
    assert (later.inbox / "git/1.git").is_dir() and not (later.inbox / "git/0.git").exists()
    shutil.copytree(later.inbox / "git/1.git", first.inbox / "git/1.git", symlinks=True)
    state = State(tmp_path / "state.sqlite")
    source = PublicInboxSource(first.inbox, "kernel-list")
    assert record(state, source) == ["m1@example.org", "m2@example.org"]
    assert set(state.cursors(source.key)) == {"0", "1"}
    # A skip-epoch inbox alone starts at epoch 1.
    alone = State(tmp_path / "alone.sqlite")
    assert record(alone, PublicInboxSource(later.inbox, "kernel-list")) == ["m2@example.org"]


def test_history_rewritten_by_a_purge_is_read_again_without_duplicates(tmp_path: Path, public_inbox: None) -> None:
    archive = Archive(tmp_path / "pi")
    for number in (1, 2, 3):
        archive.deliver(plain(number))
    state = State(tmp_path / "state.sqlite")
    source = PublicInboxSource(archive.inbox, "kernel-list")
    assert len(record(state, source)) == 3
    purge = subprocess.run(["public-inbox-purge", "--all"], input=plain(2), env=archive.env,
                           capture_output=True)
    assert purge.returncode == 0, purge.stderr
    archive.deliver(plain(4))
    assert record(state, source) == ["m4@example.org"]


def test_a_too_large_mail_is_recorded_by_position_and_never_read(tmp_path: Path, public_inbox: None) -> None:
    archive = Archive(tmp_path / "pi")
    archive.deliver(plain(1) + b"x" * 5000 + b"\n")
    state = State(tmp_path / "state.sqlite")
    source = PublicInboxSource(archive.inbox, "kernel-list")
    [mark] = record(state, source, max_bytes=4096)
    assert mark.startswith(f"patchaudit-too-large.{source.key}:0:")
    assert state.message_counts() == {"too-large": 1}


def test_skip_history_starts_at_the_current_tip(tmp_path: Path, public_inbox: None) -> None:
    archive = Archive(tmp_path / "pi")
    archive.deliver(plain(1))
    state = State(tmp_path / "state.sqlite")
    source = PublicInboxSource(archive.inbox, "kernel-list", skip_history=True)
    assert record(state, source) == []
    archive.deliver(plain(2))
    assert record(state, source) == ["m2@example.org"]


def test_a_maildir_is_read_once_and_left_as_it_was(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000001.1.host").write_bytes(plain(1))
    (maildir / "cur" / "1700000000.1.host:2,S").write_bytes(plain(2))
    state = State(tmp_path / "state.sqlite")
    source = MaildirSource(maildir, "kernel-list")
    assert record(state, source) == ["m2@example.org", "m1@example.org"]
    # A reader moves the new mail to cur/ with a flag: still the same mail.
    (maildir / "new" / "1700000001.1.host").rename(maildir / "cur" / "1700000001.1.host:2,S")
    (maildir / "new" / "1700000002.1.host").write_bytes(plain(3))
    assert record(state, source) == ["m3@example.org"]
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1700000000.1.host:2,S", "1700000001.1.host:2,S"]


def test_an_mbox_is_replayed_from_the_offset_recorded(tmp_path: Path) -> None:
    mbox = tmp_path / "list.mbox"
    mbox.write_bytes(b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + plain(n).replace(
        b"Change", b">From the archive: change") + b"\n" for n in (1, 2, 3)))
    state = State(tmp_path / "state.sqlite")
    source = replay_source(mbox, "kernel-list")
    assert isinstance(source, MboxSource)
    assert record(state, source, limit=2) == ["m1@example.org", "m2@example.org"]
    assert record(state, source, limit=2) == ["m3@example.org"]
    assert record(state, source) == []
    [mail] = MboxSource(mbox, "x").poll(State(tmp_path / "other.sqlite"), 1, 1 << 20)
    assert mail.data is not None and b"\nFrom the archive: change 1." in mail.data


def test_a_replay_path_must_be_an_archive_a_maildir_or_an_mbox(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(InputError, match="neither a public-inbox v2 archive nor a Maildir"):
        replay_source(tmp_path / "dir", "x")
    with pytest.raises(InputError, match="no such file or directory"):
        replay_source(tmp_path / "nothing", "x")
