"""Whether a file's comments can name anything stale, decided on text alone (PA3101's gate).

On one tree state stale.py judges two kinds of mention: a page flag that the
governed code never uses, and ``var->member`` where the member is not in
the governed code at all. Both need the name to be absent from the
identifiers of the governed code, and the identifiers are the code's words
outside comments, literals and directive text (cfront/lower_text.py). So a
mention is cleared as soon as one occurrence of its name is certainly such a
word, which the line around it shows: no comment open, no literal or ``//``
before it on its logical line, not in the operand of #include or #error.
A member is cleared too when its variable cannot be declared with a struct
the governed code defines. Across a patch (lost_references) a name can lose
its last use only where the patch changed a line. Anything less certain
keeps the file for the real analysis: the gate only ever says "cannot",
and most files with mentions are never parsed.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from functools import cached_property

from patchaudit.analyses.docs.governed import Reader, governed_files
from patchaudit.analyses.docs.mentions import (
    Mention,
    MentionKind,
    flag_and_member_mentions,
    mentions,
)
from patchaudit.analyses.docs.stretches import (
    Layout,
    body_end,
    finditer_at,
    keyword_positions,
    needle_stretches,
    stretches,
)
from patchaudit.analyses.docs.vocabulary import flag_of
from patchaudit.analyses.docs.words import word_positions
from patchaudit.cfront.ir import Comment
from patchaudit.errors import InputError

# A struct or union definition: its tag and the "{" that opens its body, with
# annotations allowed before the tag (struct __aligned(8) tag {,
# struct __attribute__((packed)) tag {). No word-boundary test before
# "struct": a stray match only lets more through. An annotation ends with
# its arguments or a space, so "__a__b" has one reading, not one per "__".
_DEFINITION_RE = re.compile(
    r"(?:struct|union)\s+(?:__\w+(?:\s*\((?:[^()]|\([^()]*\))*\)\s*|\s+))*([A-Za-z_]\w*)\s*\{"
)
# How far back from a word _Code looks for a comment opener before it lists them all.
_NEAR = 4096
_OPEN_RE = re.compile(r"/\*")
_CLOSE_RE = re.compile(r"\*/")
# Directives whose operands are C tokens to the front end (cfront/lower_text.py).
_DIRECTIVE_RE = re.compile(r"\s*#\s*(define|undef|if|ifdef|ifndef|elif)\b")
# "struct tag" and what follows it up to the end of its declaration.
_TYPE_USE_RE = re.compile(r"(?:struct|union)\s+([A-Za-z_]\w*)(?=([^;{}]*))")
_WORD_RE = re.compile(r"[A-Za-z_]\w*")
# Words a declarator may carry besides "__" annotations (__rcu, __aligned(8)).
_QUALIFIERS = frozenset({"const", "volatile", "restrict"})
# Any identifier that may be a page-flag helper of some flag: the helper's
# flag is then compared by flag_of (vocabulary.py), the analysis's own test.
# A match is always a whole word (no "$", no word character on either side)
# holding one of _HELPER_PARTS.
_HELPER_WORD = r"(?:__)?(?:(?:TestSet|TestClear|Set|Clear)?Page[A-Z]\w*|folio_\w+|PG_\w+)"
_HELPER_RE = re.compile(r"(?<![\w$])" + _HELPER_WORD + r"(?![\w$])")
_HELPER_PARTS = ("Page", "folio_", "PG_")
_HELPER_WORD_RE = re.compile(_HELPER_WORD)


def _comment_spans(text: str) -> list[Comment]:
    """The stretches that may be comments (stretches.py), as comments with line numbers unset."""
    return [Comment(body, 1, 1 + body.count("\n")) for _, body in stretches(text)]


class _Code:
    """One governed file's text, and what is asked of it more than once, found on first need."""

    def __init__(self, text: str) -> None:
        self.text = text

    def certainly_code(self, at: int) -> bool:
        """Whether the word at index ``at`` is surely a code token (see the module docstring)."""
        text = self.text
        if self._in_block(at):
            return False
        # The logical line up to the word: back over continued lines.
        start = text.rfind("\n", 0, at) + 1
        while start >= 2 and text[start - 2] == "\\":
            start = text.rfind("\n", 0, start - 1) + 1
        before = text[start:at]
        if any(mark in before for mark in ('"', "'", "//", "/*")):
            return False
        if not before.lstrip().startswith("#"):
            return True
        # Names in #define bodies and #if conditions are identifiers to the
        # front end ("defined" is not: _has_identifier never asks for it);
        # the operands of #include, #error, #pragma ... are not.
        return _DIRECTIVE_RE.match(before) is not None

    def _in_block(self, at: int) -> bool:
        """Whether the last "/*" before index ``at`` is still open there (no "*/" between)."""
        text = self.text
        # Near the word str.rfind and str.find answer at once; far from any
        # opener, or deep in a long comment (bpf.h's helper documentation),
        # they would scan a long way for every word, so then the openers and
        # closers are listed once and bisected.
        near = max(at - _NEAR, 0)
        opened = text.rfind("/*", near, at)
        if opened >= 0:
            return text.find("*/", opened + 2, at) < 0
        if near == 0:
            return False
        index = bisect.bisect_right(self.opens, at - 2) - 1
        if index < 0:
            return False
        close = bisect.bisect_left(self.closes, self.opens[index] + 2)
        return close == len(self.closes) or self.closes[close] + 2 > at

    @cached_property
    def opens(self) -> list[int]:
        return [m.start() for m in _OPEN_RE.finditer(self.text)]

    @cached_property
    def closes(self) -> list[int]:
        return [m.start() for m in _CLOSE_RE.finditer(self.text)]

    @cached_property
    def helpers(self) -> dict[str, list[int]]:
        """Where each flag's helpers stand (flag_of of each _HELPER_RE match), all flags at once."""
        found: dict[str, list[int]] = {}
        for start, word in helper_words(self.text):
            flag = flag_of(word)
            if flag is not None:
                found.setdefault(flag, []).append(start)
        return found


