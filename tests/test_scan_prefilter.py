"""The scan's token prefilter: what each rule declares, how files are picked, and that it never hides a finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchaudit.engine import Options, scan_tree
from patchaudit.engine.common import Applicability, FileState, file_findings
from patchaudit.engine.prefilter import (
    RuleTokens,
    TokenFilter,
    anchor_of,
    build_filter,
    choose_anchors,
)
from patchaudit.model import Finding
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.ruleset.kinds.base import required_tokens, whole_identifiers
from patchaudit.ruleset.kinds.bytescan import (
    KERNEL_DOC_OPENING,
    PLAIN_PARAM_LINE,
    comments_contain,
)
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules([rules_dir()])
FILE_RULES = [rule for rule in RULES if KINDS[rule.kind].scope is Scope.FILE]
BY_ID = RULES.by_id()
# What a scan without a tree index runs: the contract rules need one in scan.
SCANNED = [rule for rule in FILE_RULES if not getattr(KINDS[rule.kind], "scan_needs_index", False)]


def test_shipped_rules_declare_the_tokens_they_cannot_match_without() -> None:
    declared = {rule.id: required_tokens(KINDS[rule.kind], rule) for rule in FILE_RULES}
    assert declared == {
        "PA0030": ("patchaudit:",),
        "PA1001": ("PageBalloon",),
        "PA1002": ("__SetPageBalloon",),
        "PA1003": ("__ClearPageBalloon",),
        "PA1004": ("PG_balloon",),
        "PA1005": ("PAGE_BALLOON_MAPCOUNT_VALUE",),
        "PA2001": ("pages_lock",),
        "PA2002": ("balloon_dev_info", "balloon_page_device"),
        "PA2003": ("balloon_page_insert",),
        "PA2004": ("balloon_page_delete",),
        "PA2005": ("balloon_page_finalize",),
        "PA2006": ("__SetPageOffline",),
        "PA2007": ("VMCOREINFO_NUMBER",),
        "PA2008": ("balloon_dev_info",),
        "PA2009": ("balloon_dev_info", "balloon_page_device"),
        "PA2010": ("balloon_page_insert",),
        "PA2011": ("balloon_page_finalize",),
        "PA3001": ("/**",),
        "PA3002": ("/**",),
        "PA3003": ("/**",),
        "PA3004": ("/**",),
        "PA3005": ("@",),
        "PA3006": ("@",),
        "PA3007": ("@",),
        "PA3101": ("Page", "PG_", "->"),
        "PA3201": ("balloon_dev_info",),
        "PA3202": ("balloon_dev_info",),
        # The contract rules judge calls of any function of the tree: no token
        # rules a file out (scan runs them only with a tree index).
        "PA4001": None,
        "PA4002": None,
        "PA4003": None,
        "PA4004": None,
        "PA4005": None,
        "PA4006": None,
    }


def test_series_rules_need_no_file() -> None:
    for rule in RULES:
        if KINDS[rule.kind].scope is Scope.SERIES:
            assert required_tokens(KINDS[rule.kind], rule) == ()


def test_a_kind_that_declares_nothing_needs_every_file() -> None:
    class Silent:
        name = "silent"
        scope = Scope.FILE

    assert required_tokens(Silent(), BY_ID["PA1001"]) is None  # type: ignore[arg-type]
    every = TokenFilter((RuleTokens("PA9999", None), RuleTokens("PA1001", (b"PageBalloon",))), ())
    assert every.select(b"int x;\n") == ("PA9999",)
    assert every.select(b"PageBalloon(p)") == ("PA9999", "PA1001")


def test_anchors_are_few_long_substrings_that_cover_every_token() -> None:
    tokens = {
        b"balloon_dev_info", b"balloon_page_device", b"balloon_page_insert",
        b"balloon_page_finalize", b"PageBalloon", b"__SetPageBalloon", b"pages_lock", b"->",
    }  # fmt: skip
    # "__SetPageBalloon" holds "PageBalloon"; the four balloon_ names share
    # "balloon_"; short tokens stand for themselves.
    assert choose_anchors(tokens) == (b"->", b"PageBalloon", b"balloon_", b"pages_lock")


def test_a_short_token_is_no_anchor_for_the_long_ones() -> None:
    # "Page" (a documentation rule's token) is in nearly every file: were it
    # the anchor of "PageBalloon", that name would be searched in every file.
    tokens = {b"Page", b"PG_", b"PageBalloon", b"__SetPageBalloon", b"PG_balloon"}
    anchors = choose_anchors(tokens)
    assert anchors == (b"PG_", b"PG_balloon", b"Page", b"PageBalloon")
    assert anchor_of(anchors, b"__SetPageBalloon") == b"PageBalloon"
    assert anchor_of(anchors, b"Page") == b"Page"


def test_a_token_is_looked_for_only_where_its_anchor_is() -> None:
    token_filter = build_filter([BY_ID["PA1002"], BY_ID["PA3101"]])
    assert token_filter.select(b"/* ->next */ __SetPageBalloon(page);") == ("PA1002", "PA3101")
    assert token_filter.select(b"/* ->next */ __SetPageOffline(page);") == ("PA3101",)


def test_balloon_packs_search_seven_anchors() -> None:
    balloon = [rule for rule in FILE_RULES if rule.id.startswith(("PA1", "PA2"))]
    assert build_filter(balloon).anchors == (
        b"PAGE_BALLOON_MAPCOUNT_VALUE", b"PG_balloon", b"PageBalloon", b"VMCOREINFO_NUMBER",
        b"__SetPageOffline", b"balloon_", b"pages_lock",
    )  # fmt: skip


def test_select_names_the_rules_whose_tokens_occur_in_rule_order() -> None:
    chosen = build_filter([BY_ID["PA1001"], BY_ID["PA1002"], BY_ID["PA2001"], BY_ID["PA3001"]])
    assert chosen.select(b"int x;\n") == ()
    assert chosen.select(b"if (PageBalloon(page))\n") == ("PA1001",)
    assert chosen.select(b"/**\n * f() - g\n */\nspin_lock(&b->pages_lock);\n") == (
        "PA2001", "PA3001",
    )  # fmt: skip
    # These kinds compare whole identifiers, and so does their prefilter.
    assert chosen.select(b"__SetPageBalloon(page);\n") == ("PA1002",)
    assert chosen.select(b"spin_lock(&kvm->arch.tdp_mmu_pages_lock);\n") == ()
    assert chosen.select(b"x = pages_lock2 + $pages_lock;\n") == ()
    # A non-ASCII neighbour is let through: the front end decides.
    assert chosen.select("y = \u00e9pages_lock;\n".encode()) == ("PA2001",)
    # "/**" counts only as the opening line of a kernel-doc comment.
    assert chosen.select(b"/** one-line */\n") == ()


def _fixture_files(rule_id: str) -> list[Path]:
    """The rule's one-file fixtures (check cases, before and after a patch, are apart)."""
    folder = REPO / "tests" / "rules" / rule_id
    return sorted(
        p for p in folder.rglob("*")
        if p.suffix in (".c", ".h") and p.relative_to(folder).parts[0] != "check"
    )


