"""Taking a patch subject apart: reply prefixes, bracket tags, version, index/total, title."""

from __future__ import annotations

import re

from patchaudit.series.headers import decode_header_value
from patchaudit.series.model import Subject

# "Re:", "RE:", "Fwd:", "Fw:", "Aw:" (German "Antwort") prepended by mail
# clients, possibly repeated; git mailinfo drops them too.
_REPLY = re.compile(r"^\s*(?:re|fwd?|aw)\s*:\s*", re.IGNORECASE)
# One leading bracket group; git am strips every leading [..] group by default.
_BRACKETS = re.compile(r"^\s*\[([^\[\]]*)\]\s*")
# Numbers have at most 9 digits: a longer one is no version or index (and a
# thousands-digit one would not even convert).
_VERSION = re.compile(r"^v(\d{1,9})$", re.IGNORECASE)
# Older series glue the version onto the tag: "[PATCHv2 1/3]", "[PATCH-v3]".
_GLUED_VERSION = re.compile(r"^(PATCH|RFC)[-_]?v(\d{1,9})$", re.IGNORECASE)
_INDEX = re.compile(r"^(\d{1,9})/(\d{1,9})$")


def is_reply(subject: Subject) -> bool:
    """Whether the subject starts with a reply/forward prefix (``Re:``)."""
    return _REPLY.match(subject.raw) is not None


def parse_subject(raw: str) -> Subject:
    """Parse ``[RFC PATCH net-next v3 02/10] net: title`` (folded or RFC 2047 encoded).

    ``raw`` of the result is the decoded, unfolded subject including any ``Re:``.
    """
    text = decode_header_value(raw)
    rest = text
    prefixes: list[str] = []
    version = 1
    index: int | None = None
    total: int | None = None
    while True:
        reply = _REPLY.match(rest)
        if reply:
            rest = rest[reply.end() :]
            continue
        group = _BRACKETS.match(rest)
        if not group:
            break
        rest = rest[group.end() :]
        # Patchwork-style tags separate with commas: "[PATCH net,v2 1/3]".
        for token in re.split(r"[\s,]+", group.group(1)):
            if not token:
                continue
            if m := _VERSION.match(token):
                version = int(m.group(1))
            elif m := _GLUED_VERSION.match(token):
                prefixes.append(m.group(1))
                version = int(m.group(2))
            elif m := _INDEX.match(token):
                index, total = int(m.group(1)), int(m.group(2))
            else:
                prefixes.append(token)
    return Subject(
        raw=text,
        title=rest.strip(),
        prefixes=tuple(prefixes),
        version=version,
        index=index,
        total=total,
    )
