"""Decoding of mail header values: unfolding, raw 8-bit bytes and RFC 2047 encoded words."""

from __future__ import annotations

import base64
import binascii
import codecs
import re

from patchaudit.textbytes import has_surrogates

# An RFC 2047 encoded word: =?charset?Q|B?text?=. The charset may carry an
# RFC 2231 language suffix (utf-8*en), which codecs.lookup does not accept.
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")
# Whitespace between two adjacent encoded words is not part of the text (RFC 2047 6.2).
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
_WHITESPACE = re.compile(r"\s+")
# Codecs Python knows that are not charsets a mail may declare: they rewrite
# backslash sequences or host names (C code is full of "\n"), and the escape
# codecs decode to lone surrogates, which no output can encode.
_NOT_CHARSETS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "punycode", "idna", "charmap", "undefined"}
)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset; unknown, wrong or refused charsets fall back to UTF-8.

    The fallback uses surrogateescape so every byte survives a round trip. A
    declared charset is honoured only when its decoding holds no surrogate
    (utf-7 and utf-16 can produce lone ones): text that leaves the series
    stage always turns back into bytes (patchaudit.textbytes).
    """
    if charset:
        try:
            name = codecs.lookup(charset.strip().strip('"')).name
        except (LookupError, UnicodeError, ValueError):  # unknown, or not even ASCII
            name = "utf-8"
        if name != "utf-8" and name not in _NOT_CHARSETS:
            try:
                text = data.decode(name)
            except (LookupError, UnicodeError, ValueError):  # e.g. "base64" is no text codec
                pass
            else:
                if not has_surrogates(text):
                    return text
    return data.decode("utf-8", "surrogateescape")


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, text = match.group(1), match.group(2).upper(), match.group(3)
    try:
        if encoding == "Q":
            data = binascii.a2b_qp(text.encode("ascii", "surrogateescape"), header=True)
        else:
            # Senders often drop the base64 padding; restore it rather than fail.
            raw = text.encode("ascii", "surrogateescape")
            data = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_bytes(data, charset)


def decode_header_value(raw: str) -> str:
    """Turn a raw (possibly folded, 8-bit or RFC 2047 encoded) header value into plain text.

    Folding and runs of whitespace collapse to one space, as git mailinfo does.
    """
    # compat32 keeps raw 8-bit header bytes as surrogates: mail in the wild puts
    # UTF-8 straight into headers, so read them back as UTF-8.
    text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    text = _BETWEEN_WORDS.sub(r"\1\2", text)
    text = _ENCODED_WORD.sub(_decode_word, text)
    return _WHITESPACE.sub(" ", text).strip()


def message_ids(value: str) -> tuple[str, ...]:
    """The ``<id>`` values of a Message-Id / In-Reply-To / References header, brackets removed."""
    found = re.findall(r"<([^<>\s]+)>", value)
    if found:
        return tuple(found)
    # Some mailers omit the angle brackets around a lone id.
    bare = value.strip()
    return (bare,) if bare and " " not in bare else ()
