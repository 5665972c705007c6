"""kernel-doc conformance: how comments are read, how prototypes are read, and the four warning classes."""

from __future__ import annotations

from textwrap import dedent

import pytest

from patchaudit.analyses.docs import CommentStyle, DocKind, DocProblemKind, kernel_doc_problems
from patchaudit.analyses.docs.blocks import doc_block
from patchaudit.analyses.docs.prototype import Prototype, read_prototype, returns_value
from patchaudit.cfront.ir import Comment


def _comment(text: str, line: int = 1) -> Comment:
    text = dedent(text).strip("\n")
    return Comment(text, line, line + text.count("\n"))


def _problems(source: str) -> list[tuple[int, str, str]]:
    """(line, kind, message) of every problem of ``source``."""
    found = kernel_doc_problems(dedent(source).lstrip("\n"))
    return [(p.line, p.kind.value, p.message) for p in found]


# ------------------------------------------------------------------ reading comments


@pytest.mark.parametrize(
    ("name_line", "kind", "name"),
    [
        (" * foo() - does a thing", DocKind.FUNCTION, "foo"),
        (" * foo - does a thing", DocKind.FUNCTION, "foo"),
        (" * foo: does a thing", DocKind.FUNCTION, "foo"),
        (" * void *foo() - returns a pointer", DocKind.FUNCTION, "foo"),
        (" * define foo - a macro", DocKind.FUNCTION, "foo"),
        (" * struct foo - a structure", DocKind.STRUCT, "foo"),
        (" * enum foo_state - states", DocKind.ENUM, "foo_state"),
        (" * DOC: Locking", DocKind.OVERVIEW, ""),
    ],
)
def test_the_name_line_says_what_is_documented(name_line: str, kind: DocKind, name: str) -> None:
    block = doc_block(_comment(f"/**\n{name_line}\n */"))
    assert block is not None
    assert (block.style, block.kind, block.name) == (CommentStyle.KERNEL_DOC, kind, name)


@pytest.mark.parametrize(
    "text",
    [
        "/**\n * Allocate a page for the balloon.\n */",  # prose: not a name line
        "/**\n *\n * foo() - a blank line first\n */",
        "/** foo() - not alone on the opening line */",
        "/*\n * foo - plain comment without any @param line\n */",
        "/*\n * foo: plain comments need the 'name - description' form\n * @x: a parameter\n */",
    ],
)
def test_comments_that_are_not_doc_blocks(text: str) -> None:
    assert doc_block(_comment(text)) is None


def test_parameters_and_return_section_are_read_as_kernel_doc_reads_them() -> None:
    block = doc_block(
        _comment(
            """
            /**
             * foo() - does a thing
             * @head : the list (a space before the colon is allowed)
             * @...: variadic arguments
             * @obj.member: a member path
             *
             * Example:: a literal block is no section
             *
             * Return:
             * the number of things.
             */
            """,
            line=10,
        )
    )
    assert block is not None
    assert [(p.name, p.line) for p in block.params] == [("head", 12), ("...", 13), ("obj.member", 14)]
    assert block.has_return


@pytest.mark.parametrize(
    ("return_lines", "has_return"),
    [
        (" * Return: 0 on success", True),
        (" * Returns: 0 on success", True),
        (" * RETURN: 0 on success", True),
        (" * @return: 0 on success", True),
        (" * Return:\n *\n * 0 on success", True),
        # An empty heading counts, as it does for scripts/kernel-doc 6.12.
        (" * Return:", True),
        (" * Return:\n *", True),
        (" * Return:\n * Context: any", True),
        (" * Returns 0 on success.", False),
        (" * Return value: 0 on success", False),
    ],
)
def test_return_section_needs_a_heading(return_lines: str, has_return: bool) -> None:
    block = doc_block(_comment(f"/**\n * foo() - bar\n *\n{return_lines}\n */"))
    assert block is not None
    assert block.has_return is has_return


def test_plain_comment_in_kernel_doc_form() -> None:
    block = doc_block(_comment("/*\n * foo_pop - remove a page\n * @head : the list\n */", line=5))
    assert block is not None
    assert (block.style, block.name, block.name_line) == (CommentStyle.PLAIN, "foo_pop", 6)
    assert [p.name for p in block.params] == ["head"]


# ------------------------------------------------------------------ reading prototypes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "extern struct page *balloon_alloc(void);",
            Prototype("balloon_alloc", (), "struct page *"),
        ),
        (
            "__printf(2, 3) int toy_log(struct toy *t, const char *fmt, ...);",
            Prototype("toy_log", ("t", "fmt", "..."), "int"),
        ),
        (
            "void toy_lock(struct toy *t) __acquires(&t->lock)\n{",
            Prototype("toy_lock", ("t",), "void"),
        ),
        (
            "int toy_walk(int (*fn)(struct page *p), char buf[16], struct page *);",
            Prototype("toy_walk", ("fn", "buf"), "int"),
        ),
        (
            "unsigned long __must_check toy_count(unsigned long,\n\t\tint b /* bits */)\n{",
            Prototype("toy_count", ("b",), "unsigned long"),
        ),
        (
            "void *toy_alloc_noprof(DECL_BUCKET_PARAMS(size, b), gfp_t gfp)\n{",
            Prototype("toy_alloc_noprof", ("size", "b", "gfp"), "void *"),
        ),
        ("size_t toy_len(const char * const POS p, __kernel_size_t maxlen);",
         Prototype("toy_len", ("p", "maxlen"), "size_t")),
        ("typedef int (*toy_cb_t)(struct page *page);", None),
        ("SYSCALL_DEFINE2(toy, int, a, int, b)\n{", None),
    ],
)
def test_prototypes_are_read_from_text(text: str, expected: Prototype | None) -> None:
    assert read_prototype(text) == expected


