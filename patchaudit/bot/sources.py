"""Where list mail comes from: a public-inbox v2 archive, a Maildir, or an mbox replayed once.

A source hands out mail in batches, each mail with the mark that records it
as read (an archive epoch's last commit, a Maildir file's name, an mbox
offset); the service records the mail and its mark in one transaction, so a
restart reads on from exactly where the last recorded mail was.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from patchaudit.bot import publicinbox
from patchaudit.bot.state import State
from patchaudit.errors import InputError
from patchaudit.series.forms import iter_mbox


@dataclass(frozen=True)
class RawMail:
    position: str  # where the mail is in its source: "0:<commit>", a file name, a byte offset
    size: int
    data: bytes | None  # None: larger than the limit, recorded but not read
    cursor: tuple[str, str] | None = None  # (part, value) to record with the mail
    seen: str | None = None  # a Maildir name to record as read


class Source(Protocol):
    key: str
    list_name: str

    def poll(self, state: State, limit: int, max_bytes: int) -> list[RawMail]:
        """Up to ``limit`` mails not yet recorded; an empty list when there are none now."""
        ...


class PublicInboxSource:
    """A v2 inbox, read epoch by epoch from the last commit recorded for each."""

    def __init__(self, inbox: Path, list_name: str, *, skip_history: bool = False) -> None:
        self.inbox = inbox.resolve()
        self.key = f"public-inbox:{self.inbox}"
        self.list_name = list_name
        self.skip_history = skip_history
        if not (self.inbox / "git").is_dir():
            raise InputError(str(inbox), "not a public-inbox v2 archive (no git/ directory of epochs)")
        # Commits listed but not yet handed out, per epoch: a backlog of a
        # million mails is listed once, not once per batch.
        self._pending: dict[int, deque[str]] = {}

    def poll(self, state: State, limit: int, max_bytes: int) -> list[RawMail]:
        cursors = state.cursors(self.key)
        if self.skip_history and not cursors:
            return self._skip(state)
        out: list[RawMail] = []
        for epoch, repo in publicinbox.epochs(self.inbox):
            if len(out) >= limit:
                break
            pending = self._pending.get(epoch)
            if not pending:
                pending = deque(publicinbox.commits_after(repo, cursors.get(str(epoch))))
                self._pending[epoch] = pending
            take = [pending.popleft() for _ in range(min(limit - len(out), len(pending)))]
            delivered = {m.commit: m for m in publicinbox.read_mails(repo, epoch, take, max_bytes)}
            for commit in take:
                mail = delivered.get(commit)
                cursor = (str(epoch), commit)
                if mail is None:  # a deletion: only the position moves
                    out.append(RawMail(f"{epoch}:{commit}", 0, None, cursor))
                else:
                    out.append(RawMail(f"{epoch}:{commit}", mail.size, mail.data, cursor))
        return out

    def _skip(self, state: State) -> list[RawMail]:
        """First start with history skipped: only the current tips are recorded."""
        marks = []
        for epoch, repo in publicinbox.epochs(self.inbox):
            tip = publicinbox.head(repo)
            if tip is not None:
                marks.append(RawMail(f"{epoch}:{tip}", 0, None, (str(epoch), tip)))
        return marks

    def forget(self) -> None:
        """Drop the listed commits (after a crash of the caller's transaction)."""
        self._pending.clear()


class MaildirSource:
    """A Maildir (lei, fetchmail, procmail): files of new/ and cur/, each read once, never moved."""

    def __init__(self, path: Path, list_name: str) -> None:
        self.path = path.resolve()
        self.key = f"maildir:{self.path}"
        self.list_name = list_name
        if not (self.path / "new").is_dir() or not (self.path / "cur").is_dir():
            raise InputError(str(path), "not a Maildir (no new/ and cur/ directories)")

    def poll(self, state: State, limit: int, max_bytes: int) -> list[RawMail]:
        out: list[RawMail] = []
        for sub in ("cur", "new"):
            try:
                names = sorted(os.listdir(self.path / sub))
            except OSError as exc:
                raise InputError(str(self.path / sub), f"cannot list it: {exc.strerror}") from None
            for name in names:
                if name.startswith("."):
                    continue
                unique = name.split(":", 1)[0]  # a flag suffix changes when a reader marks it
                if state.is_seen(self.key, unique) or any(m.seen == unique for m in out):
                    continue
                mail = _read_file(self.path / sub / name, max_bytes)
                if mail is None:
                    continue  # moved or deleted while listed
                size, data = mail
                out.append(RawMail(unique, size, data, None, unique))
                if len(out) >= limit:
                    return out
        return out


def _read_file(path: Path, max_bytes: int) -> tuple[int, bytes | None] | None:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return size, None
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(str(path), f"cannot read it: {exc.strerror}") from None
    return (len(data), None) if len(data) > max_bytes else (len(data), data)


class MboxSource:
    """An mbox replayed once, read as a stream from the offset recorded last."""

    def __init__(self, path: Path, list_name: str) -> None:
        self.path = path.resolve()
        self.key = f"mbox:{self.path}"
        self.list_name = list_name
        if not self.path.is_file():
            raise InputError(str(path), "no such mbox file")

    def poll(self, state: State, limit: int, max_bytes: int) -> list[RawMail]:
        start = int(state.cursor(self.key, "") or 0)
        out: list[RawMail] = []
        with self.path.open("rb") as handle:
            at = start
            for end, data in iter_mbox(handle, start):
                size = len(data)
                body = data if size <= max_bytes else None
                out.append(RawMail(str(at), size, body, ("", str(end))))
                at = end
                if len(out) >= limit:
                    break
        return out


def open_source(kind: str, path: Path, list_name: str, *, skip_history: bool = False) -> Source:
    makers: dict[str, Callable[[], Source]] = {
        "archive": lambda: PublicInboxSource(path, list_name, skip_history=skip_history),
        "maildir": lambda: MaildirSource(path, list_name),
        "mbox": lambda: MboxSource(path, list_name),
    }
    return makers[kind]()


def replay_source(path: Path, list_name: str) -> Source:
    """A replay's source, told by what ``path`` is: a v2 archive directory, a Maildir or an mbox."""
    if path.is_dir():
        if (path / "git").is_dir():
            return PublicInboxSource(path, list_name)
        if (path / "new").is_dir():
            return MaildirSource(path, list_name)
        raise InputError(str(path), "neither a public-inbox v2 archive nor a Maildir")
    if not path.exists():
        raise InputError(str(path), "no such file or directory")
    return MboxSource(path, list_name)
