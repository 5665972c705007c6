"""scan over awkward paths: names that are not UTF-8, directories it cannot list, special files named.

None of them may stop a scan: a file is analysed or listed as skipped with
its reason, and the other files are reported as usual.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A use of a name the PG_offline conversion removed: PA1001 reports it with --all-rules.
BALLOON_USE = b"void f(struct page *page)\n{\n\tif (PageBalloon(page))\n\t\treturn;\n}\n"


def scan(
    tree: Path, *args: str, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "patchaudit", "scan", str(tree), *args, "--all-rules", "-j", "1"],
        capture_output=True, timeout=120, preexec_fn=preexec,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip


def without_dac_override() -> None:
    """Run as root without the capabilities that let root read any directory."""
    if os.geteuid() != 0:
        return
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def report(result: subprocess.CompletedProcess[bytes]) -> dict[str, object]:
    assert result.stderr == b"", result.stderr
    value: dict[str, object] = json.loads(result.stdout.decode("utf-8"))
    return value


def test_a_file_name_that_is_not_utf8_is_analysed_and_reported(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "ok.c").write_bytes(BALLOON_USE)
    os.close(os.open(os.fsencode(tree / "mm") + b"/bad\xff.c", os.O_CREAT | os.O_WRONLY))
    Path(os.fsdecode(os.fsencode(tree / "mm") + b"/bad\xff.c")).write_bytes(BALLOON_USE)
    cache = tmp_path / "cache"
    for run in ("cold", "warm"):
        result = scan(tree, "-f", "json", "--cache-dir", str(cache))
        assert result.returncode == 1, (run, result.stderr)
        found = [(f["file"], f["line"], f["rule_id"]) for f in report(result)["findings"]]  # type: ignore[attr-defined]
        assert found == [("mm/bad\ufffd.c", 3, "PA1001"), ("mm/ok.c", 3, "PA1001")], run
    text = scan(tree, "--no-cache")
    assert text.returncode == 1
    assert "mm/bad\ufffd.c:3:" in text.stdout.decode("utf-8")


def test_a_directory_whose_path_is_too_long_is_listed_as_skipped(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "ok.c").write_bytes(BALLOON_USE)
    # 24 levels of 200-character names: the path of the deepest is past PATH_MAX.
    fd = os.open(tree, os.O_RDONLY)
    depth: list[str] = []
    try:
        for _ in range(24):
            name = "d" * 200
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
            depth.append(name)
        with open(os.open("deep.c", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd), "wb") as handle:
            handle.write(BALLOON_USE)
    finally:
        os.close(fd)
    result = scan(tree, "-f", "json", "--no-cache")
    assert result.returncode == 1, result.stderr
    found = report(result)
    assert [(f["file"], f["line"]) for f in found["findings"]] == [("mm/ok.c", 3)]  # type: ignore[attr-defined]
    issues = found["file_issues"]
    assert len(issues) == 1  # type: ignore[arg-type]
    (issue,) = issues  # type: ignore[misc]
    assert issue["file"].startswith("d" * 200 + "/")
    assert issue["message"] == "cannot list directory: File name too long"


def test_an_unreadable_directory_is_listed_as_skipped(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "locked").mkdir()
    (tree / "locked" / "x.c").write_bytes(BALLOON_USE)
    (tree / "mm" / "ok.c").write_bytes(BALLOON_USE)
    (tree / "locked").chmod(0)
    result = scan(tree, "-f", "json", "--no-cache", preexec=without_dac_override)
    assert result.returncode == 1, result.stderr
    found = report(result)
    assert [(f["file"], f["line"]) for f in found["findings"]] == [("mm/ok.c", 3)]  # type: ignore[attr-defined]
    assert found["file_issues"] == [
        {"file": "locked", "message": "cannot list directory: Permission denied"}
    ]
    # The same directory named on the command line.
    named = scan(tree, "locked", "mm", "-f", "json", "--no-cache", preexec=without_dac_override)
    assert named.returncode == 1, named.stderr
    assert report(named)["file_issues"] == [
        {"file": "locked", "message": "cannot list directory: Permission denied"}
    ]
    (tree / "locked").chmod(0o755)  # for tmp_path's clean-up


def test_a_fifo_named_on_the_command_line_is_skipped_as_not_a_regular_file(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "ok.c").write_bytes(BALLOON_USE)
    os.mkfifo(tree / "mm" / "pipe.c")
    result = scan(tree, "mm/pipe.c", "mm/ok.c", "-f", "json", "--no-cache")
    assert result.returncode == 1, result.stderr
    found = report(result)
    assert [(f["file"], f["line"]) for f in found["findings"]] == [("mm/ok.c", 3)]  # type: ignore[attr-defined]
    assert found["file_issues"] == [
        {"file": "mm/pipe.c", "message": "is not a regular file or directory (a FIFO)"}
    ]
    # A name that does not exist is still a usage error.
    missing = scan(tree, "mm/nope.c")
    assert missing.returncode == 2
    assert missing.stderr.decode().endswith("mm/nope.c: no such file or directory\n")