@pytest.mark.parametrize(
    ("return_type", "returns"),
    [("int", True), ("void *", True), ("struct page *", True), ("void", False),
     ("void __noreturn", False), ("", False)],
)
def test_return_type_test_is_kernel_docs(return_type: str, returns: bool) -> None:
    assert returns_value(return_type) is returns


# ------------------------------------------------------------------ the four classes


def test_each_warning_class_with_kernel_docs_wording() -> None:
    source = """
        /**
         * toy_add() - add a page
         * @head: renamed since
         */
        static void toy_add(struct toy *t, struct page *page)
        {
        }

        /**
         * toy_old_name() - renamed function
         * @t: the toy
         */
        static void toy_new_name(struct toy *t)
        {
        }

        /**
         * toy_count() - count pages
         * @t: the toy
         */
        static int toy_count(struct toy *t)
        {
        	return 0;
        }
    """
    assert _problems(source) == [
        (5, "undescribed-param", "Function parameter 't' not described in 'toy_add'"),
        (5, "undescribed-param", "Function parameter 'page' not described in 'toy_add'"),
        (5, "excess-param", "Excess function parameter 'head' description in 'toy_add'"),
        (13, "name-mismatch",
         "expecting prototype for toy_old_name(). Prototype was for toy_new_name() instead"),
        (21, "missing-return", "No description found for return value of 'toy_count'"),
    ]


def test_prototypes_are_checked_like_definitions() -> None:
    source = """
        /**
         * toy_alloc() - allocate a toy
         * @gfp: allocation flags
         * @node: gone since the toy stopped being NUMA aware
         *
         * Return: the toy, or NULL.
         */
        extern struct toy *toy_alloc(gfp_t gfp);
    """
    assert _problems(source) == [
        (8, "excess-param", "Excess function parameter 'node' description in 'toy_alloc'")
    ]


def test_the_declaration_may_follow_after_ifdef_lines_and_comments() -> None:
    source = """
        /**
         * toy_get() - take a reference
         * @t: the toy
         */
        #ifdef CONFIG_TOY
        /* a comment; with a semicolon and a { brace */
        static inline void toy_get(struct toy *t, int nr)
        {
        }
        #endif
    """
    assert _problems(source) == [
        (7, "undescribed-param", "Function parameter 'nr' not described in 'toy_get'")
    ]


def test_a_doc_comment_followed_by_another_documents_nothing() -> None:
    source = """
        /**
         * toy_first() - documents nothing: another doc comment follows
         */

        /**
         * toy_second() - the real one
         * @t: the toy
         */
        static void toy_second(struct toy *t)
        {
        }
    """
    assert _problems(source) == []


def test_noprof_functions_are_documented_under_their_macro_name() -> None:
    source = """
        /**
         * toy_alloc() - allocate a toy
         * @gfp: allocation flags
         *
         * Return: the toy.
         */
        struct toy *toy_alloc_noprof(gfp_t gfp)
        {
        	return NULL;
        }
    """
    assert _problems(source) == []


def test_macros_take_their_parameter_names_and_never_need_return() -> None:
    source = """
        /**
         * toy_for_each() - walk the pages
         * @t: the toy
         * @pos: the cursor
         * @args: the rest
         */
        #define toy_for_each(t, pos, \\
        		     args...) list_for_each_entry(pos, &(t)->pages, lru)

        /**
         * TOY_MAX - an object-like macro
         * @x: an object-like macro has no parameter
         */
        #define TOY_MAX 16
    """
    assert _problems(source) == [
        (14, "excess-param", "Excess function parameter 'x' description in 'TOY_MAX'")
    ]


def test_plain_comments_are_checked_when_their_function_follows_directly() -> None:
    source = """
        /*
         * toy_pop - remove a page from a list.
         * @head : pointer to list
         * @page : page to be removed
         */
        static inline struct page *toy_pop(struct list_head *pages)
        {
        	return NULL;
        }

        /*
         * toy_push - a blank line separates this comment from its function.
         * @head : pointer to list
         */

        static inline void toy_push(struct list_head *pages)
        {
        }
    """
    note = " (a plain /* comment in kernel-doc form, which scripts/kernel-doc does not check)"
    assert _problems(source) == [
        (6, "undescribed-param", "Function parameter 'pages' not described in 'toy_pop'" + note),
        (6, "excess-param", "Excess function parameter 'head' description in 'toy_pop'" + note),
        (6, "excess-param", "Excess function parameter 'page' description in 'toy_pop'" + note),
        (6, "missing-return", "No description found for return value of 'toy_pop'" + note),
    ]


def test_problem_kinds_are_the_rule_parameters() -> None:
    assert [k.value for k in DocProblemKind] == [
        "excess-param", "undescribed-param", "name-mismatch", "missing-return"
    ]