def test_every_check_case_passes_its_prefilter_before_the_patch() -> None:
    # check chooses the rules that may report what a patch removed by the
    # file before the patch: each case's before files must pass the filter.
    cases = sorted((REPO / "tests" / "rules").glob("PA*/check/*"))
    assert cases
    for case in cases:
        rule = BY_ID[case.parts[-3]]
        chosen = build_filter([rule])
        for path in sorted((case / "before").rglob("*.[ch]")):
            assert chosen.select(path.read_bytes()) == (rule.id,), path


@pytest.mark.parametrize("rule", FILE_RULES, ids=lambda rule: rule.id)
def test_every_fixture_a_rule_reports_in_passes_its_prefilter(rule) -> None:  # type: ignore[no-untyped-def]
    if getattr(KINDS[rule.kind], "check_only", False):
        return  # compared across a patch, never prefiltered (judges_across_patch)
    chosen = build_filter([rule])
    marked = [p for p in _fixture_files(rule.id) if f"expect: {rule.id}" in p.read_text()]
    assert marked, f"tests/rules/{rule.id}/ marks no expected line"
    for path in marked:
        assert chosen.select(path.read_bytes()) == (rule.id,), path


def _unfiltered(root: Path) -> list[Finding]:
    """The oracle: every rule on every file, no prefilter, no cache."""
    base = BaseTree(root)
    options = Options(all_rules=True)
    applicability = Applicability(True)
    statuses = applicability.statuses(RULES, base.read)
    found: list[Finding] = []
    for path in base.iter_files():
        data = base.read(path)
        assert data is not None
        found.extend(file_findings(SCANNED, statuses, FileState(path, data, options),
                                   None, None, base.read))
    return sorted(found)


