"""The bot's state in one SQLite file: mail seen, series, results, and every answer's write-ahead record.

The only importer of sqlite3 in the bot. Each step that must survive a crash
is one transaction: mail is recorded together with the source position past
it; a series is created together with the assignment of its mail; a result is
recorded together with the intent of every answer (the answer itself, bytes
and all); an answer is marked delivered after it was delivered. A kill at any
point therefore loses nothing, and redoing an unfinished step repeats the same
answer, with the same Message-Id, never a new one.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchaudit.errors import InputError

SCHEMA_VERSION = 1
PAGE_SIZE = 100  # series per index page

# Tables are named after what one row is; smatch's habit of one table per fact.
_SCHEMA = """
CREATE TABLE cursor (
    source TEXT NOT NULL,            -- 'public-inbox:/abs/dir', 'mbox:/abs/file'
    part TEXT NOT NULL,              -- epoch number, or '' for an mbox
    value TEXT NOT NULL,             -- last commit read, or the byte offset read up to
    PRIMARY KEY (source, part)
) WITHOUT ROWID;
CREATE TABLE seen (                  -- Maildir files read (their unique names)
    source TEXT NOT NULL,
    position TEXT NOT NULL,
    PRIMARY KEY (source, position)
) WITHOUT ROWID;
CREATE TABLE message (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    list TEXT NOT NULL,
    source TEXT NOT NULL,
    position TEXT NOT NULL,
    arrived REAL NOT NULL,
    kind TEXT NOT NULL,              -- cover, patch, reply, other, too-large
    subject TEXT NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    version INTEGER NOT NULL,
    idx INTEGER,
    total INTEGER,
    parent TEXT NOT NULL,
    refs TEXT NOT NULL,              -- JSON list of Message-Ids
    size INTEGER NOT NULL,
    raw BLOB,                        -- zlib, kept for covers and patches only
    series INTEGER REFERENCES series(id)
);
CREATE INDEX message_waiting ON message(kind) WHERE series IS NULL AND kind IN ('cover', 'patch');
CREATE INDEX message_series ON message(series);
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    anchor TEXT NOT NULL UNIQUE,     -- Message-Id of the cover letter, else of the first patch
    list TEXT NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    version INTEGER NOT NULL,
    total INTEGER,
    state TEXT NOT NULL,             -- queued, answering, answered, failed, superseded, empty
    first_arrival REAL NOT NULL,
    last_arrival REAL NOT NULL,
    queued REAL NOT NULL,
    checked REAL,
    answered REAL,
    missing TEXT NOT NULL DEFAULT '',
    supersedes INTEGER REFERENCES series(id),
    superseded_by INTEGER REFERENCES series(id),
    base TEXT NOT NULL DEFAULT '',
    base_note TEXT NOT NULL DEFAULT '',
    patches INTEGER NOT NULL DEFAULT 0,
    applies INTEGER NOT NULL DEFAULT 1,
    new_errors INTEGER NOT NULL DEFAULT 0,
    new_warnings INTEGER NOT NULL DEFAULT 0,
    new_notes INTEGER NOT NULL DEFAULT 0,
    fixed INTEGER NOT NULL DEFAULT 0,
    mails INTEGER NOT NULL DEFAULT 0,
    fingerprints TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    seconds REAL,
    peak_kb INTEGER
);
CREATE INDEX series_state ON series(state);
CREATE INDEX series_author ON series(author, title);
CREATE TABLE delivery (
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL REFERENCES series(id),
    channel TEXT NOT NULL,           -- outbox, smtp, file
    key TEXT NOT NULL,               -- Message-Id of a mail, path of a file
    recipients TEXT NOT NULL DEFAULT '[]',
    payload BLOB,                    -- zlib, dropped once delivered
    state TEXT NOT NULL,             -- intent, sending, delivered, failed
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    delivered REAL,
    UNIQUE (channel, key)
);
CREATE INDEX delivery_open ON delivery(state) WHERE state IN ('intent', 'sending');
CREATE TABLE dirty_page (page INTEGER PRIMARY KEY);
CREATE TABLE run (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started REAL NOT NULL,
    heartbeat REAL NOT NULL,
    finished REAL,
    messages INTEGER NOT NULL DEFAULT 0,
    series INTEGER NOT NULL DEFAULT 0,
    deliveries INTEGER NOT NULL DEFAULT 0,
    rss_kb INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE event (                 -- errors and warnings, for 'status'
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    level TEXT NOT NULL,
    what TEXT NOT NULL,
    series INTEGER,
    detail TEXT NOT NULL
);
"""
_KEEP_EVENTS = 1000


@dataclass(frozen=True)
class MessageRow:
    """One list mail as recorded: identity, kind and (for covers and patches) its bytes."""

    message_id: str
    list: str
    source: str
    position: str
    arrived: float
    kind: str
    subject: str
    title: str
    author: str
    version: int
    index: int | None
    total: int | None
    parent: str
    references: tuple[str, ...]
    size: int
    raw: bytes | None = None


@dataclass(frozen=True)
class SeriesRow:
    id: int
    anchor: str
    list: str
    title: str
    author: str
    version: int
    total: int | None
    state: str
    first_arrival: float
    last_arrival: float
    queued: float
    checked: float | None
    answered: float | None
    missing: str
    supersedes: int | None
    superseded_by: int | None
    base: str
    base_note: str
    patches: int
    applies: bool
    new_errors: int
    new_warnings: int
    new_notes: int
    fixed: int
    mails: int
    fingerprints: tuple[str, ...]
    error: str
    notes: str
    seconds: float | None
    peak_kb: int | None

    @property
    def page(self) -> int:
        return page_of(self.id)


@dataclass(frozen=True)
class NewSeries:
    anchor: str
    list: str
    title: str
    author: str
    version: int
    total: int | None
    state: str
    first_arrival: float
    last_arrival: float
    missing: str = ""
    supersedes: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What a finished check records about its series."""

    state: str  # answering, failed or empty
    base: str = ""
    base_note: str = ""
    patches: int = 0
    applies: bool = True
    new_errors: int = 0
    new_warnings: int = 0
    new_notes: int = 0
    fixed: int = 0
    fingerprints: tuple[str, ...] = ()
    error: str = ""
    notes: str = ""
    seconds: float = 0.0
    peak_kb: int = 0


@dataclass(frozen=True)
class Intent:
    """One answer to deliver: a mail (outbox, smtp) or a file, with its bytes."""

    channel: str
    key: str
    payload: bytes
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivery:
    id: int
    series: int
    channel: str
    key: str
    recipients: tuple[str, ...]
    payload: bytes
    state: str
    attempts: int


def _message(row: Sequence[Any]) -> MessageRow:
    values = list(row)
    return MessageRow(
        message_id=values[0], list=values[1], source=values[2], position=values[3],
        arrived=values[4], kind=values[5], subject=values[6], title=values[7], author=values[8],
        version=values[9], index=values[10], total=values[11], parent=values[12],
        references=tuple(json.loads(values[13])), size=values[14],
    )


def page_of(series_id: int) -> int:
    return (series_id - 1) // PAGE_SIZE + 1


def _pack(data: bytes | None) -> bytes | None:
    return None if data is None else zlib.compress(data, 6)


def _unpack(data: bytes | None) -> bytes:
    return b"" if data is None else zlib.decompress(data)


_SERIES_COLUMNS = (
    "id, anchor, list, title, author, version, total, state, first_arrival, last_arrival, queued, "
    "checked, answered, missing, supersedes, superseded_by, base, base_note, patches, applies, "
    "new_errors, new_warnings, new_notes, fixed, mails, fingerprints, error, notes, seconds, peak_kb"
)


def _series(row: Sequence[Any]) -> SeriesRow:
    values = list(row)
    values[19] = bool(values[19])
    values[25] = tuple(json.loads(values[25]))
    return SeriesRow(*values)


class State:
    """The open state file. ``memory=True`` works on an in-memory copy (dry runs change nothing)."""

    def __init__(self, path: Path, *, memory: bool = False) -> None:
        self.path = path
        where = str(path)
        try:
            if memory:
                self._db = sqlite3.connect(":memory:", isolation_level=None)
                if path.exists():
                    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                    source.backup(self._db)
                    source.close()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
                # WAL: status can read while the bot writes; FULL: a committed
                # intent or delivery record survives a power cut, not only a kill.
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise InputError(where, f"not a usable state database: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version != 0:
            raise InputError(str(self.path), f"state schema {version} is not {SCHEMA_VERSION}: "
                             "made by another patchaudit version")
        with self.transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic step: everything inside is committed together, or nothing is."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def integrity(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    # ---------------------------------------------------------------- sources

    def cursor(self, source: str, part: str) -> str | None:
        row = self._db.execute(
            "SELECT value FROM cursor WHERE source = ? AND part = ?", (source, part)
        ).fetchone()
        return None if row is None else str(row[0])

    def cursors(self, source: str) -> dict[str, str]:
        rows = self._db.execute("SELECT part, value FROM cursor WHERE source = ?", (source,))
        return {str(part): str(value) for part, value in rows}

    def set_cursor(self, source: str, part: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO cursor (source, part, value) VALUES (?, ?, ?) "
            "ON CONFLICT (source, part) DO UPDATE SET value = excluded.value",
            (source, part, value),
        )

    def is_seen(self, source: str, position: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM seen WHERE source = ? AND position = ?", (source, position)
        ).fetchone()
        return row is not None

    def mark_seen(self, source: str, position: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO seen (source, position) VALUES (?, ?)", (source, position)
        )

    # ---------------------------------------------------------------- messages

    def has_message(self, message_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM message WHERE message_id = ?", (message_id,))
        return row.fetchone() is not None

    def add_message(self, row: MessageRow) -> bool:
        """Record a mail; False (and nothing recorded) when its Message-Id is already known."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO message (message_id, list, source, position, arrived, kind, "
            "subject, title, author, version, idx, total, parent, refs, size, raw) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.message_id, row.list, row.source, row.position, row.arrived, row.kind,
             row.subject, row.title, row.author, row.version, row.index, row.total, row.parent,
             json.dumps(list(row.references)), row.size, _pack(row.raw)),
        )
        return cursor.rowcount == 1

    def waiting_messages(self) -> list[MessageRow]:
        """Covers and patches not yet part of a series, oldest first (without their bytes)."""
        rows = self._db.execute(
            "SELECT message_id, list, source, position, arrived, kind, subject, title, author, "
            "version, idx, total, parent, refs, size FROM message "
            "WHERE series IS NULL AND kind IN ('cover', 'patch') ORDER BY id"
        )
        return [_message(row) for row in rows]

    def series_of_messages(self, message_ids: Iterable[str]) -> dict[str, SeriesRow]:
        """The series each of these mails belongs to, for those that belong to one."""
        found: dict[str, SeriesRow] = {}
        for message_id in set(message_ids):
            row = self._db.execute(
                f"SELECT m.message_id, {', '.join('s.' + c for c in _SERIES_COLUMNS.split(', '))} "
                "FROM message m JOIN series s ON s.id = m.series WHERE m.message_id = ?",
                (message_id,),
            ).fetchone()
            if row is not None:
                found[str(row[0])] = _series(row[1:])
        return found

    def series_answering(self, message_ids: Iterable[str]) -> dict[str, SeriesRow]:
        """For each of these mails, the series of a patch that answers it, if there is one."""
        found: dict[str, SeriesRow] = {}
        for message_id in set(message_ids):
            row = self._db.execute(
                f"SELECT {', '.join('s.' + c for c in _SERIES_COLUMNS.split(', '))} "
                "FROM message m JOIN series s ON s.id = m.series "
                "WHERE m.parent = ? AND m.kind = 'patch' ORDER BY s.id LIMIT 1",
                (message_id,),
            ).fetchone()
            if row is not None:
                found[message_id] = _series(row)
        return found

    def assign(self, message_ids: Iterable[str], series_id: int) -> None:
        self._db.executemany(
            "UPDATE message SET series = ? WHERE message_id = ?",
            [(series_id, message_id) for message_id in message_ids],
        )

    def series_mail(self, series_id: int) -> list[tuple[str, bytes]]:
        """(Message-Id, raw bytes) of every mail of a series, in arrival order."""
        rows = self._db.execute(
            "SELECT message_id, raw FROM message WHERE series = ? AND raw IS NOT NULL ORDER BY id",
            (series_id,),
        )
        return [(str(message_id), _unpack(raw)) for message_id, raw in rows]

    def message_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT kind, count(*) FROM message GROUP BY kind")
        return {str(kind): int(count) for kind, count in rows}

    # ---------------------------------------------------------------- series

    def create_series(self, new: NewSeries, members: Iterable[str], now: float) -> int:
        cursor = self._db.execute(
            "INSERT INTO series (anchor, list, title, author, version, total, state, first_arrival, "
            "last_arrival, queued, missing, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (new.anchor, new.list, new.title, new.author, new.version, new.total, new.state,
             new.first_arrival, new.last_arrival, now, new.missing, new.supersedes),
        )
        series_id = int(cursor.lastrowid or 0)
        self.assign(members, series_id)
        if new.supersedes is not None:
            self._db.execute("UPDATE series SET superseded_by = ? WHERE id = ?",
                             (series_id, new.supersedes))
            self.mark_dirty(page_of(new.supersedes))
        self.mark_dirty(page_of(series_id))
        return series_id

    def series(self, series_id: int) -> SeriesRow:
        row = self._db.execute(f"SELECT {_SERIES_COLUMNS} FROM series WHERE id = ?", (series_id,))
        found = row.fetchone()
        if found is None:
            raise KeyError(series_id)
        return _series(found)

    def series_in_state(self, state: str, limit: int = 1000) -> list[SeriesRow]:
        rows = self._db.execute(
            f"SELECT {_SERIES_COLUMNS} FROM series WHERE state = ? ORDER BY id LIMIT ?",
            (state, limit),
        )
        return [_series(row) for row in rows]

    def series_page(self, page: int) -> list[SeriesRow]:
        first = (page - 1) * PAGE_SIZE + 1
        rows = self._db.execute(
            f"SELECT {_SERIES_COLUMNS} FROM series WHERE id BETWEEN ? AND ? ORDER BY id",
            (first, first + PAGE_SIZE - 1),
        )
        return [_series(row) for row in rows]

    def last_page(self) -> int:
        row = self._db.execute("SELECT max(id) FROM series").fetchone()
        return page_of(int(row[0])) if row[0] is not None else 0

    def earlier_versions(self, author: str, anchors: Iterable[str], version: int) -> list[SeriesRow]:
        """Older-version series of the same author, or that the newer one replies into."""
        marks = list(dict.fromkeys(anchors))
        holes = ", ".join("?" * len(marks)) or "NULL"
        rows = self._db.execute(
            f"SELECT {_SERIES_COLUMNS} FROM series WHERE version < ? AND state != 'superseded' "
            f"AND (author = ? OR anchor IN ({holes})) ORDER BY id",
            (version, author, *marks),
        )
        return [_series(row) for row in rows]

    def series_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, count(*) FROM series GROUP BY state")
        return {str(state): int(count) for state, count in rows}

    def record_outcome(self, series_id: int, outcome: Outcome, intents: Sequence[Intent],
                       now: float) -> None:
        """The result of a check and the intent of each answer, in one transaction (the caller's)."""
        # The outbox and SMTP carry the same mails: count each Message-Id once.
        mails = len({i.key for i in intents if i.channel in ("smtp", "outbox")})
        self._db.execute(
            "UPDATE series SET state = ?, checked = ?, base = ?, base_note = ?, patches = ?, "
            "applies = ?, new_errors = ?, new_warnings = ?, new_notes = ?, fixed = ?, mails = ?, "
            "fingerprints = ?, error = ?, notes = ?, seconds = ?, peak_kb = ? WHERE id = ?",
            (outcome.state, now, outcome.base, outcome.base_note, outcome.patches,
             int(outcome.applies), outcome.new_errors, outcome.new_warnings, outcome.new_notes,
             outcome.fixed, mails, json.dumps(list(outcome.fingerprints)),
             outcome.error, outcome.notes, outcome.seconds, outcome.peak_kb, series_id),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO delivery (series, channel, key, recipients, payload, state, "
            "created) VALUES (?, ?, ?, ?, ?, 'intent', ?)",
            [(series_id, i.channel, i.key, json.dumps(list(i.recipients)), _pack(i.payload), now)
             for i in intents],
        )
        self.mark_dirty(page_of(series_id))

    def set_state(self, series_id: int, state: str, now: float | None = None) -> None:
        if state == "answered":
            self._db.execute("UPDATE series SET state = ?, answered = ? WHERE id = ?",
                             (state, now, series_id))
        else:
            self._db.execute("UPDATE series SET state = ? WHERE id = ?", (state, series_id))
        self.mark_dirty(page_of(series_id))

    # ---------------------------------------------------------------- deliveries

    def open_deliveries(self) -> list[Delivery]:
        rows = self._db.execute(
            "SELECT id, series, channel, key, recipients, payload, state, attempts FROM delivery "
            "WHERE state IN ('intent', 'sending') ORDER BY id"
        )
        return [
            Delivery(int(i), int(s), str(c), str(k), tuple(json.loads(r)), _unpack(p), str(st),
                     int(a))
            for i, s, c, k, r, p, st, a in rows
        ]

    def mark_delivery(self, delivery_id: int, state: str, now: float, error: str = "") -> None:
        """intent -> sending -> delivered (or failed); a delivered answer's bytes are dropped."""
        if state == "delivered":
            self._db.execute(
                "UPDATE delivery SET state = ?, delivered = ?, payload = NULL, error = '', "
                "attempts = attempts + 1 WHERE id = ?", (state, now, delivery_id))
        elif state == "sending":
            self._db.execute("UPDATE delivery SET state = ? WHERE id = ?", (state, delivery_id))
        else:
            self._db.execute(
                "UPDATE delivery SET state = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
                (state, error, delivery_id))

    def unfinished_series(self, series_id: int) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM delivery WHERE series = ? AND state IN ('intent', 'sending')",
            (series_id,),
        ).fetchone()
        return int(row[0])

    def delivered_since(self, channel: str, since: float) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM delivery WHERE channel = ? AND state = 'delivered' "
            "AND delivered >= ?", (channel, since),
        ).fetchone()
        return int(row[0])

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        rows = self._db.execute("SELECT channel, state, count(*) FROM delivery GROUP BY 1, 2")
        return {(str(c), str(s)): int(n) for c, s, n in rows}

    def delivered_keys(self, channel: str) -> list[str]:
        rows = self._db.execute(
            "SELECT key FROM delivery WHERE channel = ? AND state = 'delivered' ORDER BY id",
            (channel,),
        )
        return [str(row[0]) for row in rows]

    # ---------------------------------------------------------------- index pages

    def mark_dirty(self, page: int) -> None:
        self._db.execute("INSERT OR IGNORE INTO dirty_page (page) VALUES (?)", (page,))

    def dirty_pages(self) -> list[int]:
        return [int(row[0]) for row in self._db.execute("SELECT page FROM dirty_page ORDER BY 1")]

    def clean_pages(self, pages: Iterable[int]) -> None:
        self._db.executemany("DELETE FROM dirty_page WHERE page = ?", [(p,) for p in pages])

    # ---------------------------------------------------------------- runs and events

    def start_run(self, mode: str, pid: int, now: float) -> int:
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO run (mode, pid, started, heartbeat) VALUES (?, ?, ?, ?)",
                (mode, pid, now, now))
        return int(cursor.lastrowid or 0)

    def beat(self, run_id: int, now: float, *, messages: int = 0, series: int = 0,
             deliveries: int = 0, rss_kb: int = 0, finished: bool = False) -> None:
        self._db.execute(
            "UPDATE run SET heartbeat = ?, messages = messages + ?, series = series + ?, "
            "deliveries = deliveries + ?, rss_kb = max(rss_kb, ?), finished = ? WHERE id = ?",
            (now, messages, series, deliveries, rss_kb, now if finished else None, run_id),
        )

    def runs(self, limit: int = 1) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, mode, pid, started, heartbeat, finished, messages, series, deliveries, "
            "rss_kb FROM run ORDER BY id DESC LIMIT ?", (limit,))
        names = ("id", "mode", "pid", "started", "heartbeat", "finished", "messages", "series",
                 "deliveries", "rss_kb")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def add_event(self, level: str, what: str, detail: str, series: int | None = None) -> None:
        self._db.execute(
            "INSERT INTO event (at, level, what, series, detail) VALUES (?, ?, ?, ?, ?)",
            (time.time(), level, what, series, detail))
        self._db.execute("DELETE FROM event WHERE id <= (SELECT max(id) FROM event) - ?",
                         (_KEEP_EVENTS,))

    def events(self, limit: int = 10) -> list[tuple[float, str, str, int | None, str]]:
        rows = self._db.execute(
            "SELECT at, level, what, series, detail FROM event ORDER BY id DESC LIMIT ?", (limit,))
        return [(float(a), str(l), str(w), s, str(d)) for a, l, w, s, d in rows]

    def event_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT level, count(*) FROM event GROUP BY level")
        return {str(level): int(count) for level, count in rows}