def helper_words(text: str) -> list[tuple[int, str]]:
    """What ``_HELPER_RE.finditer(text)`` finds, as (start, word), found about six times faster.

    _HELPER_RE has no literal to jump to; str.find does, to each of
    _HELPER_PARTS. From there the whole word around it is taken (back over
    \\w and "$") and kept if _HELPER_WORD_RE matches all of it.
    """
    words: dict[int, str] = {}
    for part in _HELPER_PARTS:
        at = text.find(part)
        while at >= 0:
            start, end = at, at + len(part)
            # \w is what str.isalnum() accepts, and "_".
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_$"):
                start -= 1
            while end < len(text) and (text[end].isalnum() or text[end] in "_$"):
                end += 1
            if start not in words:
                word = text[start:end]
                if _HELPER_WORD_RE.fullmatch(word):
                    words[start] = word
            at = text.find(part, end)
    return sorted(words.items())


def _has_identifier(codes: list[_Code], name: str) -> bool:
    if name == "defined":
        return False
    return any(code.certainly_code(at) for code in codes for at in word_positions(code.text, name))


def _uses_flag(codes: list[_Code], flag: str) -> bool:
    return any(code.certainly_code(at) for code in codes for at in code.helpers.get(flag, ()))


class _Structs:
    """The struct and union tags governed texts define, and what they declare with them."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    @cached_property
    def keywords(self) -> list[list[int]]:
        """Where "struct" and "union" stand in each text: the patterns below only match there."""
        return [keyword_positions(text, ("struct", "union")) for text in self.texts]

    @cached_property
    def tags(self) -> dict[str, list[tuple[str, int]]]:
        """Each tag the texts define, with where its body ends (in which text)."""
        found: dict[str, list[tuple[str, int]]] = {}
        for text, starts in zip(self.texts, self.keywords, strict=True):
            for match in finditer_at(text, _DEFINITION_RE, starts):
                found.setdefault(match.group(1), []).append((text, body_end(text, match.end() - 1)))
        return found

    @cached_property
    def declarations(self) -> list[str]:
        """What follows each "struct tag" of a defined tag, up to the end of its declaration."""
        return [
            match.group(2)
            for text, starts in zip(self.texts, self.keywords, strict=True)
            for match in finditer_at(text, _TYPE_USE_RE, starts)
            if match.group(1) in self.tags
        ]

    def may_declare(self, var: str) -> bool:
        """Whether ``var`` may be declared with one of the tags as its type (a superset).

        The analysis takes a variable's struct from its declaration (parameter,
        local or global): ``struct tag`` and the name in one declaration, with no
        ";" or brace between, or the name among the declarators right after the
        struct's own body (``struct tag { ... } var;``).
        """
        for stretch in self.declarations:
            for at in word_positions(stretch, var):
                # Between the type (or the last comma) and a declared name
                # come only "*", parentheses and qualifiers; another word
                # begins another declaration ("struct a *x, struct b *var",
                # "struct a *f(struct b *var"), and after "=" the name is
                # in an initializer ("struct a *p = var->priv").
                between = stretch[:at]
                segment = between[between.rfind(",") + 1 :]
                if "=" in segment:
                    continue
                words = _WORD_RE.findall(segment)
                if all(word in _QUALIFIERS or word.startswith("__") for word in words):
                    return True
        for places in self.tags.values():
            for text, end in places:
                stop = text.find(";", end)
                if next(word_positions(text[end : len(text) if stop < 0 else stop], var), -1) >= 0:
                    return True
        return False


def _judged(mention: Mention) -> bool:
    """Whether stale.py would judge the mention at all on one tree state."""
    if mention.kind is MentionKind.PAGE_FLAG:
        return True
    if mention.kind is MentionKind.MEMBER:
        return bool(mention.base) and not mention.name.isupper()
    return False


def _cleared(mention: Mention, codes: list[_Code]) -> bool:
    """Whether the code certainly uses what the mention names (more code can only add uses)."""
    if mention.kind is MentionKind.PAGE_FLAG:
        return _uses_flag(codes, mention.flag)
    return _has_identifier(codes, mention.name)


def may_name_stale(path: str, data: bytes, read: Reader | None) -> bool:
    """False only when stale_references() on this file and tree state is surely empty."""
    text = data.decode("utf-8", "surrogateescape")
    # The file's own code settles most mentions, before any partner is read
    # and before the comment holding them is looked at more closely.
    own = [_Code(text)]
    # Whether the own code leaves a flag, or a member name, unsettled: the
    # same for every variable the member is mentioned with.
    unsettled: dict[tuple[MentionKind, str], bool] = {}

    def open_mentions(body: str) -> list[Mention]:
        found = []
        for mention in flag_and_member_mentions(body):
            if not _judged(mention):
                continue
            named = (
                mention.kind,
                mention.flag if mention.kind is MentionKind.PAGE_FLAG else mention.name,
            )
            if named not in unsettled:
                unsettled[named] = not _cleared(mention, own)
            if unsettled[named]:
                found.append(mention)
        return found

    layout = Layout(text, path)
    pending: dict[tuple[MentionKind, str, str, str], Mention] = {}
    # Only a stretch with a needle can hold a mention; its mentions are
    # asked for first, as the interface tests cost more.
    for start, end in needle_stretches(text):
        body = text[start:end]
        mentioned = open_mentions(body)
        if mentioned and layout.may_be_interface(start, body):
            for m in mentioned:
                pending.setdefault((m.kind, m.base, m.name, m.flag), m)
    if not pending:
        return False
    partners = governed_files(path, read)[1:] if read is not None else ()
    texts = [text, *(_texts(partners, read).values() if read is not None else ())]
    # The own code has not cleared any of them: only the partners can.
    others = [_Code(t) for t in texts[1:]]
    # A flag is judged only where the governed code includes a .c file.
    implemented = any(p.endswith(".c") for p in (path, *partners))
    structs = _Structs(texts)
    for mention in pending.values():
        if _cleared(mention, others):
            continue
        if mention.kind is MentionKind.PAGE_FLAG:
            if implemented:
                return True
            continue
        # var->member is judged only where var's struct is defined in the
        # governed code, and is stale only if no code there names the member.
        if structs.tags and structs.may_declare(mention.base):
            return True
    return False


def _used_anywhere(texts: list[str], mention: Mention) -> bool:
    """Whether the mention's name (or flag) occurs in the texts at all: a superset of "used"."""
    if mention.kind is MentionKind.PAGE_FLAG:
        return any(
            flag_of(word) == mention.flag for text in texts for _, word in helper_words(text)
        )
    return any(next(word_positions(text, mention.name), -1) >= 0 for text in texts)


