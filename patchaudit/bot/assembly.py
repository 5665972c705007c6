"""Series from loose list mail, as b4 sees them: threads, ``[PATCH vN M/T]``, covers, newer versions.

A patch belongs with the mail it answers (In-Reply-To, else the last of
References) when that mail is its cover letter, or a patch of the same version
and length: git send-email threads a series under its cover letter, or under
patch 1 without one, or (``--chain-reply-to``) each patch under the one
before. A cover letter starts a series even when it answers an older version
(``--in-reply-to``), and an unnumbered ``[PATCH]`` is a series of its own.
Patches of one version that answer the same mail belong together even while
that mail (a cover letter, patch 1) has not arrived.
Replies (``Re:``) never join a series. Mail may arrive in any order: the
grouping is recomputed from all waiting mail whenever mail arrives.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from patchaudit.bot.state import MessageRow, SeriesRow

_ADDRESS = re.compile(r"<([^<>]+)>")


def author_key(author: str) -> str:
    """The address of an author, lower-cased: "A <a@x>" and "a@x" are the same sender."""
    match = _ADDRESS.search(author)
    return (match.group(1) if match else author).strip().lower()


def title_key(title: str) -> str:
    return " ".join(title.split()).lower()


@dataclass(frozen=True)
class Group:
    """Waiting mail that forms (part of) one version of one series."""

    members: tuple[MessageRow, ...]  # cover letters first, then patches by index
    anchor: str  # Message-Id of the cover letter, else of the lowest-numbered patch
    list: str
    title: str
    author: str  # author_key of the anchor
    version: int
    total: int | None
    missing: tuple[int, ...]
    first_arrival: float
    last_arrival: float
    references: frozenset[str]  # every Message-Id its mail answers or references
    late_for: SeriesRow | None  # the existing series this mail continues (arrived late)

    @property
    def patches(self) -> int:
        return sum(1 for m in self.members if m.kind == "patch")

    @property
    def complete(self) -> bool:
        return self.patches > 0 and not self.missing


class Action(Enum):
    CHECK = "check"  # complete, or waited for long enough
    WAIT = "wait"
    SUPERSEDED = "superseded"  # a newer version of it has arrived
    LATE = "late"  # more mail of a series already created


@dataclass(frozen=True)
class Decision:
    group: Group
    action: Action
    reason: str


class _Sets:
    """Union-find over Message-Ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, child: str, parent: str) -> None:
        self.parent[self.find(child)] = self.find(parent)


def joins(child: MessageRow, parent: MessageRow) -> bool:
    """Whether ``child`` is part of the same series version as the mail it answers."""
    if child.kind != "patch" or child.total is None or child.version != parent.version:
        return False
    if parent.kind == "cover":
        return parent.total in (None, child.total)
    return parent.kind == "patch" and parent.total == child.total


def outside_parents(waiting: Iterable[MessageRow]) -> set[str]:
    """Mail answered by waiting mail that is not itself waiting (it may belong to a series)."""
    rows = list(waiting)
    ids = {m.message_id for m in rows}
    return {m.parent for m in rows if m.parent and m.parent not in ids}


def _late_for(root: MessageRow, assigned: Mapping[str, SeriesRow],
              answered_by: Mapping[str, SeriesRow]) -> SeriesRow | None:
    if root.kind == "cover":
        # A cover letter delivered after its patches (archives keep arrival order,
        # not sending order) belongs with them, not in a series of its own.
        series = answered_by.get(root.message_id)
        if series is not None and series.version == root.version and \
                root.total in (None, series.total):
            return series
        return None
    series = assigned.get(root.parent)
    if series is None or root.kind != "patch" or root.total is None:
        return None
    if series.version == root.version and series.total in (None, root.total):
        return series
    return None


