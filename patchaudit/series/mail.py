"""Building a Patch from one mail (headers, MIME parts, transfer encodings) or one plain diff."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import Message
from email.utils import getaddresses, parseaddr
from pathlib import PurePath

from patchaudit.errors import InputError
from patchaudit.series.headers import decode_bytes, decode_header_value, message_ids
from patchaudit.series.message import BodyParts, split_body
from patchaudit.series.model import Patch, Subject
from patchaudit.series.subject import parse_subject

# "Name <addr>": the address in the last angle brackets, as git mailinfo takes it.
_NAME_ADDR = re.compile(r"^(?P<name>.*?)\s*<(?P<addr>[^<>\s]+)>$")
# Attachments that carry a patch even though their type is not text/*.
_PATCH_FILENAME = re.compile(r"\.(patch|diff|mbox|mbx|txt)$", re.IGNORECASE)


def _headers(msg: Message) -> dict[str, str]:
    """First value of each header, keyed by lower-case name, raw (not yet decoded)."""
    found: dict[str, str] = {}
    for name, value in msg.raw_items():
        found.setdefault(name.lower(), value)
    return found


# A body whose Content-Transfer-Encoding header is stale: b4's per-patch hook
# (am-perpatch-check-cmd) writes the mail's headers as they were and its body
# already decoded. Real base64 holds only its alphabet; real quoted-printable
# writes every "=" as "=3D", so an "=" before anything but two hex digits or
# a line end (C code: "x = y") means the text was decoded already. (Line
# length tells nothing: encoders in the wild write lines over 76.)
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=\s]")
_NOT_QUOTED_PRINTABLE = re.compile(r"=(?![0-9A-Fa-f]{2}|\r?\n|$)", re.MULTILINE)


def _already_decoded(part: Message) -> bool:
    raw = part.get_payload()
    if not isinstance(raw, str):
        return False
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding == "base64":
        return _NOT_BASE64.search(raw) is not None
    if encoding == "quoted-printable":
        return _NOT_QUOTED_PRINTABLE.search(raw) is not None
    return False


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if _already_decoded(part):
        raw = part.get_payload()
        assert isinstance(raw, str)
        # compat32 keeps 8-bit bytes as surrogate escapes: back to the bytes (and a
        # character the text already had, as its UTF-8 bytes).
        payload = raw.encode("utf-8", "surrogateescape")
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset()
    except (ValueError, LookupError):  # a malformed charset parameter
        charset = None
    return decode_bytes(payload, charset)


def _wanted(part: Message) -> bool:
    if part.get_content_maintype() == "text":
        return part.get_content_type() != "text/html"
    try:
        filename = part.get_filename() or ""
    except (ValueError, LookupError):
        filename = ""
    return bool(_PATCH_FILENAME.search(filename))


def body_text(msg: Message) -> str:
    """The text of a mail: its text parts in order (inline or attached), decoded."""
    if not msg.is_multipart():
        return _part_text(msg)
    texts: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or not _wanted(part):
            continue
        text = _part_text(part)
        texts.append(text if text.endswith("\n") or not text else text + "\n")
    return "".join(texts)


def _display_name(text: str) -> str:
    text = decode_header_value(text)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = re.sub(r"\\(.)", r"\1", text[1:-1])
    return text.strip()


def author_text(raw: str) -> str:
    """A From: value as ``Name <addr>`` (or ``addr``), decoded.

    The address is found before anything is decoded, in the angle brackets at
    the end as git mailinfo finds it: an encoded display name is text, never
    syntax (RFC 2047 section 5), so "=?utf-8?b?...?=" decoding to
    "Bcc: victim@example.org" cannot become the author's address.
    """
    unfolded = " ".join(raw.split())
    match = _NAME_ADDR.match(unfolded)
    if match is not None:
        name, address = _display_name(match["name"]), match["addr"]
    else:
        name, address = parseaddr(unfolded)
        if not address or "=?" in address:
            return decode_header_value(raw)
        name = _display_name(name)
    return f"{name} <{address}>" if name else address


def _recipients(headers: dict[str, str]) -> tuple[str, ...]:
    """To:, Cc: and the list's List-Post: address, each once, in that order."""
    values = [decode_header_value(headers.get(name, "")) for name in ("to", "cc")]
    post = re.search(r"<mailto:([^<>?\s]+)", headers.get("list-post", ""))
    if post:
        values.append(post.group(1))
    found: dict[str, str] = {}
    for name, address in getaddresses(values):
        if "@" in address:
            found.setdefault(address.lower(), f"{name} <{address}>" if name else address)
    return tuple(found.values())


def _subject_or_name(raw: str | None, source: str) -> Subject:
    if raw is None or not raw.strip():
        name = PurePath(source).name or source  # the file name, without its directories
        return Subject(raw=name, title=name)
    return parse_subject(raw)


def _to_patch(source: str, subject: Subject, parts: BodyParts, headers: dict[str, str]) -> Patch:
    in_body = parts.in_body
    if in_body.subject:
        subject = parse_subject(in_body.subject)
    first_id = message_ids(headers.get("in-reply-to", ""))
    msg_id = message_ids(headers.get("message-id", ""))
    return Patch(
        source=source,
        subject=subject,
        author=author_text(in_body.author or headers.get("from", "")),
        date=decode_header_value(in_body.date or headers.get("date", "")),
        message_id=msg_id[0] if msg_id else "",
        in_reply_to=first_id[0] if first_id else "",
        references=message_ids(headers.get("references", "")),
        recipients=_recipients(headers),
        body=parts.body,
        trailers=parts.trailers,
        base_commit=parts.base_commit,
        diff_text=parts.diff_text,
        files=parts.files,
    )


def patch_from_mail(data: bytes, source: str) -> Patch:
    """One RFC 5322 mail (no mbox ``From `` line) as a Patch."""
    try:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        text = body_text(msg)
    except RecursionError:  # MIME parts nested thousands deep
        raise InputError(source, "the mail's MIME structure is nested too deeply") from None
    headers = _headers(msg)
    subject = _subject_or_name(headers.get("subject"), source)
    # Errors in the diff name the patch by where it is and by its subject.
    parts = split_body(text, f"{source} ({subject.raw})")
    return _to_patch(source, subject, parts, headers)


def patch_from_text(text: str, source: str) -> Patch:
    """A plain patch or diff file; a ``Subject:`` line at its top names it, else the file name."""
    return _to_patch(source, _subject_or_name(None, source), split_body(text, source), {})
