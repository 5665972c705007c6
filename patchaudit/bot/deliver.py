"""Delivering answers: a Maildir outbox, an SMTP server, files. Each delivery may be repeated safely.

A mail in the outbox is named after its Message-Id, so writing it again after
a crash finds it there and writes nothing. An SMTP server cannot be asked
whether it already has a mail: a crash between the server's acceptance and
the bot's record of it (a few milliseconds) sends that mail again on restart,
with the same Message-Id, which list software and public-inbox drop as a
duplicate; the bot logs each such resend (``event=delivery.resend``).
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
from pathlib import Path

from patchaudit.bot.config import SmtpConfig
from patchaudit.errors import InputError
from patchaudit.output import write_atomic


class DeliveryError(Exception):
    """A delivery that failed; ``permanent`` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def outbox_name(message_id: str) -> str:
    return "patchaudit." + hashlib.sha256(message_id.encode()).hexdigest()[:40]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Outbox:
    """A Maildir the replies are written into, for a mailer or a person to pick up."""

    def __init__(self, path: Path) -> None:
        self.path = path
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True, exist_ok=True)

    def has(self, message_id: str) -> bool:
        name = outbox_name(message_id)
        if (self.path / "new" / name).exists():
            return True
        # A reader that has seen it moved it to cur/ with flags after a colon.
        return any(entry.split(":", 1)[0] == name for entry in os.listdir(self.path / "cur"))

    def deliver(self, message_id: str, data: bytes) -> bool:
        """Write the mail unless it is there already; True when it was written now."""
        if self.has(message_id):
            return False
        name = outbox_name(message_id)
        temp = self.path / "tmp" / f"{name}.{os.getpid()}"
        try:
            with temp.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temp, self.path / "new" / name)
            except FileExistsError:
                return False
            finally:
                temp.unlink(missing_ok=True)
            _fsync_dir(self.path / "new")
        except OSError as exc:
            raise DeliveryError(f"outbox {self.path}: {exc.strerror}") from None
        return True


class Smtp:
    """One connection to an SMTP server, opened when the first mail goes out."""

    def __init__(self, config: SmtpConfig, sender: str) -> None:
        self.config = config
        self.sender = sender  # the envelope sender
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._client is None:
            try:
                client = smtplib.SMTP(self.config.host, self.config.port,
                                      timeout=self.config.timeout_seconds)
                client.ehlo_or_helo_if_needed()
            except (OSError, smtplib.SMTPException) as exc:
                raise DeliveryError(f"smtp {self.config.host}:{self.config.port}: {exc}") from None
            self._client = client
        return self._client

    def send(self, recipients: tuple[str, ...], data: bytes) -> list[str]:
        """Hand one mail to the server; the recipients it refused while accepting the others."""
        if not recipients:
            raise DeliveryError("no recipient address", permanent=True)
        client = self._connect()
        options = ["BODY=8BITMIME"] if client.has_extn("8bitmime") else []
        # smtplib sends bytes as they are; SMTP lines end in CR LF.
        data = re.sub(rb"\r?\n", b"\r\n", data)
        try:
            refused = client.sendmail(self.sender, list(recipients), data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"every recipient refused: {exc.recipients}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            raise DeliveryError(f"smtp {exc.smtp_code} {text}",
                                permanent=500 <= exc.smtp_code < 600) from None
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"smtp {self.config.host}:{self.config.port}: {exc}") from None
        # Accepted for some: delivered. The refused ones are a fact to log, not to retry.
        return sorted(refused)

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (OSError, smtplib.SMTPException):
                self._client.close()
            self._client = None


def write_file(directory: Path, relpath: str, data: bytes) -> None:
    """Write one report file under ``directory`` atomically; the path is the bot's own."""
    target = directory / relpath
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
    except InputError as exc:
        raise DeliveryError(str(exc)) from None
    except OSError as exc:
        raise DeliveryError(f"{target}: {exc.strerror}") from None
