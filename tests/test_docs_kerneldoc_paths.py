"""The kernel-doc reader's quick paths: each common shape read quickly, and the shapes that must take the general reading."""

from __future__ import annotations

from textwrap import dedent

import pytest

from patchaudit.analyses.docs import DocKind
from patchaudit.analyses.docs.blocks import DocParam, doc_block, function_doc_block
from patchaudit.analyses.docs.decls import Declaration, DeclKind, DeclParam, declaration_after
from patchaudit.analyses.docs.prototype import Prototype, read_prototype, split_args
from patchaudit.analyses.docs.source import column_one_comments, column_one_spans, doc_comment_spans
from patchaudit.cfront.ir import Comment


def _text(source: str) -> str:
    return dedent(source).lstrip("\n")


def _comments(text: str) -> list[tuple[int, str]]:
    return [(c.start_line, c.text) for c in column_one_comments(text)]


def _doc_comments(text: str) -> list[tuple[int, str]]:
    """What doc_comment_spans gives, checked against column_one_spans filtered the slow way."""
    spans = list(doc_comment_spans(text))
    filtered = [
        (start, end, line)
        for start, end, line in column_one_spans(text)
        if text.startswith("/**", start) or "@" in text[start:end]
    ]
    assert spans == filtered
    return [(line, text[start:end]) for start, end, line in spans]


# ------------------------------------------------------------------ which comments are read


def test_doc_comments_are_the_column_one_comments_with_slash_star_star_or_an_at() -> None:
    text = _text(
        """
        /* SPDX-License-Identifier: GPL-2.0 */
        /**
         * foo() - a function
         */
        int foo(void);
        /* just prose */
        int x = '@';
        /* bar - plain comment in kernel-doc form
         * @b: the parameter
         */
        int bar(int b);
        static const char *s = "mail@example.org"; /* @not column one */
        """
    )
    assert _doc_comments(text) == [
        (2, "/**\n * foo() - a function\n */"),
        (8, "/* bar - plain comment in kernel-doc form\n * @b: the parameter\n */"),
    ]
    assert [line for line, _ in _comments(text)] == [1, 2, 6, 8]


def test_a_comment_at_the_very_start_is_read() -> None:
    text = "/* foo - x\n * @a: y\n */\nint foo(int a);\n"
    assert _doc_comments(text) == [(1, "/* foo - x\n * @a: y\n */")]


def test_a_string_continued_over_a_line_hides_what_looks_like_a_comment() -> None:
    # The quick reading would take line 2 for a doc comment; the text before
    # it holds a quote and a line continuation, so the tokenizer decides.
    text = _text(
        """
        static const char *s = "abc\\
        /** not a comment: still the string */";
        /**
         * real() - the only doc comment
         */
        """
    )
    assert _doc_comments(text) == [(3, "/**\n * real() - the only doc comment\n */")]
    assert _comments(text) == [(3, "/**\n * real() - the only doc comment\n */")]


def test_an_at_under_a_column_one_opening_inside_a_comment_belongs_to_the_outer_comment() -> None:
    text = "/* outer\n/* @inner: looks like a doc line */\nint a;\n/* @x */\n"
    assert _doc_comments(text) == [
        (1, "/* outer\n/* @inner: looks like a doc line */"),
        (4, "/* @x */"),
    ]


def test_a_doc_opening_inside_an_earlier_comment_is_not_read() -> None:
    text = _text(
        """
        int a; /* a comment that starts here
        /**
         * fake() - inside the comment above
         */
        /**
         * real() - r
         */
        """
    )
    assert _doc_comments(text) == [(5, "/**\n * real() - r\n */")]
    assert _comments(text) == [(5, "/**\n * real() - r\n */")]


def test_the_quick_reading_resumes_after_the_tokenizer_settled_a_doubt() -> None:
    text = _text(
        """
        #define S "x\\
        y"
        /* a */
        int b;
        /** c */
        int d; /* e
        f */
        /* @g */
        """
    )
    assert _comments(text) == [(3, "/* a */"), (5, "/** c */"), (8, "/* @g */")]
    assert _doc_comments(text) == [(5, "/** c */"), (8, "/* @g */")]


