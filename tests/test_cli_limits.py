"""Limits and numeric options: bad numbers are usage errors, and check has scan's budget model.

Every limit is either a finding-like note (a file listed as skipped, with its
reason) or one line on stderr with exit status 2, and each can be raised
with an option (docs/robustness.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
BALLOON_USE = "\tif (PageBalloon(page))\n\t\treturn;\n"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchaudit", *args], capture_output=True, text=True,
        cwd=cwd, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["scan", "check"])
@pytest.mark.parametrize("value", ["nan", "inf", "1e300", "1e12", "-1", "NaN", "0x10", "forever"])
def test_a_file_time_limit_must_be_a_finite_number_of_seconds(command: str, value: str) -> None:
    target = ["samples/tree"] if command == "scan" else ["samples/series.mbox", "--tree", "samples/tree"]
    line = one_line_error(run(command, *target, f"--file-time-limit={value}"))
    assert line == (
        f"patchaudit: argument --file-time-limit: '{value}' is not a number of seconds "
        f"from 0 to 1000000 (see 'patchaudit {command} --help')"
    )


@pytest.mark.parametrize("command", ["scan", "check"])
@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-file-size", "-1"), ("--max-file-size", "1.5"), ("--max-file-size", "lots")],
)
def test_a_size_must_be_a_whole_number_of_bytes(command: str, option: str, value: str) -> None:
    target = ["samples/tree"] if command == "scan" else ["samples/series.mbox", "--tree", "samples/tree"]
    line = one_line_error(run(command, *target, f"{option}={value}"))
    assert line == (
        f"patchaudit: argument {option}: '{value}' is not a whole number of bytes "
        f"(see 'patchaudit {command} --help')"
    )


@pytest.mark.parametrize("command", ["scan", "parse-report"])
@pytest.mark.parametrize("value", ["0", "-3", "100000"])
def test_jobs_must_be_a_sane_count(command: str, value: str) -> None:
    line = one_line_error(run(command, "samples/tree", f"--jobs={value}"))
    most = 16 * len(os.sched_getaffinity(0))
    assert line == f"patchaudit: --jobs: must be from 1 to {most} (16 a core)"


def patch_of(path: str, added: str) -> str:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        "@@ -1,2 +1,3 @@\n void f(struct page *page)\n"
        f"+{added}\n"
        " {\n"
    )


def tree_with(tmp_path: Path, path: str, text: str) -> Path:
    tree = tmp_path / "tree"
    (tree / path).parent.mkdir(parents=True, exist_ok=True)
    (tree / path).write_text(text)
    return tree


def test_check_refuses_a_series_over_max_series_size(tmp_path: Path) -> None:
    (tmp_path / "s.patch").write_text(patch_of("mm/x.c", "/* x */"))
    tree_with(tmp_path, "mm/x.c", "void f(struct page *page)\n{\n}\n")
    args = ["check", "s.patch", "--tree", "tree"]
    line = one_line_error(run(*args, "--max-series-size=100", cwd=tmp_path))
    assert line == "patchaudit: s.patch: input larger than 100 bytes refused"
    assert run(*args, "--max-series-size=1000", cwd=tmp_path).returncode == 0


def test_check_refuses_more_patches_than_max_patches(tmp_path: Path) -> None:
    line = one_line_error(run("check", "samples/series.mbox", "--tree", "samples/tree",
                              "--max-patches=5"))
    assert line == "patchaudit: samples/series.mbox: more than 5 patches (raise --max-patches)"
    assert run("check", "samples/series.mbox", "--tree", "samples/tree", "--max-patches=8",
               "--fail-on=never").returncode == 0


def test_check_skips_analysing_a_file_over_max_file_size(tmp_path: Path) -> None:
    text = "void f(struct page *page)\n{\n" + "\t/* padding */\n" * 20 + "}\n"
    tree_with(tmp_path, "mm/x.c", text)
    (tmp_path / "s.patch").write_text(
        "diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n"
        "@@ -1,4 +1,6 @@\n void f(struct page *page)\n {\n"
        "+\tif (PageBalloon(page))\n+\t\treturn;\n \t/* padding */\n \t/* padding */\n"
    )
    args = ["check", "s.patch", "--tree", "tree", "--all-rules", "-f", "json", "--no-cache"]
    analysed = run(*args, cwd=tmp_path)
    assert analysed.returncode == 1, analysed.stderr
    assert [f["rule_id"] for f in json.loads(analysed.stdout)["findings"]] == ["PA1001"]
    limited = run(*args, "--max-file-size=100", cwd=tmp_path)
    assert limited.returncode == 0, limited.stderr
    report = json.loads(limited.stdout)
    assert report["findings"] == []
    size = len(text) + len("\tif (PageBalloon(page))\n\t\treturn;\n")
    assert report["file_issues"] == [
        {"file": "mm/x.c", "message": f"{size} bytes, over the 100-byte analysis limit"}
    ]


def test_check_gives_up_on_a_file_over_the_time_limit(tmp_path: Path) -> None:
    # Two thousand functions: parsing and analysing them takes far longer than a millisecond.
    body = "".join(f"void f{i}(struct page *page)\n{{\n{BALLOON_USE}}}\n" for i in range(2000))
    tree_with(tmp_path, "mm/x.c", "void f(struct page *page)\n{\n}\n" + body)
    (tmp_path / "s.patch").write_text(patch_of("mm/x.c", "/* x */"))
    args = ["check", "s.patch", "--tree", "tree", "--all-rules", "-f", "json", "--no-cache"]
    limited = run(*args, "--file-time-limit=0.001", cwd=tmp_path)
    assert limited.returncode == 0, limited.stderr
    report = json.loads(limited.stdout)
    assert report["findings"] == []
    assert report["file_issues"] == [
        {"file": "mm/x.c", "message": "analysis took longer than 0.001 s"}
    ]


def test_check_applies_a_patch_to_a_file_larger_than_the_scan_read_limit(tmp_path: Path) -> None:
    # amdgpu's generated register headers reach 24 MB; patches do touch them.
    lines = "".join(f"#define REG_{i:06d} 0x{i:08x}\n" for i in range(700_000))
    tree = tree_with(tmp_path, "drivers/regs.h", lines)
    assert (tree / "drivers/regs.h").stat().st_size > 16 << 20
    added = "#define REG_EXTRA 0x1\n"
    (tmp_path / "s.patch").write_text(
        "diff --git a/drivers/regs.h b/drivers/regs.h\n--- a/drivers/regs.h\n+++ b/drivers/regs.h\n"
        "@@ -1,2 +1,3 @@\n #define REG_000000 0x00000000\n+#define REG_EXTRA 0x1\n"
        " #define REG_000001 0x00000001\n"
    )
    result = run("check", "s.patch", "--tree", "tree", "-f", "json", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["patches"][0]["applies"] is True
    assert report["file_issues"] == [
        {"file": "drivers/regs.h",
         "message": f"{len(lines) + len(added)} bytes, over the 8388608-byte analysis limit"}
    ]


def test_check_of_a_git_range_stops_reading_git_past_max_series_size(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "mm").mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.name=A", "-c", "user.email=a@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "mm" / "x.c").write_text("int x;\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    (repo / "mm" / "x.c").write_text("int x;\nint y;\n" * 200)
    subprocess.run([*git, "commit", "-qam", "grow"], check=True)
    args = ["check", "--git", "HEAD~1..HEAD", "--tree", str(repo)]
    line = one_line_error(run(*args, "--max-series-size=1000"))
    assert line == (
        f"patchaudit: {repo}:HEAD~1..HEAD: git format-patch output larger than 1000 bytes refused"
    )
    assert run(*args).returncode == 0
