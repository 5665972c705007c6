"""The real parts around the bot in tests: a public-inbox v2 archive and an SMTP server on loopback.

The archive is made by Debian's public-inbox (``public-inbox-init -V2``) and
fed by ``public-inbox-mda`` (one mail at a time, in order) or
``public-inbox-watch`` (a Maildir imported in bulk, as lore mirrors import);
HOME and PI_CONFIG point into a scratch directory. The SMTP server is
aiosmtpd on 127.0.0.1, keeping every mail it accepts.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LIST_NAME = "kernel-list"
LIST_ADDRESS = "kernel-list@example.org"


class Archive:
    """A public-inbox v2 inbox in ``root``, with its own public-inbox configuration."""

    def __init__(self, root: Path, name: str = LIST_NAME, address: str = LIST_ADDRESS,
                 *, skip_epoch: int = 0) -> None:
        self.root = root
        self.inbox = root / "archive"
        self.name = name
        self.address = address
        self.env = dict(os.environ, HOME=str(root), PI_CONFIG=str(root / "pi-config"))
        root.mkdir(parents=True, exist_ok=True)
        command = ["public-inbox-init", "-V2", "-L", "basic"]
        if skip_epoch:
            command.append(f"--skip-epoch={skip_epoch}")
        self._run([*command, name, str(self.inbox), f"http://example.org/{name}", address])
        for key in ("publicinboxmda.spamcheck", "publicinboxwatch.spamcheck"):
            self._run(["git", "config", "-f", str(root / "pi-config"), key, "none"])

    def _run(self, command: Sequence[str], stdin: bytes | None = None,
             extra: dict[str, str] | None = None) -> None:
        env = dict(self.env, **(extra or {}))
        done = subprocess.run(command, input=stdin, env=env, capture_output=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError(f"{command[0]} failed: {done.stderr.decode(errors='replace')}")

    def deliver(self, mail: bytes) -> None:
        """One mail, as the list's MTA hands it to public-inbox-mda (which must archive it)."""
        before = self.count()
        self._run(["public-inbox-mda"], mail, {"ORIGINAL_RECIPIENT": self.address})
        if self.count() != before + 1:
            raise AssertionError("public-inbox-mda did not archive the mail (no Date:? > 500 kB?)")

    def count(self) -> int:
        total = 0
        for epoch in sorted((self.inbox / "git").glob("*.git")):
            done = subprocess.run(["git", "-C", str(epoch), "rev-list", "--count", "HEAD"],
                                  capture_output=True, text=True)
            total += int(done.stdout.strip() or 0) if done.returncode == 0 else 0
        return total

    def import_bulk(self, mails: Sequence[bytes], timeout: float = 300.0) -> None:
        """Many mails through public-inbox-watch (a Maildir scanned at start, as lore imports)."""
        maildir = self.root / "import"
        for sub in ("new", "cur", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        for old in (maildir / "new").iterdir():
            old.unlink()
        expected = self.count() + len(mails)
        for number, mail in enumerate(mails):
            (maildir / "new" / f"{number:06d}.import").write_bytes(mail)
        self._run(["git", "config", "-f", str(self.root / "pi-config"), "--replace-all",
                   f"publicinbox.{self.name}.watch", f"maildir:{maildir}"])
        watcher = subprocess.Popen(["public-inbox-watch"], env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + timeout
            while self.count() < expected:
                if time.monotonic() > deadline or watcher.poll() is not None:
                    raise AssertionError(f"public-inbox-watch imported {self.count()} of {expected}")
                time.sleep(0.2)
        finally:
            watcher.send_signal(signal.SIGTERM)
            watcher.wait(30)
        for done in [*(maildir / "new").iterdir(), *(maildir / "cur").iterdir()]:
            done.unlink()


@dataclass
class Received:
    mail_from: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def message_id(self) -> str:
        match = re.search(rb"^Message-ID: (<[^>]+>)", self.data, re.MULTILINE | re.IGNORECASE)
        return match.group(1).decode() if match else ""


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1; ``received`` holds every mail it accepted, in order."""

    received: list[Received] = field(default_factory=list)
    port: int = 0
    _controller: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        server = self

        class Handler:
            async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
                with server._lock:
                    # Kept with LF line ends, as the outbox stores the same mail.
                    server.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                                                    envelope.content.replace(b"\r\n", b"\n")))
                return "250 OK"

        # aiosmtpd checks its server by connecting to the port it was given:
        # ask the kernel for a free one first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def mails(self) -> list[Received]:
        with self._lock:
            return list(self.received)


def maildir_with(root: Path, mails: list[bytes]) -> Path:
    """A Maildir ``root/Maildir`` with these mails in new/, named in order as a delivery agent does."""
    maildir = root / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for number, mail in enumerate(mails):
        (maildir / "new" / f"{1700000000 + number}.{number}.host").write_bytes(mail)
    return maildir


def outbox_mails(outbox: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((outbox / "new").iterdir())]


def header(mail: bytes, name: str) -> str:
    head = mail.partition(b"\n\n")[0].decode(errors="replace")
    unfolded = re.sub(r"\n[ \t]+", " ", head)
    match = re.search(rf"^{re.escape(name)}: (.*)$", unfolded, re.MULTILINE | re.IGNORECASE)
    return match.group(1) if match else ""


def write_config(path: Path, *, archive: Path | None = None, maildir: Path | None = None,
                 tree: Path | None = None, git: Path | None = None, branch: str = "main",
                 smtp_port: int = 0, extra_bot: str = "", extra_answers: str = "",
                 list_address: str = LIST_ADDRESS, limits: str = "series_seconds = 120",
                 max_message_bytes: int = 262144) -> Path:
    """A bot configuration for the tests: outbox, files and (when given) SMTP."""
    source = f'archive = "{archive}"' if archive else f'maildir = "{maildir}"'
    base = f'tree = "{tree}"' if tree else f'git = "{git}"\nbranch = "{branch}"'
    smtp = f"[answers.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nper_minute = 1000\n" \
        if smtp_port else ""
    path.write_text(f"""\
[bot]
state = "state.sqlite"
poll_seconds = 0.2
jobs = 2
incomplete_after_seconds = 3600
max_message_bytes = {max_message_bytes}
{extra_bot}

[limits]
{limits}

[check]
cache_dir = "cache"

[answers]
from = "patchaudit bot <bot@example.org>"
outbox = "outbox"
{extra_answers}

{smtp}
[answers.files]
dir = "public"
url = "https://bot.example.org/patchaudit/"

[[list]]
name = "{LIST_NAME}"
address = "{list_address}"
{source}
{base}
""")
    return path


def replay_with_kills(command: Sequence[str], log: Path, kill_after: Sequence[int],
                      env: dict[str, str], timeout: float = 3600.0) -> list[str]:
    """Run ``command`` (a bot replay logging to ``log``) again and again, each time killing it
    with SIGKILL once it has logged the next number of lines of ``kill_after``; then let it
    finish. For each kill, the last line the killed run had logged: where it was killed.

    A log line follows each step the bot takes (mail recorded, series queued, check
    started, answer delivered, ...), so counting them spreads the kills over every
    phase of the replay, however fast the machine is.
    """
    landed: list[str] = []
    for lines in kill_after:
        start = log.stat().st_size if log.exists() else 0
        process = subprocess.Popen(list(command), env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            written = log.read_bytes()[start:] if log.exists() else b""
            if written.count(b"\n") >= lines:
                process.kill()  # SIGKILL: no handler, no cleanup
                break
            time.sleep(0.002)
        code = process.wait()
        if code == 0:
            raise AssertionError(f"the replay finished before logging {lines} lines")
        tail = log.read_bytes()[start:].decode(errors="replace").strip().splitlines()
        landed.append(tail[-1] if tail else "(nothing logged)")
    final = subprocess.run(list(command), env=env, capture_output=True, text=True, timeout=timeout)
    if final.returncode != 0:
        raise AssertionError(f"the last replay failed: {final.stderr[-2000:]}")
    return landed


@dataclass(frozen=True)
class Tally:
    """How often each answer arrived, where the bot's state says it delivered it."""

    smtp: dict[str, int]  # Message-ID -> times received by the SMTP server
    outbox: dict[str, int]  # Message-ID -> files in the outbox
    replied_to: set[str]  # Message-IDs the outbox's mails answer (In-Reply-To)
    delivered: dict[str, set[str]]  # channel -> keys the state marks delivered
    resent: set[str]  # keys the log says were sent again after an interrupted send
    states: dict[str, int]  # series state -> number of series
    integrity: str


def tally(root: Path, server: SmtpServer, log: Path) -> Tally:
    import sqlite3
    from collections import Counter

    db = sqlite3.connect(root / "state.sqlite")
    delivered: dict[str, set[str]] = {}
    for channel, key in db.execute("SELECT channel, key FROM delivery WHERE state = 'delivered'"):
        delivered.setdefault(channel, set()).add(key)
    states = dict(db.execute("SELECT state, count(*) FROM series GROUP BY state").fetchall())
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    resent = set(re.findall(r"event=delivery.resend .*?key=(<[^ ]+>)", log.read_text())) \
        if log.exists() else set()
    return Tally(
        smtp=dict(Counter(m.message_id for m in server.mails())),
        outbox=dict(Counter(header(m, "Message-ID") for m in outbox_mails(root / "outbox"))),
        replied_to={header(m, "In-Reply-To").strip("<>") for m in outbox_mails(root / "outbox")},
        delivered=delivered, resent=resent, states=states, integrity=integrity,
    )
