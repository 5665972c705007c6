"""grep as the scan's first pass: it only saves work, and the report is the same without it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from patchaudit.engine import Options, grepfirst, scan_tree
from patchaudit.engine import work as work_module
from patchaudit.engine.prefilter import RuleTokens, TokenFilter, build_filter
from patchaudit.report import FORMATTERS
from patchaudit.resources import rules_dir
from patchaudit.ruleset import Rule, RuleSet, load_rules
from patchaudit.ruleset.kinds import KINDS
from patchaudit.ruleset.kinds.base import grep_pattern, may_match
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules([rules_dir()])
BALLOON = RuleSet(tuple(rule for rule in RULES if rule.id.startswith(("PA1", "PA2"))))
DOCS = RuleSet(tuple(rule for rule in RULES if rule.id.startswith("PA3")))

# Files for the rules' first-pass patterns: each name says which byte tests
# accept it (kd: a kernel-doc opening, plain: an "* @" line, stale: a
# needle of PA3101 in a comment).
PATTERN_FILES = {
    "kd.c": b"/**\n * f() - do it\n */\nint f(void);\n",
    "kd-unicode-space.c": b"/**\xc2\xa0\n * f() - a no-break space after the opening\n */\n",
    "kd-not-alone.c": b"/** f() - on the opening line */\nint f(void);\n",
    "plain.c": b"/*\n *\t@page: the page\n */\n",
    "plain-email.c": b"// Author: someone@example.org\n",
    "stale-block.h": b"/* Takes page->lru off the list. */\n",
    "stale-line.c": b"struct s {\n\tint a; // set with PageLRU\n};\n",
    "stale-continued.c": b"// a comment \\\n   continued: b->c\nint x;\n",
    "stale-code-only.c": b"int f(struct page *p) { return p->flags; } /* no */\n",
    "stale-two-comments.c": b"/* one */ int x = a->b; /* two */\n",
    "stale-after-nul.c": b"/* a comment \x00 with ->member after a NUL */\n",
    "stale-in-string.c": b"char *s = \"/*\"; int y = p->q; /* */\n",
}


@pytest.mark.parametrize("rule", [r for r in DOCS if grep_pattern(KINDS[r.kind], r)], ids=str)
def test_a_first_pass_pattern_finds_every_file_the_byte_test_accepts(rule: Rule, tmp_path: Path) -> None:
    _write(tmp_path, PATTERN_FILES)
    kind = KINDS[rule.kind]
    pattern = grep_pattern(kind, rule)
    assert pattern is not None
    matched = grepfirst.files_matching(str(tmp_path), sorted(PATTERN_FILES), pattern)
    with_nul = grepfirst.files_holding(str(tmp_path), sorted(PATTERN_FILES), [b"\0"])
    assert matched is not None and with_nul == {"stale-after-nul.c"}
    accepted = {name for name, data in PATTERN_FILES.items() if may_match(kind, rule, data)}
    # What the first pass reads: every file the byte test accepts, and few more.
    assert accepted <= matched | with_nul
    assert matched - accepted <= {"stale-continued.c", "stale-in-string.c"}


def test_with_a_pattern_or_rare_anchors_for_every_rule_the_first_pass_settles_files() -> None:
    assert not build_filter(DOCS).needs_reading
    # The contract rules read every file, and run in scan only with a tree index.
    assert not build_filter([r for r in RULES if not r.kind.startswith("contract-")]).needs_reading
    # A rule with a short token and no pattern: grep -F does not look for
    # "Page" (in too many files to be worth it), so every file is read.
    mixed = TokenFilter(
        rules=(RuleTokens("PA1001", (b"PageBalloon",), whole=True), RuleTokens("PA9999", (b"Page",))),
        anchors=(b"Page", b"PageBalloon"),
    )
    assert mixed.needs_reading


@pytest.mark.parametrize("name, expected", [
    ("kd", {"kd.c", "kd-unicode-space.c"}),
    ("plain", {"plain.c"}),
    ("stale", {"stale-block.h", "stale-line.c", "stale-continued.c", "stale-in-string.c"}),
])  # fmt: skip
def test_each_pattern_names_exactly_these_files(name: str, expected: set[str], tmp_path: Path) -> None:
    _write(tmp_path, PATTERN_FILES)
    rule = {"kd": "PA3001", "plain": "PA3005", "stale": "PA3101"}[name]
    chosen = next(r for r in DOCS if r.id == rule)
    pattern = grep_pattern(KINDS[chosen.kind], chosen)
    assert pattern is not None
    assert grepfirst.files_matching(str(tmp_path), sorted(PATTERN_FILES), pattern) == expected


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_grep_names_exactly_the_files_holding_an_anchor(tmp_path: Path) -> None:
    _write(tmp_path, {
        "a.c": b"spin_lock(&b_dev_info->pages_lock);\n",
        "b.c": b"int pages;\n",
        "-dash.c": b"__SetPageOffline(page);\n",  # a name grep must not take for an option
        "bin.h": b"\x00\xffpages_lock\x00",  # not text: still searched as bytes
        "sub/\xe9t\xe9.c".encode().decode("utf-8"): b"pages_lock\n",
    })  # fmt: skip
    paths = ["a.c", "b.c", "-dash.c", "bin.h", "sub/\xe9t\xe9.c"]
    found = grepfirst.files_holding(str(tmp_path), paths, [b"pages_lock", b"__SetPageOffline"])
    assert found == {"a.c", "-dash.c", "bin.h", "sub/\xe9t\xe9.c"}


def test_a_fifo_is_skipped_not_waited_for(tmp_path: Path) -> None:
    _write(tmp_path, {"a.c": b"pages_lock\n"})
    os.mkfifo(tmp_path / "pipe.c")
    assert grepfirst.files_holding(str(tmp_path), ["pipe.c", "a.c"], [b"pages_lock"]) == {"a.c"}


def test_without_grep_the_caller_searches_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {"a.c": b"pages_lock\n"})
    monkeypatch.setattr(grepfirst, "grep_program", lambda: str(tmp_path / "no-such-grep"))
    assert grepfirst.files_holding(str(tmp_path), ["a.c"], [b"pages_lock"]) is None
    monkeypatch.setattr(grepfirst, "grep_program", lambda: None)
    assert grepfirst.files_holding(str(tmp_path), ["a.c"], [b"pages_lock"]) is None


def test_an_unreadable_file_makes_grep_say_nothing(tmp_path: Path) -> None:
    _write(tmp_path, {"a.c": b"pages_lock\n"})
    # A listed file that is gone by the time grep runs: grep's status 2.
    assert grepfirst.files_holding(str(tmp_path), ["gone.c", "a.c"], [b"pages_lock"]) is None


@pytest.mark.parametrize(
    "rules", [BALLOON, DOCS, RULES], ids=["balloon packs", "documentation packs", "all packs"]
)
def test_the_report_is_the_same_with_and_without_grep(rules: RuleSet, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(REPO / "samples" / "tree", root)
    shutil.copytree(REPO / "tests" / "rules", root / "fixtures")
    base = BaseTree(root)
    with_grep = scan_tree(base, [], rules, Options(all_rules=True), first_pass=True)
    without = scan_tree(base, [], rules, Options(all_rules=True), first_pass=False)
    assert with_grep.findings, "a report without findings would prove nothing"
    assert FORMATTERS["json"](with_grep) == FORMATTERS["json"](without)


def _record_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the scan's workers read, in order (the scans here run in one process)."""
    read: list[str] = []
    real = work_module.read_listed

    def recording(root: str, path: str, limit: int) -> tuple[bytes, os.stat_result]:
        read.append(path)
        return real(root, path, limit)

    monkeypatch.setattr(work_module, "read_listed", recording)
    return read


