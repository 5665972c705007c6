"""The stale-reference text gate: it clears what cannot be stale, and never what the analysis reports."""

from __future__ import annotations

from textwrap import dedent

import pytest

from patchaudit.analyses.docs import lost_references, stale_references, vocabulary
from patchaudit.analyses.docs.gate import may_lose_reference, may_name_stale
from patchaudit.cfront import parse_c

HEADER = "include/linux/toy.h"
SOURCE = "mm/toy.c"

TOY_H = dedent("""\
    /* SPDX-License-Identifier: GPL-2.0 */
    /*
     * Toy pages are marked PageReserved; pool->lock guards pool->pages.
     */
    struct toy_pool {
    	spinlock_t lock;
    	struct list_head pages;
    };

    void toy_add(struct toy_pool *pool, struct page *page);
""")
TOY_C = dedent("""\
    // SPDX-License-Identifier: GPL-2.0
    #include <linux/toy.h>

    void toy_add(struct toy_pool *pool, struct page *page)
    {
    	spin_lock(&pool->lock);
    	SetPageReserved(page);
    	list_add(&page->lru, &pool->pages);
    	spin_unlock(&pool->lock);
    }
""")


def _reader(files: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda path: files[path].encode() if path in files else None


def _stale(files: dict[str, str]) -> list[str]:
    read = _reader(files)
    irs = [parse_c(read(p), p) for p in (HEADER, SOURCE) if p in files]
    return [ref.name for ref in stale_references(irs[0], vocabulary(irs))]


@pytest.mark.parametrize(
    ("change", "stale", "gate"),
    [
        ({}, [], False),  # everything the comment names is in the code: settled by text
        ({SOURCE: TOY_C.replace("SetPageReserved", "SetPageDirty")}, ["PageReserved"], True),
        ({HEADER: TOY_H.replace("pool->pages", "pool->items")}, ["items"], True),
        # The member is named in a macro body: a code word all the same.
        ({HEADER: TOY_H.replace("pool->pages", "pool->items") + "#define toy_items(p) ((p)->items)\n"},
         [], False),
        # Named only in another comment: not a use.
        ({HEADER: TOY_H.replace("pool->pages", "pool->items") + "/* ->items */\n"}, ["items"], True),
        # Named only in a string: not a use.
        ({SOURCE: TOY_C.replace("SetPageReserved(page);", 'SetPageDirty(page); pr_info("PageReserved");')},
         ["PageReserved"], True),
    ],
)  # fmt: skip
def test_the_gate_passes_every_file_the_analysis_reports(
    change: dict[str, str], stale: list[str], gate: bool
) -> None:
    files = {HEADER: TOY_H, SOURCE: TOY_C, **change}
    assert _stale(files) == stale
    assert may_name_stale(HEADER, files[HEADER].encode(), _reader(files)) is gate


def test_a_member_of_a_struct_defined_elsewhere_is_cleared_unparsed() -> None:
    header = TOY_H.replace("struct toy_pool {", "struct toy_other {").replace(
        "pool->pages", "pool->items"
    )
    files = {HEADER: header, SOURCE: TOY_C}
    # pool is a struct toy_pool, which this code does not define: not judged.
    assert _stale(files) == []
    assert may_name_stale(HEADER, header.encode(), _reader(files)) is False


def test_a_comment_only_patch_loses_no_reference_and_needs_no_parse() -> None:
    before = {HEADER: TOY_H, SOURCE: TOY_C}
    after = {HEADER: TOY_H.replace("Toy pages", "Pages of the toy pool"), SOURCE: TOY_C}
    assert not may_lose_reference(HEADER, after[HEADER].encode(), _reader(after), _reader(before))


def _lost(before: dict[str, str], after: dict[str, str]) -> list[str]:
    irs_before = [parse_c(before[p].encode(), p) for p in (HEADER, SOURCE)]
    irs_after = [parse_c(after[p].encode(), p) for p in (HEADER, SOURCE)]
    return [ref.name for ref in lost_references(irs_after[0], vocabulary(irs_before),
                                                vocabulary(irs_after))]


@pytest.mark.parametrize(
    "new_source",
    [
        TOY_C.replace("\tSetPageReserved(page);\n", ""),  # the line with the last use removed
        TOY_C.replace("\tSetPageReserved(page);\n", "\t/* SetPageReserved(page); */\n"),
        # Commented out without touching the line: "/*" and "*/" lines added around it.
        TOY_C.replace("\tSetPageReserved(page);\n", "\t/*\n\tSetPageReserved(page);\n\t*/\n"),
    ],
    ids=["line removed", "line commented", "lines around it commented"],
)
def test_a_patch_that_removes_the_last_use_passes_the_gate(new_source: str) -> None:
    before = {HEADER: TOY_H, SOURCE: TOY_C}
    after = {HEADER: TOY_H, SOURCE: new_source}
    assert _lost(before, after) == ["PageReserved"]
    assert may_lose_reference(HEADER, TOY_H.encode(), _reader(after), _reader(before))


def test_a_use_moved_to_another_line_is_not_lost() -> None:
    before = {HEADER: TOY_H, SOURCE: TOY_C}
    moved = TOY_C.replace("\tSetPageReserved(page);\n", "").replace(
        "\tspin_unlock(&pool->lock);\n", "\tspin_unlock(&pool->lock);\n\tSetPageReserved(page);\n"
    )
    after = {HEADER: TOY_H, SOURCE: moved}
    assert _lost(before, after) == []
    # The removed line names the flag, so the gate looks further and finds
    # it certainly used after the patch.
    assert not may_lose_reference(HEADER, TOY_H.encode(), _reader(after), _reader(before))


@pytest.mark.parametrize(
    ("comment", "gate"),
    [
        # Inside a function body: not an interface comment, never judged.
        ("\t/* pool->items is refilled by the caller */\n", False),
        ('\tpr_debug("/*"); /* pool->items */\n', True),  # a "/*" in a literal: not sure
    ],
)
def test_only_interface_comments_open_the_gate(comment: str, gate: bool) -> None:
    source = TOY_C.replace("\tspin_lock(&pool->lock);\n", "\tspin_lock(&pool->lock);\n" + comment)
    files = {HEADER: TOY_H, SOURCE: source}
    read = _reader(files)
    irs = [parse_c(read(p), p) for p in (SOURCE, HEADER)]
    assert stale_references(irs[0], vocabulary(irs)) == []
    assert may_name_stale(SOURCE, source.encode(), read) is gate


def test_a_doc_block_or_a_struct_member_comment_opens_it() -> None:
    doc = TOY_C.replace(
        "void toy_add(", "/**\n * toy_add() - add a page\n * @pool: its pool->items grow\n"
        " * @page: the page\n */\nvoid toy_add("
    )
    files = {HEADER: TOY_H, SOURCE: doc}
    assert _stale_in(SOURCE, files) == ["items"]
    assert may_name_stale(SOURCE, doc.encode(), _reader(files))
    member = TOY_H.replace("\tstruct list_head pages;", "\tstruct list_head pages;\t/* pool->items */")
    member = member.replace("Toy pages are marked PageReserved; pool->lock guards pool->pages.",
                            "Toy pages are marked PageReserved.")
    files = {HEADER: member, SOURCE: TOY_C}
    assert _stale_in(HEADER, files) == ["items"]
    assert may_name_stale(HEADER, member.encode(), _reader(files))


def _stale_in(path: str, files: dict[str, str]) -> list[str]:
    read = _reader(files)
    own = parse_c(read(path), path)
    irs = [own, *(parse_c(read(p), p) for p in (HEADER, SOURCE) if p != path)]
    return [ref.name for ref in stale_references(own, vocabulary(irs))]