def _group(members: list[MessageRow], late_for: SeriesRow | None) -> Group:
    covers = [m for m in members if m.kind == "cover"]
    patches = sorted((m for m in members if m.kind == "patch"),
                     key=lambda m: (m.index if m.index is not None else 1, m.arrived))
    ordered = covers + patches
    head = covers[0] if covers else patches[0]
    total = head.total if covers and head.total is not None else None
    if total is None:
        totals = Counter(m.total for m in patches if m.total is not None)
        total = max(totals.items(), key=lambda item: (item[1], item[0]))[0] if totals else None
    present = {m.index for m in patches}
    missing = tuple(i for i in range(1, (total or 0) + 1) if i not in present)
    ids = {m.message_id for m in members}
    parents = Counter(m.parent for m in patches if m.parent and m.parent not in ids)
    first = next((m for m in patches if m.index == 1), None)
    if not covers and first is not None and parents[first.parent] > 1:
        # Patch 1 and another answer one mail that has not arrived: git send-email
        # threads a series so under its cover letter, which may carry the
        # base-commit. Wait for it (0/N, as b4 numbers it) as for a missing patch.
        missing = (0, *missing)
    references: set[str] = set()
    for mail in ordered:
        references.update(mail.references)
        if mail.parent:
            references.add(mail.parent)
    return Group(
        members=tuple(ordered),
        anchor=head.message_id,
        list=head.list,
        title=head.title,
        author=author_key(head.author),
        version=head.version,
        total=total,
        missing=missing,
        first_arrival=min(m.arrived for m in members),
        last_arrival=max(m.arrived for m in members),
        references=frozenset(references - {m.message_id for m in members}),
        late_for=late_for,
    )


def group_mail(waiting: Sequence[MessageRow], assigned: Mapping[str, SeriesRow],
               answered_by: Mapping[str, SeriesRow] | None = None) -> list[Group]:
    """Waiting covers and patches grouped into series versions, in order of first arrival.

    ``assigned`` maps Message-Ids outside ``waiting`` to the series they
    belong to, so that mail answering an existing series is recognised;
    ``answered_by`` maps the Message-Ids of waiting cover letters to the series
    of patches that answer them, so that a cover arriving last joins its patches.
    """
    by_id = {m.message_id: m for m in waiting}
    sets = _Sets()
    siblings: dict[tuple[str, int, int], str] = {}
    for mail in waiting:
        sets.find(mail.message_id)
        parent = by_id.get(mail.parent)
        if parent is not None and joins(mail, parent):
            sets.union(mail.message_id, parent.message_id)
        elif mail.kind == "patch" and mail.parent and mail.total is not None:
            # Patches of one version answering the same mail that is not here
            # (a cover letter or patch 1 still on its way) belong together.
            key = (mail.parent, mail.version, mail.total)
            sets.union(mail.message_id, siblings.setdefault(key, mail.message_id))
    members: dict[str, list[MessageRow]] = {}
    for mail in waiting:
        members.setdefault(sets.find(mail.message_id), []).append(mail)
    groups = []
    for root, mails in members.items():
        groups.append(_group(mails, _late_for(by_id[root], assigned, answered_by or {})))
    return sorted(groups, key=lambda g: (g.first_arrival, g.anchor))


def newer_version(old_version: int, old_author: str, old_title: str, old_anchor: str,
                  new: Group) -> bool:
    """Whether ``new`` is a later version of the series ``old_*`` describe."""
    if new.version <= old_version:
        return False
    if old_anchor in new.references:
        return True
    return new.author == old_author and title_key(new.title) == title_key(old_title)


def decide(groups: Sequence[Group], now: float, wait_seconds: float, *,
           final: bool = False) -> list[Decision]:
    """What to do with each group: check it, wait for the rest, drop it for a newer version.

    ``final`` (the end of a replay) checks what arrived of every incomplete
    series instead of waiting for the rest.
    """
    decisions = []
    for group in groups:
        if group.late_for is not None:
            decisions.append(Decision(group, Action.LATE, f"continues series {group.late_for.id}"))
            continue
        newer = next((other for other in groups if other is not group and newer_version(
            group.version, group.author, group.title, group.anchor, other)), None)
        if newer is not None:
            decisions.append(Decision(group, Action.SUPERSEDED,
                                      f"v{newer.version} <{newer.anchor}> arrived"))
        elif group.complete:
            decisions.append(Decision(group, Action.CHECK, "complete"))
        elif final or now - group.first_arrival >= wait_seconds:
            why = "the replay ended" if final else f"waited {wait_seconds:g} s"
            decisions.append(Decision(group, Action.CHECK, f"incomplete: {why}"))
        else:
            decisions.append(Decision(group, Action.WAIT, "incomplete"))
    return decisions


def missing_text(group: Group) -> str:
    return ", ".join(f"{i}/{group.total}" for i in group.missing)