def test_files_grep_clears_are_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "mm/quiet.c": b"int quiet;\n",
        "mm/huge.h": b"/* generated */\n" * 10,
        "mm/user.c": b"void f(struct page *page)\n{\n\t__SetPageOffline(page);\n}\n",
    })  # fmt: skip
    read = _record_reads(monkeypatch)
    report = scan_tree(BaseTree(tmp_path, max_file_size=100), [], BALLOON, Options(all_rules=True))
    assert read == ["mm/user.c"]
    # A file over the read limit is listed as skipped, read or not.
    assert [(issue.file, issue.message) for issue in report.file_issues] == [
        ("mm/huge.h", "file is 160 bytes, over the 100-byte read limit")
    ]


def test_files_no_pattern_names_are_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, PATTERN_FILES)
    read = _record_reads(monkeypatch)
    scan_tree(BaseTree(tmp_path), [], DOCS, Options(all_rules=True))
    assert "stale-code-only.c" not in read and "stale-two-comments.c" not in read
    assert "plain-email.c" not in read and "kd-not-alone.c" not in read
    assert "stale-after-nul.c" in read  # a NUL byte: grep -z cannot say


def test_a_grep_without_the_options_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # busybox or BSD grep: a usage error (status 2) on the probe, so no chunk tries it.
    fake = tmp_path / "grep"
    fake.write_text("#!/bin/sh\necho 'grep: unrecognized option' >&2\nexit 2\n")
    fake.chmod(0o755)
    grepfirst.grep_program.cache_clear()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(grepfirst.shutil, "which", lambda name: str(fake))
            assert grepfirst.grep_program() is None
    finally:
        grepfirst.grep_program.cache_clear()
    assert grepfirst.grep_program() is not None  # the real GNU grep of this machine


