"""git input: ``check --git A..B`` and ``git format-patch --stdout | patchaudit check -``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Ada Fixture", "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada Fixture", "GIT_COMMITTER_EMAIL": "ada@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env=ENV, check=True)
    return done.stdout


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """A git repository holding the sample tree with the sample series applied as commits."""
    repo = tmp_path / "repo"
    shutil.copytree(SAMPLES / "tree", repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "am", "-q", "--empty=drop", str(SAMPLES / "series.mbox"))
    return repo


def patchaudit(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "patchaudit", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def test_check_git_range_reads_the_base_commit_not_the_work_tree(sample_repo: Path) -> None:
    count = len(git(sample_repo, "rev-list", "HEAD~8..HEAD").split())
    assert count == 8
    (sample_repo / "kernel" / "crash_info.c").write_text("not the committed file\n")
    before = git(sample_repo, "status", "--porcelain")
    result = patchaudit("check", "--git", "HEAD~8..HEAD", "--tree", str(sample_repo), "-f", "terse")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "kernel/crash_info.c:68: ERROR: 'PAGE_BALLOON_MAPCOUNT_VALUE' was removed in Linux " \
        "5.1; use 'PAGE_OFFLINE_MAPCOUNT_VALUE' [PA1005-removed-page-balloon-mapcount-value]" in lines
    assert lines[-1].startswith("total: 10 errors, 0 warnings")
    assert git(sample_repo, "status", "--porcelain") == before


def test_format_patch_piped_to_stdin_prints_checkpatch_lines(sample_repo: Path) -> None:
    mbox = git(sample_repo, "format-patch", "--stdout", "HEAD~8..HEAD")
    base = sample_repo.parent / "base"
    shutil.copytree(SAMPLES / "tree", base)
    result = patchaudit("check", "-", "--tree", str(base), "-f", "terse", stdin=mbox)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "kernel/power/snapshot_lite.c:57: ERROR: 'PageBalloon' was removed in Linux 5.1; " \
        "use 'PageOffline' [PA1001-removed-pageballoon]" in lines


@pytest.mark.parametrize("bad", ["HEAD~99..HEAD", "A...B", "..HEAD", "--upload-pack=x"])
def test_bad_ranges_are_input_errors(sample_repo: Path, bad: str) -> None:
    result = patchaudit("check", "--git", bad, "--tree", str(sample_repo))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_series_and_git_are_exclusive(sample_repo: Path) -> None:
    result = patchaudit("check", "samples/series.mbox", "--git", "HEAD~1..HEAD", "--tree", str(sample_repo))
    assert result.returncode == 2 and "not both" in result.stderr
