"""The lowering's shortcuts mean what the general path means.

The lowering takes faster routes for ASCII files (text sliced from a str,
positions straight from byte offsets, an ASCII-only token pattern) and
memoises or prefilters some steps. Each test here states the result those
routes must give: positions and texts against a plain character count, the
text scan on every token form, and whole IRs of a file with and without one
non-ASCII character (which sends it down the general path).
"""

from __future__ import annotations

import textwrap
from dataclasses import fields, replace
from pathlib import Path

import pytest
from tree_sitter import Node

from patchaudit.cfront import grammar, ir, parse_c
from patchaudit.cfront.kernel import annotations_in
from patchaudit.cfront.lower_ctx import Ctx
from patchaudit.cfront.lower_text import scan_text
from patchaudit.cfront.parser import c_language, parse_tree
from patchaudit.cfront.report import collect_files

KERNEL_C = textwrap.dedent(
    """\
    // SPDX-License-Identifier: GPL-2.0
    /* Balloon pages: a fixture in the kernel's style. */
    #include <linux/balloon_compaction.h>

    /* Two halves per call. */
    #define PAGES_PER_CALL(n) ((n) * 2)

    struct vb_info {
    \tspinlock_t lock;
    \tunsigned long nr;
    };

    static int fill(struct vb_info *vb, struct balloon_dev_info *b_dev_info)
    {
    \tstruct page *page, *tmp;
    \tunsigned long flags;
    \tint n = 0;

    \tspin_lock_irqsave(&b_dev_info->pages_lock, flags);
    \tlist_for_each_entry_safe(page, tmp, &b_dev_info->pages, lru) {
    \t\tif (!trylock_page(page))
    \t\t\tcontinue;
    \t\tlist_del(&page->lru);
    \t\tn += PAGES_PER_CALL(1) ? vb->nr : 0;
    \t}
    \tspin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
    \tpr_info("filled %d (\\"%s\\")\\n", n, "x");
    \treturn container_of(vb, struct vb_info, lock) == NULL ? -EINVAL : n;
    }
    """
).encode()

# One character outside ASCII, at the very end: every byte offset and column
# before it stays the same, but the file takes the general path.
NON_ASCII_TAIL = "\n/* é */\n".encode()


def _nodes(root: Node) -> list[Node]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


def _counted(original: bytes, offset: int) -> tuple[int, int]:
    """Line and column of the character holding byte ``offset``, by counting characters."""
    while offset > 0 and 0x80 <= original[offset] < 0xC0:  # a UTF-8 continuation byte
        offset -= 1
    line_start = original.rfind(b"\n", 0, offset) + 1
    before = original[line_start:offset].decode("utf-8", "surrogateescape")
    return original.count(b"\n", 0, offset) + 1, len(before) + 1