def test_a_grep_built_without_perl_patterns_still_saves_the_fixed_string_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GNU grep configured with --disable-perl-regexp refuses -P (status 2):
    # grep -F still runs, and every file is read for the documentation rules.
    real = shutil.which("grep")
    assert real is not None
    fake = tmp_path / "bin" / "grep"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do [ "$arg" = -P ] && { echo "grep: -P not supported" >&2; exit 2; }; done\n'
        f'exec {real} "$@"\n'
    )
    fake.chmod(0o755)
    root = tmp_path / "tree"
    _write(root, PATTERN_FILES)
    grepfirst.grep_program.cache_clear()
    grepfirst.pattern_grep.cache_clear()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(grepfirst.shutil, "which", lambda name: str(fake))
            assert grepfirst.grep_program() == str(fake)
            assert grepfirst.pattern_grep() is None
            read = _record_reads(patched)
            without_p = scan_tree(BaseTree(root), [], RULES, Options(all_rules=True))
            assert sorted(read) == sorted(PATTERN_FILES)  # nothing settled unread
    finally:
        grepfirst.grep_program.cache_clear()
        grepfirst.pattern_grep.cache_clear()
    with_p = scan_tree(BaseTree(root), [], RULES, Options(all_rules=True))
    assert [(f.rule_id, f.file, f.line) for f in with_p.findings] == [("PA3004", "kd.c", 4)]
    assert FORMATTERS["json"](without_p) == FORMATTERS["json"](with_p)


def test_a_long_comment_does_not_make_grep_give_up(tmp_path: Path) -> None:
    # A lazy pattern exceeds PCRE's backtracking limit on a comment of
    # megabytes (grep exits 2 and the chunk is read in Python); the
    # possessive one goes through it.
    _write(tmp_path, {
        "long.c": b"/* " + b"a quiet line\n" * 400_000 + b" */\nint x;\n",
        "late.c": b"/* " + b"*" * 2_000_000 + b" p->q */\n",
    })  # fmt: skip
    pattern = build_filter(DOCS).first_pass_pattern
    assert pattern is not None
    assert grepfirst.files_matching(str(tmp_path), ["long.c", "late.c"], pattern) == {"late.c"}
