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
from collections.abc import Callable, Iterator

from patchaudit.analyses.docs.blocks import doc_block
from patchaudit.analyses.docs.governed import Reader, governed_files
from patchaudit.analyses.docs.mentions import (
    Mention,
    MentionKind,
    flag_and_member_mentions,
    mentions,
)
from patchaudit.analyses.docs.vocabulary import flag_of
from patchaudit.analyses.docs.words import word_positions
from patchaudit.cfront.ir import Comment
from patchaudit.errors import InputError

# Spelled the way the mention patterns need them (mentions.py).
_NEEDLES = ("->", "Page", "PG_")
# Where a struct, union or enum body opens: the keyword, a tag and
# annotations, then "{". Parentheses only in an annotation's arguments
# (__attribute__((packed)), __aligned(8)): "struct page *page) {" is a
# function body.
_AGGREGATE_RE = re.compile(
    r"\b(?:struct|union|enum)\b(?:[^;{}()]|__\w+\s*\((?:[^()]|\([^()]*\))*\))*\{"
)
# A struct or union definition: its tag and the "{" that opens its body.
# No word-boundary test before "struct": a stray match only lets more through.
_DEFINITION_RE = re.compile(r"(?:struct|union)\s+([A-Za-z_]\w*)\s*\{")
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
_HELPER_RE = re.compile(
    r"(?<![\w$])(?:__)?(?:(?:TestSet|TestClear|Set|Clear)?Page[A-Z]\w*|folio_\w+|PG_\w+)(?![\w$])"
)


def _stretches(text: str) -> Iterator[tuple[int, str]]:
    """Every stretch that may be a comment, with where it starts: a superset, as in bytescan.py.

    A block runs from any "/*" to the next "*/", a line comment from any
    "//" to its line's end (a backslash-newline continues it): a "/*" in a
    literal only adds a stretch, and a real comment is always inside one.
    """
    pos = 0
    while (start := text.find("/*", pos)) >= 0:
        end = text.find("*/", start + 2)
        pos = len(text) if end < 0 else end + 2
        yield start, text[start:pos]
    pos = 0
    while (start := text.find("//", pos)) >= 0:
        end = text.find("\n", start + 2)
        while end >= 0 and text[max(end - 2, 0) : end].rstrip("\r").endswith("\\"):
            end = text.find("\n", end + 1)
        pos = len(text) if end < 0 else end
        yield start, text[start:pos]


def _comment_spans(text: str, needles: tuple[str, ...] | None = None) -> Iterator[Comment]:
    """The stretches that may be comments (with one of ``needles`` in them); line numbers unset."""
    for _, body in _stretches(text):
        if needles is None or any(needle in body for needle in needles):
            yield Comment(body, 1, 1 + body.count("\n"))


def _interface_spans(text: str, path: str, wanted: Callable[[str], bool]) -> Iterator[Comment]:
    """The stretches that may be interface comments (stale.interface_comments) and are ``wanted``.

    A stretch is left out only when it is surely a real comment (no literal,
    "//" or other comment before its opening on its logical line) and
    surely none of the three kinds: not a doc block, not in or beside a
    struct, union or enum body, and not a header's top comment (which can
    only be its first comment of more than one line: every stretch up to
    that one counts).
    """
    bodies: list[tuple[int, int]] | None = None
    top_open = path.endswith(".h")
    for start, body in sorted(_stretches(text)):
        top = top_open
        if "\n" in body:
            top_open = False
        if not wanted(body):
            continue  # asked first: the tests below cost more
        comment = Comment(body, 1, 1 + body.count("\n"))
        if top or not _clean_opening(text, start):
            yield comment
            continue
        if bodies is None:
            bodies = [
                (text.rfind("\n", 0, match.start()) + 1, _body_end(text, match.end() - 1))
                for match in _AGGREGATE_RE.finditer(text)
            ]
        if any(first <= start < last for first, last in bodies) or (
            body.startswith("/*") and doc_block(comment) is not None
        ):
            yield comment


def _clean_opening(text: str, start: int) -> bool:
    """Whether the comment opener at ``start`` surely opens a comment (see _interface_spans)."""
    line = text.rfind("\n", 0, start) + 1
    while line >= 2 and text[line - 2] == "\\":
        line = text.rfind("\n", 0, line - 1) + 1
    before = text[line:start]
    return not any(mark in before for mark in ('"', "'", "//", "/*", "*/"))


