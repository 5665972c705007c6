"""The bot's TOML configuration: sources, trees, outputs, limits; every error names the key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patchaudit.errors import InputError
from patchaudit.model import Severity

# The formats the bot can write per series, through the report stage's mapping.
FILE_FORMATS = ("json", "sarif", "html", "patchwork")
_FILE_NAMES = {
    "json": "report.json",
    "sarif": "report.sarif",
    "html": "report.html",
    "patchwork": "patchwork.json",
}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ADDRESS_RE = re.compile(r"^[!-~]+@[!-~]+$")
_MAX_CONFIG = 1024 * 1024


@dataclass(frozen=True)
class ListConfig:
    """One mailing list: where its mail comes from and what its series are checked against."""

    name: str
    address: str = ""  # the list's posting address: Cc of replies
    archive: Path | None = None  # a public-inbox v2 inbox directory
    maildir: Path | None = None
    git: Path | None = None  # a repository where base-commit: is looked up
    branch: str = ""  # the base in ``git`` when base-commit is absent or unknown
    tree: Path | None = None  # a plain directory as the base instead of ``git``/``branch``
    skip_history: bool = False  # first start: answer only mail that arrives from now on


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    per_minute: int = 30  # mails handed to the server at most per minute
    timeout_seconds: float = 60.0


@dataclass(frozen=True)
class FilesConfig:
    directory: Path
    formats: tuple[str, ...] = FILE_FORMATS
    url: str = ""  # where ``directory`` is published; mails and patchwork link there
    index: bool = True

    @staticmethod
    def file_name(fmt: str) -> str:
        return _FILE_NAMES[fmt]


@dataclass(frozen=True)
class AnswerConfig:
    sender: str = ""  # From: of replies; "" = the email format's default
    outbox: Path | None = None  # a Maildir the replies are written into
    smtp: SmtpConfig | None = None
    files: FilesConfig | None = None
    mail_min_severity: Severity = Severity.WARNING  # findings below are not mailed
    repeat_findings: bool = False  # mail findings an earlier version of the series was told of
    cc_list: bool = True
    cc: tuple[str, ...] = ()
    redirect: str = ""  # when set, every mail goes to this address only (trials)


@dataclass(frozen=True)
class CheckConfig:
    """What ``check`` needs besides the series and the base: plain values, picklable."""

    rule_dirs: tuple[str, ...] = ()
    default_rules: bool = True
    all_rules: bool = False
    cache_dir: str = ""  # "" = no parse cache


@dataclass(frozen=True)
class BotConfig:
    path: Path  # the configuration file
    state: Path
    lists: tuple[ListConfig, ...]
    check: CheckConfig = CheckConfig()
    answers: AnswerConfig = AnswerConfig()
    poll_seconds: float = 60.0
    jobs: int = 2
    incomplete_after_seconds: float = 6 * 3600.0
    max_message_bytes: int = 16 * 1024 * 1024
    max_series_patches: int = 200
    batch_messages: int = 200
    series_seconds: float = 300.0
    series_memory_mb: int = 2048
    log_file: Path | None = None
    work: Path = field(default=Path("."))  # scratch files of running checks

    def list_named(self, name: str) -> ListConfig:
        for entry in self.lists:
            if entry.name == name:
                return entry
        raise InputError(str(self.path), f"no list named '{name}' in the configuration")


class _Table:
    """One TOML table being read: remembers the keys taken, so unknown ones are reported."""

    def __init__(self, data: Mapping[str, Any], where: str, name: str) -> None:
        self.data = data
        self.where = where
        self.name = name
        self.taken: set[str] = set()

    def _fail(self, key: str, problem: str) -> InputError:
        return InputError(self.where, f"[{self.name}] {key}: {problem}")

    def get(self, key: str, kind: type, default: Any) -> Any:
        self.taken.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self._fail(key, f"must be {_KIND_NAMES[kind]}")
        return value

    def number(self, key: str, default: float, *, minimum: float, kind: type = float) -> Any:
        value = self.get(key, kind, default)
        if value < minimum:
            raise self._fail(key, f"must be at least {minimum:g}")
        return value

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(key, list, list(default))
        if not all(isinstance(item, str) for item in value):
            raise self._fail(key, "must be a list of strings")
        return tuple(value)

    def table(self, key: str) -> _Table | None:
        value = self.get(key, dict, None)
        name = key if self.name == "top level" else f"{self.name}.{key}"
        return None if value is None else _Table(value, self.where, name)

    def path(self, key: str, base: Path) -> Path | None:
        text = self.get(key, str, "")
        return (base / text) if text else None

    def address(self, key: str) -> str:
        text = self.get(key, str, "")
        if text and not _ADDRESS_RE.match(text):
            raise self._fail(key, f"{text!r} is not a plain mail address (addr@host)")
        return str(text)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.taken)
        if unknown:
            raise self._fail(unknown[0], "unknown key")


_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


def _list(table: _Table, base: Path) -> ListConfig:
    name = table.get("name", str, "")
    if not _NAME_RE.match(name):
        raise table._fail("name", "missing, or not a short name of letters, digits, '.', '_', '-'")
    entry = ListConfig(
        name=name,
        address=table.address("address"),
        archive=table.path("archive", base),
        maildir=table.path("maildir", base),
        git=table.path("git", base),
        branch=table.get("branch", str, ""),
        tree=table.path("tree", base),
        skip_history=table.get("skip_history", bool, False),
    )
    table.done()
    if entry.archive is None and entry.maildir is None:
        raise table._fail("archive", "a list needs an 'archive' (public-inbox v2) or a 'maildir'")
    if entry.tree is None and not (entry.git and entry.branch):
        raise table._fail("tree", "a list needs a base: 'tree' (a directory) or 'git' and 'branch'")
    if entry.branch.startswith("-"):
        raise table._fail("branch", "must not start with '-'")
    return entry


def _answers(table: _Table | None, base: Path) -> AnswerConfig:
    if table is None:
        return AnswerConfig()
    sender = table.get("from", str, "")
    if sender:
        from patchaudit.report.email_format import check_sender

        try:
            sender = check_sender(sender)
        except ValueError as exc:
            raise table._fail("from", str(exc)) from None
    severity = table.get("mail_min_severity", str, "warning")
    if severity not in ("error", "warning", "note"):
        raise table._fail("mail_min_severity", "must be error, warning or note")
    smtp = None
    if (smtp_table := table.table("smtp")) is not None:
        smtp = SmtpConfig(
            host=smtp_table.get("host", str, "localhost"),
            port=smtp_table.number("port", 25, minimum=1, kind=int),
            per_minute=smtp_table.number("per_minute", 30, minimum=1, kind=int),
            timeout_seconds=smtp_table.number("timeout_seconds", 60.0, minimum=1),
        )
        smtp_table.done()
    files = None
    if (files_table := table.table("files")) is not None:
        formats = files_table.strings("formats", FILE_FORMATS)
        for fmt in formats:
            if fmt not in FILE_FORMATS:
                raise files_table._fail("formats", f"'{fmt}' is not one of {', '.join(FILE_FORMATS)}")
        directory = files_table.path("dir", base)
        if directory is None:
            raise files_table._fail("dir", "missing: the directory the reports are written into")
        url = files_table.get("url", str, "")
        if url and not re.fullmatch(r"https?://[!-~]+", url):
            raise files_table._fail("url", f"'{url}' is not an http:// or https:// URL")
        files = FilesConfig(directory, tuple(dict.fromkeys(formats)),
                            url if not url or url.endswith("/") else url + "/",
                            files_table.get("index", bool, True))
        files_table.done()
    answers = AnswerConfig(
        sender=sender,
        outbox=table.path("outbox", base),
        smtp=smtp,
        files=files,
        mail_min_severity=Severity.parse(severity),
        repeat_findings=table.get("repeat_findings", bool, False),
        cc_list=table.get("cc_list", bool, True),
        cc=tuple(table.strings("cc", ())),
        redirect=table.address("redirect"),
    )
    for address in answers.cc:
        if not _ADDRESS_RE.match(address):
            raise table._fail("cc", f"{address!r} is not a plain mail address (addr@host)")
    table.done()
    return answers


def parse_config(text: str, path: Path) -> BotConfig:
    """Read a configuration; relative paths are relative to the file's directory."""
    where = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, f"not valid TOML: {exc}") from None
    base = path.parent
    top = _Table(data, where, "top level")
    bot = top.table("bot") or _Table({}, where, "bot")
    lists_value = top.get("list", list, [])
    if not lists_value or not all(isinstance(item, dict) for item in lists_value):
        raise InputError(where, "[[list]]: at least one list is needed ([[list]] tables)")
    lists = tuple(_list(_Table(item, where, "list"), base) for item in lists_value)
    names = [entry.name for entry in lists]
    if len(set(names)) != len(names):
        raise InputError(where, "[[list]] name: two lists have the same name")
    check_table = top.table("check")
    check = CheckConfig()
    if check_table is not None:
        cache = check_table.path("cache_dir", base)
        check = CheckConfig(
            rule_dirs=tuple(str(base / d) for d in check_table.strings("rules", ())),
            default_rules=check_table.get("default_rules", bool, True),
            all_rules=check_table.get("all_rules", bool, False),
            cache_dir=str(cache) if cache is not None else "",
        )
        check_table.done()
    limits = top.table("limits") or _Table({}, where, "limits")
    state = bot.path("state", base) or base / "state.sqlite"
    config = BotConfig(
        path=path,
        state=state,
        lists=lists,
        check=check,
        answers=_answers(top.table("answers"), base),
        poll_seconds=bot.number("poll_seconds", 60.0, minimum=0.1),
        jobs=bot.number("jobs", 2, minimum=1, kind=int),
        incomplete_after_seconds=bot.number("incomplete_after_seconds", 6 * 3600.0, minimum=0),
        max_message_bytes=bot.number("max_message_bytes", 16 * 1024 * 1024, minimum=1024, kind=int),
        max_series_patches=bot.number("max_series_patches", 200, minimum=1, kind=int),
        batch_messages=bot.number("batch_messages", 200, minimum=1, kind=int),
        series_seconds=limits.number("series_seconds", 300.0, minimum=0.1),
        series_memory_mb=limits.number("series_memory_mb", 2048, minimum=64, kind=int),
        log_file=bot.path("log_file", base),
        work=state.parent / (state.name + ".work"),
    )
    limits.done()
    bot.done()
    top.done()
    if not any((config.answers.outbox, config.answers.smtp, config.answers.files)):
        raise InputError(where, "[answers]: nothing to answer with: set outbox, [answers.smtp] "
                         "or [answers.files]")
    return config


def load_config(path: Path) -> BotConfig:
    where = str(path)
    try:
        if path.stat().st_size > _MAX_CONFIG:
            raise InputError(where, "the configuration file is larger than 1 MiB")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(where, "no such configuration file (see 'patchaudit bot init')") from None
    except OSError as exc:
        raise InputError(where, f"cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(where, "not UTF-8 text") from None
    return parse_config(text, path.resolve())


def with_replay_list(config: BotConfig, name: str | None) -> ListConfig:
    """The list a replayed archive or mbox belongs to: the one named, or the only one."""
    if name is not None:
        return config.list_named(name)
    if len(config.lists) == 1:
        return config.lists[0]
    raise InputError(str(config.path), "several lists are configured: name one with --list")


__all__ = [
    "FILE_FORMATS", "AnswerConfig", "BotConfig", "CheckConfig", "FilesConfig", "ListConfig",
    "SmtpConfig", "load_config", "parse_config", "with_replay_list",
]
