"""load_git_range: git format-patch output of a real repository, and its failures."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from patchaudit.errors import InputError
from patchaudit.series.git import load_git_range
from patchaudit.series.model import FileChange

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "GIT_AUTHOR_DATE": "2018-11-19T10:16:08+0100",
        "GIT_COMMITTER_DATE": "2018-11-19T10:16:08+0100",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / "demo.c").write_text("int a;\nint b;\n")
    (tmp_path / "old name.txt").write_text("".join(f"line {i}\n" for i in range(10)))
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "demo: start")
    (tmp_path / "demo.c").write_text("int a;\nint c;\n")
    git(
        tmp_path,
        "commit",
        "-q",
        "-a",
        "-m",
        "demo: rename b to c\n\nBecause.\n\nSigned-off-by: Ada Lovelace <ada@example.org>",
    )
    git(tmp_path, "mv", "old name.txt", "new name.txt")
    git(tmp_path, "commit", "-q", "-m", "demo: rename the notes")
    return tmp_path


def test_range_becomes_a_series(repo: Path) -> None:
    series = load_git_range(repo, "HEAD~2..HEAD")
    assert series.source == f"{repo}:HEAD~2..HEAD"
    assert [p.subject.raw for p in series.patches] == [
        "[PATCH 1/2] demo: rename b to c",
        "[PATCH 2/2] demo: rename the notes",
    ]
    first, second = series.patches
    assert first.author == "Ada Lovelace <ada@example.org>"
    assert first.body == "Because."
    assert [(f.path, [h.header for h in f.hunks]) for f in first.files] == [
        ("demo.c", ["@@ -1,2 +1,2 @@"])
    ]
    assert [(f.change, f.old_path, f.new_path) for f in second.files] == [
        (FileChange.RENAMED, "old name.txt", "new name.txt")
    ]
    assert series.problems == ()


def test_failures_are_input_errors(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InputError, match=r"git format-patch failed: .*unknown revision"):
        load_git_range(repo, "no-such-branch..HEAD")
    with pytest.raises(InputError, match=r"must not be empty or start with '-'$"):
        load_git_range(repo, "--output=/tmp/x")
    with pytest.raises(InputError, match=r": the range holds no commits$"):
        load_git_range(repo, "HEAD..HEAD")
    not_a_repo = tmp_path_factory.mktemp("plain")
    with pytest.raises(InputError, match=r"git format-patch failed: fatal: not a git repository"):
        load_git_range(not_a_repo, "HEAD~1..HEAD")
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty")))
    with pytest.raises(InputError, match=r"git is not installed \(not found on PATH\)$"):
        load_git_range(repo, "HEAD~1..HEAD")


@pytest.mark.kernel
def test_real_kernel_files_round_trip_through_format_patch(
    tmp_path: Path, kernel_tree: Path
) -> None:
    """Edit real 6.12 files in a scratch repository; every file and line count must match git."""
    tree = kernel_tree
    names = [
        "mm/balloon_compaction.c",
        "include/linux/balloon_compaction.h",
        "drivers/virtio/virtio_balloon.c",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tree / name, tmp_path / name)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    for name in names:
        path = tmp_path / name
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").split("\n")
        # Every 7th line renamed, every 11th dropped: many hunks of every shape.
        edited = [
            line.replace("page", "folio") if i % 7 == 0 else line
            for i, line in enumerate(lines)
            if i % 11 != 5
        ]
        path.write_text("\n".join(edited), encoding="utf-8", errors="surrogateescape")
    git(tmp_path, "mv", "mm/balloon_compaction.c", "mm/balloon.c")
    git(tmp_path, "commit", "-q", "-a", "-m", "mm: edit")
    numstat = git(tmp_path, "diff", "--numstat", "-M", "HEAD~1", "HEAD")
    expected = sorted(
        (int(a), int(d)) for a, d, _ in (row.split("\t", 2) for row in numstat.splitlines())
    )
    (patch,) = load_git_range(tmp_path, "HEAD~1..HEAD").patches
    counted = sorted(
        (
            sum(line.kind.value == "+" for h in f.hunks for line in h.lines),
            sum(line.kind.value == "-" for h in f.hunks for line in h.lines),
        )
        for f in patch.files
    )
    assert counted == expected
    assert sorted(f.path for f in patch.files) == [
        "drivers/virtio/virtio_balloon.c",
        "include/linux/balloon_compaction.h",
        "mm/balloon.c",
    ]
