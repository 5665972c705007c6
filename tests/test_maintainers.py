"""MAINTAINERS as data: entries, patterns, and the entry that owns a path, as get_maintainer.pl says.

The hand-written fixture (tests/fixtures/maintainers/tree) has one case of
each rule of get_maintainer.pl; the real Linux 6.12 file must parse whole,
and a sample of its paths must map to the entries get_maintainer.pl names
(run with --nogit --nogit-fallback --sections, where perl is present; CI has
it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import _missing
from patchaudit.tree.maintainers import Maintainers, Pattern, parse_maintainers

FIXTURE = Path(__file__).parent / "fixtures" / "maintainers" / "tree"


def load(root: Path) -> Maintainers:
    return parse_maintainers((root / "MAINTAINERS").read_text(), lambda p: (root / p).is_dir())


def covering(maintainers: Maintainers, path: str) -> list[tuple[str, int]]:
    return [(entry.name, depth) for entry, depth in maintainers.covering(path)]


def test_entries_and_their_fields() -> None:
    m = load(FIXTURE)
    # The introduction before the list is not an entry, nor is the comment line.
    assert [e.name for e in m.entries] == [
        "BALLOON COMPACTION", "CHAR and MISC DRIVERS", "DEMO BALLOON DRIVERS",
        "MEMORY MANAGEMENT", "THE REST",
    ]  # fmt: skip
    balloon = m.entries[0]
    assert balloon.maintainers == ("Bea Balloon <bea@example.org>",)
    assert balloon.reviewers == ("Rik Reviewer <rik@example.org>",)
    assert balloon.lists == ("linux-mm@lists.example.org",)
    assert balloon.status == "Maintained"
    assert balloon.line == 12
    # A blank line inside an entry does not end it (get_maintainer.pl skips blank lines).
    assert m.entries[2].files == ("drivers/misc/*_balloon.c", "drivers/virtio/virtio_balloon.?")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # An exact file (depth: its slashes + 1) beats a directory (depth: its slashes).
        ("mm/balloon_compaction.c",
         [("BALLOON COMPACTION", 2), ("MEMORY MANAGEMENT", 1), ("DEMO BALLOON DRIVERS", 0),
          ("THE REST", -1)]),
        # "F: drivers/misc" names a directory of the tree: it gets its slash (depth 2).
        # The demo entry's glob matches too (depth 3), but its last matching line is
        # the N: regex (depth 0), and get_maintainer.pl keeps the last.
        ("drivers/misc/demo_balloon.c",
         [("CHAR and MISC DRIVERS", 2), ("DEMO BALLOON DRIVERS", 0), ("THE REST", -1)]),
        ("drivers/virtio/virtio_balloon.c", [("DEMO BALLOON DRIVERS", 0), ("THE REST", -1)]),
        ("drivers/misc/misc.c", [("CHAR and MISC DRIVERS", 2), ("THE REST", -1)]),
        # X: takes the misc entry off; a glob without a trailing slash stays in its directory.
        ("drivers/misc/secret/hidden_balloon.c", [("DEMO BALLOON DRIVERS", 0), ("THE REST", -1)]),
        ("include/linux/mm.h", [("MEMORY MANAGEMENT", 3), ("THE REST", -1)]),
        ("Documentation/mm/balloon.rst",
         [("MEMORY MANAGEMENT", 2), ("DEMO BALLOON DRIVERS", 0), ("THE REST", -1)]),
        ("tools/mm/x.c", [("THE REST", -1)]),
        ("MAINTAINERS", [("THE REST", -1)]),
    ],
)  # fmt: skip
def test_which_entries_cover_a_path(path: str, expected: list[tuple[str, int]]) -> None:
    m = load(FIXTURE)
    assert covering(m, path) == expected
    # The owners: the deepest entries (longest match wins).
    assert [e.name for e in m.owners(path)] == [expected[0][0]]


def test_glob_conversion_and_depth() -> None:
    assert Pattern("drivers/misc/*_balloon.c", r"drivers/misc/.*_balloon\.c").depth == 3
    assert Pattern("mm/", "mm/").depth == 1
    assert Pattern("*", ".*").depth == -1 and Pattern("*/", ".*/").depth == -1
    assert Pattern("drivers/misc/*_balloon.c", r"drivers/misc/.*_balloon\.c").literal_directory == (
        "drivers/misc/"
    )
    assert Pattern("include/linux/mm.h", r"include/linux/mm\.h").literal_directory == "include/linux/"
    # Without its directory check, "drivers/misc" is a file name: it matches nothing below.
    plain = parse_maintainers("A\nM:\ta@b\nF:\tdrivers/misc\n")
    assert plain.covering("drivers/misc/misc.c") == []


def _perl() -> str:
    found = shutil.which("perl")
    if found is None:
        _missing("perl is needed to run scripts/get_maintainer.pl")
    assert found is not None
    return found


def get_maintainer_sections(kernel_tree: Path, root: Path, paths: list[str]) -> dict[str, list[str]]:
    """The section titles scripts/get_maintainer.pl prints for each path, in its order."""
    run = subprocess.run(
        [_perl(), str(kernel_tree / "scripts" / "get_maintainer.pl"), "--no-tree", "--nogit",
         "--nogit-fallback", "--sections", "-f", *paths],
        cwd=root, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    titles = [
        block.splitlines()[0]
        for block in run.stdout.split("\n\n")
        if block.strip() and not re.match(r"^[A-Z]:", block)
    ]
    # Each path's sections end with THE REST (F: * and */ cover every path, lowest of all).
    result: dict[str, list[str]] = {}
    current: list[str] = []
    for title in titles:
        current.append(title)
        if title == "THE REST":
            result[paths[len(result)]] = current
            current = []
    assert len(result) == len(paths), run.stdout[-2000:]
    return result


def _agrees(m: Maintainers, perl: dict[str, list[str]]) -> None:
    for path, names in perl.items():
        ours = covering(m, path)
        assert sorted(names) == sorted(name for name, _ in ours), path
        # get_maintainer.pl sorts by depth (in hash order on ties): ours agrees.
        depth = dict(ours)
        assert [depth[name] for name in names] == sorted((depth[n] for n in names), reverse=True), path
        assert names[0] in {entry.name for entry in m.owners(path)}, path


@pytest.mark.kernel
def test_the_fixture_agrees_with_get_maintainer_pl(kernel_tree: Path) -> None:
    paths = ["mm/balloon_compaction.c", "drivers/misc/demo_balloon.c",
             "drivers/virtio/virtio_balloon.c", "drivers/misc/misc.c",
             "drivers/misc/secret/hidden_balloon.c", "include/linux/mm.h",
             "Documentation/mm/balloon.rst", "tools/mm/x.c", "MAINTAINERS"]  # fmt: skip
    _agrees(load(FIXTURE), get_maintainer_sections(kernel_tree, FIXTURE, paths))


@pytest.mark.kernel
def test_every_pattern_of_the_6_12_file_parses(kernel_tree: Path) -> None:
    m = load(kernel_tree)
    assert len(m.entries) > 2800
    assert m.entries[-1].name == "THE REST"
    patterns = [p for e in m.entries for kind, p in e.patterns if kind in "FX"]
    names = [p for e in m.entries for kind, p in e.patterns if kind == "N"]
    assert len(patterns) > 8000 and len(names) > 50
    for pattern in patterns:
        assert isinstance(pattern, Pattern)
        assert pattern.compiled.pattern == pattern.regex  # compiles as Python's re
    for regex in names:
        assert isinstance(regex, str)
        re.compile(regex, re.VERBOSE)
    balloon = next(e for e in m.entries if e.name == "VIRTIO BALLOON")
    assert "mm/balloon_compaction.c" in balloon.files
    assert [e.name for e in m.owners("mm/balloon_compaction.c")] == ["VIRTIO BALLOON"]


@pytest.mark.kernel
def test_a_sample_of_6_12_paths_maps_as_get_maintainer_pl_says(kernel_tree: Path) -> None:
    everything = sorted(
        os.path.relpath(os.path.join(top, name), kernel_tree)
        for top, _, names in os.walk(kernel_tree) for name in names
    )  # fmt: skip
    # Every 1500th file of the tree (some 60, across arch/, drivers/, Documentation/,
    # tools/, ...; get_maintainer.pl takes 50 ms a path) and files known to sit under
    # several entries.
    sample = everything[::1500] + [
        "mm/balloon_compaction.c", "include/linux/balloon_compaction.h",
        "drivers/misc/vmw_balloon.c", "drivers/net/ethernet/intel/e1000e/netdev.c",
        "arch/x86/kvm/x86.c", "include/linux/page-flags.h", "MAINTAINERS", "README",
    ]  # fmt: skip
    _agrees(load(kernel_tree), get_maintainer_sections(kernel_tree, kernel_tree, sample))
