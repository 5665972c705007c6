"""The tree index on disk: one SQLite database per tree, the only importer of sqlite3 for indexes.

Tables are named after what a row is, as smatch names its database tables,
and the schema carries a version: a database of another version is rebuilt
rather than read. Each file's rows are replaced as a whole when the file is
summarised again.

    meta        key, value                       schema and summary versions, tree root
    files       one row per .c/.h file           stat stamp, digest, wrappers it was summarised with
    functions   one row per function definition  static, exported, address taken, effect, roots
    params      one row per parameter            name, type, struct tag (for "@arg" and name types)
    calls       one row per call site            callee, coded lock state, page and lock arguments
    takes       one row per acquisition          class, blocking, nested, atomic, state before
    writes      one row per member write         member class, coded lock state, fresh object
    contracts   one row per mined contract       as stated, and as resolved against the tree
    structs     one row per struct definition    members as JSON
    lock_vars   file-scope lock variables
    macros      object-like macros standing for a member path (d_lock -> d_lockref.lock)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from patchaudit.analyses.types import struct_name
from patchaudit.errors import InputError
from patchaudit.contracts.model import Context, Contract, ContractKind, Origin
from patchaudit.contracts.phrases import lock_names
from patchaudit.index.summary import (
    CallFact,
    Codes,
    Effect,
    FileSummary,
    FunctionSummary,
    LockVar,
    StructFacts,
    TakeFact,
    WriteFact,
)

SCHEMA_VERSION = "3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, size INTEGER, mtime_ns INTEGER,
    digest TEXT, wrappers TEXT NOT NULL DEFAULT '', issues TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS functions (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, name TEXT NOT NULL, line INTEGER,
    end_line INTEGER, static INTEGER, header INTEGER, exported INTEGER, address_taken INTEGER,
    reliable INTEGER, returns TEXT NOT NULL DEFAULT '', effect TEXT NOT NULL DEFAULT '',
    entry TEXT NOT NULL DEFAULT '',
    atomic TEXT NOT NULL DEFAULT '', roots TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS functions_name ON functions(name);
CREATE INDEX IF NOT EXISTS functions_file ON functions(file_id);
CREATE TABLE IF NOT EXISTS params (
    function_id INTEGER NOT NULL, idx INTEGER, name TEXT, type TEXT, tag TEXT);
CREATE INDEX IF NOT EXISTS params_function ON params(function_id);
CREATE INDEX IF NOT EXISTS params_name ON params(name);
CREATE TABLE IF NOT EXISTS calls (
    function_id INTEGER NOT NULL, callee TEXT NOT NULL, line INTEGER, col INTEGER,
    locks TEXT NOT NULL DEFAULT '', pages TEXT NOT NULL DEFAULT '', args TEXT NOT NULL DEFAULT '',
    sleep TEXT NOT NULL DEFAULT '', top INTEGER NOT NULL DEFAULT 0, text TEXT NOT NULL DEFAULT '',
    atomic TEXT NOT NULL DEFAULT '', unless TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS calls_callee ON calls(callee);
CREATE INDEX IF NOT EXISTS calls_function ON calls(function_id);
CREATE TABLE IF NOT EXISTS takes (
    function_id INTEGER NOT NULL, lock TEXT NOT NULL, line INTEGER, col INTEGER,
    blocking INTEGER, nested INTEGER, atomic INTEGER, held TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '', via TEXT NOT NULL DEFAULT '', shared INTEGER NOT NULL DEFAULT 0,
    first INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS takes_function ON takes(function_id);
CREATE INDEX IF NOT EXISTS takes_lock ON takes(lock);
CREATE TABLE IF NOT EXISTS writes (
    function_id INTEGER NOT NULL, member TEXT NOT NULL, line INTEGER, col INTEGER,
    locks TEXT NOT NULL DEFAULT '', fresh INTEGER, base TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS writes_member ON writes(member);
CREATE INDEX IF NOT EXISTS writes_function ON writes(function_id);
CREATE TABLE IF NOT EXISTS contracts (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, ident TEXT, kind TEXT, origin TEXT,
    subject TEXT, line INTEGER, text TEXT, lock_text TEXT, lock TEXT, arg INTEGER,
    context TEXT, inner_text TEXT, inner TEXT, reads INTEGER, conditional INTEGER,
    unresolved TEXT, function_line INTEGER,
    resolved_lock TEXT NOT NULL DEFAULT '', resolved_arg INTEGER, resolved_inner TEXT NOT NULL
    DEFAULT '', reason TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS contracts_subject ON contracts(subject);
CREATE INDEX IF NOT EXISTS contracts_file ON contracts(file_id);
CREATE TABLE IF NOT EXISTS structs (file_id INTEGER NOT NULL, tag TEXT, line INTEGER, members TEXT);
CREATE INDEX IF NOT EXISTS structs_tag ON structs(tag);
CREATE INDEX IF NOT EXISTS structs_file ON structs(file_id);
CREATE TABLE IF NOT EXISTS lock_members (file_id INTEGER NOT NULL, tag TEXT, name TEXT);
CREATE INDEX IF NOT EXISTS lock_members_name ON lock_members(name);
CREATE INDEX IF NOT EXISTS lock_members_file ON lock_members(file_id);
CREATE TABLE IF NOT EXISTS lock_vars (
    file_id INTEGER NOT NULL, name TEXT, type TEXT, static INTEGER, line INTEGER);
CREATE INDEX IF NOT EXISTS lock_vars_name ON lock_vars(name);
CREATE INDEX IF NOT EXISTS lock_vars_file ON lock_vars(file_id);
CREATE TABLE IF NOT EXISTS macros (file_id INTEGER NOT NULL, name TEXT, path TEXT);
CREATE INDEX IF NOT EXISTS macros_name ON macros(name);
CREATE INDEX IF NOT EXISTS macros_file ON macros(file_id);
"""

