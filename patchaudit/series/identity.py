"""A list mail's identity from its headers alone: ids, thread links, subject, author; no body parse.

A review bot sorts every mail of a list by these before it decides which ones
form a series; the bodies are read (and their diffs parsed) only when a series
is checked, in a process that has time and memory limits.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass

from patchaudit.series.headers import decode_header_value, message_ids
from patchaudit.series.mail import author_text
from patchaudit.series.model import Subject
from patchaudit.series.subject import is_reply, parse_subject

# A diff that starts a line in the raw mail: git's header or a unified one.
# Encoded bodies (base64) hide it; their subject still says [PATCH].
_DIFF_START = re.compile(rb"^(?:diff --git |--- \S.*\r?\n\+\+\+ \S)", re.MULTILINE)
# Subject tags that mark a patch mail (git format-patch, b4, send-email).
_PATCH_TAGS = frozenset({"PATCH", "RFC"})
# Pull requests carry a diffstat and sometimes a diff, but are not series to check.
_PULL_TAGS = frozenset({"GIT", "PULL", "GIT PULL"})


@dataclass(frozen=True)
class MailIdentity:
    """What a bot needs to thread a mail without reading its body."""

    message_id: str  # without brackets; a content hash for a mail that has none
    in_reply_to: str
    references: tuple[str, ...]
    subject: Subject
    author: str  # "Name <addr>" or "addr"
    date: str
    has_diff: bool  # a diff starts a line of the raw mail

    @property
    def parent(self) -> str:
        """The mail this one answers: In-Reply-To, else the last of References."""
        if self.in_reply_to:
            return self.in_reply_to
        return self.references[-1] if self.references else ""

    @property
    def is_reply(self) -> bool:
        return is_reply(self.subject)

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(p.upper() for p in self.subject.prefixes)

    @property
    def is_cover(self) -> bool:
        return not self.is_reply and self.subject.index == 0 and not self.is_pull

    @property
    def is_pull(self) -> bool:
        return bool(self.tags & _PULL_TAGS)

    @property
    def is_patch(self) -> bool:
        """A patch of a series: not a reply or pull request; tagged [PATCH]/[RFC] or holding a diff."""
        if self.is_reply or self.is_pull or self.subject.index == 0:
            return False
        return bool(self.tags & _PATCH_TAGS) or self.has_diff


def read_identity(data: bytes) -> MailIdentity:
    """The identity of one raw mail (RFC 5322, no mbox ``From `` line); never raises on bad mail."""
    # Only the header block is parsed: the body may be megabytes of hostile MIME.
    end = data.find(b"\n\n")
    crlf = data.find(b"\r\n\r\n")
    if crlf != -1 and (end == -1 or crlf < end):
        end = crlf
    head = data if end == -1 else data[: end + 1]
    msg = email.message_from_bytes(head, policy=email.policy.compat32)
    found: dict[str, str] = {}
    for name, value in msg.raw_items():
        found.setdefault(name.lower(), value)
    ids = message_ids(found.get("message-id", ""))
    message_id = ids[0] if ids else "patchaudit-no-id-" + hashlib.sha256(data).hexdigest()[:32]
    replied = message_ids(found.get("in-reply-to", ""))
    return MailIdentity(
        message_id=message_id,
        in_reply_to=replied[0] if replied else "",
        references=message_ids(found.get("references", "")),
        subject=parse_subject(found.get("subject", "")),
        author=author_text(found.get("from", "")),
        date=decode_header_value(found.get("date", "")),
        has_diff=_DIFF_START.search(data) is not None,
    )
