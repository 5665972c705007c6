#!/usr/bin/env python3
"""Regenerate samples/series-raw.mbox: series.mbox as mail received from a list."""

# Usage: python3 samples/make-raw-mail.py [INPUT [OUTPUT]]
#        (defaults: samples/series.mbox, samples/series-raw.mbox)
#
# Each message of the format-patch mbox becomes the mail a list subscriber
# would have in their mailbox: Received: headers, List-Id, and threading
# (Message-Id, In-Reply-To, References) under the cover letter.  The bodies
# exercise the transfer encodings a series parser meets in practice:
#
#   cover letter, patches 1, 5-8    text/plain, 8bit
#   patch 2                         text/plain, quoted-printable
#   patch 3                         text/plain, base64
#   patch 4                         multipart/mixed: the commit message as
#                                   text/plain, the rest of the mail (from
#                                   the "---" line on) as a text/x-patch
#                                   attachment
#
# Decoding patch 4's parts and joining them gives the original body back.
# Output is reproducible: every date, id and MIME boundary is derived from
# the input, nothing from the clock or a random source.

from __future__ import annotations

import io
import mailbox
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, parsedate_to_datetime
from enum import Enum
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLICY = default.clone(linesep="\n", max_line_length=78)

LIST_ADDR = "linux-mm@lists.example.org"
LIST_ID = "<linux-mm.lists.example.org>"
CC = (
    "Rob Reviewer <rob@example.com>, Kim Maintainer <kim@example.net>, "
    "Lee Tester <lee@example.com>, linux-kernel@lists.example.org"
)
# git send-email builds ids as <date-in-UTC.pid-index-sender>; a fixed pid
# keeps the ids stable.
MSGID_PID = 4711
MSGID_DOMAIN = "dana@example.org"
BOUNDARY = "===============patch-4-of-8-attached=="
# The line that separates the commit message from the diffstat and diff.
SEPARATOR = "---\n"


class Encoding(Enum):
    PLAIN_8BIT = "8bit"
    QUOTED_PRINTABLE = "quoted-printable"
    BASE64 = "base64"
    ATTACHMENT = "attachment"


# Index 0 is the cover letter; anything not listed stays plain 8bit.
ENCODINGS = {2: Encoding.QUOTED_PRINTABLE, 3: Encoding.BASE64, 4: Encoding.ATTACHMENT}


@dataclass(frozen=True)
class Patch:
    """One message of the format-patch mbox, headers unfolded, body decoded."""

    index: int
    sender: str
    date: datetime
    subject: str
    body: str


def read_series(path: Path) -> list[Patch]:
    """Read the format-patch mbox, in order."""
    patches: list[Patch] = []
    for index, msg in enumerate(mailbox.mbox(path, create=False)):
        raw = msg.get_payload(decode=True)
        if not isinstance(raw, bytes):
            raise SystemExit(f"{path}: message {index} is not a single text part")
        patches.append(
            Patch(
                index=index,
                sender=unfold(msg["From"]),
                date=parsedate_to_datetime(unfold(msg["Date"])),
                subject=unfold(msg["Subject"]),
                body=raw.decode("utf-8"),
            )
        )
    return patches


def unfold(value: str | None) -> str:
    """Undo RFC 5322 folding: a line break followed by white space is no break."""
    if value is None:
        raise SystemExit("series mbox: a message lacks From, Date or Subject")
    return re.sub(r"\r?\n(?=[ \t])", "", str(value))


def message_id(first: datetime, index: int) -> str:
    stamp = first.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"<{stamp}.{MSGID_PID}-{index + 1}-{MSGID_DOMAIN}>"


def build(patch: Patch, first: datetime) -> EmailMessage:
    """The mail as the list delivered it."""
    msg = EmailMessage(policy=POLICY)
    # The list server saw the mail a few seconds after it was sent, the
    # subscriber's server a few seconds after that.
    at_list = patch.date + timedelta(seconds=2 + patch.index)
    at_mx = at_list + timedelta(seconds=3)
    msg["Return-Path"] = "<linux-mm-owner@lists.example.org>"
    msg["Received"] = (
        "from lists.example.org (lists.example.org [192.0.2.10]) by "
        "mx.example.net (Postfix) with ESMTPS id 4Kx2QZ0N7%02dz for "
        f"<kim@example.net>; {format_datetime(at_mx)}" % (patch.index + 1)
    )
    msg["Received"] = (
        "from laptop.example.org (dsl-198-51-100-7.example.org [198.51.100.7]) "
        "by lists.example.org (Postfix) with ESMTPSA id 7C0FFEE%02d for "
        f"<{LIST_ADDR}>; {format_datetime(at_list)}" % (patch.index + 1)
    )
    msg["From"] = patch.sender
    msg["To"] = LIST_ADDR
    msg["Cc"] = CC
    msg["Subject"] = patch.subject
    msg["Date"] = format_datetime(patch.date)
    msg["Message-Id"] = message_id(first, patch.index)
    if patch.index:
        cover_id = message_id(first, 0)
        msg["In-Reply-To"] = cover_id
        msg["References"] = cover_id
    msg["List-Id"] = LIST_ID
    msg["Precedence"] = "bulk"

    encoding = ENCODINGS.get(patch.index, Encoding.PLAIN_8BIT)
    if encoding is Encoding.ATTACHMENT:
        attach_patch(msg, patch)
    else:
        msg.set_content(patch.body, subtype="plain", charset="utf-8", cte=encoding.value)
    return msg


def attach_patch(msg: EmailMessage, patch: Patch) -> None:
    """Commit message inline, everything from the "---" line on attached."""
    cut = patch.body.find("\n" + SEPARATOR)
    if cut < 0:
        raise SystemExit(f"series mbox: message {patch.index} has no '---' line")
    text, attachment = patch.body[: cut + 1], patch.body[cut + 1 :]
    msg.set_content(text, subtype="plain", charset="utf-8", cte="8bit")
    msg.add_attachment(
        attachment,
        subtype="x-patch",
        charset="utf-8",
        cte="8bit",
        disposition="attachment",
        filename=f"v2-{patch.index:04d}-{slug(patch.subject)}.patch",
    )
    # The email package stamps every part it creates with MIME-Version; a
    # mail client only puts it on the top-level message.
    for part in msg.iter_parts():
        del part["MIME-Version"]
    msg.set_boundary(BOUNDARY)


def slug(subject: str) -> str:
    """The file name git format-patch would give the patch."""
    title = re.sub(r"^\[[^]]*\]\s*", "", subject)
    return re.sub(r"[^A-Za-z0-9_.]+", "-", title).strip("-.")[:52]


def render(patches: list[Patch]) -> bytes:
    first = patches[0].date
    out = io.BytesIO()
    for patch in patches:
        received = (patch.date + timedelta(seconds=5 + patch.index)).astimezone(UTC)
        out.write(f"From {MSGID_DOMAIN} {received.strftime('%a %b %d %H:%M:%S %Y')}\n".encode())
        # mangle_from_ quotes body lines that start with "From " so that an
        # mbox reader does not take them for the start of a new message.
        BytesGenerator(out, mangle_from_=True, policy=POLICY).flatten(build(patch, first))
        if not out.getvalue().endswith(b"\n"):
            out.write(b"\n")
        out.write(b"\n")
    return out.getvalue()


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else HERE / "series.mbox"
    target = Path(argv[2]) if len(argv) > 2 else HERE / "series-raw.mbox"
    patches = read_series(source)
    if not patches:
        raise SystemExit(f"{source}: no messages")
    target.write_bytes(render(patches))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
