"""Reading a public-inbox v2 archive through git: epochs ``git/N.git``, one commit per mail, blob ``m``.

This is the layout ``public-inbox-init -V2`` creates and lore.kernel.org
mirrors (``public-inbox-clone``, grokmirror) hold. Each epoch's history is
linear; a commit that adds or replaces the file ``m`` delivers that mail, a
commit that writes ``d`` removes one (spam), and is skipped here, as is the
empty ``m`` that ``public-inbox-purge`` leaves when it rewrites history.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from patchaudit.errors import InputError
from patchaudit.gitcmd import run_git

_EPOCH = re.compile(r"^(\d+)\.git$")
_OID = re.compile(r"^[0-9a-f]{40,64}$")


@dataclass(frozen=True)
class ArchivedMail:
    epoch: int
    commit: str
    size: int
    data: bytes | None  # None when larger than the limit asked for


def is_v2_inbox(path: Path) -> bool:
    return (path / "git").is_dir() and bool(epochs(path))


def epochs(inbox: Path) -> list[tuple[int, Path]]:
    """The epoch repositories of an inbox, oldest first."""
    try:
        names = [entry.name for entry in (inbox / "git").iterdir() if entry.is_dir()]
    except OSError:
        return []
    found = [(int(match.group(1)), inbox / "git" / name)
             for name in names if (match := _EPOCH.match(name))]
    return sorted(found)


def _git(repo: Path, args: list[str], stdin: bytes | None = None) -> bytes:
    return run_git(str(repo), args, str(repo), f"git {args[0]}", stdin)


def head(repo: Path) -> str | None:
    """The newest commit of an epoch, or None while it has none."""
    try:
        text = _git(repo, ["rev-parse", "--verify", "-q", "HEAD^{commit}"]).decode().strip()
    except InputError:
        return None
    return text or None


def is_commit(repo: Path, commit: str) -> bool:
    try:
        _git(repo, ["cat-file", "-e", f"{commit}^{{commit}}"])
    except InputError:
        return False
    return True


def commits_after(repo: Path, since: str | None) -> list[str]:
    """Commits of an epoch after ``since`` (all of them for None), oldest first.

    A ``since`` that history no longer holds (``public-inbox-purge`` rewrites
    it) restarts from the beginning: mail already recorded is recognised by
    its Message-Id.
    """
    tip = head(repo)
    if tip is None:
        return []
    if since is not None and not (_OID.match(since) and is_commit(repo, since)):
        since = None
    spec = f"{since}..{tip}" if since else tip
    output = _git(repo, ["rev-list", "--reverse", spec])
    return output.decode().split()


def read_mails(repo: Path, epoch: int, commits: Sequence[str], max_bytes: int) -> Iterator[ArchivedMail]:
    """The mail each commit delivers; commits without ``m`` (deletions) give nothing."""
    if not commits:
        return
    # Sizes first, so that a huge mail is never read into memory.
    checked = _git(repo, ["cat-file", "--batch-check"],
                   "".join(f"{c}:m\n" for c in commits).encode()).decode().splitlines()
    if len(checked) != len(commits):
        raise InputError(str(repo), "git cat-file --batch-check answered a different number of lines")
    wanted: list[tuple[str, str, int]] = []
    sizes: list[tuple[str, str | None, int]] = []
    oid: str | None
    for commit, line in zip(commits, checked, strict=True):
        fields = line.split()
        if len(fields) == 3 and fields[1] == "blob":
            sizes.append((commit, fields[0], int(fields[2])))
            if int(fields[2]) <= max_bytes:
                wanted.append((commit, fields[0], int(fields[2])))
        else:
            sizes.append((commit, None, 0))
    blobs: dict[str, bytes] = {}
    if wanted:
        output = _git(repo, ["cat-file", "--batch"],
                      "".join(f"{oid}\n" for _, oid, _ in wanted).encode())
        at = 0
        for _, oid, size in wanted:
            header_end = output.index(b"\n", at)
            at = header_end + 1
            blobs[oid] = output[at : at + size]
            at += size + 1  # the blob, then a newline
    for commit, oid, size in sizes:
        if oid is None or size == 0:  # public-inbox-purge leaves an empty blob behind
            continue
        yield ArchivedMail(epoch, commit, size, blobs.get(oid))
