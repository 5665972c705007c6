"""-o and --html: files replaced atomically, streams written in place, the analysed tree never."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "patchaudit", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, env=env)  # fmt: skip


def check(*args: str, tree: Path = SAMPLES / "tree") -> subprocess.CompletedProcess[str]:
    return run("check", str(SAMPLES / "series.mbox"), "--tree", str(tree), "-f", "json", *args)


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("patchaudit: ")
    for word in words:
        assert word in line, line


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(SAMPLES / "tree", root)
    return root


def test_an_output_inside_the_analysed_tree_is_refused_before_any_work(tree: Path) -> None:
    target = tree / "kernel" / "crash_info.c"
    before = target.read_bytes()
    for option in ("-o", "--html"):
        one_line_error(check(option, str(target), tree=tree), "inside the analysed tree", "--force")
        one_line_error(check(option, str(tree / "new.json"), tree=tree), "inside the analysed tree")
    assert target.read_bytes() == before and not (tree / "new.json").exists()
    # Through a link to the tree from outside it, too.
    (tree.parent / "alias").symlink_to(tree)
    one_line_error(check("-o", str(tree.parent / "alias" / "r.json"), tree=tree), "inside")
    # --force is the way to say it is meant.
    result = check("-o", str(tree / "new.json"), "--force", tree=tree)
    assert result.returncode == 1, result.stderr
    assert (tree / "new.json").read_text().startswith("{")


def test_a_character_device_is_written_not_replaced(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root (CI runs as root)")
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private /dev/null
    for option in ("-o", "--html"):
        result = check(option, str(null))
        assert result.returncode == 1, result.stderr
        info = os.lstat(null)
        assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)


def test_a_fifo_is_written_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = check("-o", str(fifo))
    reader.join(timeout=60)
    assert result.returncode == 1, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and received[0].startswith(b"{")


def test_a_link_to_a_stream_is_written_through_and_kept(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "stdout-like"
    link.symlink_to(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = check("-o", str(link))
    reader.join(timeout=60)
    assert result.returncode == 1, result.stderr
    assert os.readlink(link) == str(fifo) and received[0].startswith(b"{")


def test_a_link_to_a_file_is_not_followed_into_a_replace(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    link = tmp_path / "report.json"
    link.symlink_to(victim)
    one_line_error(check("-o", str(link)), "symbolic link")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    one_line_error(check("-o", str(dangling)), "symbolic link")
    assert victim.read_text() == "keep me\n" and link.is_symlink()
    assert not (tmp_path / "nowhere").exists()


def test_a_directory_is_refused(tmp_path: Path) -> None:
    one_line_error(check("-o", str(tmp_path)), "is a directory")


def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path: Path) -> None:
    private = tmp_path / "private.json"
    private.write_text("old\n")
    private.chmod(0o600)
    assert check("-o", str(private)).returncode == 1
    assert private.read_text().startswith("{") and stat.S_IMODE(private.stat().st_mode) == 0o600
    fresh = tmp_path / "fresh.json"
    previous = os.umask(0o027)
    try:
        assert check("-o", str(fresh)).returncode == 1
    finally:
        os.umask(previous)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.json", "private.json"]


def test_dash_is_standard_output() -> None:
    result = check("-o", "-")
    assert result.returncode == 1 and result.stdout.startswith("{")
    assert not (REPO / "-").exists()


# ------------------------------------------------------------------ other files the CLI reads


def test_a_baseline_that_never_ends_is_too_large(tmp_path: Path) -> None:
    endless = tmp_path / "baseline.json"
    endless.symlink_to("/dev/zero")  # no size to check first: only a bounded read stops
    one_line_error(check("--baseline", str(endless)), "baseline file is too large")


@pytest.mark.parametrize("kind", ["fifo", "device-link", "dangling-link"])
def test_a_rule_file_that_is_no_regular_file_is_one_line(tmp_path: Path, kind: str) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    odd = rules / "odd.toml"
    if kind == "fifo":
        os.mkfifo(odd)  # reading it would wait for a writer for ever
    elif kind == "device-link":
        odd.symlink_to("/dev/zero")
    else:
        odd.symlink_to(tmp_path / "nowhere.toml")
    expected = "cannot read the rule file" if kind == "dangling-link" else "not a regular file"
    one_line_error(check("--rules", str(rules)), "odd.toml", expected)