_PER_FILE = ("structs", "lock_members", "lock_vars", "macros", "contracts")
_PER_FUNCTION = ("params", "calls", "takes", "writes")


def encode_codes(codes: Codes) -> str:
    return ";".join(f"{cls}={code}" for cls, code in codes)


def decode_codes(text: str) -> Codes:
    if not text:
        return ()
    pairs = []
    for item in text.split(";"):
        cls, _, code = item.rpartition("=")
        pairs.append((cls, code))
    return tuple(pairs)


def _pairs(items: Iterable[tuple[int, str]]) -> str:
    return ";".join(f"{index}={value}" for index, value in items)


def decode_pairs(text: str) -> tuple[tuple[int, str], ...]:
    if not text:
        return ()
    found = []
    for item in text.split(";"):
        index, _, value = item.partition("=")
        found.append((int(index), value))
    return tuple(found)


def encode_effect(effect: Effect) -> str:
    if not effect:
        return ""
    parts: list[object] = [effect.acquires, effect.releases, effect.unsure]
    if effect.cond:
        parts.append(effect.cond)
    return json.dumps(parts, separators=(",", ":"))


def decode_effect(text: str) -> Effect:
    if not text:
        return Effect()
    acquires, releases, unsure, *rest = json.loads(text)
    cond = rest[0] if rest else []
    return Effect(tuple((c, p, bool(a)) for c, p, a in acquires),
                  tuple((c, p) for c, p in releases), tuple((c, p) for c, p in unsure),
                  tuple((c, p, bool(a), bool(n)) for c, p, a, n in cond))