class _Code:
    """One governed file's text, with where its "/*" and "*/" are, to place a word quickly."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.opens = [m.start() for m in _OPEN_RE.finditer(text)]
        self.closes = [m.start() for m in _CLOSE_RE.finditer(text)]

    def certainly_code(self, at: int) -> bool:
        """Whether the word at index ``at`` is surely a code token (see the module docstring)."""
        text = self.text
        index = bisect.bisect_right(self.opens, at - 2) - 1
        if index >= 0:
            # The last "/*" before the word: open still unless a "*/" ends before the word.
            opened = self.opens[index]
            close = bisect.bisect_left(self.closes, opened + 2)
            if close == len(self.closes) or self.closes[close] + 2 > at:
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


def _has_identifier(codes: list[_Code], name: str) -> bool:
    if name == "defined":
        return False
    return any(code.certainly_code(at) for code in codes for at in word_positions(code.text, name))


def _uses_flag(codes: list[_Code], flag: str) -> bool:
    return any(
        flag_of(match.group()) == flag and code.certainly_code(match.start())
        for code in codes
        for match in _HELPER_RE.finditer(code.text)
    )


def _body_end(text: str, opening: int) -> int:
    """Index just past the "}" that closes the "{" at ``opening`` (the text's end if none)."""
    depth = 0
    pos = opening
    while True:
        close = text.find("}", pos)
        if close < 0:
            return len(text)
        depth += text.count("{", pos, close) - 1
        if depth <= 0:
            return close + 1
        pos = close + 1


def _defined_tags(texts: list[str]) -> dict[str, list[tuple[str, int]]]:
    """struct/union tags the texts define, each with where its body ends (in which text)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for text in texts:
        for match in _DEFINITION_RE.finditer(text):
            found.setdefault(match.group(1), []).append((text, _body_end(text, match.end() - 1)))
    return found


def _declared_with(texts: list[str], var: str, tags: dict[str, list[tuple[str, int]]]) -> bool:
    """Whether ``var`` may be declared with one of ``tags`` as its type (a superset).

    The analysis takes a variable's struct from its declaration (parameter,
    local or global): ``struct tag`` and the name in one declaration, with no
    ";" or brace between, or the name among the declarators right after the
    struct's own body (``struct tag { ... } var;``).
    """
    for text in texts:
        for match in _TYPE_USE_RE.finditer(text):
            if match.group(1) not in tags:
                continue
            stretch = match.group(2)
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
    for places in tags.values():
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
    unsettled: dict[tuple[MentionKind, str, str, str], bool] = {}

    def open_mentions(body: str) -> list[Mention]:
        if not any(needle in body for needle in _NEEDLES):
            return []
        found = []
        for mention in flag_and_member_mentions(body):
            if not _judged(mention):
                continue
            key = (mention.kind, mention.base, mention.name, mention.flag)
            if key not in unsettled:
                unsettled[key] = not _cleared(mention, own)
            if unsettled[key]:
                found.append(mention)
        return found

    pending = list({
        (m.kind, m.base, m.name, m.flag): m
        for comment in _interface_spans(text, path, lambda body: bool(open_mentions(body)))
        for m in open_mentions(comment.text)
    }.values())  # fmt: skip
    if not pending:
        return False
    partners = governed_files(path, read)[1:] if read is not None else ()
    texts = [text, *(_texts(partners, read).values() if read is not None else ())]
    codes = [*own, *(_Code(t) for t in texts[1:])]
    # A flag is judged only where the governed code includes a .c file.
    implemented = any(p.endswith(".c") for p in (path, *partners))
    tags: dict[str, list[tuple[str, int]]] | None = None
    for mention in pending:
        if _cleared(mention, codes):
            continue
        if mention.kind is MentionKind.PAGE_FLAG:
            if implemented:
                return True
            continue
        # var->member is judged only where var's struct is defined in the
        # governed code, and is stale only if no code there names the member.
        if tags is None:
            tags = _defined_tags(texts)
        if tags and _declared_with(texts, mention.base, tags):
            return True
    return False


def _used_anywhere(texts: list[str], mention: Mention) -> bool:
    """Whether the mention's name (or flag) occurs in the texts at all: a superset of "used"."""
    if mention.kind is MentionKind.PAGE_FLAG:
        return any(
            flag_of(match.group()) == mention.flag for text in texts for match in _HELPER_RE.finditer(text)
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
