"""The stale-reference text gate: it clears what cannot be stale, and never what the analysis reports."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from patchaudit.analyses.docs import lost_references, stale_references, vocabulary
from patchaudit.analyses.docs.gate import (
    _DEFINITION_RE,
    _HELPER_RE,
    _Code,
    _has_identifier,
    helper_words,
    may_lose_reference,
    may_name_stale,
)
from patchaudit.analyses.docs.mentions import (
    _FLAG_RE,
    _MEMBER_RE,
    Mention,
    MentionKind,
    flag_and_member_mentions,
)
from patchaudit.analyses.docs.stretches import (
    _AGGREGATE_RE,
    NEEDLES,
    AggregateBodies,
    body_end,
    finditer_at,
    first_multiline,
    keyword_positions,
    line_spans,
    needle_stretches,
    stretches,
)
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


# The faster paths of the gate (stretches.py, gate.py, mentions.py): each is
# specified by its exact output and checked against the plain pattern or
# loop it replaces, which is what the gate used to run.


def _needles_by_brute_force(text: str) -> list[tuple[int, int]]:
    return sorted(
        (start, start + len(body))
        for start, body in stretches(text)
        if any(needle in body for needle in NEEDLES)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A needle just after "*/" is code; one just after "/*" counts.
        ("/* a */->x /*->y*/", [(11, 18)]),
        ("/* x -*/> */", []),  # "->" cut by the closing "*/"
        ("// a\n->b // Page", [(9, 16)]),  # the line ends before the next line's needle
        ("// a \\\n->b\nc", [(0, 10)]),  # a backslash continues the "//" comment onto the needle
        ("// a \\\r\n->b\nc", [(0, 11)]),
        # Opened in a string: one stretch, from the string on.
        ('pr_info("/*"); /* p->x */', [(9, 25)]),
        ("/* a /* p->x */", [(0, 15)]),  # a "/*" inside a stretch opens none
        ("/* a */* p->x */", []),  # "*/*": that "/*" is the closer's, it opens nothing
        ("/*/ a */ p->x */", []),  # "/*/": the closer is searched for after "/*"
        ("/* Page", [(0, 7)]),  # never closed: to the end
        ("// http://x p->q\n", [(0, 16)]),  # a "//" inside a line stretch opens none
    ],
)
def test_needle_stretches_are_the_stretches_holding_a_needle(
    text: str, expected: list[tuple[int, int]]
) -> None:
    assert needle_stretches(text) == expected
    assert needle_stretches(text) == _needles_by_brute_force(text)


def test_line_spans_follow_backslash_continuations() -> None:
    text = "a // one \\\n two\n// three\n"
    assert list(line_spans(text)) == [(2, 15), (16, 24)]
    assert list(line_spans(text, 16)) == [(16, 24)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/* one */\n/*\n * two\n */\n", 10),
        ("// one\n// two \\\n three\n/*\n*/", 7),  # a continued "//" comment spans lines too
        ("/* one */ // two\n", 17),  # none: the text's length
    ],
)
def test_first_multiline_is_where_the_first_comment_of_several_lines_opens(
    text: str, expected: int
) -> None:
    assert first_multiline(text) == expected


STRUCTS = dedent("""\
    struct toy {            /* the body opened here */
    	union {
    		int a;
    		struct { int b; } in;
    	} u;
    };
    /* a struct mentioned in prose, no brace for a while: ( ) */
    struct toy *toy_get(struct toy_pool *pool)
    {
    	return NULL;
    }
    struct __packed __aligned(8) toy_hdr {
    	int c;
    };
    enum toy_kind { TOY_A, TOY_B };
    struct toy __odd({) y {
    };
""")


def test_aggregate_bodies_are_the_pattern_matches_with_their_whole_bodies() -> None:
    bodies = AggregateBodies(STRUCTS).before(len(STRUCTS))
    # Nested bodies are listed too (finditer resumes after each "{"); a
    # function returning a struct pointer opens none; a "{" inside an
    # annotation's parentheses does not end the search for the body's.
    assert [STRUCTS[first:last] for first, last in bodies] == [
        STRUCTS[: STRUCTS.index("};") + 1],
        "\tunion {\n\t\tint a;\n\t\tstruct { int b; } in;\n\t}",
        "\t\tstruct { int b; }",
        "struct __packed __aligned(8) toy_hdr {\n\tint c;\n}",
        "enum toy_kind { TOY_A, TOY_B }",
        "struct toy __odd({) y {\n}",
    ]
    assert bodies == [
        (STRUCTS.rfind("\n", 0, m.start()) + 1, body_end(STRUCTS, m.end() - 1))
        for m in _AGGREGATE_RE.finditer(STRUCTS)
    ]


def test_aggregate_bodies_are_found_only_as_far_as_asked() -> None:
    bodies = AggregateBodies(STRUCTS)
    first_line_end = STRUCTS.index("\n")
    assert len(bodies.before(first_line_end)) == 1  # the struct on the line asked about
    assert len(bodies.before(STRUCTS.index("struct __packed"))) == 3
    assert len(bodies.before(len(STRUCTS))) == 6
    assert len(bodies.before(10)) == 6  # asking for less later changes nothing


def test_body_end_counts_nested_braces() -> None:
    text = "{ a { b } { c { d } } e } f }"
    assert body_end(text, 0) == len("{ a { b } { c { d } } e }")
    assert body_end(text, text.index("{ c")) == len("{ a { b } { c { d } }")
    assert body_end("{ open", 0) == len("{ open")


def test_finditer_at_finds_what_finditer_finds() -> None:
    # "struct" inside the tag of an earlier match is skipped, as finditer skips it.
    text = "struct mystruct { }; union u; xstruct y {"
    starts = keyword_positions(text, ("struct", "union"))
    assert starts == [0, 9, 21, 31]
    found = [m.group(1) for m in finditer_at(text, _DEFINITION_RE, starts)]
    assert found == ["mystruct", "y"] == [m.group(1) for m in _DEFINITION_RE.finditer(text)]


def test_keyword_positions_keep_to_the_range_asked() -> None:
    text = "struct a; union b; enum c;"
    words = ("struct", "union", "enum")
    assert keyword_positions(text, words) == [0, 10, 19]
    # A keyword counts if it begins before the end, even if it runs past it.
    assert keyword_positions(text, words, 1, 11) == [10]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "__SetPageOffline(p); xPageFoo PG_lru folio_test_dirty$ PageBuddy",
            [(0, "__SetPageOffline"), (30, "PG_lru"), (55, "PageBuddy")],
        ),
        ("Page folio_ PG_ PagePage TestClearPageX", [(16, "PagePage"), (25, "TestClearPageX")]),
        ("folio_mapping(f)->PageX", [(0, "folio_mapping"), (18, "PageX")]),
    ],
)
def test_helper_words_are_the_whole_words_the_helper_pattern_matches(
    text: str, expected: list[tuple[int, str]]
) -> None:
    assert helper_words(text) == expected
    assert helper_words(text) == [(m.start(), m.group()) for m in _HELPER_RE.finditer(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a->b->c", [("a", "b"), ("", "c")]),  # after "->b" the base of "->c" would follow ">"
        ("p.q->r x9->y 9x->z", [("", "r"), ("x9", "y"), ("", "z")]),
        ("->m, é->n, _v->w", [("", "m"), ("", "n"), ("_v", "w")]),
        ("a-> b", []),  # no member name right after "->"
    ],
)
def test_member_mentions_are_found_from_each_arrow(
    text: str, expected: list[tuple[str, str]]
) -> None:
    found = [(m.base, m.name) for m in flag_and_member_mentions(text)]
    assert found == expected
    assert found == [(m.group(1) or "", m.group(2)) for m in _MEMBER_RE.finditer(text)]


def test_a_word_deep_in_a_long_comment_is_not_code() -> None:
    # Far from the opener the gate bisects lists of "/*" and "*/" instead of
    # scanning back: both must agree with the plain reading.
    filler = " * filler\n" * 600  # 6,000 characters, more than the near scan
    text = "int a;\n/*\n" + filler + " * target\n */\nint target;\n"
    code = _Code(text)
    in_comment, in_code = text.index("target"), text.rindex("target")
    assert in_comment - text.rindex("/*", 0, in_comment) > 4096
    assert code.certainly_code(in_comment) is False
    assert code.certainly_code(in_code) is True
    assert _has_identifier([_Code(text.replace("int target;", "int other;"))], "target") is False


def test_the_gate_reads_a_struct_member_comment_through_the_faster_body_search() -> None:
    # A clean, one-line, not kernel-doc comment counts only inside a struct
    # body. Before the body: a keyword stopped by "(" (no annotation) and
    # one stopped by ")"; inside it, one stopped by ";" after the match.
    getter = "struct toy_pool *toy_pool_get(struct toy_pool *pool);\n"
    header = TOY_H.replace("struct toy_pool {", getter + "struct toy_pool {")
    member = "\tstruct list_head pages;\t/* pool->items */"
    header = header.replace("\tstruct list_head pages;", member)
    header = header.replace("; pool->lock guards pool->pages.", ".")
    files = {HEADER: header, SOURCE: TOY_C}
    assert _stale_in(HEADER, files) == ["items"]
    assert may_name_stale(HEADER, header.encode(), _reader(files))
    # The same comment after the body: not an interface comment.
    outside = header.replace(member, "\tstruct list_head pages;")
    outside += "/* pool->items */\n"
    files = {HEADER: outside, SOURCE: TOY_C}
    assert _stale_in(HEADER, files) == []
    assert not may_name_stale(HEADER, outside.encode(), _reader(files))


def test_a_member_of_a_struct_with_an_annotation_before_its_tag() -> None:
    header = TOY_H.replace("struct toy_pool {", "struct __aligned(8) toy_pool {").replace(
        "pool->pages.", "pool->items."
    )
    files = {HEADER: header, SOURCE: TOY_C}
    assert _stale_in(HEADER, files) == ["items"]
    assert may_name_stale(HEADER, header.encode(), _reader(files))


@pytest.mark.kernel
def test_the_faster_searches_agree_with_the_plain_ones_on_kernel_files(kernel_tree: Path) -> None:
    paths = ["include/linux/mm_types.h", "include/uapi/linux/bpf.h", "mm/balloon_compaction.c",
             "drivers/net/ethernet/sfc/mcdi_pcol.h", "include/linux/page-flags.h"]  # fmt: skip
    for path in paths:
        text = (kernel_tree / path).read_bytes().decode("utf-8", "surrogateescape")
        assert needle_stretches(text) == _needles_by_brute_force(text), path
        assert AggregateBodies(text).before(len(text)) == [
            (text.rfind("\n", 0, m.start()) + 1, body_end(text, m.end() - 1))
            for m in _AGGREGATE_RE.finditer(text)
        ], path
        assert helper_words(text) == [(m.start(), m.group()) for m in _HELPER_RE.finditer(text)]
        for start, end in needle_stretches(text):
            body = text[start:end]
            assert list(flag_and_member_mentions(body)) == _old_mentions(body), path


def _old_mentions(text: str) -> list[Mention]:
    """What flag_and_member_mentions found when it ran both patterns over the whole text."""
    flags = [
        Mention(
            MentionKind.PAGE_FLAG, m.group(), "", (m.group(1) or m.group(2) or "").lower(), 0, 0
        )
        for m in _FLAG_RE.finditer(text)
    ]
    members = [
        Mention(MentionKind.MEMBER, m.group(2), m.group(1) or "", "", 0, 0)
        for m in _MEMBER_RE.finditer(text)
    ]
    return flags + members
