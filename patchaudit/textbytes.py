"""Text back to bytes, total over every str: surrogate escapes become their byte, any other surrogate U+FFFD.

patchaudit decodes files and patches as UTF-8 with ``surrogateescape``, so a
byte that is not UTF-8 travels as a surrogate in U+DC80..U+DCFF and
``encode("utf-8", "surrogateescape")`` gives it back. A lone surrogate outside
that range (which a hostile MIME charset such as utf-7 could decode to) has no
byte to return to; the codecs would raise on it. Everything that turns text
into bytes for keys, hashes, files or output goes through here instead.
"""

from __future__ import annotations

import codecs

_HANDLER = "patchaudit.bytes"
_REPLACEMENT = "\ufffd".encode()


def _bytes_or_replacement(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = bytearray()
    for char in error.object[error.start : error.end]:
        code = ord(char)
        out += bytes((code - 0xDC00,)) if 0xDC80 <= code <= 0xDCFF else _REPLACEMENT
    return bytes(out), error.end


codecs.register_error(_HANDLER, _bytes_or_replacement)


def to_bytes(text: str) -> bytes:
    """The bytes ``text`` was decoded from (surrogate escapes restored); never raises."""
    return text.encode("utf-8", _HANDLER)


def to_utf8(text: str) -> bytes:
    """``text`` as valid UTF-8 for output: bytes that were not UTF-8 leave as U+FFFD."""
    try:
        return text.encode("utf-8")  # the common case: no surrogate at all
    except UnicodeEncodeError:
        return to_bytes(text).decode("utf-8", "replace").encode("utf-8")


def has_surrogates(text: str) -> bool:
    """Whether ``text`` holds any surrogate (escaped bytes included)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
