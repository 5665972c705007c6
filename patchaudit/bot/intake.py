"""Sorting an arriving mail: cover letter, patch, reply, other, too large; only headers are read."""

from __future__ import annotations

from patchaudit.bot.sources import RawMail
from patchaudit.bot.state import MessageRow
from patchaudit.series.identity import MailIdentity, read_identity


def kind_of(identity: MailIdentity) -> str:
    if identity.is_cover:
        return "cover"
    if identity.is_patch:
        return "patch"
    if identity.is_reply:
        return "reply"  # review mail: recorded, never part of a series
    return "other"


def message_row(mail: RawMail, source: str, list_name: str, now: float) -> MessageRow | None:
    """The row to record for a mail; None for a deletion in an archive (nothing to record)."""
    if mail.data is None:
        if mail.size == 0:
            return None
        # Too large to read: recorded by where it is, so status and the log can say so.
        return MessageRow(
            message_id=f"patchaudit-too-large.{source}:{mail.position}", list=list_name,
            source=source, position=mail.position, arrived=now, kind="too-large", subject="",
            title="", author="", version=1, index=None, total=None, parent="", references=(),
            size=mail.size,
        )
    identity = read_identity(mail.data)
    kind = kind_of(identity)
    subject = identity.subject
    return MessageRow(
        message_id=identity.message_id,
        list=list_name,
        source=source,
        position=mail.position,
        arrived=now,
        kind=kind,
        subject=subject.raw,
        title=subject.title,
        author=identity.author,
        version=subject.version,
        index=subject.index,
        total=subject.total,
        parent=identity.parent,
        references=identity.references,
        size=mail.size,
        raw=mail.data if kind in ("cover", "patch") else None,
    )