def test_an_unterminated_comment_runs_to_the_end() -> None:
    text = "int a;\n/**\n * foo() - x\n * @a: y"
    assert _doc_comments(text) == [(2, "/**\n * foo() - x\n * @a: y")]


# ------------------------------------------------------------------ name lines and sections


def _block(text: str, line: int = 1) -> Comment:
    return Comment(text, line, line + text.count("\n"))


@pytest.mark.parametrize(
    ("name_line", "kind", "name"),
    [
        # The common shape, read with one match.
        (" * foo() - x", DocKind.FUNCTION, "foo"),
        (" * foo(bar) - x", DocKind.FUNCTION, "foo"),
        ("\t*  foo: x", DocKind.FUNCTION, "foo"),
        (" * foo -x", DocKind.FUNCTION, "foo"),
        # The words that name a kind or an overview take the general reading.
        (" * struct - no name", DocKind.STRUCT, ""),
        (" * enum: no name", DocKind.ENUM, ""),
        (" * DOC: Locking", DocKind.OVERVIEW, ""),
        (" * DOC - prose", DocKind.FUNCTION, "DOC"),
        # So do the shapes with more than one word or a "type *".
        (" * foo bar - x", DocKind.FUNCTION, "foo bar"),
        (" * void *foo() - x", DocKind.FUNCTION, "foo"),
        (" * define foo - x", DocKind.FUNCTION, "foo"),
        (" * typedef foo_t - x", DocKind.TYPEDEF, "foo_t"),
        (" * foo(*) - x", DocKind.FUNCTION, "foo(*)"),
        (" * foo", DocKind.FUNCTION, "foo"),
    ],
)
def test_name_lines_read_quickly_or_not_read_the_same(
    name_line: str, kind: DocKind, name: str
) -> None:
    block = doc_block(_block(f"/**\n{name_line}\n */"))
    assert block is not None
    assert (block.kind, block.name) == (kind, name)


def test_sections_are_found_in_one_pass_over_the_lines() -> None:
    block = doc_block(
        _block(
            "/**\n"
            " * foo() - x\n"
            " * @a: first\n"
            " *\t@b.c : a member\n"
            " *    @...: variadic\n"
            " * Example:: not a heading\n"
            " * Note: not a parameter\n"
            " * @return: a Return heading, not a parameter\n"
            " * @d: on the closing line */",
            line=10,
        )
    )
    assert block is not None
    assert block.params == (
        DocParam("a", 12, 4),
        DocParam("b.c", 13, 4),
        DocParam("...", 14, 7),
        DocParam("d", 18, 4),
    )
    assert block.has_return


@pytest.mark.parametrize(
    ("heading", "has_return"),
    [
        (" * Return:", True),
        (" * RETURNS: x", True),
        (" * Returned: x", False),
        (" * Return:: x", False),
    ],
)
def test_return_headings(heading: str, has_return: bool) -> None:
    block = doc_block(_block(f"/**\n * foo() - x\n{heading}\n */"))
    assert block is not None and block.has_return is has_return


def test_sections_of_a_file_with_crlf_line_ends() -> None:
    block = doc_block(_block("/**\r\n * foo() - x\r\n * @a: y\r\n * Return: z\r\n */", line=3))
    assert block is not None
    assert (block.name, block.params, block.has_return) == ("foo", (DocParam("a", 5, 4),), True)


def test_function_doc_block_leaves_type_blocks_out() -> None:
    struct = _block("/**\n * struct foo - x\n * @member: m\n */")
    assert function_doc_block(struct) is None
    typed = doc_block(struct)
    assert typed is not None
    assert (typed.kind, typed.params) == (DocKind.STRUCT, (DocParam("member", 3, 4),))
    for text in ("/**\n * foo() - x\n */", "/* foo - x\n * @a: y\n */"):
        assert function_doc_block(_block(text)) == doc_block(_block(text)) is not None


# ------------------------------------------------------------------ the declaration after a block


def _declaration(source: str) -> Declaration | None:
    text = _text(source)
    comment = column_one_comments(text)[0]
    block = doc_block(comment)
    assert block is not None
    closing = text.find("\n", text.find("*/"))
    return declaration_after(block, text, closing + 1 if closing >= 0 else len(text))


DOC = "/**\n * foo() - x\n * @a: y\n */\n"


