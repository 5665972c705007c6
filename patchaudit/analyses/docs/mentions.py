"""Names a comment mentions that look like code: page flags, foo() calls, ->members, snake_case.

The tokenisation is conservative: a prose word is never taken for an
identifier. Only spellings that English does not produce count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from patchaudit.cfront.ir import Comment


class MentionKind(Enum):
    PAGE_FLAG = "page-flag"  # PagePrivate, __SetPageBalloon, PG_private
    CALL = "call"  # foo(), foo(page)
    MEMBER = "member"  # b_dev_info->pages_lock, ->mapping
    NAME = "name"  # a bare snake_case or UPPER_CASE identifier: lru_lock


@dataclass(frozen=True)
class Mention:
    kind: MentionKind
    name: str  # the identifier: "PagePrivate", "balloon_page_insert", "pages_lock"
    base: str  # for MEMBER, the variable before "->" ("" when none is written)
    flag: str  # for PAGE_FLAG, the flag's own name in lower case: "private"
    line: int
    column: int


# Page-flag helpers: the kernel generates Page<Flag>, SetPage<Flag>,
# __ClearPage<Flag>, TestSetPage<Flag>, ... from one PG_<flag> bit or page
# type, so all of them mention the same flag.
_FLAG_RE = re.compile(
    r"(?<![\w>.])(?:__)?(?:TestSet|TestClear|Set|Clear)?Page([A-Z][a-z]+(?:[A-Z][a-z]+)*)\b"
    r"|(?<![\w>.])PG_([a-z][a-z0-9_]*)\b"
)
# "name(" with nothing between: prose puts a space before a parenthesis.
_CALL_RE = re.compile(r"(?<![\w>.])([A-Za-z_]\w*)\((?:[\w&>*.\-, ]*)\)")
# Only "->": "a.b" is too often prose ("e.g.", "i.e.", version numbers).
_MEMBER_RE = re.compile(r"(?:(?<![\w>.])([A-Za-z_]\w*))?->(\w+)")
# Names with an underscore between word characters (snake_case, UPPER_CASE);
# "_" alone at an end ("_foo", "foo_") is as rare in prose as in the middle.
_NAME_RE = re.compile(r"(?<![\w>.$%@&])([A-Za-z_]\w*_\w*[A-Za-z0-9])\b(?!\()")
# Things that look like names but are not code the comment is about: file
# names (balloon_compaction.h), e-mail addresses and Kconfig symbols.
_FILE_RE = re.compile(r"[\w./-]+\.(?:[chS]|rst|txt|py|sh)\b|\S+@\S+")


def _code_like_call(match: re.Match[str]) -> bool:
    """Whether a call-shaped mention is code: foo() is, "page(s)" is prose."""
    name = match.group(1)
    return match.group().endswith("()") or "_" in name or any(c.isupper() for c in name[1:])


def _comment_body(comment: Comment) -> Iterator[tuple[int, str]]:
    """Each line of the comment with its decoration blanked (columns stay the same)."""
    for offset, line in enumerate(comment.text.split("\n")):
        if offset == 0:
            line = line.replace("/*", "  ", 1)
        line = re.sub(r"^(\s*)\*(?!/)", r"\1 ", line)
        line = line.replace("*/", "  ")
        yield comment.start_line + offset, line


def mentions(comment: Comment) -> list[Mention]:
    """Every code-looking name in a comment, in order; one Mention per occurrence."""
    found: list[Mention] = []
    for line, text in _comment_body(comment):
        text = _FILE_RE.sub(lambda m: " " * len(m.group()), text)
        taken: set[int] = set()
        for match in _FLAG_RE.finditer(text):
            flag = (match.group(1) or match.group(2) or "").lower()
            found.append(
                Mention(MentionKind.PAGE_FLAG, match.group(), "", flag, line, match.start() + 1)
            )
            taken.update(range(match.start(), match.end()))
        for match in _MEMBER_RE.finditer(text):
            if match.start(2) in taken:
                continue
            found.append(
                Mention(
                    MentionKind.MEMBER,
                    match.group(2),
                    match.group(1) or "",
                    "",
                    line,
                    match.start(2) + 1,
                )
            )
            taken.update(range(match.start(), match.end()))
        for match in _CALL_RE.finditer(text):
            if match.start(1) in taken or not _code_like_call(match):
                continue
            found.append(
                Mention(MentionKind.CALL, match.group(1), "", "", line, match.start(1) + 1)
            )
            taken.update(range(match.start(1), match.end(1)))
        for match in _NAME_RE.finditer(text):
            if match.start(1) in taken or match.group(1).startswith("CONFIG_"):
                continue
            found.append(
                Mention(MentionKind.NAME, match.group(1), "", "", line, match.start(1) + 1)
            )
    found.sort(key=lambda m: (m.line, m.column))
    return found


def flag_and_member_mentions(text: str) -> Iterator[Mention]:
    """A superset of the page-flag and ``->member`` mentions that mentions() finds in ``text``.

    For text gates that only need the names: the patterns run over the raw
    text (decoration and file names left in, which can only add names),
    without positions (line and column 0).
    """
    # _FLAG_RE starts with no literal the engine could jump to, so it is
    # tried at every character; a text without "Page" or "PG_", which every
    # match holds, is passed over at memory speed instead.
    if "Page" in text or "PG_" in text:
        for match in _FLAG_RE.finditer(text):
            flag = (match.group(1) or match.group(2) or "").lower()
            yield Mention(MentionKind.PAGE_FLAG, match.group(), "", flag, 0, 0)
    yield from _member_mentions(text)


# A member's name after "->", and the ASCII letters an identifier may start with.
_MEMBER_NAME_RE = re.compile(r"\w+")
_IDENTIFIER_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")


def _member_mentions(text: str) -> Iterator[Mention]:
    """What _MEMBER_RE.finditer(text) finds, found from each "->" (about six times faster).

    _MEMBER_RE starts with an optional group, so the engine tries it at every
    character. It matches at each "->" followed by a word, and its base is
    the whole word before the "->" when that word starts with a letter or
    "_" and does not follow ">" or "." (inside a word its lookbehind fails,
    and a match never ends inside a word, so no match hides another).
    """
    at = text.find("->")
    while at >= 0:
        name = _MEMBER_NAME_RE.match(text, at + 2)
        if name is not None:
            start = at
            # Back over the word before "->" (\w, as str.isalnum() or "_").
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                start -= 1
            based = (
                start < at
                and text[start] in _IDENTIFIER_START
                and (start == 0 or text[start - 1] not in ">.")
            )
            yield Mention(
                MentionKind.MEMBER, name.group(), text[start:at] if based else "", "", 0, 0
            )
        at = text.find("->", at + 2)
