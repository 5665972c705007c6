"""Kernel-aware masking: one hand-written fixture per macro family, plus the table and error API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tree_sitter_c
from tree_sitter import Language, Node, Parser

from patchaudit.cfront import parser as parser_module
from patchaudit.cfront.data import Treatment, kernel_table, load_table
from patchaudit.cfront.kernel import annotations_in, iterator_macro_at, macro_family, mask
from patchaudit.cfront.parser import describe_errors, parse_tree
from patchaudit.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "cfront" / "macros"

# fixture -> (raw tree-sitter-c has an error in it, function definitions after masking)
CASES: dict[str, tuple[bool, list[str]]] = {
    "iterator": (True, ["drain_pages"]),
    "scope": (True, ["counter_add"]),
    "lock_annotation": (True, ["pool_refill", "pool_lock"]),
    "guarded_annotation": (True, ["pool_count"]),
    "section": (True, ["pool_init", "pool_exit"]),
    "sparse": (True, ["pool_copy_out"]),
    "attribute": (True, ["pool_check", "pool_warn"]),
    # `fallthrough;` parses raw as a bogus expression statement; masked it is empty.
    "statement_marker": (False, ["pool_level"]),
    "storage_class": (True, ["pool_count_items"]),
    "typed_declaration": (True, ["pool_hit"]),
    "definition": (True, ["pool_ctl", "pool_reset"]),
    "offsetof": (True, ["pool_hdr_offsets", "pool_read_owner"]),
    "trace_event": (True, ["pool_trace"]),
    "btf_list": (True, ["pool_kfunc_init"]),
    "declaration": (True, ["pool_report"]),
    "type_args": (True, ["pool_first"]),
    "conditional": (True, ["pool_pick"]),
    "file_scope": (True, ["pool_module_init", "pool_module_exit"]),
    "named_variadic": (True, ["pool_note"]),
}


def _raw_parser() -> Parser:
    return Parser(Language(tree_sitter_c.language()))


def _read(name: str) -> bytes:
    return (FIXTURES / f"{name}.c").read_bytes()


def _functions(root: Node) -> list[Node]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            found.append(node)
        else:
            stack.extend(reversed(node.children))
    return found


def _function_name(original: bytes, fn: Node) -> str:
    node = fn.child_by_field_name("declarator")
    while node is not None and node.type != "identifier":
        node = node.child_by_field_name("declarator")
    assert node is not None
    return original[node.start_byte : node.end_byte].decode()


def test_every_fixture_is_listed() -> None:
    on_disk = sorted(p.stem for p in FIXTURES.glob("*.c"))
    assert on_disk == sorted(CASES)


def test_every_table_family_has_a_fixture() -> None:
    assert {f.name for f in kernel_table().families} <= set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_parses_without_errors_after_masking(name: str) -> None:
    data = _read(name)
    parsed = parse_tree(data)
    assert not parsed.tree.root_node.has_error, describe_errors(parsed)
    names = [_function_name(data, fn) for fn in _functions(parsed.tree.root_node)]
    assert names == CASES[name][1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_raw_tree_sitter_fails_where_the_family_matters(name: str) -> None:
    assert _raw_parser().parse(_read(name)).root_node.has_error is CASES[name][0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_masked_text_is_the_snapshot(name: str) -> None:
    assert mask(_read(name)).data == (FIXTURES / f"{name}.c.masked").read_bytes()


@pytest.mark.parametrize("name", sorted(CASES))
def test_masking_keeps_offsets_and_line_breaks(name: str) -> None:
    data = _read(name)
    masked = mask(data).data
    assert len(masked) == len(data)
    for ws in (b"\n", b"\t"):
        assert [m.start() for m in re.finditer(ws, masked)] == [
            m.start() for m in re.finditer(ws, data)
        ]
    # Only spaces and identifier characters are ever written.
    changed = {masked[i] for i in range(len(data)) if masked[i] != data[i]}
    assert changed <= set(b" _(abcdefghijklmnopqrstuvwxyz")


def test_iterator_macro_at_names_the_masked_loops() -> None:
    data = _read("iterator")
    loops = [n for n in _walk(parse_tree(data).tree.root_node) if n.type == "while_statement"]
    assert [iterator_macro_at(data, n.start_byte) for n in loops] == [
        "list_for_each_entry_safe",
        "for_each_online_cpu",
        "hlist_for_each_entry_rcu",
    ]
    assert iterator_macro_at(b"while (x) y();", 0) is None
    assert iterator_macro_at(b"scoped_guard(mutex, &m) {}", 0) == "scoped_guard"


def test_annotations_in_reports_lock_annotations_as_written() -> None:
    data = _read("lock_annotation")
    parsed = parse_tree(data)
    found = []
    for fn in _functions(parsed.tree.root_node):
        body = fn.child_by_field_name("body")
        assert body is not None
        found.append(annotations_in(data, fn.start_byte, body.start_byte))
    assert found == [("__must_hold(&pool->lock)",), ("__acquires(&pool->lock)",)]
    assert annotations_in(b"void f(void) __releases( a ->\n lock )", 0, 38) == (
        "__releases( a -> lock )",
    )


def test_macro_family_lookup() -> None:
    assert macro_family("list_for_each_entry") == "iterator"
    assert macro_family("vma_interval_tree_foreach") == "iterator"
    assert macro_family("scoped_guard") == "scope"
    assert macro_family("__must_hold") == "lock_annotation"
    assert macro_family("DEFINE_PER_CPU") == "typed_declaration"
    assert macro_family("DEFINE_SPINLOCK") == "declaration"
    assert macro_family("TRACE_EVENT") == "trace_event"  # exact name beats DEFINE_*/patterns
    assert macro_family("spin_lock") is None


def test_hidden_records_the_blanked_branches() -> None:
    data = _read("conditional")
    hidden = [data[a:b].split() for a, b in parse_tree(data).hidden]
    assert hidden == [[b"if", b"(want)", b"{"], [b"POOL_OLD_FLAGS"]]


def test_comments_and_literals_are_never_masked() -> None:
    src = (
        b"static void f(void)\n{\n\t/* list_for_each_entry(a, b, c) { __init */\n"
        b'\tpr_info("__must_hold(x) for_each_cpu(c) {");\n}\n'
    )
    assert mask(src).data == src


def test_a_new_family_is_one_table_entry() -> None:
    table = load_table('[family.pool]\ntreatment = "attribute"\nnames = ["__pool_hot"]\n')
    assert table.families[0].treatment is Treatment.ATTRIBUTE
    src = b"static void __pool_hot f(void)\n{\n}\n"
    assert mask(src, table).data == b"static void            f(void)\n{\n}\n"
    assert mask(src).data == src  # not in the shipped table


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[family.x]\ntreatment = "shout"\nnames = ["a"]\n', "bad or missing treatment"),
        ('[family.x]\ntreatment = "attribute"\nnames = ["a b"]\n', "names must be"),
        ('[family.x]\ntreatment = "keyword"\nnames = ["a"]\n', "keyword goes with"),
        ("[family.x\n", "macros.toml"),
    ],
)
def test_malformed_tables_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        load_table(text)


def test_describe_errors_names_the_construct() -> None:
    src = b"static int f(void)\n{\n\tASSERTCMP(a, ==, b);\n\treturn 0\n}\n"
    assert describe_errors(parse_tree(src)) == ("ASSERTCMP(…, ‸== ,", "0 ‸missing ;")


def test_describe_errors_names_the_macro_before_a_missing_semicolon() -> None:
    src = b"static int f(void)\n{\n\tint a = 1;\n\tFOO_CHECK(a, 2)\n\tfoo(a);\n}\n"
    assert describe_errors(parse_tree(src)) == ("FOO_CHECK(…) ‸missing ;",)


def test_time_limit_gives_an_input_error() -> None:
    with pytest.raises(InputError, match="time limit"):
        parse_tree(b"int x;\n" * 50000, source="big.c", seconds=0.0)


def test_oversized_input_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser_module, "MAX_BYTES", 10)
    with pytest.raises(InputError, match="too big"):
        parse_tree(b"int x = 1;\n", source="x.c")


def test_unclosed_macro_arguments_cost_bounded_work() -> None:
    # Each name would otherwise scan 64 KB for its ")": 20,000 of them, 1.3 GB.
    src = b"void f(void)\n{\n" + b"\tlist_for_each_entry(a, b, c\n" * 20000 + b"}\n"
    assert len(mask(src).data) == len(src)


def _walk(root: Node) -> list[Node]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def test_ifndef_of_a_name_the_file_defines_is_dead_code() -> None:
    # hamachi.c defines final_version and keeps a debugging block under
    # "#ifndef final_version": never compiled, so never analysed. A name
    # defined inside another #if group, or #undef'd again, decides nothing.
    src = (b"#define final_version\n#ifdef MODULE\n#define maybe_defined\n#endif\n"
           b"static void f(int irq)\n{\n#ifndef final_version\n\tfree_irq(irq, 0);\n#endif\n"
           b"#ifndef maybe_defined\n\tdisable_irq(irq);\n#endif\n}\n"
           b"#undef final_version\n"
           b"static void g(int irq)\n{\n#ifndef final_version\n\tenable_irq(irq);\n#endif\n}\n")
    hidden = [src[a:b].split() for a, b in parse_tree(src).hidden]
    assert hidden == [[b"free_irq(irq,", b"0);"]]
