"""Lowering of kernel-style C to the IR: one test per construct the analyses rely on."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest
from tree_sitter import Parser

from patchaudit.cfront import digest, ir, parse_c
from patchaudit.cfront.lower import lower_tree
from patchaudit.cfront.lower_ctx import MAX_DEPTH, MAX_EXPR_BYTES
from patchaudit.cfront.parser import ParsedTree, c_language

FIXTURES = Path(__file__).parent / "fixtures" / "cfront" / "lower"


# ---------------------------------------------------------------- rendering
# A compact rendering that shows every IR node kind but no positions, so an
# expected shape reads like the C it came from. Unary is op(operand), Binary is
# parenthesised, a TypeArg is type<...>, a Decl is decl<type>.


def e(x: ir.Expr | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, ir.Name):
        return x.name
    if isinstance(x, ir.Literal):
        return x.text
    if isinstance(x, ir.Field):
        return f"{e(x.base)}{'->' if x.arrow else '.'}{x.member}"
    if isinstance(x, ir.Call):
        return f"{e(x.callee_expr)}({', '.join(e(a) for a in x.args)})"
    if isinstance(x, ir.Unary):
        return f"{x.op}({e(x.operand)})"
    if isinstance(x, ir.Binary):
        return f"({e(x.left)} {x.op} {e(x.right)})"
    if isinstance(x, ir.Assign):
        return f"{e(x.target)} {x.op} {e(x.value)}"
    if isinstance(x, ir.Conditional):
        return f"({e(x.cond)} ? {e(x.then)} : {e(x.other)})"
    if isinstance(x, ir.Cast):
        return f"cast<{x.type}>({e(x.operand)})"
    if isinstance(x, ir.Index):
        return f"{e(x.base)}[{e(x.index)}]"
    if isinstance(x, ir.StmtExpr):
        return f"({s(x.body)})"
    if isinstance(x, ir.InitList):
        return "{" + ", ".join(f".{d}={e(v)}" if d else e(v) for d, v in x.items) + "}"
    if isinstance(x, ir.TypeArg):
        return f"type<{x.type}>"
    if isinstance(x, ir.Unknown):
        return f"unknown<{x.text}>[{', '.join(e(c) for c in x.children)}]"
    raise AssertionError(f"no rendering for {type(x).__name__}")


def s(x: ir.Stmt | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, ir.Block):
        return "{ " + " ".join(s(c) for c in x.body) + " }" if x.body else "{}"
    if isinstance(x, ir.ExprStmt):
        return e(x.expr) + ";"
    if isinstance(x, ir.Decl):
        return f"decl<{x.type}> {x.name}" + (f" = {e(x.init)}" if x.init else "") + ";"
    if isinstance(x, ir.If):
        return f"if ({e(x.cond)}) {s(x.then)}" + (f" else {s(x.other)}" if x.other else "")
    if isinstance(x, ir.Loop):
        if x.kind is ir.LoopKind.ITERATOR:
            return f"iterator {x.macro}({', '.join(e(a) for a in x.args)}) {s(x.body)}"
        if x.kind is ir.LoopKind.FOR:
            init = " ".join(s(i) for i in x.init)
            return f"for ({init} {e(x.cond)}; {e(x.step)}) {s(x.body)}"
        return f"{x.kind.value} ({e(x.cond)}) {s(x.body)}"
    if isinstance(x, ir.Switch):
        return f"switch ({e(x.cond)}) {s(x.body)}"
    if isinstance(x, ir.Case):
        return f"case {e(x.value)}:" if x.value else "default:"
    if isinstance(x, ir.Label):
        return f"{x.name}:"
    if isinstance(x, ir.Goto):
        return f"goto {x.label};"
    if isinstance(x, ir.Return):
        return f"return {e(x.value)};" if x.value else "return;"
    if isinstance(x, ir.Break):
        return "break;"
    if isinstance(x, ir.Continue):
        return "continue;"
    if isinstance(x, ir.Scoped):
        return f"scoped {x.macro}({', '.join(e(a) for a in x.args)}) {s(x.body)}"
    if isinstance(x, ir.Opaque):
        return f"opaque<{x.text}>[{', '.join(e(c) for c in x.calls)}]"
    raise AssertionError(f"no rendering for {type(x).__name__}")


def c(source: str) -> bytes:
    return textwrap.dedent(source).lstrip("\n").encode()


def only_function(source: str) -> ir.Function:
    fir = parse_c(c(source), "t.c")
    assert len(fir.functions) == 1, fir.functions
    return fir.functions[0]


def body(source: str) -> list[str]:
    """The rendered top-level statements of the one function in ``source``."""
    return [s(st) for st in only_function(source).body.body]


def raw_lowering(source: bytes) -> ir.FileIR:
    """Lower the tree of raw tree-sitter-c, without kernel masking (the lowering's own fallbacks)."""
    tree = Parser(c_language()).parse(source)
    return lower_tree(ParsedTree(tree, source, source), path="raw.c", digest="")


# ---------------------------------------------------------------- control flow


def test_if_else_chain_with_early_returns() -> None:
    assert body(
        """
        int toy_get(struct toy *t)
        {
        	if (!t)
        		return -EINVAL;
        	else if (t->busy) {
        		spin_unlock(&t->lock);
        		return -EBUSY;
        	} else
        		t->busy = 1;
        	return 0;
        }
        """
    ) == [
        (
            "if (!(t)) return -(EINVAL); else if (t->busy) { spin_unlock(&(t->lock)); return -(EBUSY); }"
            " else t->busy = 1;"
        ),
        "return 0;",
    ]


def test_switch_keeps_case_labels_in_order_for_fallthrough() -> None:
    fn = only_function(
        """
        int toy_cmd(int cmd)
        {
        	switch (cmd) {
        	case TOY_A:
        	case TOY_B:
        		a();
        		/* fall through */
        	case TOY_C:
        		c();
        		break;
        	default:
        		return -EINVAL;
        	}
        	return 0;
        }
        """
    )
    switch = fn.body.body[0]
    assert s(switch) == (
        "switch (cmd) { case TOY_A: case TOY_B: a(); case TOY_C: c(); break; default: return -(EINVAL); }"
    )
    assert isinstance(switch, ir.Switch)
    assert isinstance(switch.body, ir.Block)
    case_b = switch.body.body[1]
    assert case_b == ir.Case(ir.Pos(5, 2), ir.Pos(5, 12), ir.Name(ir.Pos(5, 7), "TOY_B", "TOY_B"))


def test_loops_with_break_and_continue() -> None:
    assert body(
        """
        void toy_loops(int n)
        {
        	while (n > 0) {
        		if (skip(n))
        			continue;
        		if (done(n))
        			break;
        		n--;
        	}
        	for (int i = 0, j = 1; i < n; i++, j++)
        		step(i, j);
        	for (;;)
        		;
        }
        """
    ) == [
        "while ((n > 0)) { if (skip(n)) continue; if (done(n)) break; --(n); }",
        "for (decl<int> i = 0; decl<int> j = 1; (i < n); (++(i) , ++(j))) step(i, j);",
        "for ( -; -) {}",
    ]


def test_goto_unwind_labels_are_statements_in_sequence() -> None:
    assert body(
        """
        int toy_setup(struct toy *t)
        {
        	int ret;

        	spin_lock(&t->lock);
        	ret = prepare(t);
        	if (ret)
        		goto out_unlock;
        	ret = commit(t);
        out_unlock:
        	spin_unlock(&t->lock);
        out:
        	return ret;
        }
        """
    ) == [
        "decl<int> ret;",
        "spin_lock(&(t->lock));",
        "ret = prepare(t);",
        "if (ret) goto out_unlock;",
        "ret = commit(t);",
        "out_unlock:",
        "spin_unlock(&(t->lock));",
        "out:",
        "return ret;",
    ]


def test_do_while_zero_is_a_do_loop_with_literal_zero() -> None:
    fn = only_function(
        """
        void toy_once(struct toy *t)
        {
        	do {
        		if (!t)
        			break;
        		poke(t);
        	} while (0);
        }
        """
    )
    (loop,) = fn.body.body
    assert isinstance(loop, ir.Loop)
    assert loop.kind is ir.LoopKind.DO_WHILE
    assert loop.cond == ir.Literal(ir.Pos(7, 11), "0")
    assert s(loop) == "do (0) { if (!(t)) break; poke(t); }"


def test_statement_expression_keeps_its_block() -> None:
    assert body(
        """
        int toy_stmt_expr(spinlock_t *l)
        {
        	return ({ int __r; spin_lock(l); __r = peek(); __r; });
        }
        """
    ) == ["return ({ decl<int> __r; spin_lock(l); __r = peek(); __r; });"]


def test_iterator_macro_becomes_an_iterator_loop() -> None:
    fn = only_function(
        """
        void toy_dequeue(struct balloon_dev_info *b_dev_info)
        {
        	struct page *page, *tmp;

        	list_for_each_entry_safe(page, tmp, &b_dev_info->pages, lru) {
        		if (!trylock_page(page))
        			continue;
        		list_del(&page->lru);
        	}
        	if (b_dev_info->isolated_pages)
        		list_for_each_entry(page, &b_dev_info->pages, lru)
        			unlock_page(page);
        }
        """
    )
    assert [s(st) for st in fn.body.body[2:]] == [
        (
            "iterator list_for_each_entry_safe(page, tmp, &(b_dev_info->pages), lru)"
            " { if (!(trylock_page(page))) continue; list_del(&(page->lru)); }"
        ),
        (
            "if (b_dev_info->isolated_pages)"
            " iterator list_for_each_entry(page, &(b_dev_info->pages), lru) unlock_page(page);"
        ),
    ]
    loop = fn.body.body[2]
    assert isinstance(loop, ir.Loop)
    assert (loop.kind, loop.cond, loop.pos, loop.end) == (
        ir.LoopKind.ITERATOR,
        None,
        ir.Pos(5, 2),
        ir.Pos(9, 2),
    )
    assert not fn.has_error


ITERATOR_SOURCE = b"""void f(struct list_head *pages)
{
\tlist_for_each_entry(page, pages, lru) {
\t\tput(page);
\t}
}
"""


def test_iterator_loop_is_the_same_from_a_masked_or_a_raw_tree() -> None:
    # The masking turns the macro name into "while" padded with spaces; raw
    # tree-sitter instead invents a ";" after the call. Both are one loop.
    masked = ITERATOR_SOURCE.replace(b"list_for_each_entry(", b"while              (")
    tree = Parser(c_language()).parse(masked)
    from_masked = lower_tree(ParsedTree(tree, ITERATOR_SOURCE, masked), path="m.c", digest="")
    from_raw = raw_lowering(ITERATOR_SOURCE)
    expected = "iterator list_for_each_entry(page, pages, lru) { put(page); }"
    assert s(from_masked.functions[0].body.body[0]) == expected
    assert s(from_raw.functions[0].body.body[0]) == expected
    assert from_masked.functions[0].body == from_raw.functions[0].body
    assert from_raw.functions[0].has_error and not from_masked.functions[0].has_error


# ---------------------------------------------------------------- locking idioms


def test_guard_is_a_call_whose_callee_is_the_guard_call() -> None:
    fn = only_function(
        """
        void toy_guarded(struct toy *t)
        {
        	guard(spinlock_irqsave)(&t->lock);
        	t->count++;
        }
        """
    )
    stmt = fn.body.body[0]
    assert isinstance(stmt, ir.ExprStmt)
    call = stmt.expr
    assert isinstance(call, ir.Call)
    assert call.callee == ""
    assert isinstance(call.callee_expr, ir.Call)
    assert call.callee_expr.callee == "guard"
    assert call.callee_expr.args == (ir.Name(ir.Pos(3, 8), "spinlock_irqsave", "spinlock_irqsave"),)
    assert e(call) == "guard(spinlock_irqsave)(&(t->lock))"


def test_scoped_guard_is_a_scoped_statement() -> None:
    assert body(
        """
        void toy_scoped(struct toy *t)
        {
        	scoped_guard(mutex, &t->lock) {
        		t->count++;
        	}
        	scoped_guard(spinlock, &t->lock)
        		t->count--;
        }
        """
    ) == [
        "scoped scoped_guard(mutex, &(t->lock)) { ++(t->count); }",
        "scoped scoped_guard(spinlock, &(t->lock)) --(t->count);",
    ]


def test_trylock_conditions_keep_their_shape() -> None:
    assert body(
        """
        int toy_try(struct page *page, struct mutex *l, spinlock_t *s)
        {
        	BUG_ON(!trylock_page(page));
        	if (!mutex_trylock(l))
        		return -EAGAIN;
        	if (spin_trylock(s)) {
        		work();
        		spin_unlock(s);
        	}
        	return 0;
        }
        """
    ) == [
        "BUG_ON(!(trylock_page(page)));",
        "if (!(mutex_trylock(l))) return -(EAGAIN);",
        "if (spin_trylock(s)) { work(); spin_unlock(s); }",
        "return 0;",
    ]


def test_field_writes_and_list_operations() -> None:
    fn = only_function(
        """
        void toy_fields(struct page *page, struct toy t)
        {
        	page->mapping = NULL;
        	t.count += 2;
        	list_del(&page->lru);
        }
        """
    )
    write, add, list_del = fn.body.body
    assert write == ir.ExprStmt(
        ir.Pos(3, 2),
        ir.Pos(3, 22),
        ir.Assign(
            ir.Pos(3, 2),
            "page->mapping = NULL",
            "=",
            ir.Field(
                ir.Pos(3, 2),
                "page->mapping",
                ir.Name(ir.Pos(3, 2), "page", "page"),
                "mapping",
                True,
            ),
            ir.Literal(ir.Pos(3, 18), "NULL"),
        ),
    )
    assert isinstance(add, ir.ExprStmt) and isinstance(add.expr, ir.Assign)
    assert (add.expr.op, add.expr.target) == (
        "+=",
        ir.Field(ir.Pos(4, 2), "t.count", ir.Name(ir.Pos(4, 2), "t", "t"), "count", False),
    )
    assert s(list_del) == "list_del(&(page->lru));"


def test_container_of_and_list_entry_take_type_arguments() -> None:
    fn = only_function(
        """
        void toy_types(struct list_head *l, struct balloon_dev_info *b)
        {
        	struct toy *t = container_of(b, struct toy, b_dev_info);
        	struct page *p = list_first_entry(l, struct page, lru);
        	void **slot = container_of(l, const struct slot *, list);
        }
        """
    )
    assert [s(st) for st in fn.body.body] == [
        "decl<struct toy *> t = container_of(b, type<struct toy>, b_dev_info);",
        "decl<struct page *> p = list_first_entry(l, type<struct page>, lru);",
        "decl<void **> slot = container_of(l, type<const struct slot *>, list);",
    ]
    decl = fn.body.body[0]
    assert isinstance(decl, ir.Decl) and isinstance(decl.init, ir.Call)
    assert decl.init.args[1] == ir.TypeArg(ir.Pos(3, 34), "struct toy", "struct toy")


def test_expression_forms() -> None:
    assert body(
        """
        long toy_exprs(struct toy *t, int i)
        {
        	x = (unsigned long)t->base[i] + sizeof(struct page) + sizeof *t;
        	y = t ? : fallback;
        	z = i > 0 ? i : -i;
        	w = (struct range){ .start = 0, .end = i };
        	return a, b;
        }
        """
    ) == [
        "x = ((cast<unsigned long>(t->base[i]) + sizeof(type<struct page>)) + sizeof(*(t)));",
        "y = (t ? - : fallback);",
        "z = ((i > 0) ? i : -(i));",
        "w = cast<struct range>({.start=0, .end=i});",
        "return (a , b);",
    ]


# ---------------------------------------------------------------- declarations


def test_function_signature_params_and_annotations() -> None:
    fir = parse_c(
        c(
            """
            static struct page * __must_check toy_pop(struct balloon_dev_info *b_dev_info,
            					 const char __user *buf, int (*cb)(struct page *p), ...)
            	__must_hold(&b_dev_info->pages_lock)
            {
            	return NULL;
            }

            void toy_void(void)
            {
            }
            """
        ),
        "t.c",
    )
    pop, void = fir.functions
    assert (pop.name, pop.pos, pop.start_line, pop.end_line) == ("toy_pop", ir.Pos(1, 35), 1, 6)
    assert pop.return_type == "struct page *"
    assert pop.params == (
        ir.Param("b_dev_info", "struct balloon_dev_info *"),
        ir.Param("buf", "const char *"),
        ir.Param("cb", "int (*)(struct page *)"),
        ir.Param("...", "..."),
    )
    assert pop.static and not pop.has_error
    assert pop.annotations == ("__must_hold(&b_dev_info->pages_lock)",)
    assert (void.params, void.static, void.return_type) == ((), False, "void")
    assert fir.function_at(5) is pop and fir.function_at(7) is None


def test_declarations_one_decl_per_declarator() -> None:
    assert body(
        """
        void toy_decls(void)
        {
        	unsigned long flags, *pflags = &flags;
        	struct page *pages[TOY_BATCH];
        }
        """
    ) == [
        "decl<unsigned long> flags;",
        "decl<unsigned long *> pflags = &(flags);",
        "decl<struct page *[TOY_BATCH]> pages;",
    ]


def test_callback_tables_and_callback_assignments() -> None:
    fir = parse_c(
        c(
            """
            static const struct movable_operations toy_mops = {
            	.isolate_page = toy_isolate,
            	.migrate_page = toy_migrate,
            };
            static struct toy_ops ops[2] = { [0].cb = a, [1] = { .cb = b } };
            extern int toy_count;
            int toy_proto(int x);
            void toy_init(struct balloon_dev_info *b_dev_info)
            {
            	b_dev_info->migratepage = toy_migratepage;
            }
            """
        ),
        "t.c",
    )
    mops, ops, count = fir.globals
    assert (mops.name, mops.type, mops.line, mops.static) == (
        "toy_mops",
        "const struct movable_operations",
        1,
        True,
    )
    assert isinstance(mops.init, ir.InitList)
    assert mops.init.items == (
        ("isolate_page", ir.Name(ir.Pos(2, 18), "toy_isolate", "toy_isolate")),
        ("migrate_page", ir.Name(ir.Pos(3, 18), "toy_migrate", "toy_migrate")),
    )
    assert (ops.type, e(ops.init)) == ("struct toy_ops [2]", "{.[0].cb=a, .[1]={.cb=b}}")
    assert (count.name, count.init, count.static) == ("toy_count", None, False)
    assert s(fir.functions[0].body.body[0]) == "b_dev_info->migratepage = toy_migratepage;"


def test_struct_definitions_flatten_anonymous_members() -> None:
    fir = parse_c((FIXTURES / "toy_balloon.c").read_bytes(), "toy_balloon.c")
    (toy_dev,) = fir.structs
    assert toy_dev.name == "toy_dev" and toy_dev.line == 12
    assert [(f.name, f.type, f.line) for f in toy_dev.fields] == [
        ("b_dev_info", "struct balloon_dev_info", 13),
        ("stats_lock", "spinlock_t", 14),
        ("resize_lock", "struct mutex", 15),
        ("flags", "unsigned long", 17),
        ("spare", "struct page *", 18),
        ("nr_pages", "unsigned int", 20),
        ("inflations", "u64", 22),
        ("resize", "int (*)(struct toy_dev *, unsigned int)", 24),
    ]


def test_nested_and_typedef_structs() -> None:
    fir = parse_c(
        c(
            """
            struct outer {
            	struct inner {
            		spinlock_t lock;
            	} in;
            	int bits : 3;
            };
            typedef struct {
            	struct mutex m;
            } toy_t;
            union toy_u { int a; long b; };
            """
        ),
        "t.c",
    )
    assert [(d.name, [(f.name, f.type) for f in d.fields], d.line) for d in fir.structs] == [
        ("outer", [("in", "struct inner"), ("bits", "int")], 1),
        ("inner", [("lock", "spinlock_t")], 2),
        ("toy_t", [("m", "struct mutex")], 7),
        ("toy_u", [("a", "int"), ("b", "long")], 10),
    ]


def test_fixture_functions() -> None:
    fir = parse_c((FIXTURES / "toy_balloon.c").read_bytes(), "toy_balloon.c")
    assert [f.name for f in fir.functions] == [
        "toy_migratepage",
        "toy_leak",
        "toy_fill",
        "toy_init",
    ]
    assert not any(f.has_error for f in fir.functions) and fir.error_nodes == 0
    migrate, leak, fill, init = fir.functions
    assert [s(st) for st in migrate.body.body[:3]] == [
        "decl<struct toy_dev *> dev = container_of(b_dev_info, type<struct toy_dev>, b_dev_info);",
        "decl<unsigned long> flags;",
        "if (!(mutex_trylock(&(dev->resize_lock)))) return -(EAGAIN);",
    ]
    assert leak.annotations == ("__must_hold(&dev->resize_lock)",)
    assert s(leak.body.body[4]) == (
        "iterator list_for_each_entry_safe(page, tmp, &(dev->b_dev_info.pages), lru)"
        " { if (!(trylock_page(page))) continue; list_del(&(page->lru)); unlock_page(page);"
        " if ((++(n) >= nr)) break; }"
    )
    assert [s(st) for st in fill.body.body[2:]] == [
        (
            "scoped scoped_guard(mutex, &(dev->resize_lock)) { while ((dev->nr_pages < target))"
            " { page = balloon_page_alloc(); if (!(page)) { err = -(ENOMEM); goto out; }"
            " balloon_page_enqueue(&(dev->b_dev_info), page); ++(dev->nr_pages); } }"
        ),
        "out:",
        "return err;",
    ]
    assert s(init.body.body[1]) == "dev->b_dev_info.migratepage = toy_migratepage;"
    assert fir.globals == (ir.GlobalVar("toy", "struct toy_dev *", None, 27, True),)
    assert fir.macros == (
        ir.MacroDef("TOY_BATCH", 9, None, "32"),
        ir.MacroDef("toy_is_offline", 10, ("p",), "PageOffline(p)"),
    )


# ---------------------------------------------------------------- text facts


def test_identifiers_skip_comments_and_literals_but_not_macros() -> None:
    fir = parse_c(
        c(
            """
            /* PageBalloon() in a comment */
            #include <linux/PageBalloon.h>
            #define IS_BALLOON(p) PageBalloon(p) // PageBalloon again
            #if defined(CONFIG_X) && PAGE_BALLOON_MAPCOUNT_VALUE
            #error "PageBalloon" is gone
            #endif
            int f(void) { return puts("PageBalloon") + 'P' + PageBalloon(0x1fULL); }
            """
        ),
        "t.c",
    )
    assert [(i.name, i.line, i.column) for i in fir.identifiers] == [
        ("IS_BALLOON", 3, 9),
        ("p", 3, 20),
        ("PageBalloon", 3, 23),
        ("p", 3, 35),
        ("CONFIG_X", 4, 13),
        ("PAGE_BALLOON_MAPCOUNT_VALUE", 4, 26),
        ("f", 7, 5),
        ("puts", 7, 22),
        ("PageBalloon", 7, 50),
    ]


def test_columns_count_characters_not_bytes() -> None:
    fir = parse_c("/* Zoë */ int é; int f(void) { return PageBalloon(x); }\n".encode(), "t.c")
    columns = {i.name: i.column for i in fir.identifiers}
    assert columns["PageBalloon"] == 39
    (fn,) = fir.functions
    ret = fn.body.body[0]
    assert isinstance(ret, ir.Return) and ret.value is not None
    assert ret.value.pos == ir.Pos(1, 39)
    assert fn.pos == ir.Pos(1, 22)


def test_comments_are_kept_raw_with_line_ranges() -> None:
    fir = parse_c(
        c(
            """
            /*
             * Lock order: page lock, then pages_lock.
             */
            int x; // trailing
            #define Y 1 /* in a macro */
            char *s = "/* not a comment */";
            """
        ),
        "t.c",
    )
    assert fir.comments == (
        ir.Comment("/*\n * Lock order: page lock, then pages_lock.\n */", 1, 3),
        ir.Comment("// trailing", 4, 4),
        ir.Comment("/* in a macro */", 5, 5),
    )


def test_multiline_macro_body_without_comments() -> None:
    fir = parse_c(
        c(
            """
            #define toy_lock(t, f) do {			\\
            	spin_lock_irqsave(&(t)->lock, f); /* irq off */ \\
            } while (0)
            #define TOY_EMPTY
            """
        ),
        "t.c",
    )
    assert fir.macros == (
        ir.MacroDef(
            "toy_lock",
            1,
            ("t", "f"),
            "do {\t\t\t\\\n\tspin_lock_irqsave(&(t)->lock, f);   \\\n} while (0)",
        ),
        ir.MacroDef("TOY_EMPTY", 4, None, ""),
    )
    assert [(i.name, i.line) for i in fir.identifiers if i.name == "spin_lock_irqsave"] == [
        ("spin_lock_irqsave", 2)
    ]


# ---------------------------------------------------------------- damaged input


def test_parse_errors_become_opaque_statements_that_keep_their_calls() -> None:
    fir = raw_lowering(
        c(
            """
            static int f(struct toy *t)
            {
            	lock(t);
            	foo(t, ) bar(baz(1)) ];
            	if (t->busy) {
            		unlock(t);
            	}
            	return 0;
            }
            """
        )
    )
    (fn,) = fir.functions
    assert fn.has_error and fir.error_nodes == 3
    # tree-sitter's recovery swallowed "if (t->busy)" into the broken
    # statement; its calls survive in the Opaque and the block after it is
    # lowered as usual.
    assert [s(st) for st in fn.body.body] == [
        "lock(t);",
        "opaque<foo(t, ) bar(baz(1)) ];\n\tif (t->busy)>[bar(baz(1))(t->busy), bar(baz(1)), baz(1)]",
        "{ unlock(t); }",
        "return 0;",
    ]
    assert fir.error_constructs == ("error at foo", "error at ) in foo(", "error at ] in baz(")


def test_preprocessor_branches_in_a_body_are_both_lowered_in_order() -> None:
    # Raw tree: the masking may already have removed one branch; where a
    # preproc_if reaches the lowering, every branch is kept, in source order.
    fir = raw_lowering(
        c(
            """
            void f(void)
            {
            #ifdef CONFIG_A
            	a();
            #elif defined(CONFIG_B)
            	b();
            #else
            	other();
            #endif
            	done();
            }
            """
        )
    )
    assert [s(st) for st in fir.functions[0].body.body] == ["a();", "b();", "other();", "done();"]


def test_nesting_beyond_the_limit_is_opaque_and_reported() -> None:
    depth = 400
    source = (
        "int f(void)\n{\n"
        + "\tif (a) {\n" * depth
        + "\tspin_lock(&l);\n"
        + "\t}\n" * depth
        + "\treturn x + "
        + "(" * 3000
        + "g(1)"
        + ")" * 3000
        + ";\n}\n"
    ).encode()
    fir = parse_c(source, "deep.c")
    assert fir.issues == (
        ir.ParseIssue(
            f"nesting deeper than {MAX_DEPTH} levels (line 77, 78, 804): lowered as Opaque/Unknown"
        ),
    )
    # Nothing is lost: the lock call is still there, as a call of an Opaque.
    text = repr(fir.functions[0].body)
    assert "callee='spin_lock'" in text and "callee='g'" in text
    assert pickle.loads(pickle.dumps(fir)) == fir


def test_long_operator_chains_stay_within_the_limit() -> None:
    terms = " || ".join(f"x == {i}" for i in range(MAX_DEPTH - 10))
    fir = parse_c(f"int f(int x)\n{{\n\treturn {terms};\n}}\n".encode(), "chain.c")
    assert fir.issues == ()
    assert pickle.loads(pickle.dumps(fir)) == fir


def test_not_utf8_is_parsed_with_a_diagnostic() -> None:
    fir = parse_c(b"/* caf\xe9 */\nint f(void) { return lock(x); }\n", "latin1.c")
    assert fir.issues == (
        ir.ParseIssue("not valid UTF-8 (first bad byte at offset 6); parsed anyway"),
    )
    assert fir.comments == (ir.Comment("/* caf\udce9 */", 1, 1),)
    assert s(fir.functions[0].body.body[0]) == "return lock(x);"


def test_binary_too_large_and_empty_files() -> None:
    binary = parse_c(b"\x7fELF\x02\x01\x01\x00\x00", "vmlinux.o")
    assert binary.issues == (ir.ParseIssue("binary file (NUL byte at offset 7): not parsed"),)
    assert (binary.functions, binary.identifiers, binary.size) == ((), (), 9)
    big = parse_c(b"int x;\n" * 10, "big.c", max_size=69)
    assert big.issues == (ir.ParseIssue("file too large to parse (70 bytes, limit 69)"),)
    assert (big.globals, big.lines, big.digest) == ((), 10, digest(b"int x;\n" * 10))
    empty = parse_c(b"", "empty.c")
    assert (empty.issues, empty.lines, empty.functions, empty.error_nodes) == ((), 0, (), 0)


def test_garbage_never_raises() -> None:
    for data in (
        b"}}}{{{ ((( int ;;; #if\n#endif #else",
        b"#define",
        b"'",
        b'"\\',
        b"/*",
        b"\\\n#",
    ):
        fir = parse_c(data, "garbage.c")
        assert fir.size == len(data)


def test_digest_depends_on_content_and_frontend_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from patchaudit import cfront

    first = digest(b"int x;\n")
    assert first == digest(b"int x;\n") != digest(b"int y;\n")
    assert len(first) == 64
    cfront._frontend_fingerprint.cache_clear()
    monkeypatch.setattr(cfront, "FRONTEND_VERSION", "test-bump")
    try:
        assert digest(b"int x;\n") != first
    finally:
        cfront._frontend_fingerprint.cache_clear()


# ---------------------------------------------------------------- real kernel


@pytest.mark.kernel
def test_real_balloon_compaction_lowers_cleanly(kernel_tree: Path) -> None:
    path = kernel_tree / "mm" / "balloon_compaction.c"
    fir = parse_c(path.read_bytes(), str(path))
    assert fir.issues == ()
    by_name = {f.name: f for f in fir.functions}
    dequeue = by_name["balloon_page_list_dequeue"]
    assert not dequeue.has_error
    loops = [st for st in dequeue.body.body if isinstance(st, ir.Loop)]
    assert [(lp.kind, lp.macro) for lp in loops] == [
        (ir.LoopKind.ITERATOR, "list_for_each_entry_safe")
    ]
    loop_body = loops[0].body
    assert isinstance(loop_body, ir.Block)
    assert [s(st) for st in loop_body.body[:2]] == [
        "if ((n_pages == n_req_pages)) break;",
        "if (!(trylock_page(page))) continue;",
    ]
    enqueue_one = by_name["balloon_page_enqueue_one"]
    assert "BUG_ON(!(trylock_page(page)));" in [s(st) for st in enqueue_one.body.body]
    assert enqueue_one.params == (
        ir.Param("b_dev_info", "struct balloon_dev_info *"),
        ir.Param("page", "struct page *"),
    )


@pytest.mark.kernel
def test_real_balloon_header_and_driver_lower_without_issues(kernel_tree: Path) -> None:
    header = parse_c((kernel_tree / "include/linux/balloon_compaction.h").read_bytes(), "h")
    (info,) = [d for d in header.structs if d.name == "balloon_dev_info"]
    assert ("pages_lock", "spinlock_t") in [(f.name, f.type) for f in info.fields]
    assert any(
        c.text.startswith("/*\n * include/linux/balloon_compaction.h") for c in header.comments
    )
    driver = parse_c((kernel_tree / "drivers/virtio/virtio_balloon.c").read_bytes(), "d")
    assert driver.issues == ()
    migrate = driver.function_at(
        next(f.pos.line for f in driver.functions if f.name == "virtballoon_migratepage")
    )
    assert migrate is not None and migrate.params[0] == ir.Param(
        "vb_dev_info", "struct balloon_dev_info *"
    )


def test_an_expression_too_long_to_lower_is_one_unknown_with_its_calls() -> None:
    # Each IR level keeps its text: a 1 MB nested expression lowered level by
    # level held MAX_DEPTH copies of itself (a 4 MB line: 1.4 GB).
    terms = " + ".join(["1"] * 150_000 + ["lock(page)"] + ["2"] * 150_000)
    source = f"int f(struct page *page)\n{{\n\tint x = 0;\n\n\treturn {terms};\n}}\n".encode()
    assert len(source) > 4 * MAX_EXPR_BYTES
    fir = parse_c(source, "long.c")
    assert fir.issues == (
        ir.ParseIssue(
            f"expression longer than {MAX_EXPR_BYTES} bytes (line 5): lowered as Unknown, its calls kept"
        ),
    )
    (ret,) = [s for s in fir.functions[0].body.body if isinstance(s, ir.Return)]
    assert isinstance(ret.value, ir.Unknown)
    assert [c.callee for c in ret.value.children if isinstance(c, ir.Call)] == ["lock"]
    # The IR holds the expression's text a few times, not once per level.
    assert len(pickle.dumps(fir)) < 3 * len(source)


def test_a_long_initializer_list_is_lowered_whole() -> None:
    # Firmware and register tables are long flat initializers: no limit for them.
    values = ", ".join(f"0x{i % 256:02x}" for i in range(60_000))
    source = f"static const unsigned char fw[] = {{ {values} }};\n".encode()
    assert len(source) > MAX_EXPR_BYTES
    fir = parse_c(source, "fw.c")
    assert fir.issues == ()