def _check_positions_and_texts(original: bytes) -> int:
    """Every node's pos, end and text against _counted and a plain decode; returns nodes checked."""
    parsed = parse_tree(original)
    ctx = Ctx(parsed.original, parsed.masked)
    checked = 0
    for node in _nodes(parsed.tree.root_node):
        assert ctx.pos(node) == ir.Pos(*_counted(original, node.start_byte)), node
        if node.end_byte > 0:
            # The last character covered; for an empty node, the one before it.
            assert ctx.end(node) == ir.Pos(*_counted(original, node.end_byte - 1)), node
        expected = original[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")
        assert ctx.text(node) == expected
        masked = parsed.masked[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")
        assert ctx.masked_text(node.start_byte, node.end_byte) == masked
        checked += 1
    return checked


def _same_ir_but_the_tail(plain: ir.FileIR, tailed: ir.FileIR) -> None:
    """``tailed`` is ``plain`` lowered with NON_ASCII_TAIL appended: only the tail may differ."""
    assert tailed.comments[:-1] == plain.comments
    assert tailed.comments[-1].text == "/* é */"
    unchanged = replace(
        tailed, comments=plain.comments, size=plain.size, lines=plain.lines, digest=plain.digest
    )
    for field in fields(plain):
        assert getattr(unchanged, field.name) == getattr(plain, field.name), field.name


# ---------------------------------------------------------------- positions and texts


def test_positions_and_texts_of_an_ascii_file_count_characters() -> None:
    assert KERNEL_C.isascii()
    assert _check_positions_and_texts(KERNEL_C) > 200


def test_positions_and_texts_count_characters_not_bytes() -> None:
    source = 'static char *s = "é→x"; int a = f(s, "ü", b);\n/* ß */ int c;\n'.encode()
    assert _check_positions_and_texts(source) > 30
    fn_call = parse_c(source).globals[1].init
    assert isinstance(fn_call, ir.Call)
    # "é→x" is 5 characters and 8 bytes: f is the 33rd character, the 36th byte.
    assert fn_call.pos == ir.Pos(1, 33)
    assert [a.pos for a in fn_call.args] == [ir.Pos(1, 35), ir.Pos(1, 38), ir.Pos(1, 43)]


def test_a_node_ending_with_a_newline_ends_on_that_newline() -> None:
    for source in (b"#define X 1\nint a;\n", "#define X 1 /* é */\nint a;\n".encode()):
        parsed = parse_tree(source)
        ctx = Ctx(parsed.original, parsed.masked)
        define = parsed.tree.root_node.children[0]
        assert define.type == "preproc_def" and define.end_point == (1, 0)
        newline_column = len(source.split(b"\n")[0].decode()) + 1
        assert ctx.end(define) == ir.Pos(1, newline_column)


def test_one_position_one_object() -> None:
    # A call and its callee start at one character: pickle stores that Pos once.
    for source in (b"int a = f(x);\n", "int a = f(x); /* é */\n".encode()):
        call = parse_c(source).globals[0].init
        assert isinstance(call, ir.Call)
        assert call.pos is call.callee_expr.pos


# ---------------------------------------------------------------- the text scan

SCANNED = (
    "/**/a /*/ b */c /* d ** e */f\n"
    "// g \\\n"
    "h\n"
    "i // j \\\r\n"
    "k\n"
    "l = \"m \\\" n\" o 'p' '\\'' q;\n"
    'r = "s\n'
    "t 0x1fULL 1e-5f .5e+3 u$v $w\n"
    "#define F(a, b) a + /* x\n"
    "   */ b\n"
    "#include <linux/y.h>\n"
    "#if defined(Z) && z\n"
    "#endif\n"
    "last /* open **"
)


def test_scan_of_every_token_form() -> None:
    facts = scan_text(SCANNED)
    assert [(c.text, c.start_line, c.end_line) for c in facts.comments] == [
        ("/**/", 1, 1),
        ("/*/ b */", 1, 1),  # "/*/" does not close the comment
        ("/* d ** e */", 1, 1),
        ("// g \\\nh", 2, 3),  # a backslash-newline continues a line comment
        ("// j \\\r\nk", 4, 5),
        ("/* x\n   */", 9, 10),
        ("/* open **", 14, 14),  # unterminated at the end of the text, stars and all
    ]
    assert [(i.name, i.line, i.column) for i in facts.identifiers] == [
        ("a", 1, 5), ("c", 1, 15), ("f", 1, 29),
        ("i", 4, 1),
        ("l", 6, 1), ("o", 6, 14), ("q", 6, 25),  # nothing inside the literals
        ("r", 7, 1), ("s", 7, 6),  # a quote not closed on its line is a stray character
        ("t", 8, 1), ("u$v", 8, 23), ("$w", 8, 27),  # pp-numbers hold no names
        ("F", 9, 9), ("a", 9, 11), ("b", 9, 14), ("a", 9, 17), ("b", 10, 7),
        ("Z", 12, 13), ("z", 12, 19),  # not "defined", not the header name
        ("last", 14, 1),
    ]  # fmt: skip
    assert facts.macros == (ir.MacroDef("F", 9, ("a", "b"), "a +   b"),)


def test_scan_of_ascii_and_unicode_text_agree() -> None:
    closed = SCANNED + "*/"
    plain = scan_text(closed)
    tailed = scan_text(closed + "\n/* é */ éx")
    assert tailed.comments == (*plain.comments, ir.Comment("/* é */", 15, 15))
    assert tailed.identifiers == (*plain.identifiers, ir.Ident("éx", 15, 9))
    assert tailed.macros == plain.macros


# ---------------------------------------------------------------- whole files


def test_ascii_and_general_paths_lower_a_file_alike() -> None:
    plain = parse_c(KERNEL_C)
    assert plain.functions and plain.structs and plain.macros and not plain.error_nodes
    _same_ir_but_the_tail(plain, parse_c(KERNEL_C + NON_ASCII_TAIL))


@pytest.mark.kernel
def test_ascii_and_general_paths_lower_kernel_files_alike(kernel_tree: Path) -> None:
    files = collect_files(kernel_tree, ["drivers/virtio"])
    assert len(files) >= 15
    for rel in files:
        data = (kernel_tree / rel).read_bytes()
        assert data.isascii(), rel
        _same_ir_but_the_tail(parse_c(data, rel), parse_c(data + NON_ASCII_TAIL, rel))


@pytest.mark.kernel
def test_kernel_positions_and_texts_count_characters(kernel_tree: Path) -> None:
    for rel in ("drivers/virtio/virtio_balloon.c", "mm/balloon_compaction.c"):
        data = (kernel_tree / rel).read_bytes()
        assert _check_positions_and_texts(data) > 1000
        assert _check_positions_and_texts(data + NON_ASCII_TAIL) > 1000


# ---------------------------------------------------------------- prefilters and tables


def test_annotation_prefilter_keeps_what_the_scan_finds() -> None:
    header = b"static void f(struct s *s) __must_hold(&s->lock) __releases(s->b) {"
    assert annotations_in(header, 0, len(header)) == ("__must_hold(&s->lock)", "__releases(s->b)")
    commented = b"static void f(struct s *s) /* __must_hold(&s->lock) */ {"
    assert annotations_in(commented, 0, len(commented)) == ()
    plain = b"static void f(struct s *s) __attribute__((unused)) {"
    assert annotations_in(plain, 0, len(plain)) == ()


def test_grammar_field_ids_name_their_fields() -> None:
    language = c_language()
    constants = {name: value for name, value in vars(grammar).items() if name.isupper()}
    assert len(constants) == 22
    for name, value in constants.items():
        assert language.field_name_for_id(value) == name.lower()


def test_a_null_directive_leaves_the_next_line_alone() -> None:
    # "#" alone on its line is a directive that does nothing (C11 6.10.7):
    # the next line's first name is code, even one spelled like a directive.
    facts = scan_text("#\ninclude_all(x);\n#\ndefine\n")
    assert [(i.name, i.line) for i in facts.identifiers] == [
        ("include_all", 2), ("x", 2), ("define", 4),
    ]  # fmt: skip
    assert facts.macros == ()