class IndexStore:
    """One tree's index database: writes a file's summary, answers lookups."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            # Checks only read an index; they never create, migrate or lock it for writing.
            uri = path.resolve().as_uri() + "?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, isolation_level=None,
                                      check_same_thread=False)
            if self._version() != SCHEMA_VERSION:
                self.db.close()
                raise InputError(str(path), "is not a tree index of this patchaudit version: "
                                            "rebuild it with 'patchaudit index'")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA temp_store=MEMORY")
        if self._version() != SCHEMA_VERSION:
            self._reset()

    def _version(self) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError:
            return None
        return row[0] if row else None

    def _reset(self) -> None:
        tables = [r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type='table'").fetchall()]
        for table in tables:
            self.db.execute(f"DROP TABLE IF EXISTS {table}")
        self.db.executescript(_SCHEMA)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ meta

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------ files

    def stamps(self) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, digest) of every indexed file."""
        return {path: (size, mtime, digest) for path, size, mtime, digest in self.db.execute(
            "SELECT path, size, mtime_ns, digest FROM files")}

    def file_id(self, path: str) -> int | None:
        row = self.db.execute("SELECT id FROM files WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def wrappers_used(self) -> dict[str, tuple[str, ...]]:
        return {path: decode_names(wrappers) for path, wrappers in
                self.db.execute("SELECT path, wrappers FROM files")}

    def begin(self) -> None:
        self.db.execute("BEGIN")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def remove(self, path: str) -> None:
        file_id = self.file_id(path)
        if file_id is None:
            return
        self._clear(file_id)
        self.db.execute("DELETE FROM files WHERE id=?", (file_id,))

    def _clear(self, file_id: int) -> None:
        functions = [r[0] for r in self.db.execute(
            "SELECT id FROM functions WHERE file_id=?", (file_id,))]
        for table in _PER_FUNCTION:
            self.db.executemany(f"DELETE FROM {table} WHERE function_id=?",
                                ((f,) for f in functions))
        self.db.execute("DELETE FROM functions WHERE file_id=?", (file_id,))
        for table in _PER_FILE:
            self.db.execute(f"DELETE FROM {table} WHERE file_id=?", (file_id,))

    def tree_facts(self, path: str) -> tuple[object, ...]:
        """What ``path`` adds to every file's resolution: structs, lock variables, member macros."""
        file_id = self.file_id(path)
        if file_id is None:
            return ()
        return tuple(tuple(sorted(self.db.execute(
            f"SELECT {columns} FROM {table} WHERE file_id=?", (file_id,)).fetchall()))
            for table, columns in (("structs", "tag, members"), ("lock_vars", "name, type, static"),
                                   ("macros", "name, path")))

    def function_names(self, path: str) -> set[str]:
        return {name for (name,) in self.db.execute(
            "SELECT f.name FROM functions f JOIN files fi ON f.file_id=fi.id WHERE fi.path=?",
            (path,))}

    def put(self, summary: FileSummary, stamp: tuple[int, int]) -> None:
        """Replace everything known of one file by ``summary``."""
        db = self.db
        file_id = self.file_id(summary.path)
        if file_id is None:
            file_id = db.execute(
                "INSERT INTO files (path, size, mtime_ns, digest, wrappers, issues) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (summary.path, stamp[0], stamp[1], summary.digest, ",".join(summary.wrappers_used),
                 "\n".join(summary.issues))).lastrowid
        else:
            self._clear(file_id)
            db.execute("UPDATE files SET size=?, mtime_ns=?, digest=?, wrappers=?, issues=? "
                       "WHERE id=?", (stamp[0], stamp[1], summary.digest,
                                      ",".join(summary.wrappers_used), "\n".join(summary.issues),
                                      file_id))
        assert file_id is not None
        header = summary.path.endswith(".h")
        exported = set(summary.exports)
        taken = set(summary.address_taken)
        for fn in summary.functions:
            self._put_function(file_id, fn, header, fn.name in exported, fn.name in taken)
        db.executemany(
            "INSERT INTO contracts (file_id, ident, kind, origin, subject, line, text, lock_text,"
            " lock, arg, context, inner_text, inner, reads, conditional, unresolved,"
            " function_line) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ((file_id, c.ident, c.kind.value, c.origin.value, c.subject, c.line, c.text,
              c.lock_text, c.lock, c.arg, c.context.name if c.context else "", c.inner_text,
              c.inner, int(c.reads), int(c.conditional), c.unresolved, c.function_line)
             for c in summary.contracts))
        db.executemany("INSERT INTO structs VALUES (?, ?, ?, ?)",
                       ((file_id, s.tag, s.line, json.dumps(s.members, separators=(",", ":")))
                        for s in summary.structs))
        table = lock_names()
        db.executemany("INSERT INTO lock_members VALUES (?, ?, ?)", {
            (file_id, s.tag, name) for s in summary.structs for name, kind in s.members
            if table.lock_type(kind.rstrip(" *")) is not None})
        db.executemany("INSERT INTO lock_vars VALUES (?, ?, ?, ?, ?)",
                       ((file_id, v.name, v.type, int(v.static), v.line) for v in summary.lock_vars))
        db.executemany("INSERT INTO macros VALUES (?, ?, ?)",
                       ((file_id, name, path) for name, path in summary.macro_paths))

    def _put_function(self, file_id: int, fn: FunctionSummary, header: bool, exported: bool,
                      taken: bool) -> None:
        db = self.db
        function_id = db.execute(
            "INSERT INTO functions (file_id, name, line, end_line, static, header, exported,"
            " address_taken, reliable, returns, effect, entry, atomic, roots)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (file_id, fn.name, fn.line, fn.end_line, int(fn.static), int(header), int(exported),
             int(taken), int(fn.reliable), fn.returns, encode_effect(fn.effect),
             encode_codes(fn.entry),
             ",".join(fn.atomic), ",".join(fn.roots))).lastrowid
        db.executemany("INSERT INTO params VALUES (?, ?, ?, ?, ?)",
                       ((function_id, i, name, kind, struct_name(kind) or "")
                        for i, (name, kind) in enumerate(fn.params)))
        db.executemany("INSERT INTO calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       ((function_id, c.callee, c.line, c.column, encode_codes(c.locks),
                         _pairs(c.pages), _pairs(c.arg_classes), c.sleep, int(c.top), c.text,
                         c.atomic, ",".join(c.unless))
                        for c in fn.calls if c.callee))
        db.executemany("INSERT INTO takes VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       ((function_id, t.lock, t.line, t.column, int(t.blocking), int(t.nested),
                         int(t.atomic), encode_codes(t.held), t.text, ",".join(t.via),
                         int(t.shared), int(t.first))
                        for t in fn.takes))
        db.executemany("INSERT INTO writes VALUES (?,?,?,?,?,?,?)",
                       ((function_id, w.member, w.line, w.column, encode_codes(w.locks),
                         int(w.fresh), w.base) for w in fn.writes))

    # ------------------------------------------------------------ reading back

    def file_summary(self, path: str, digest: str) -> FileSummary | None:
        """The summary ``put`` stored for ``path`` if it was of these contents (``digest``).

        What the index does not keep is left out: calls of no named function,
        and of the file's exports and escaped names those that are not its
        functions (EXPORT_SYMBOL of a variable); nothing that judges a file
        reads them.
        """
        row = self.db.execute("SELECT id, digest, wrappers, issues FROM files WHERE path=?",
                              (path,)).fetchone()
        if row is None or row[1] != digest:
            return None
        file_id, _, wrappers, issues = row
        functions = []
        exports, taken = [], []
        for (function_id, name, line, end_line, static, exported, address_taken, reliable,
             returns, effect, entry, atomic, roots) in self.db.execute(
                "SELECT id, name, line, end_line, static, exported, address_taken, reliable,"
                " returns, effect, entry, atomic, roots FROM functions WHERE file_id=? ORDER BY id",
                (file_id,)).fetchall():
            if exported:
                exports.append(name)
            if address_taken:
                taken.append(name)
            functions.append(FunctionSummary(
                name=name, line=line, end_line=end_line, static=bool(static),
                params=tuple((p, t) for p, t in self.db.execute(
                    "SELECT name, type FROM params WHERE function_id=? ORDER BY idx",
                    (function_id,))),
                reliable=bool(reliable), effect=decode_effect(effect),
                calls=tuple(row_call(row[0], row[1:]) for row in self.db.execute(
                    f"SELECT callee, {CALL_COLUMNS} FROM calls WHERE function_id=? ORDER BY rowid",
                    (function_id,))),
                takes=tuple(row_take(row[0], row[1:]) for row in self.db.execute(
                    f"SELECT lock, {TAKE_COLUMNS} FROM takes WHERE function_id=? ORDER BY rowid",
                    (function_id,))),
                writes=tuple(row_write(row[0], row[1:]) for row in self.db.execute(
                    f"SELECT member, {WRITE_COLUMNS} FROM writes WHERE function_id=?"
                    " ORDER BY rowid", (function_id,))),
                returns=returns, entry=decode_codes(entry), atomic=decode_names(atomic),
                roots=decode_names(roots)))
        contracts = tuple(row_contract(row) for row in self.db.execute(
            "SELECT c.kind, c.origin, c.subject, ?, c.line, c.text, c.lock_text, c.lock, c.arg,"
            " c.context, c.inner_text, c.inner, c.reads, c.conditional, c.unresolved,"
            " c.function_line FROM contracts c WHERE c.file_id=? ORDER BY c.id", (path, file_id)))
        structs = tuple(StructFacts(tag, line, tuple(tuple(m) for m in json.loads(members)))
                        for tag, line, members in self.db.execute(
                            "SELECT tag, line, members FROM structs WHERE file_id=? ORDER BY rowid",
                            (file_id,)))
        lock_vars = tuple(LockVar(name, kind, bool(static), line)
                          for name, kind, static, line in self.db.execute(
                              "SELECT name, type, static, line FROM lock_vars WHERE file_id=?"
                              " ORDER BY rowid", (file_id,)))
        macro_paths = tuple((name, text) for name, text in self.db.execute(
            "SELECT name, path FROM macros WHERE file_id=? ORDER BY rowid", (file_id,)))
        return FileSummary(
            path=path, digest=digest, functions=tuple(functions), contracts=contracts,
            structs=structs, lock_vars=lock_vars, macro_paths=macro_paths,
            exports=tuple(sorted(set(exports))), address_taken=tuple(sorted(set(taken))),
            wrappers_used=decode_names(wrappers), issues=decode_names(issues, "\n"))

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, args).fetchall()

    def iterate(self, sql: str, args: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        yield from self.db.execute(sql, args)


def row_contract(row: tuple[Any, ...]) -> Contract:
    """A contracts row (its columns from ``kind`` on, in table order) as a Contract."""
    (kind, origin, subject, path, line, text, lock_text, lock, arg, context, inner_text, inner,
     reads, conditional, unresolved, function_line) = row
    return Contract(kind=ContractKind(kind), origin=Origin(origin), subject=subject, file=path,
                    line=line, text=text, lock_text=lock_text, lock=lock, arg=arg,
                    context=Context[context] if context else None, inner_text=inner_text,
                    inner=inner, reads=bool(reads), conditional=bool(conditional),
                    unresolved=unresolved, function_line=function_line)


# The columns a CallFact, a TakeFact and a WriteFact are stored in, after the callee,
# lock or member the queries select them by: row_call(), row_take() and row_write()
# read them back in this order.
CALL_COLUMNS = "line, col, locks, pages, args, sleep, top, text, atomic, unless"
TAKE_COLUMNS = "line, col, blocking, nested, atomic, held, text, via, shared, first"
WRITE_COLUMNS = "line, col, locks, fresh, base"


def decode_names(text: str, separator: str = ",") -> tuple[str, ...]:
    """A stored list of names ("a,b"; "" is none)."""
    return tuple(name for name in text.split(separator) if name)


def row_call(callee: str, row: tuple[Any, ...]) -> CallFact:
    line, col, locks, pages, args, sleep, top, text, atomic, unless = row
    return CallFact(callee, line, col, decode_codes(locks), decode_pairs(pages),
                    decode_pairs(args), sleep, bool(top), text, atomic, decode_names(unless))


def row_take(lock: str, row: tuple[Any, ...]) -> TakeFact:
    line, col, blocking, nested, atomic, held, text, via, shared, first = row
    return TakeFact(lock, line, col, bool(blocking), bool(nested), bool(atomic),
                    decode_codes(held), text, decode_names(via), bool(shared), bool(first))


def row_write(member: str, row: tuple[Any, ...]) -> WriteFact:
    line, col, locks, fresh, base = row
    return WriteFact(member, line, col, decode_codes(locks), bool(fresh), base)


def index_path(cache_dir: Path, root: Path) -> Path:
    """Where the index of the tree at ``root`` lives in the cache directory."""
    key = hashlib.blake2b(os.fsencode(os.path.realpath(root)), digest_size=8).hexdigest()
    return cache_dir / "index" / f"{key}.sqlite"

