"""The base a series is checked against: its base-commit when the list's repository has it, else the
list's branch; a series that does not apply is answered with that fact."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from botparts import header, maildir_with, outbox_mails, write_config
from listmail import (
    Edit,
    PatchSpec,
    SeriesSpec,
    build_series,
    doc_sites,
    make_repo,
    rename_param,
    reword_summary,
)

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kernel
KERNEL_DOC = "Documentation/doc-guide/kernel-doc.rst"  # where the kernel-doc rules' text is


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_base_commit_when_the_repository_has_it_else_the_branch(kernel_tree: Path,
                                                               tmp_path: Path) -> None:
    sites = [s for s in doc_sites(kernel_tree, ["mm"]) if s.path == "mm/balloon_compaction.c"]
    paths = [KERNEL_DOC, "mm/balloon_compaction.c"]
    repo = tmp_path / "linux"
    head = make_repo(kernel_tree, paths, repo)
    other = tmp_path / "elsewhere"
    other_head = make_repo(kernel_tree, paths, other, message="The same files, another history")
    # A history where the comment was reworded first: the rename does not apply to main.
    moved = tmp_path / "moved"
    make_repo(kernel_tree, paths, moved, message="Yet another history")
    reworded = reword_summary(sites[1])
    (moved / reworded.path).write_text((moved / reworded.path).read_text().replace(
        reworded.old, reworded.new))
    _git(moved, "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-qam", "reword")
    moved_head = _git(moved, "rev-parse", "HEAD")
    renamed = rename_param(sites[1])
    moved_rename = Edit(renamed.path, reworded.new,
                        reworded.new.replace(f" * @{sites[1].param}:", f" * @{sites[1].param}_old:"))

    def rename(key: str, edit: Edit) -> SeriesSpec:
        return SeriesSpec(key, (PatchSpec("mm/balloon: rename a parameter's description", "Doc.",
                                          (edit,)),), base_commit=True)

    scratch = tmp_path / "scratch"
    mails = (build_series(kernel_tree, rename("known", rename_param(sites[0])), scratch, repo=repo)
             + build_series(kernel_tree, rename("unknown", rename_param(sites[0])), scratch,
                            repo=other)
             + build_series(kernel_tree, rename("moved", moved_rename), scratch, repo=moved))
    assert b"base-commit: " + other_head.encode() in mails[1]
    config = write_config(tmp_path / "bot.toml", maildir=tmp_path / "Maildir", git=repo,
                          branch="main")
    done = subprocess.run([sys.executable, "-m", "patchaudit", "bot", "replay",
                           str(maildir_with(tmp_path, mails)), "-c", str(config)],
                          env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = sqlite3.connect(tmp_path / "state.sqlite").execute(
        "SELECT anchor, base, base_note, new_errors, new_warnings, mails FROM series ORDER BY anchor")
    assert list(rows) == [
        ("known.v1.1@example.org", f"linux at {head[:12]} (base-commit)", "", 0, 2, 1),
        ("moved.v1.1@example.org",
         f"linux main at {head[:12]}; base-commit {moved_head} is not in linux",
         f"base-commit {moved_head} is not in linux", 1, 0, 1),
        ("unknown.v1.1@example.org",
         f"linux main at {head[:12]}; base-commit {other_head} is not in linux",
         f"base-commit {other_head} is not in linux", 0, 2, 1),
    ]
    replies = {header(m, "In-Reply-To"): m.decode() for m in outbox_mails(tmp_path / "outbox")}
    assert (f"patchaudit checked this patch against linux at {head[:12]} (base-commit)"
            in " ".join(replies["<known.v1.1@example.org>"].split()))
    assert ("error: hunk #1 (@@ -58,7 +58,7 @@ EXPORT_SYMBOL_GPL(balloon_page_list_enqueue);) of patch 1 "
            "does not apply: context does not match [PA0010-patch-does-not-apply]"
            in replies["<moved.v1.1@example.org>"])
    # The repository was only read.
    assert _git(repo, "rev-parse", "HEAD") == head and _git(repo, "status", "--porcelain") == ""
