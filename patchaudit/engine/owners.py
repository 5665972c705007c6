"""Who owns the findings: the tree's MAINTAINERS entries for their files, and ``--maintainers-of``.

Reports group findings by these entries (the HTML directory of a scan, the
JSON summary a routing bot reads); the tree stage parses the file, this
step attaches the result to the report as plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from patchaudit.errors import InputError
from patchaudit.model import MaintainerEntry, Ownership, RunReport
from patchaudit.tree.maintainers import Entry, Maintainers, parse_maintainers

MAINTAINERS = "MAINTAINERS"

Reader = Callable[[str], "bytes | None"]


def read_maintainers(read: Reader, is_dir: Callable[[str], bool]) -> Maintainers | None:
    """The tree's MAINTAINERS file, or None when it has none (not every tree is a kernel)."""
    try:
        data = read(MAINTAINERS)
    except InputError:
        return None  # a directory or something else by that name: no entries
    if data is None:
        return None
    return parse_maintainers(data.decode("utf-8", "surrogateescape"), is_dir)


def _entry(entry: Entry) -> MaintainerEntry:
    return MaintainerEntry(
        entry.name, entry.line, entry.maintainers, entry.reviewers, entry.lists, entry.status
    )


def attach_ownership(report: RunReport, maintainers: Maintainers) -> RunReport:
    """The report with the owners of each file that has a finding (only the entries used)."""
    chosen: dict[int, int] = {}  # index in MAINTAINERS -> index in the report's entries
    entries: list[MaintainerEntry] = []
    owners: dict[str, tuple[int, ...]] = {}
    for file in sorted({f.file for f in report.findings if f.file}):
        indexes = []
        for entry in maintainers.owners(file):
            if entry.index not in chosen:
                chosen[entry.index] = len(entries)
                entries.append(_entry(entry))
            indexes.append(chosen[entry.index])
        owners[file] = tuple(indexes)
    # Entries in MAINTAINERS order, whatever order their files came in.
    order = sorted(range(len(entries)), key=lambda i: entries[i].line)
    renumber = {old: new for new, old in enumerate(order)}
    return replace(
        report,
        ownership=Ownership(
            tuple(entries[i] for i in order),
            {file: tuple(sorted(renumber[i] for i in found)) for file, found in owners.items()},
        ),
    )


def entries_covering(maintainers: Maintainers, path: str) -> tuple[Entry, ...]:
    """The entries get_maintainer.pl names for ``path``, without catch-alls such as THE REST
    (a pattern starting with ``*``: it covers every path) unless nothing else covers it."""
    found = maintainers.covering(path)
    specific = tuple(entry for entry, depth in found if depth >= 0)
    return specific or tuple(entry for entry, _ in found)


def restrict_to_maintainers_of(
    report: RunReport, maintainers: Maintainers, path: str, is_dir: bool
) -> RunReport:
    """Only the findings in files that one of the entries covering ``path`` owns.

    A directory is looked up with its trailing slash, as get_maintainer.pl
    looks up the directories it is given.
    """
    key = path.rstrip("/") + "/" if is_dir else path
    wanted = {entry.index for entry in entries_covering(maintainers, key)}
    if not wanted:
        raise InputError(path, "no MAINTAINERS entry covers this path")
    kept = tuple(
        f for f in report.findings
        if f.file and any(e.index in wanted for e in maintainers.owners(f.file))
    )  # fmt: skip
    restricted = attach_ownership(replace(report, findings=kept), maintainers)
    assert restricted.ownership is not None
    return replace(restricted, ownership=replace(restricted.ownership, restricted_to=path))
