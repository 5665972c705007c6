"""Stale references: names an interface comment mentions that the code it governs no longer has.

Precision rule. A mention is judged only when the governed code is where
the named thing must live, so a name that is merely defined elsewhere in the
kernel (``lru_lock`` in "the far superior locking scheme (lru_lock,
balloon_lock)") is never reported:

- a page flag (PagePrivate, __SetPageBalloon, PG_private) that no governed
  file manipulates through any of the flag's helpers, judged only where the
  governed code includes a .c file (the code that carries out what the
  comment says is in view) and manipulates page flags at all (its comments
  then describe what it does to its pages, not facts kept elsewhere);
- ``var->member`` where every declaration of ``var`` in the governed code
  has a struct type defined there, and that struct has no such member.

Function names and bare names (``lru_lock``, ``page_lock()``) are never
judged on one tree state: measured on 6.12, functions a header's comments
name are mostly defined in a sibling header or behind a ``_noprof`` macro,
beyond any bounded search. Across a patch (``lost_references``) any mention
whose last use the patch removed is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from patchaudit.analyses.docs.blocks import doc_block
from patchaudit.analyses.docs.flagnames import FlagNames
from patchaudit.analyses.docs.mentions import Mention, MentionKind, mentions
from patchaudit.analyses.docs.vocabulary import Vocabulary
from patchaudit.cfront.ir import Comment, FileIR


class StaleReason(Enum):
    FLAG_UNUSED = "flag-unused"
    MEMBER_GONE = "member-gone"
    LAST_USE_REMOVED = "last-use-removed"


@dataclass(frozen=True)
class StaleReference:
    name: str  # as the comment writes it: "PagePrivate", "pages_lock"
    reason: StaleReason
    line: int  # first mention in the comment
    column: int
    other_lines: tuple[int, ...]  # further mentions in the same comment
    comment_line: int  # where the comment starts
    message: str


def interface_comments(ir: FileIR) -> list[Comment]:
    """A header's top comment, doc blocks (kernel-doc or plain form) and struct member comments."""
    chosen: list[Comment] = []
    first_code = min((ident.line for ident in ir.identifiers), default=ir.lines + 1)
    top_taken = not ir.path.endswith(".h")
    for comment in ir.comments:
        in_struct = any(
            s.line <= comment.start_line <= max((f.line for f in s.fields), default=s.line)
            for s in ir.structs
        )
        is_top = (
            not top_taken
            and comment.end_line < first_code
            and comment.end_line > comment.start_line  # not the one-line SPDX tag
        )
        if is_top:
            top_taken = True
        if is_top or in_struct or doc_block(comment) is not None:
            chosen.append(comment)
    return chosen


def _judge(mention: Mention, code: Vocabulary, names: FlagNames) -> str | None:
    """Why the mention is stale, or None."""
    if mention.kind is MentionKind.PAGE_FLAG:
        implemented = any(path.endswith(".c") for path in code.files)
        if implemented and code.flags and not names.used(mention.flag, code.flags):
            return f"the code it documents never uses the '{mention.flag}' page flag"
        return None
    if mention.kind is MentionKind.MEMBER:
        tags = code.variables.get(mention.base, frozenset())
        if not tags or not all(tag in code.fields for tag in tags):
            return None  # the variable's struct is defined elsewhere: not ours to judge
        if mention.name.isupper():
            return None  # p->XXX: a placeholder in an example
        if any(mention.name in code.fields[tag] for tag in tags):
            return None
        if mention.name in code.identifiers:
            return None
        structs = " / ".join(f"struct {tag}" for tag in sorted(tags))
        return f"{mention.base} is a {structs}, which has no member '{mention.name}'"
    return None


_REASONS = {
    MentionKind.PAGE_FLAG: StaleReason.FLAG_UNUSED,
    MentionKind.MEMBER: StaleReason.MEMBER_GONE,
}


def _grouped(
    comment: Comment, found: Iterable[tuple[Mention, StaleReason, str]], files: tuple[str, ...]
) -> Iterator[StaleReference]:
    """One reference per name and comment, at its first mention."""
    by_name: dict[str, list[tuple[Mention, StaleReason, str]]] = {}
    for item in found:
        by_name.setdefault(item[0].name, []).append(item)
    where = ", ".join(files)
    for name, items in by_name.items():
        first, reason, why = items[0]
        yield StaleReference(
            name=name,
            reason=reason,
            line=first.line,
            column=first.column,
            other_lines=tuple(sorted({m.line for m, _, _ in items[1:]} - {first.line})),
            comment_line=comment.start_line,
            message=f"comment names '{name}', but {why} (code read: {where})",
        )


def stale_references(
    ir: FileIR, code: Vocabulary, names: FlagNames | None = None
) -> list[StaleReference]:
    """Stale names in the interface comments of ``ir``; ``code`` is what they govern (with ``ir``).

    ``names`` knows the tree's page-flag aliases (PG_fscache is PG_private_2).
    """
    names = names or FlagNames()
    found: list[StaleReference] = []
    for comment in interface_comments(ir):
        judged = []
        for mention in mentions(comment):
            why = _judge(mention, code, names)
            if why is not None:
                judged.append((mention, _REASONS[mention.kind], why))
        found.extend(_grouped(comment, judged, code.files))
    return found


def _used(mention: Mention, code: Vocabulary, names: FlagNames) -> bool:
    if mention.kind is MentionKind.PAGE_FLAG:
        return names.used(mention.flag, code.flags)
    return mention.name in code.identifiers


def lost_references(
    ir: FileIR, before: Vocabulary, after: Vocabulary, names: FlagNames | None = None
) -> list[StaleReference]:
    """Mentions in ``ir``'s interface comments whose last use in the governed code a change removed."""
    names = names or FlagNames()
    found: list[StaleReference] = []
    for comment in interface_comments(ir):
        judged = [
            (mention, StaleReason.LAST_USE_REMOVED, "the change removed its last use")
            for mention in mentions(comment)
            if _used(mention, before, names) and not _used(mention, after, names)
        ]
        found.extend(_grouped(comment, judged, after.files))
    return found
