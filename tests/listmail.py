"""List mail for the bot's tests and benchmark: series made at test time from real Linux 6.12 code.

Each series is committed in a scratch git repository holding the real files
it touches, written out by ``git format-patch`` (cover letter, version,
base-commit), and threaded as ``git send-email`` threads it: every mail gets a
Message-ID, patches answer the cover letter (or patch 1 without one), all
carry To: the list. Nothing here is stored in the repository: the code comes
from the tree given, when the tests run.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from patchaudit.series.forms import split_mbox

AUTHOR = "Bench Author <bench@example.org>"
LIST = "kernel-list@example.org"


@dataclass(frozen=True)
class Edit:
    path: str
    old: str  # occurs exactly once in the file
    new: str


@dataclass(frozen=True)
class PatchSpec:
    title: str
    body: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class SeriesSpec:
    key: str  # makes the Message-IDs unique: <key.vN.M@example.org>
    patches: tuple[PatchSpec, ...]
    version: int = 1
    cover: str = ""  # a cover letter's title; none when empty
    author: str = AUTHOR
    base_commit: bool = False  # write git's base-commit: line
    in_reply_to: str = ""  # thread the series under this Message-ID (a new version)
    chain: bool = False  # each patch answers the one before (--chain-reply-to)
    extra: tuple[str, ...] = field(default=())  # more headers for every mail


def message_id(spec: SeriesSpec, number: int) -> str:
    return f"{spec.key}.v{spec.version}.{number}@example.org"


def _git(repo: Path, *args: str) -> bytes:
    env = dict(os.environ, GIT_AUTHOR_DATE="2024-11-18T12:00:00Z",
               GIT_COMMITTER_DATE="2024-11-18T12:00:00Z")
    done = subprocess.run(["git", "-c", "user.name=Bench Author", "-c",
                           "user.email=bench@example.org", *args],
                          cwd=repo, check=True, env=env, capture_output=True)
    return done.stdout


def make_repo(kernel: Path, paths: Sequence[str], repo: Path,
              message: str = "Linux 6.12 files") -> str:
    """A git repository (branch main) holding these real 6.12 files in one commit; its hash."""
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", "main")
    for path in paths:
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(kernel / path, target)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD").decode().strip()


def _headers(message: bytes, extra: Sequence[str]) -> bytes:
    head, _, body = message.partition(b"\n\n")
    return head + b"".join(b"\n" + line.encode() for line in extra) + b"\n\n" + body


def build_series(kernel: Path, spec: SeriesSpec, scratch: Path, *, repo: Path | None = None,
                 list_address: str = LIST) -> list[bytes]:
    """The mails of a series, in the order git send-email sends them.

    ``repo`` is a repository to branch from (its HEAD is the base-commit);
    by default a scratch one is made from the real files the series touches.
    """
    work = scratch / f"{spec.key}-v{spec.version}"
    if repo is not None:
        subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
    else:
        make_repo(kernel, sorted({e.path for p in spec.patches for e in p.edits}), work)
    for patch in spec.patches:
        for edit in patch.edits:
            target = work / edit.path
            text = target.read_text(encoding="utf-8", errors="surrogateescape")
            if text.count(edit.old) != 1:
                raise AssertionError(f"{edit.path}: the text to edit is not there exactly once")
            target.write_text(text.replace(edit.old, edit.new), encoding="utf-8",
                              errors="surrogateescape")
        _git(work, "commit", "-q", "-a", "-m",
             f"{patch.title}\n\n{patch.body}\n\nSigned-off-by: {spec.author}")
    args = ["format-patch", "--stdout", f"-{len(spec.patches)}", "--no-signature"]
    if spec.version > 1:
        args.append(f"-v{spec.version}")
    if spec.cover or len(spec.patches) > 1:
        args.append("--numbered")
    if spec.cover:
        args.append("--cover-letter")
    if spec.base_commit:
        args.append("--base=HEAD~" + str(len(spec.patches)))
    mails = split_mbox(_git(work, *args))
    out: list[bytes] = []
    first = 0 if spec.cover else 1
    for number, mail in enumerate(mails, first):
        if number == 0:
            mail = mail.replace(b"*** SUBJECT HERE ***", spec.cover.encode())
            mail = mail.replace(b"*** BLURB HERE ***",
                                f"This series changes {len(spec.patches)} things.".encode())
        if spec.author != AUTHOR:
            mail = mail.replace(AUTHOR.encode(), spec.author.encode())
        # git send-email: every mail answers the first (or, chained, the one before).
        refs = [spec.in_reply_to] if spec.in_reply_to else []
        if number != first:
            refs += ([message_id(spec, n) for n in range(first, number)] if spec.chain
                     else [message_id(spec, first)])
        headers = [f"Message-ID: <{message_id(spec, number)}>", f"To: {list_address}", *spec.extra]
        if refs:
            headers.append(f"In-Reply-To: <{refs[-1]}>")
            headers.append("References: " + " ".join(f"<{r}>" for r in refs))
        out.append(_headers(mail, headers))
    return out


def reply(to: bytes, text: str, author: str = "Reviewer <reviewer@example.org>",
          key: str = "") -> bytes:
    """A review reply to a mail: Re: its subject, threaded, its body quoted."""
    head, _, body = to.partition(b"\n\n")
    fields = dict(re.findall(rb"^(Subject|Message-ID): (.*)$", head, re.MULTILINE))
    subject = fields[b"Subject"].decode()
    parent = fields[b"Message-ID"].decode()
    quoted = "\n".join("> " + line for line in body.decode(errors="replace").splitlines()[:6])
    own = key or "re." + parent.strip("<>")
    return (f"From: {author}\nTo: {LIST}\nSubject: Re: {subject}\nMessage-ID: <{own}>\n"
            f"In-Reply-To: {parent}\nReferences: {parent}\nDate: Tue, 19 Nov 2024 09:00:00 +0000\n"
            f"\n{quoted}\n\n{text}\n").encode()


# ---------------------------------------------------------------------- real edits


def balloon_patches() -> tuple[PatchSpec, ...]:
    """The ten edits of bench/make_series.py (patch 2 plants a pages_lock bug), as patches."""
    bench = Path(__file__).resolve().parents[1] / "bench"
    sys.path.insert(0, str(bench))
    try:
        from make_series import EDITS
    finally:
        sys.path.remove(str(bench))
    return tuple(PatchSpec(e.subject, e.body, (Edit(e.path, e.old, e.new),)) for e in EDITS)


# A kernel-doc block: "name() - summary" (maybe wrapped), @param lines, more
# text, the end of the comment, and a declaration line naming the function.
_DOC_BLOCK = re.compile(
    r"^/\*\*\n \* (?P<name>[a-z_][a-z0-9_]*)(?:\(\))?\s+-\s+(?P<summary>[^\n]+)\n"
    r"(?: \*[ \t]+[^@ \t\n][^\n]*\n)*"
    r"(?P<params> \* @[a-z_][a-z0-9_]*:[^\n]*\n(?: \*(?!/)[^\n]*\n)*?)"
    r" \*/\n(?P<decl>[^\n]*\b(?P=name)\([^\n]*)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class DocSite:
    """A kernel-doc comment of a real function, right above its definition."""

    path: str
    name: str
    block: str  # the comment text, "/**" to the declaration line's start
    summary: str
    param: str  # the first documented parameter


def doc_sites(kernel: Path, directories: Sequence[str]) -> Iterator[DocSite]:
    """Kernel-doc comments whose first @param is a parameter of the function after them."""
    for directory in directories:
        for path in sorted((kernel / directory).glob("*.c")):
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            seen: set[str] = set()
            for match in _DOC_BLOCK.finditer(text):
                name = match["name"]
                param = re.match(r" \* @([a-z_][a-z0-9_]*):", match["params"])
                block = match.group(0)[: match.start("decl") - match.start()]
                if param is None or name in seen or text.count(block) != 1:
                    continue
                # reword_summary edits " - summary": skip "name -  summary" and the like.
                if f" - {match['summary']}\n" not in block:
                    continue
                # The parameter must be in the declaration's first line: the
                # comment and the code agree before the edit.
                if not re.search(rf"\b{param.group(1)}\s*[,)]", match["decl"]):
                    continue
                seen.add(name)
                yield DocSite(str(path.relative_to(kernel)), name, block, match["summary"],
                              param.group(1))


def rename_param(site: DocSite) -> Edit:
    """The comment renames the parameter, the code does not: PA3001 and PA3002 report it."""
    old = f" * @{site.param}:"
    return Edit(site.path, site.block, site.block.replace(old, f" * @{site.param}_old:", 1))


def reword_summary(site: DocSite) -> Edit:
    """A wording change of the summary line: nothing to report."""
    summary = site.summary
    new = summary[:-1] if summary.endswith(".") else summary + "."
    return Edit(site.path, site.block, site.block.replace(f" - {summary}\n", f" - {new}\n", 1))


# ---------------------------------------------------------------------- hostile mail


def with_injected_headers(mail: bytes) -> bytes:
    """The mail with a Subject and From that decode to CR LF and a Bcc: header."""
    subject = base64.b64encode(b"mm: title\r\nBcc: victim@example.org").decode()
    name = base64.b64encode(b"Mallory\r\nBcc: victim@example.org").decode()
    mail = re.sub(rb"^Subject: \[PATCH\] .*$",
                  f"Subject: [PATCH] =?utf-8?b?{subject}?=".encode(), mail, count=1, flags=re.MULTILINE)
    return re.sub(rb"^From: .*$", f"From: =?utf-8?b?{name}?= <mallory@example.org>".encode(),
                  mail, count=1, flags=re.MULTILINE)


def hostile_mails(list_address: str = LIST) -> dict[str, bytes]:
    """Mail that must not hurt the bot: broken MIME, a large attachment (365 kB: public-inbox-mda
    takes at most 500 kB), MIME parts nested 3,000 deep."""
    boundary = "XyZ"
    date = "Date: Tue, 19 Nov 2024 10:00:00 +0000\n"  # public-inbox-mda refuses mail without one
    broken = (f"From: Mallory <mallory@example.org>\nTo: {list_address}\n"
              "Subject: [PATCH] mm: broken mime\nMessage-ID: <hostile.mime@example.org>\n" + date +
              f"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\n\n"
              f"--{boundary}\nContent-Type: text/plain; charset=\"no-such-charset\"\n"
              "Content-Transfer-Encoding: base64\n\n!!!! not base64 at all ####\n"
              f"--{boundary}\nContent-Type: text/x-patch\nContent-Transfer-Encoding: quoted-printable\n\n"
              "diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1,1 +1,1 @@\n=ZZ\n")
    huge = (f"From: Mallory <mallory@example.org>\nTo: {list_address}\n"
            "Subject: [PATCH] mm: huge attachment\nMessage-ID: <hostile.huge@example.org>\n" + date +
            f"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\n\n"
            f"--{boundary}\nContent-Type: application/octet-stream\n"
            "Content-Transfer-Encoding: base64\n\n" + ("QUFBQUFBQUFB" * 6 + "\n") * 5000
            + f"--{boundary}--\n")
    depth = 3000
    nested = (f"From: Mallory <mallory@example.org>\nTo: {list_address}\n"
              "Subject: [PATCH] mm: nested parts\nMessage-ID: <hostile.nested@example.org>\n" + date +
              "MIME-Version: 1.0\n"
              + "".join(f"Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
                        for i in range(depth))
              + "Content-Type: text/plain\n\nhello\n")
    return {"broken-mime": broken.encode(), "huge": huge.encode(), "nested": nested.encode()}


def heavy_mail(functions: int, list_address: str = LIST) -> bytes:
    """A patch adding one driver file of ``functions`` balloon functions that take pages_lock:
    each is parsed and its locking followed (about a millisecond a function)."""
    lines = ["#include <linux/balloon_compaction.h>", ""]
    for number in range(functions):
        lines += [
            f"static void heavy_balloon_step_{number}(struct balloon_dev_info *b_dev_info,",
            "\t\t\t\t\tstruct page *page)",
            "{",
            "\tunsigned long flags;",
            "",
            "\tspin_lock_irqsave(&b_dev_info->pages_lock, flags);",
            "\tlist_del(&page->lru);",
            "\tb_dev_info->isolated_pages++;",
            "\tspin_unlock_irqrestore(&b_dev_info->pages_lock, flags);",
            "}",
            "",
        ]
    added = "".join(f"+{line}\n" for line in lines)
    return (f"From: Mallory <mallory@example.org>\nTo: {list_address}\n"
            "Subject: [PATCH] misc: add a heavy balloon driver\n"
            "Message-ID: <hostile.heavy@example.org>\nDate: Tue, 19 Nov 2024 10:00:00 +0000\n\n"
            "A lot of code.\n---\n"
            "diff --git a/drivers/misc/heavy_balloon.c b/drivers/misc/heavy_balloon.c\n"
            "new file mode 100644\n--- /dev/null\n+++ b/drivers/misc/heavy_balloon.c\n"
            f"@@ -0,0 +1,{len(lines)} @@\n{added}").encode()


# ---------------------------------------------------------------------- a whole list


@dataclass(frozen=True)
class GeneratedList:
    mails: tuple[bytes, ...]  # in sending order
    series: int
    replied: frozenset[str]  # Message-IDs of the patches a reply must answer (each once)


def generated_list(kernel: Path, count: int, scratch: Path,
                   directories: Sequence[str] = ("mm", "kernel", "lib")) -> GeneratedList:
    """``count`` series of real edits: a quarter single renames (one reply each), a quarter
    single rewordings (none), a quarter covered three-patch series with two renames (two
    replies), a quarter two rewordings; every fifth series gets a review reply."""
    sites = doc_sites(kernel, directories)
    mails: list[bytes] = []
    replied: set[str] = set()
    for number in range(count):
        shape = number % 4
        key = f"s{number:04d}"
        if shape == 0:
            spec = SeriesSpec(key, (PatchSpec(f"{key}: rename", "Doc.", (rename_param(next(sites)),)),))
            renamed = [1]
        elif shape == 1:
            spec = SeriesSpec(key, (PatchSpec(f"{key}: reword", "Doc.",
                                              (reword_summary(next(sites)),)),))
            renamed = []
        elif shape == 2:
            spec = SeriesSpec(key, (
                PatchSpec(f"{key}: rename one", "Doc.", (rename_param(next(sites)),)),
                PatchSpec(f"{key}: reword", "Doc.", (reword_summary(next(sites)),)),
                PatchSpec(f"{key}: rename two", "Doc.", (rename_param(next(sites)),)),
            ), cover=f"{key}: three comment changes")
            renamed = [1, 3]
        else:
            spec = SeriesSpec(key, (
                PatchSpec(f"{key}: reword one", "Doc.", (reword_summary(next(sites)),)),
                PatchSpec(f"{key}: reword two", "Doc.", (reword_summary(next(sites)),)),
            ))
            renamed = []
        built = build_series(kernel, spec, scratch)
        mails += built
        replied.update(message_id(spec, n) for n in renamed)
        if number % 5 == 0:
            mails.append(reply(built[-1], "Looks fine to me.", key=f"re.{key}@example.org"))
        shutil.rmtree(scratch / f"{key}-v1")
    return GeneratedList(tuple(mails), count, frozenset(replied))