def test_a_definition_on_the_next_lines() -> None:
    assert _declaration(DOC + "static int foo(int a)\n{\n") == Declaration(
        DeclKind.FUNCTION, "foo", (DeclParam("a"),), True, 5, 12, 5, 6, "foo"
    )


def test_blank_and_ifdef_lines_before_the_prototype() -> None:
    assert _declaration(DOC + "\n#ifdef CONFIG_X\nvoid foo(int a);\n") == Declaration(
        DeclKind.PROTOTYPE, "foo", (DeclParam("a"),), False, 7, 6, 7, 7
    )


@pytest.mark.parametrize(
    "between",
    [
        "int foo(int a /* {not the body; */, int b);\n",  # a comment in the prototype
        "// a note; not the end\nint foo(int a,\n\tint b);\n",  # a line comment before it
        "/* a plain comment { */\nint foo(int a, int b);\n",
    ],
)
def test_comments_before_the_end_of_the_prototype_are_blanked(between: str) -> None:
    decl = _declaration(DOC + between)
    assert decl is not None
    assert (decl.kind, decl.name, decl.params) == (
        DeclKind.PROTOTYPE,
        "foo",
        (DeclParam("a"), DeclParam("b")),
    )


def test_a_doc_comment_right_after_documents_nothing() -> None:
    assert _declaration(DOC + "\n/**\n * bar() - y\n */\nint bar(void);\n") is None


def test_the_end_of_the_text() -> None:
    assert _declaration(DOC + "int foo(int a);") == Declaration(
        DeclKind.PROTOTYPE, "foo", (DeclParam("a"),), True, 5, 5, 5, 5
    )
    assert _declaration(DOC.rstrip("\n")) is None
    assert _declaration(DOC + "int foo(int a)\n") is None  # no "{" or ";"


def test_a_macro_whose_parameters_continue_on_the_next_line() -> None:
    assert _declaration(DOC + "#define foo(a, \\\n\t\tb) ((a) + (b))\n") == Declaration(
        DeclKind.MACRO, "foo", (DeclParam("a"), DeclParam("b")), False, 5, 1, 5, 5
    )


@pytest.mark.parametrize(("blank_lines", "found"), [(39, True), (40, False)])
def test_the_prototype_must_end_within_forty_lines(blank_lines: int, found: bool) -> None:
    for filler in ("\n", "/* x */\n"):  # read quickly, and with comments blanked
        decl = _declaration(DOC + filler * blank_lines + "int foo(int a);\n")
        assert (decl is not None) is found


# ------------------------------------------------------------------ prototypes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The common shape, read with one match.
        ("static int foo(struct bar *b, int c)", Prototype("foo", ("b", "c"), "int")),
        ("int foo (int a)", Prototype("foo", ("a",), "int")),
        ("foo(int a)", Prototype("foo", ("a",), "")),
        ("struct page *foo(void)", Prototype("foo", (), "struct page *")),
        ("unsigned long\nfoo(int a,\n\tint b)\n{", Prototype("foo", ("a", "b"), "unsigned long")),
        # Shapes for the general reading: more groups, annotations, a trailer.
        ("int (*get_foo)(struct bar *b)", Prototype("get_foo", ("b",), "int")),
        (
            "__printf(2, 3) int foo(int a, const char *fmt, ...)",
            Prototype("foo", ("a", "fmt", "..."), "int"),
        ),
        ("void *foo(void) __acquires(x)", Prototype("foo", (), "void *")),
        ("int foo(int a[4], int (*cb)(void))", Prototype("foo", ("a", "cb"), "int")),
        ("int foo(DECLARE(a, b), int c);", Prototype("foo", ("a", "b", "c"), "int")),
        ("int foo(int a) bar", None),
    ],
)
def test_prototypes_read_quickly_or_not_read_the_same(
    text: str, expected: Prototype | None
) -> None:
    assert read_prototype(text) == expected


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("a, b", ["a", "b"]),
        ("", []),
        (" , ", ["", ""]),
        # With brackets only top-level commas split.
        ("a, b(c, d), e", ["a", "b(c, d)", "e"]),
        ("a[1, 2], b", ["a[1, 2]", "b"]),
        ("a), b", ["a), b"]),  # a stray ")" leaves the depth below zero
    ],
)
def test_split_args(text: str, args: list[str]) -> None:
    assert split_args(text) == args
