"""The command line end to end: output, exit status, and one-line errors for bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())


def run(*args: str, stdin: bytes | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchaudit", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def planted() -> set[tuple[int, str, int, str]]:
    """The planted violations table of samples/EXPECTED.md: (patch, file, line, rule)."""
    text = (SAMPLES / "EXPECTED.md").read_text()
    table = text.split("<!-- planted-violations: the test reads this table -->", 1)[1]
    rows = set()
    for line in table.splitlines()[3:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.add((int(cells[0]), cells[1], int(cells[2]), cells[4]))
    return rows


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("patchaudit: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


# ------------------------------------------------------------------ the sample series


def test_check_sample_series_reports_each_planted_violation_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run("check", "samples/series.mbox", "--tree", "samples/tree", "-f", "json", "-o", str(out))
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    report = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    new = [f for f in report["findings"] if f["status"] == "new" and f["severity"] != "note"]
    found = {(f["patch"]["index"], f["file"], f["line"], f["rule_id"]) for f in new}
    assert found == planted()
    assert [p["index"] for p in report["patches"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert all(p["applies"] for p in report["patches"])
    # Patch 4 converts the old calls of hyp_balloon.c: those are credited as fixed.
    fixed = {(f["patch"]["index"], f["rule_id"]) for f in report["findings"] if f["status"] == "fixed"}
    assert fixed == {(4, "PA1002"), (4, "PA1003")}
    # Patch 2 adds the page-flags.h text the PA1xxx rules anchor on.
    notes = [f for f in report["findings"] if f["rule_id"] == "PA0020" and f["patch"]["index"] == 2]
    assert len(notes) == 1 and "now apply: PA1001" in notes[0]["message"]
    for finding in new:
        if finding["rule_id"].startswith("PA1") or finding["rule_id"] == "PA2006":
            assert finding["source"]["file"] == "include/linux/page-flags.h"
            assert "PageOffline() indicates" in finding["source"]["text"]
        else:
            assert finding["source"]["file"] == "include/linux/balloon_compaction.h"
        assert finding["source"]["line"] is not None


def test_check_text_format_lines(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = run("check", "samples/series.mbox", "--tree", "samples/tree", "--html", str(html))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == (
        "total: 10 errors, 0 warnings, 3 notes, 2 fixed "
        "(8 patches, 10 C files analysed, 25 of 40 rules applied)"
    )
    assert (
        "kernel/power/snapshot_lite.c:57:6: error: 'PageBalloon' was removed in Linux 5.1; "
        "use 'PageOffline' (patch 6) [PA1001-removed-pageballoon]"
    ) in lines
    # A note about a documentation line has no column: none is printed (not ":0").
    assert (
        "Documentation/admin-guide/kdump/vmcoreinfo.rst:34: note: the patch edits documentation "
        "that rules encode: PA2007-vmcoreinfo-page-offline-not-exported (now apply: PA2007) "
        "(patch 3) [PA0020-rule-source-changed]"
    ) in lines
    # gcc-style lines are exactly what counts: tools that count "error:" lines
    # count the 10 errors of the total line, never the two fixed ones.
    gcc = re.compile(r"^[\w/.-]+:\d+(:\d+)?: (error|warning|note): .+ \[PA\d{4}-[a-z0-9-]+\]$")
    counted = [line for line in lines if gcc.match(line)]
    assert [line.split(": ")[1] for line in counted].count("error") == 10
    assert len(counted) == 13
    assert lines[13:16] == [
        "fixed, not counted (their patch removes them):",
        "    drivers/misc/hyp_balloon.c:81:3 (error, patch 4): '__SetPageBalloon' was removed in "
        "Linux 5.1; use '__SetPageOffline' [PA1002-removed-setpageballoon]",
        "    drivers/misc/hyp_balloon.c:111:3 (error, patch 4): '__ClearPageBalloon' was removed "
        "in Linux 5.1; use '__ClearPageOffline' [PA1003-removed-clearpageballoon]",
    ]
    assert len(lines) == 17
    assert not [line for line in lines if re.search(r":0[:]", line)]
    assert html.read_text().startswith("<!DOCTYPE html>")


def test_summary_line_grammar(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "one.c").write_text("static bool f(struct page *p)\n{\n\treturn PageBalloon(p);\n}\n")
    result = run("scan", str(tree), "--all-rules")
    assert result.stdout.splitlines()[-1] == (
        "total: 1 error, 0 warnings, 0 notes (1 C file analysed, 34 of 40 rules applied)"
    )
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "PA1001.toml").write_bytes((REPO / "rules" / "PA1001-removed-pageballoon.toml").read_bytes())
    alone = run("scan", str(tree), "--all-rules", "--no-default-rules", "--rules", str(rules))
    assert alone.stdout.splitlines()[-1] == (
        "total: 1 error, 0 warnings, 0 notes (1 C file analysed, 1 of 1 rule applied)"
    )


def test_raw_list_mail_parses_and_applies_like_the_format_patch_mbox(tmp_path: Path) -> None:
    result = run("check", "samples/series-raw.mbox", "--tree", "samples/tree", "-f", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [p["index"] for p in report["patches"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert all(p["applies"] for p in report["patches"])
    assert {p["total"] for p in report["patches"]} == {8}
    new = [f for f in report["findings"] if f["status"] == "new" and f["severity"] != "note"]
    found = {(f["patch"]["index"], f["file"], f["line"], f["rule_id"]) for f in new}
    assert found == planted()
    assert report["patches"][1]["subject"] == "mm: convert PG_balloon to PG_offline"
    keys = [t["key"] for t in report["patches"][1]["trailers"]]
    assert "Signed-off-by" in keys


def test_stdin_series() -> None:
    data = (SAMPLES / "series.mbox").read_bytes()
    result = run("check", "-", "--tree", "samples/tree", "--fail-on", "never", stdin=data)
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1].startswith("total: 10 errors")


@pytest.mark.parametrize(
    ("fail_on", "status"), [("error", 1), ("warning", 1), ("note", 1), ("never", 0)]
)
def test_fail_on_thresholds(fail_on: str, status: int) -> None:
    result = run("check", "samples/series.mbox", "--tree", "samples/tree", "--fail-on", fail_on)
    assert result.returncode == status


def test_clean_series_exits_zero(tmp_path: Path) -> None:
    patch = tmp_path / "clean.patch"
    patch.write_text(
        "--- a/kernel/crash_info.c\n+++ b/kernel/crash_info.c\n"
        "@@ -1,3 +1,4 @@\n" + "".join(
            f" {line}\n" for line in (SAMPLES / "tree/kernel/crash_info.c").read_text().splitlines()[:1]
        ) + "+/* A comment may say PageBalloon: only code counts. */\n"
        + "".join(f" {line}\n" for line in (SAMPLES / "tree/kernel/crash_info.c").read_text().splitlines()[1:3])
    )
    result = run("check", str(patch), "--tree", "samples/tree")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("total: 0 errors")


# ------------------------------------------------------------------ scan and rules


def test_scan_reports_every_use_when_rules_are_forced() -> None:
    result = run("scan", "samples/tree", "--all-rules", "-f", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    names = {f["rule_id"] for f in report["findings"] if f["rule_id"].startswith("PA1")}
    assert names == {"PA1001", "PA1002", "PA1003", "PA1004", "PA1005"}
    # The base tree's rule comment is the stale 5.0-era text: it still names
    # PagePrivate, which the sample code no longer uses.
    stale = {(f["file"], f["message"]) for f in report["findings"] if f["rule_id"] == "PA3101"}
    assert stale and all(file == "include/linux/balloon_compaction.h" for file, _ in stale)
    assert all(f["patch"] is None for f in report["findings"])


def test_scan_of_pre_5_1_tree_reports_rules_as_not_applicable() -> None:
    result = run("scan", "samples/tree", "-f", "json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["findings"] == []
    by_id = {rule["id"]: rule for rule in report["rules"]}
    assert by_id["PA1001"]["applies"] is False
    assert "does not contain the rule text" in by_id["PA1001"]["reason"] or "not in" in by_id[
        "PA1001"
    ]["reason"]


def test_rules_list_and_show() -> None:
    listing = run("rules", "list")
    assert listing.returncode == 0
    ids = [line.split()[0] for line in listing.stdout.splitlines()]
    assert "PA1001-removed-pageballoon" in ids
    assert "PA0010-patch-does-not-apply" in ids
    shown = run("rules", "show", "PA1001")
    assert shown.returncode == 0
    assert "PageOffline() indicates that the page is logically offline" in shown.stdout
    assert "include/linux/page-flags.h" in shown.stdout
    assert run("rules", "show", "removed-pageballoon").stdout == shown.stdout


# ------------------------------------------------------------------ bad input


def test_seed_with_lost_line_breaks_is_rejected(tmp_path: Path) -> None:
    seed = tmp_path / "seed.txt"
    seed.write_text(
        "From 4d34 Mon Sep 17 00:00:00 2001 From: A Dev <a@example.org> Date: Tue, 5 Mar 2019 "
        "Subject: [PATCH] mm: fix --- a/mm/x.c +++ b/mm/x.c @@ -1,2 +1,2 @@ -old +new" * 3
    )
    assert_one_line_error(run("check", str(seed), "--tree", "samples/tree"), "line breaks")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("check", "no-such.mbox", "--tree", "samples/tree"), ("no-such.mbox",)),
        (("check", "samples/series.mbox", "--tree", "no-such-dir"), ("no-such-dir",)),
        (("scan", "no-such-dir"), ("no-such-dir",)),
        (("rules", "show", "PA9999"), ("PA9999", "no such rule")),
        (("check",), ("SERIES",)),
        (("check", "samples/series.mbox", "--format", "xml"), ("xml",)),
        (("check", "samples/series.mbox", "--tree", "samples/tree", "-o", "/no/such/dir/x"), ("/no/such/dir/x",)),
    ],
)
def test_bad_input_gets_one_line_and_status_2(args: tuple[str, ...], words: tuple[str, ...]) -> None:
    assert_one_line_error(run(*args), *words)


def test_empty_and_binary_series(tmp_path: Path) -> None:
    empty = tmp_path / "empty.patch"
    empty.write_bytes(b"")
    assert_one_line_error(run("check", str(empty), "--tree", "samples/tree"), str(empty))
    binary = tmp_path / "garbage.patch"
    binary.write_bytes(bytes(range(256)) * 64)
    assert_one_line_error(run("check", str(binary), "--tree", "samples/tree"), str(binary))


@pytest.mark.parametrize("path", ["../escape.c", "/etc/passwd", "a/../../escape.c"])
def test_patch_path_escaping_the_tree_is_refused(tmp_path: Path, path: str) -> None:
    patch = tmp_path / "escape.patch"
    patch.write_text(
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        "@@ -0,0 +1 @@\n+int x;\n"
    )
    tree = tmp_path / "tree"
    tree.mkdir()
    result = run("check", str(patch), "--tree", str(tree))
    assert_one_line_error(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["escape.patch", "tree"]
    assert list(tree.iterdir()) == []


def test_broken_rule_file_names_file_and_field(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    text = (REPO / "rules" / "PA1001-removed-pageballoon.toml").read_text()
    (rules / "PA7001-bad.toml").write_text(
        text.replace('id = "PA1001"', 'id = "PA7001"')
        .replace('slug = "removed-pageballoon"', 'slug = "bad-one"')
        .replace('severity = "error"', 'severity = "fatal"')
    )
    result = run("rules", "list", "--rules", str(rules))
    assert_one_line_error(result, "PA7001-bad.toml", "severity")
    (rules / "PA7001-bad.toml").write_text("id = [unclosed\n")
    assert_one_line_error(run("rules", "list", "--rules", str(rules)), "PA7001-bad.toml", "TOML")


def test_the_tree_is_never_written(tmp_path: Path) -> None:
    def listing() -> dict[str, bytes]:
        return {
            str(p.relative_to(SAMPLES / "tree")): p.read_bytes()
            for p in sorted((SAMPLES / "tree").rglob("*"))
            if p.is_file()
        }

    before = listing()
    run("check", "samples/series.mbox", "--tree", "samples/tree", "-o", str(tmp_path / "out"))
    assert listing() == before


# ------------------------------------------------------------------ bot formats


def test_terse_from_stdin_is_checkpatch_style() -> None:
    data = (SAMPLES / "series.mbox").read_bytes()
    result = run("check", "-", "--tree", "samples/tree", "-f", "terse", stdin=data)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "kernel/crash_info.c:68: ERROR: 'PAGE_BALLOON_MAPCOUNT_VALUE' was removed in Linux 5.1; " \
        "use 'PAGE_OFFLINE_MAPCOUNT_VALUE' [PA1005-removed-page-balloon-mapcount-value]" in lines
    assert all(re.match(r"^[\w/.-]+:\d+: (ERROR|WARNING|CHECK): ", line) for line in lines[:-1])
    assert lines[-1] == "total: 10 errors, 0 warnings, 3 checks"
    # Fixed findings are not listed: terse is what the input introduces.
    assert not [line for line in lines if "hyp_balloon.c:81" in line]


def test_one_patch_of_a_series_as_b4_pipes_it() -> None:
    # samples/series.mbox's patch 2 alone, as b4's am-perpatch-check-cmd gives it.
    mails = re.split(rb"(?m)^(?=From [0-9a-f]{40} )", (SAMPLES / "series.mbox").read_bytes())
    second = next(m for m in mails if b"Subject: [PATCH v2 2/8]" in m)
    alone = run("check", "-", "--tree", "samples/tree", "-f", "terse", stdin=second)
    # A lone patch of a series is checked as itself: the other seven are not missing.
    assert "series-missing-patch" not in alone.stdout
    assert alone.stdout.splitlines()[-1].startswith("total: ")
    hook = run("check", "-", "--tree", "samples/tree", "-f", "terse", "--per-patch",
               "--no-summary", stdin=second)
    assert hook.stdout.splitlines() == [
        line for line in alone.stdout.splitlines()
        if "series-missing-patch" not in line and not line.startswith("total: ")
    ]
    assert hook.stdout and hook.returncode == 1


def test_emacs_format_has_columns() -> None:
    result = run("check", "samples/series.mbox", "--tree", "samples/tree", "-f", "emacs")
    assert "kernel/power/snapshot_lite.c:57:6: error: 'PageBalloon' was removed" in result.stdout


def test_nipa_exit_style(tmp_path: Path) -> None:
    errors = run("check", "samples/series.mbox", "--tree", "samples/tree", "--exit-style", "nipa")
    assert errors.returncode == 1
    warnings_only = run(
        "check", "tests/rules/PA0001/input.mbox", "--tree", "tests/rules/PA0001", "--exit-style", "nipa"
    )
    assert warnings_only.returncode == 250, warnings_only.stdout + warnings_only.stderr
    clean = run("check", "tests/rules/PA0020/input.mbox", "--tree", "tests/rules/PA0020/tree",
                "--exit-style", "nipa")
    assert clean.returncode == 0  # notes only


# ------------------------------------------------------------------ suppressions


def test_inline_suppression_mutes_and_is_listed_separately(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "shim.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n"
        "static bool shim(struct page *page)\n"
        "{\n"
        "\t/* patchaudit: ignore PA1001 -- the compat shim keeps the old name */\n"
        "\treturn PageBalloon(page);\n"
        "}\n"
    )
    result = run("scan", str(tree), "--all-rules")
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines == [
        "suppressed in the source, not counted:",
        "    mm/shim.c:5:9 (error): 'PageBalloon' was removed in Linux 5.1; use "
        "'PageOffline' [PA1001-removed-pageballoon] -- the compat shim keeps the old name",
        lines[-1],
    ]
    assert lines[-1].startswith("total: 0 errors, 0 warnings, 0 notes, 1 suppressed")
    report = json.loads(run("scan", str(tree), "--all-rules", "-f", "json").stdout)
    jsonschema.validate(report, SCHEMA)
    [finding] = report["findings"]
    assert finding["suppressed"] == "the compat shim keeps the old name"
    (tree / "mm" / "shim.c").write_text(
        (tree / "mm" / "shim.c").read_text().replace(" -- the compat shim keeps the old name", "")
    )
    unexplained = run("scan", str(tree), "--all-rules")
    assert unexplained.returncode == 1
    assert "mm/shim.c:4:1: warning: suppression of PA1001 gives no reason" in unexplained.stdout


# ------------------------------------------------------------------ baselines


def test_baseline_keeps_only_what_is_new(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    source = tree / "mm" / "walk.c"
    source.write_text(
        "static bool old_skip(struct page *page)\n{\n\treturn PageBalloon(page);\n}\n"
    )
    baseline = tmp_path / "baseline.json"
    first = run("scan", str(tree), "--all-rules", "-f", "json", "-o", str(baseline))
    assert first.returncode == 1
    again = run("scan", str(tree), "--all-rules", "--baseline", str(baseline))
    assert again.returncode == 0, again.stdout
    assert again.stdout.splitlines()[:2] == [
        "preexisting, not counted (only moved by their patch, or in the baseline):",
        "    mm/walk.c:3:9 (error): 'PageBalloon' was removed in Linux 5.1; use 'PageOffline' "
        "[PA1001-removed-pageballoon]",
    ]
    # Moving the old finding and adding a new one: only the new one counts.
    source.write_text(
        "/* moved down */\n\n" + source.read_text()
        + "static void new_mark(struct page *page)\n{\n\t__SetPageBalloon(page);\n}\n"
    )
    later = json.loads(
        run("scan", str(tree), "--all-rules", "--baseline", str(baseline), "-f", "json").stdout
    )
    assert [(f["rule_id"], f["line"], f["status"]) for f in later["findings"]] == [
        ("PA1001", 5, "preexisting"),
        ("PA1002", 9, "new"),
    ]
    assert later["summary"]["errors"] == 1


@pytest.mark.parametrize("content", ["not json", '{"version": 7}', '{"version": 1, "findings": [{}]}'])
def test_bad_baseline_is_an_input_error(tmp_path: Path, content: str) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content)
    result = run("scan", "samples/tree", "--baseline", str(baseline))
    assert_one_line_error(result, str(baseline))


def test_a_bot_names_its_sender_and_report_url() -> None:
    result = run(
        "check", "samples/series.mbox", "--tree", "samples/tree", "-f", "patchwork",
        "--report-url", "https://ci.example.org/r/42", "--from", "Mm Bot <mm-bot@example.org>",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    checks = json.loads(result.stdout)
    # Each check links to its patch's own section of the published report.
    assert [check["target_url"] for check in checks] == [
        f"https://ci.example.org/r/42#patch-{n}" for n in range(1, 9)
    ]
    mails = run(
        "check", "samples/series.mbox", "--tree", "samples/tree", "-f", "email",
        "--from", "Mm Bot <mm-bot@example.org>",
    )  # fmt: skip
    lines = mails.stdout.splitlines()
    separators = [n for n, line in enumerate(lines) if line.startswith("From patchaudit ")]
    assert len(separators) > 1
    assert all(lines[n + 1] == "From: Mm Bot <mm-bot@example.org>" for n in separators)


@pytest.mark.parametrize(
    ("option", "value", "word"),
    [
        ("--from", "bot@example.org\nBcc: victim@example.org", "--from"),
        ("--from", "nobody", "not a mail address"),
        ("--report-url", "javascript:alert(1)", "--report-url"),
        ("--report-url", "https://ci.example.org/r 42", "not an http"),
    ],
)
def test_a_bad_sender_or_report_url_is_one_line_and_status_2(option: str, value: str, word: str) -> None:
    result = run("check", "samples/series.mbox", "--tree", "samples/tree", option, value)
    assert_one_line_error(result, word)


# ------------------------------------------------------------------ first-run mistakes


@pytest.mark.parametrize(
    ("args", "usage"),
    [((), "usage: patchaudit [-h] [--version] COMMAND ..."), (("rules",), "usage: patchaudit rules [-h] ACTION ...")],
)
def test_a_bare_command_group_prints_its_usage_and_exits_2(args: tuple[str, ...], usage: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(usage + "\n")
    assert "Traceback" not in result.stderr and "internal error:" not in result.stderr


def test_a_tree_given_as_second_argument_gets_a_hint_naming_tree() -> None:
    result = run("check", "samples/series.mbox", "samples/tree")
    assert_one_line_error(result)
    assert result.stderr == (
        "patchaudit: samples/tree: check takes one SERIES; to check it against this tree, "
        "use --tree samples/tree\n"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("check", "samples/series.mbox", "--tree", "samples/tree", "--html-dir", "x"),
            "patchaudit: unrecognized arguments: --html-dir x (see 'patchaudit check --help')",
        ),
        (
            ("rules", "show", "PA2005", "PA2001"),
            "patchaudit: unrecognized arguments: PA2001 (see 'patchaudit rules show --help')",
        ),
        (
            ("scan",),
            "patchaudit: the following arguments are required: DIR (see 'patchaudit scan --help')",
        ),
        (
            ("parse-report",),
            "patchaudit: the following arguments are required: DIR "
            "(see 'patchaudit parse-report --help')",
        ),
    ],
)
def test_a_mistake_names_the_help_of_its_own_subcommand(args: tuple[str, ...], line: str) -> None:
    # Not 'patchaudit --help', which does not list a subcommand's options, and
    # not PATH, which is optional, among the missing arguments.
    result = run(*args)
    assert_one_line_error(result)
    assert result.stderr == line + "\n"


def test_check_git_outside_a_repository_names_tree(tmp_path: Path) -> None:
    result = run("check", "--git", "HEAD~1..HEAD", cwd=tmp_path)
    assert_one_line_error(result)
    assert result.stderr == (
        "patchaudit: the current directory: not a git repository; "
        "name the repository of the range with --tree REPO\n"
    )
    elsewhere = run("check", "--git", "HEAD~1..HEAD", "--tree", str(tmp_path))
    assert_one_line_error(elsewhere, f"patchaudit: {tmp_path}: not a git repository")


def test_check_outside_a_kernel_tree_names_the_problem_once(tmp_path: Path) -> None:
    # The default tree is the current directory: here, one without the series' files.
    result = run("check", str(SAMPLES / "series.mbox"), cwd=tmp_path)
    assert_one_line_error(result)
    assert result.stderr == (
        "patchaudit: the current directory: none of the 10 files the series changes is here "
        "(Documentation/admin-guide/kdump/vmcoreinfo.rst is not, for one): this does not look "
        "like the tree the series applies to; name that tree with --tree DIR\n"
    )
    wrong = run("check", "samples/series.mbox", "--tree", "samples")
    assert_one_line_error(wrong, "patchaudit: samples: none of the 10 files", "--tree DIR")


def test_a_missing_file_is_one_finding_not_one_per_hunk(tmp_path: Path) -> None:
    # Patch 8's file is gone from an otherwise right tree: its five hunks give one finding.
    tree = tmp_path / "tree"
    subprocess.run(["cp", "-r", str(SAMPLES / "tree"), str(tree)], check=True)
    (tree / "drivers" / "misc" / "coop_balloon.c").unlink()
    result = run("check", "samples/series.mbox", "--tree", str(tree), "-f", "json")
    assert result.returncode == 1, result.stderr
    failed = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "PA0010"]
    assert [(f["file"], f["line"], f["column"], f["message"]) for f in failed] == [
        (
            "drivers/misc/coop_balloon.c", 0, 0,
            "patch 8 changes drivers/misc/coop_balloon.c, which is not in the tree "
            "(5 hunks not applied)",
        )
    ]  # fmt: skip
    text = run("check", "samples/series.mbox", "--tree", str(tree)).stdout.splitlines()
    assert (
        "drivers/misc/coop_balloon.c: error: patch 8 changes drivers/misc/coop_balloon.c, which "
        "is not in the tree (5 hunks not applied) (patch 8) [PA0010-patch-does-not-apply]"
    ) in text


@pytest.mark.parametrize("option", ["--html", "-o"])
def test_an_unwritable_output_is_refused_before_any_work(option: str, tmp_path: Path) -> None:
    target = "/nonexistent/dir/r.html"
    result = run("check", "samples/series.mbox", "--tree", "samples/tree", option, target)
    assert_one_line_error(result, target, "does not exist")
    # Not after the work either: a directory named as the output file.
    assert_one_line_error(
        run("scan", "samples/tree", option, str(tmp_path)), str(tmp_path), "is a directory"
    )


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("--from", "nobody"), "--from"),
        (("--report-url", "ftp://x"), "--report-url"),
        (("--to", "two words"), "--to"),
        (("--cc", "a@b\nBcc: c@d"), "--cc"),
        (("--baseline", "no-such-baseline.json"), "no-such-baseline.json"),
    ],
)
def test_bad_bot_options_are_refused_before_any_work(args: tuple[str, ...], word: str) -> None:
    # The series would fail to apply to this tree: the option is looked at first.
    result = run("check", "samples/series.mbox", "--tree", "no-such-tree", *args)
    assert_one_line_error(result, word)


def test_each_subcommand_offers_only_its_own_formats_and_options() -> None:
    scan_help = run("scan", "--help").stdout
    check_help = run("check", "--help").stdout
    assert "{emacs,html,json,sarif,terse,text}" in scan_help
    assert "{emacs,email,html,json,patchwork,sarif,terse,text}" in check_help
    for option in ("--from", "--report-url", "--to", "--cc", "--email-notes"):
        assert option not in scan_help
        assert option in check_help
    for fmt in ("email", "patchwork"):
        assert_one_line_error(run("scan", "samples/tree", "-f", fmt), "invalid choice", fmt)
    assert_one_line_error(run("scan", "samples/tree", "--report-url", "https://x.example"))


def test_rules_show_prints_parameters_as_the_rule_file_writes_them() -> None:
    shown = run("rules", "show", "PA2005")
    assert shown.returncode == 0
    assert shown.stdout.endswith(
        "Parameters (as in the rule file's [params]):\n"
        '    function = "balloon_page_finalize"\n'
        '    requires = [{ lock = "page", arg = 0 }]\n'
    )
    assert "Requirement(" not in shown.stdout
    # What is printed is TOML: it reads back as the rule file's own table.
    import tomllib

    printed = shown.stdout.split("[params]):\n", 1)[1]
    rule_file = tomllib.loads((REPO / "rules" / "PA2005-balloon-page-finalize-unlocked.toml").read_text())
    assert tomllib.loads(textwrap.dedent(printed)) == rule_file["params"]