def _texts(paths: tuple[str, ...], read: Reader) -> dict[str, str]:
    texts = {}
    for path in paths:
        try:
            data = read(path)
        except InputError:
            continue
        if data is not None:
            texts[path] = data.decode("utf-8", "surrogateescape")
    return texts


def _removed_words(before: dict[str, str], after: dict[str, str]) -> set[str] | None:
    """The words on the lines a patch removed from the governed code; None when that is not enough.

    A name's use can change only where the text did, as long as no changed
    line opens or closes a block comment or continues onto the next line:
    only those reach other lines (a literal, a "//" comment or a directive
    ends with its line), so only they could turn unchanged lines into code
    or out of it. The governed files must be the same ones, too.
    """
    if before.keys() != after.keys():
        return None
    words: set[str] = set()
    for path, old in before.items():
        new = after[path]
        if old == new:
            continue
        old_lines, new_lines = Counter(old.split("\n")), Counter(new.split("\n"))
        removed, added = old_lines - new_lines, new_lines - old_lines
        for line in (*removed, *added):
            if "/*" in line or "*/" in line or line.rstrip("\r").endswith("\\"):
                return None
        for line in removed:
            words.update(_WORD_RE.findall(line))
    return words


def may_lose_reference(path: str, data: bytes, read: Reader, read_before: Reader) -> bool:
    """False only when lost_references() for this file across a patch is surely empty.

    A reference is lost when the governed code used the name before the
    patch and does not after. Where the patch changed only plain code lines,
    the name must be on a removed line; otherwise it must occur somewhere in
    the code before and must not certainly be a code word after.
    """
    text = data.decode("utf-8", "surrogateescape")
    # Across a patch every kind of mention counts, not only flags and members.
    found = [m for comment in _comment_spans(text) for m in mentions(comment)]
    if not found:
        return False
    before = _texts(governed_files(path, read_before), read_before)
    after = _texts(governed_files(path, read), read)
    removed = _removed_words(before, after)
    before_texts = list(before.values())
    after_codes = [_Code(t) for t in after.values()]
    seen: set[tuple[MentionKind, str]] = set()
    for mention in found:
        flagged = mention.kind is MentionKind.PAGE_FLAG
        key = (mention.kind, mention.flag if flagged else mention.name)
        if key in seen:
            continue
        seen.add(key)
        if removed is not None:
            if flagged and not any(flag_of(word) == mention.flag for word in removed):
                continue
            if not flagged and mention.name not in removed:
                continue
        if not _used_anywhere(before_texts, mention):
            continue
        if flagged:
            if not _uses_flag(after_codes, mention.flag):
                return True
        elif not _has_identifier(after_codes, mention.name):
            return True
    return False
