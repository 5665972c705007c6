"""Parsing real kernel code (marked kernel) and the parse-report over small trees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tree_sitter import Node

from patchaudit.cfront import parse_c
from patchaudit.cfront.kernel import iterator_macro_at
from patchaudit.cfront.parser import describe_errors, parse_tree
from patchaudit.cfront.report import collect_files, parse_report
from patchaudit.errors import InputError

TIMING = ("seconds", "mb_per_second")


def _nodes(root: Node, kind: str) -> list[Node]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.type == kind:
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def _name(original: bytes, fn: Node) -> str:
    node = fn.child_by_field_name("declarator")
    while node is not None and node.type != "identifier":
        node = node.child_by_field_name("declarator")
    assert node is not None
    return original[node.start_byte : node.end_byte].decode()


# ---------------------------------------------------------------- real kernel code


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("rel", "some_functions"),
    [
        ("mm/balloon_compaction.c", {"balloon_page_list_dequeue", "balloon_page_enqueue_one"}),
        ("drivers/virtio/virtio_balloon.c", {"virtballoon_migratepage", "fill_balloon"}),
    ],
)
def test_balloon_code_parses_without_errors(
    kernel_tree: Path, rel: str, some_functions: set[str]
) -> None:
    data = (kernel_tree / rel).read_bytes()
    parsed = parse_tree(data, source=rel)
    functions = _nodes(parsed.tree.root_node, "function_definition")
    assert [_name(data, fn) for fn in functions if fn.has_error] == []
    assert some_functions <= {_name(data, fn) for fn in functions}


@pytest.mark.kernel
def test_balloon_dequeue_loop_is_an_iterator(kernel_tree: Path) -> None:
    data = (kernel_tree / "mm/balloon_compaction.c").read_bytes()
    parsed = parse_tree(data)
    (fn,) = [
        f
        for f in _nodes(parsed.tree.root_node, "function_definition")
        if _name(data, f) == "balloon_page_list_dequeue"
    ]
    loops = [iterator_macro_at(data, n.start_byte) for n in _nodes(fn, "while_statement")]
    assert loops == ["list_for_each_entry_safe"]


@pytest.mark.kernel
def test_mm_and_virtio_parse_with_under_one_percent_errors(kernel_tree: Path) -> None:
    files = collect_files(kernel_tree, ["mm", "drivers/virtio"])
    assert len(files) > 150
    functions = with_errors = 0
    for rel in files:
        data = (kernel_tree / rel).read_bytes()
        parsed = parse_tree(data, source=rel)
        assert len(parsed.masked) == len(data)
        assert [m.start() for m in re.finditer(b"\n", parsed.masked)] == [
            m.start() for m in re.finditer(b"\n", data)
        ], rel
        for fn in _nodes(parsed.tree.root_node, "function_definition"):
            functions += 1
            with_errors += fn.has_error
    assert functions > 6000
    assert with_errors / functions < 0.01, (with_errors, functions)


@pytest.mark.kernel
def test_parse_report_over_virtio(kernel_tree: Path) -> None:
    report = parse_report(kernel_tree, ["drivers/virtio"], jobs=2)
    files = collect_files(kernel_tree, ["drivers/virtio"])
    assert report["files"] == len(files)
    assert report["bytes"] == sum((kernel_tree / f).stat().st_size for f in files)
    assert report["functions_with_errors"] == 0, report["top_error_constructs"]
    assert report["error_rate"] == 0.0
    assert report["files_with_issues"] == []
    again = parse_report(kernel_tree, ["drivers/virtio"], jobs=1)
    assert {k: v for k, v in again.items() if k not in TIMING} == {
        k: v for k, v in report.items() if k not in TIMING
    }


# ---------------------------------------------------------------- the report on small trees


GOOD = b"static int one(void)\n{\n\treturn 1;\n}\n"
BAD = (
    b"static int two(void)\n{\n\tASSERTCMP(a, ==, b);\n\treturn 2;\n}\n"
    b"static int three(void)\n{\n\treturn 3;\n}\n"
)
BLOB = b"\x7fELF\0\0\0"


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "sub").mkdir(parents=True)
    (root / "good.c").write_bytes(GOOD)
    (root / "sub" / "bad.c").write_bytes(BAD)
    (root / "sub" / "blob.h").write_bytes(BLOB)
    (root / "notes.txt").write_text("not C\n")
    (root / "link.c").symlink_to(root / "good.c")
    return root


def test_collect_files_lists_c_and_h_files_sorted(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert collect_files(root) == ["good.c", "sub/bad.c", "sub/blob.h"]
    assert collect_files(root, ["sub", "sub/bad.c"]) == ["sub/bad.c", "sub/blob.h"]


@pytest.mark.parametrize(
    ("path", "problem"), [("missing", "no such file or directory"), ("..", "outside the tree")]
)
def test_collect_files_refuses_bad_paths(tmp_path: Path, path: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        collect_files(_tree(tmp_path), [path])


def test_parse_report_figures(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    report = parse_report(root)
    assert {k: v for k, v in report.items() if k not in TIMING} == {
        "files": 3,
        "bytes": len(GOOD) + len(BAD) + len(BLOB),
        "functions": 3,
        "functions_with_errors": 1,
        "error_rate": 0.333333,
        "top_error_constructs": [[c, 1] for c in _constructs(root / "sub" / "bad.c")],
        "files_with_issues": [
            {"path": "sub/blob.h", "issues": ["binary file (NUL byte at offset 4): not parsed"]}
        ],
    }
    assert isinstance(report["seconds"], float) and isinstance(report["mb_per_second"], float)


def _constructs(path: Path) -> list[str]:
    return sorted(parse_c(path.read_bytes()).error_constructs)


def test_parse_report_does_not_depend_on_jobs(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for i in range(40):
        body = b"\tfoo(;\n" if i % 7 == 0 else b"\treturn 0;\n"
        (root / f"f{i:02}.c").write_bytes(b"int f%d(void)\n{\n" % i + body + b"}\n")
    one = parse_report(root, jobs=1)
    two = parse_report(root, jobs=2)
    assert {k: v for k, v in one.items() if k not in TIMING} == {
        k: v for k, v in two.items() if k not in TIMING
    }
    assert one["functions"] == 40 and one["functions_with_errors"] == 6


def test_describe_errors_of_the_broken_file(tmp_path: Path) -> None:
    data = (_tree(tmp_path) / "sub" / "bad.c").read_bytes()
    assert describe_errors(parse_tree(data)) == ("ASSERTCMP(…, ‸== ,",)