@pytest.mark.parametrize("tree", ["tests/rules", "samples/tree"])
def test_prefiltered_scan_reports_what_running_every_rule_everywhere_reports(tree: str) -> None:
    report = scan_tree(BaseTree(REPO / tree), [], RULES, Options(all_rules=True))
    oracle = _unfiltered(REPO / tree)
    assert oracle, "the oracle must find something for the comparison to mean anything"
    assert list(report.findings) == oracle


def test_files_without_tokens_are_not_analysed(tmp_path: Path) -> None:
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "plain.c").write_text("int plain(int x)\n{\n\treturn x + 1;\n}\n")
    (tmp_path / "mm" / "old.c").write_text("int old(struct page *p)\n{\n\treturn PageBalloon(p);\n}\n")
    report = scan_tree(BaseTree(tmp_path), [], RULES, Options(all_rules=True))
    assert report.files_analysed == 1
    assert [(f.rule_id, f.file, f.line) for f in report.findings] == [("PA1001", "mm/old.c", 3)]


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        (b"x = a->b; /* nothing here */\n", False),
        (b"/* takes a->lock */\n", True),
        (b"// takes a->lock\n", True),
        (b"// first line \\\n   continued a->lock\n", True),
        (b'p = "http://x"; /* see\n * dev->lock\n */\n', True),
        (b'p = "/*"; q->r = 1; /* x */\n', True),  # a string makes a span longer, never shorter
        (b"/* PageReserved */\n", True),
        (b"if (PageReserved(p)) /* no flag named here */\n", False),
        (b"/* unterminated a->b", True),
        (b"/* a - b > c, Pag e, P G_ */ x = a->b;\n", False),  # first bytes of needles, no needle
        (b"/* -- -> */\n", True),
        (b"/* PPage */\n", True),
        (b"/*/ PG_ */\n", True),  # "/*/" opens a comment its own "/" does not close
        (b"/* a */ PG_x /* b */\n", False),
        (b"/* a **/ PG_x; /***/\n", False),
        (b"// a \\\r\n  b->c\n", True),  # continued with a CRLF line end
    ],
)
def test_comment_test_sees_every_comment(text: bytes, inside: bool) -> None:
    assert comments_contain(text, (b"->", b"PG_", b"Page")) is inside


def test_comment_test_takes_one_byte_needles_and_refuses_ones_it_cannot_step_over() -> None:
    assert comments_contain(b"x = @a; /* @b */\n", (b"@",)) is True
    assert comments_contain(b"x = @a; /* b */\n", (b"@",)) is False
    with pytest.raises(ValueError):
        comments_contain(b"/* x */", (b"*x",))


def test_doc_block_patterns_follow_the_unicode_spacing_of_the_block_reader() -> None:
    assert KERNEL_DOC_OPENING.search(b"/**  \n * f() - g\n */") is not None
    assert KERNEL_DOC_OPENING.search("/**\u00a0\n * f() - g\n */".encode()) is not None
    assert KERNEL_DOC_OPENING.search(b"/**/\n/** f() - g */\n") is None
    assert PLAIN_PARAM_LINE.search(b"/*\n * f() - g\n * @x: y\n */") is not None
    assert PLAIN_PARAM_LINE.search("\t*\u2003@x: y\n".encode()) is not None
    assert PLAIN_PARAM_LINE.search(b" * Author: A Dev <a@example.org>\n") is None


def test_kinds_that_compare_identifiers_want_their_tokens_whole() -> None:
    whole = sorted(name for name, kind in KINDS.items() if whole_identifiers(kind))
    assert whole == [
        "caller-contract", "companion-call", "field-claim", "lock-order", "must-hold",
        "paired-state", "removed-api",
    ]  # fmt: skip


def test_one_line_comments_count_only_where_structs_could_hold_them() -> None:
    register_table = b"//SOME_REG__PageTableBase_MASK\n#define SOME_REG__PAGE_BASE 0x0\n"
    assert comments_contain(register_table, (b"Page",), line_comments=False) is False
    assert comments_contain(register_table, (b"Page",)) is True
    continued = b"// PageReserved pages \\\n   stay here\nint x;\n"
    assert comments_contain(continued, (b"Page",), line_comments=False) is True
    stale = BY_ID["PA3101"]
    assert build_filter([stale]).select(register_table) == ()
    member = b"struct pool {\n\tstruct list_head pages;\t// all PageReserved\n};\n"
    assert build_filter([stale]).select(member) == ("PA3101",)
