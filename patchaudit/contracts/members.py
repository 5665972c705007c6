"""Miner of member protection: "protected by X" comments on struct members, and what locks protect.

Four forms are read, on the struct definitions of a file:
- a comment on a member's own line ("int nr; /* protected by zone->lock */");
- a comment on lines of its own above members, which covers the members
  that follow it up to a blank line, another comment or a preprocessor line
  ("/* The following fields are protected by cl_lock */");
- a lock member's comment naming what it protects ("spinlock_t lock; /*
  protects slots, nr, cur */"), for the members of the same struct it names;
- kernel-doc member descriptions ("@nr: ... Protected by @lock.") and, from
  Linux 7.0 on, ``__guarded_by(&lock)`` after the member.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from patchaudit.analyses.docs.blocks import DocKind, doc_block
from patchaudit.cfront.ir import Comment, StructDef, StructField
from patchaudit.contracts.model import Contract, ContractKind, Origin
from patchaudit.contracts.phrases import Phrases, phrases
from patchaudit.contracts.statements import split_locks
from patchaudit.contracts.text import sentences
from patchaudit.contracts.unit import Unit

_GUARDED_RE = re.compile(r"\b(__pt_guarded_by|__guarded_by)\s*\(\s*([^()]*?)\s*\)")
# Words around a member's name in "protects the pages list", "the b_* lists".
_MEMBER_WORDS_RE = re.compile(
    r"^(?:the\s+|its\s+|all\s+)?(?:->)?(?P<name>[A-Za-z_][\w*]*)"
    r"(?:\s+(?:list|lists|field|fields|member|members|counter|counters|array|tree|queue|"
    r"queues|table|hash|hlist|bitmap|map|pointer|flags?|state|count|entries|list\s+head))?$"
)
_PREPROCESSOR_RE = re.compile(r"^\s*#")


def _statements(text: str, table: Phrases) -> Iterator[tuple[tuple[str, ...], bool, bool, str]]:
    """(locks or members, reads, protects, conditional words?) per member phrase that matches."""
    if any(veto.search(text) for veto in table.member_veto):
        return
    conditional = any(c.search(text) for c in table.conditional)
    for phrase in table.members:
        match = phrase.pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        if phrase.protects:
            yield split_locks(groups.get("members") or "", table), False, True, str(conditional)
        else:
            lock_text = groups.get("lock") or groups.get("lock2") or ""
            if lock_text:
                yield split_locks(lock_text, table), phrase.reads, False, str(conditional)
        return


def _protected_members(struct: StructDef, words: tuple[str, ...]) -> list[StructField]:
    """The members of ``struct`` that "protects X, Y and the b_* lists" names."""
    found: list[StructField] = []
    for piece in words:
        match = _MEMBER_WORDS_RE.match(piece.strip())
        if match is None:
            continue
        name = match.group("name")
        joined = "_".join(piece.strip().removeprefix("the ").split())
        if joined != name and any(f.name == joined for f in struct.fields):
            name = joined  # "protects cmd queue" with a member cmd_queue: that one, not cmd
        if "*" in name:
            found.extend(f for f in struct.fields if fnmatch.fnmatchcase(f.name, name))
        elif not _names_pointee(piece, struct, name):
            found.extend(f for f in struct.fields if f.name == name)
    return list(dict.fromkeys(found))


def _names_pointee(piece: str, struct: StructDef, name: str) -> bool:
    """Whether "protects the queue", said of a pointer member ``queue``, names the object
    it points at (omap3isp's queue_lock serialises the vb2 calls on ``*queue``, and the
    pointer is set under another lock): an article, and no word for the pointer."""
    words = piece.strip().split()
    return (len(words) == 2 and words[0] in ("the", "its")
            and any(f.name == name and f.type.rstrip().endswith("*") for f in struct.fields))


class _StructReader:
    def __init__(self, unit: Unit, struct: StructDef, table: Phrases) -> None:
        self.unit = unit
        self.struct = struct
        self.table = table
        self.fields = sorted(struct.fields, key=lambda f: f.line)

    def contract(self, member: StructField, lock_text: str, text: str, line: int, reads: bool,
                 conditional: bool, origin: Origin, lock: str = "") -> Contract:
        return Contract(kind=ContractKind.PROTECTED_BY, origin=origin,
                        subject=f"{self.struct.name}.{member.name}", file=self.unit.path,
                        line=line, text=text, lock_text=lock_text, lock=lock, reads=reads,
                        conditional=conditional)

    def from_comment(self, comment: Comment, covered: list[StructField],
                     on: StructField | None) -> Iterator[Contract]:
        """Contracts of one comment over the members it covers (``on``: the member it is on)."""
        closing = self.table.member_closing
        if closing is not None and closing.search(" ".join(comment.text.split())):
            return  # "end: protected by X" closes a block: it protects nothing
        for sentence in sentences(comment):
            for names, reads, protects, conditional in _statements(sentence.text, self.table):
                cond = conditional == "True"
                if protects:
                    if on is None or self.table.lock_type(on.type) is None:
                        continue  # "protects X" on something that is not a lock
                    lock = f"{self.struct.name}.{on.name}"
                    for member in _protected_members(self.struct, names):
                        if member is not on:
                            yield self.contract(member, on.name, sentence.text, sentence.line,
                                                reads, cond, Origin.MEMBER, lock)
                    continue
                for member in covered:
                    if self.table.lock_type(member.type) is not None:
                        continue  # a lock is not protected by a lock
                    for lock_text in names:
                        yield self.contract(member, lock_text, sentence.text, sentence.line,
                                            reads, cond, Origin.MEMBER)

    def trailing(self, member: StructField) -> Comment | None:
        line = self.unit.line(member.line)
        for comment in self.unit.comments_in(member.line, member.line):
            before = line[: line.find(comment.text[:2])] if comment.text[:2] in line else ""
            if before.strip() and member.name in before:
                return comment
        return None

    def group(self, comment: Comment) -> list[StructField]:
        """The members a comment on its own lines covers: up to a blank line or another comment."""
        covered: list[StructField] = []
        line = comment.end_line + 1
        for member in self.fields:
            if member.line < line:
                continue
            gap = range(line, member.line)
            if any(not self.unit.line(n).strip() or _PREPROCESSOR_RE.match(self.unit.line(n))
                   for n in gap) or self.unit.comments_in(line, member.line - 1):
                break
            covered.append(member)
            line = member.line + 1
        return covered

    def mine(self) -> Iterator[Contract]:
        if not self.fields:
            return
        first, last = self.fields[0].line, self.fields[-1].line
        for member in self.fields:
            comment = self.trailing(member)
            if comment is not None:
                yield from self.from_comment(comment, [member], member)
            for match in _GUARDED_RE.finditer(self.unit.line(member.line)):
                yield self.contract(member, match.group(2), match.group(0), member.line,
                                    True, False, Origin.ANNOTATION)
        for comment in self.unit.comments_in(first - 1, last):
            opening = self.unit.line(comment.start_line)
            if opening[: opening.find(comment.text[:2])].strip():
                continue  # a trailing comment: read above with its member
            covered = self.group(comment)
            if (len(covered) > 1 and self.table.group_plural is not None
                    and self.table.lock_type(covered[0].type) is None
                    and not self.table.group_plural.search(comment.text)):
                covered = covered[:1]  # "Protected by X" above one member, not its neighbours
            if covered:
                yield from self.from_comment(comment, covered, covered[0] if len(covered) == 1
                                             or self.table.lock_type(covered[0].type) else None)


def _kernel_doc(unit: Unit, structs: dict[str, StructDef], table: Phrases) -> Iterator[Contract]:
    for comment in unit.ir.comments:
        if not comment.text.startswith("/**"):
            continue
        block = doc_block(comment)
        if block is None or block.kind not in (DocKind.STRUCT, DocKind.UNION):
            continue
        struct = structs.get(block.name)
        if struct is None:
            continue
        members = {f.name: f for f in struct.fields}
        for sentence in sentences(comment):
            if not sentence.heading.startswith("@"):
                continue
            member = members.get(sentence.heading[1:].split(".")[-1])
            if member is None:
                continue
            reader = _StructReader(unit, struct, table)
            for names, reads, protects, conditional in _statements(sentence.text, table):
                if protects:
                    # "@lock: protects @free and @count": the described member is the lock.
                    if table.lock_type(member.type) is None:
                        continue
                    lock = f"{struct.name}.{member.name}"
                    bare = tuple(n.strip().lstrip("@") for n in names)
                    for covered in _protected_members(struct, bare):
                        if covered is not member:
                            yield reader.contract(covered, member.name, sentence.text,
                                                  sentence.line, reads, conditional == "True",
                                                  Origin.MEMBER, lock)
                    continue
                for lock_text in names:
                    yield reader.contract(member, lock_text, sentence.text, sentence.line, reads,
                                          conditional == "True", Origin.MEMBER)


def mine_members(unit: Unit) -> Iterator[Contract]:
    """Member-protection contracts of every struct the file defines."""
    table = phrases()
    structs: dict[str, StructDef] = {}
    for struct in unit.ir.structs:
        structs.setdefault(struct.name, struct)
        yield from _StructReader(unit, struct, table).mine()
    yield from _kernel_doc(unit, structs, table)
