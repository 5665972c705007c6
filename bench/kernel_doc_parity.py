"""How many of scripts/kernel-doc's function warnings patchaudit's kernel-doc rules match.

    python bench/kernel_doc_parity.py KERNEL_TREE [DIR ...] [-j N]

For every .c/.h file under the DIRs (default: mm include/linux
drivers/virtio), the oracle of tests/kernel_doc_oracle.py runs
``perl scripts/kernel-doc -none -Wall -v FILE`` and keeps the warnings of
blocks it reads as functions, as (class, declaration, subject); patchaudit's
side is ``kernel_doc_problems(text)`` restricted to "/**" comments (plain
"/*" ones are patchaudit's own addition, which kernel-doc never checks).
Per class, a warning is matched when both sides give it for the same file,
missed when only kernel-doc does, extra when only patchaudit does. Prints a
Markdown table, then every extra and every missed warning, the file count
and each side's wall time: perl with N threads (-j, default 2) each running
one perl process, then patchaudit in this process alone, so the two never
share the cores while they are timed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The oracle is a test helper: tests/ first so the bench and the parity test share it.
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from kernel_doc_oracle import kernel_doc_warnings

from patchaudit.analyses.docs import CommentStyle, DocProblemKind, kernel_doc_problems
from patchaudit.engine.listing import list_c_files
from patchaudit.errors import InputError
from patchaudit.tree.base import BaseTree

DEFAULT_DIRS = ("mm", "include/linux", "drivers/virtio")
Found = tuple[str, str, str]  # (class, declaration, subject), as the oracle gives them


@dataclass(frozen=True)
class Difference:
    """One warning only one side gives."""

    path: str
    kind: DocProblemKind
    declaration: str
    subject: str


@dataclass(frozen=True)
class Tally:
    """Per class: kernel-doc's warnings, how many patchaudit also gives, its extras."""

    total: int
    matched: int
    extra: int


def _perl_side(tree: Path, files: Sequence[str], jobs: int) -> tuple[list[set[Found]], float]:
    """The oracle's warnings for every file, in order, and the wall time of the whole run."""
    started = time.monotonic()
    # Threads only wait on perl processes, so the GIL does not limit them.
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        found = list(pool.map(lambda path: kernel_doc_warnings(tree, path), files))
    return found, time.monotonic() - started


def _patchaudit_side(tree: Path, files: Sequence[str]) -> tuple[list[set[Found]], float]:
    """patchaudit's "/**" problems for every file, in order, and the wall time."""
    started = time.monotonic()
    found: list[set[Found]] = []
    for path in files:
        # The same decoding as the parity test: never fail on a stray byte.
        text = (tree / path).read_bytes().decode("utf-8", "surrogateescape")
        found.append({
            (p.kind.value, p.declaration, p.subject)
            for p in kernel_doc_problems(text)
            if p.style is CommentStyle.KERNEL_DOC
        })
    return found, time.monotonic() - started


def _differences(path: str, only: set[Found]) -> list[Difference]:
    return [Difference(path, DocProblemKind(k), d, s) for k, d, s in sorted(only)]


def compare(
    files: Sequence[str], theirs: Sequence[set[Found]], ours: Sequence[set[Found]]
) -> tuple[dict[DocProblemKind, Tally], list[Difference], list[Difference]]:
    """Per-class tallies, then the extras and the misses, file by file."""
    totals = {kind: [0, 0, 0] for kind in DocProblemKind}
    extras: list[Difference] = []
    missed: list[Difference] = []
    for path, expected, got in zip(files, theirs, ours, strict=True):
        for kind_value, _, _ in expected:
            totals[DocProblemKind(kind_value)][0] += 1
        for kind_value, _, _ in expected & got:
            totals[DocProblemKind(kind_value)][1] += 1
        for kind_value, _, _ in got - expected:
            totals[DocProblemKind(kind_value)][2] += 1
        extras += _differences(path, got - expected)
        missed += _differences(path, expected - got)
    return {kind: Tally(*counts) for kind, counts in totals.items()}, extras, missed


def _listing(title: str, differences: list[Difference]) -> None:
    print(f"\n{title} ({len(differences)}):")
    for d in differences:
        # kernel-doc names an unnamed parameter '' : an empty `` would not render.
        subject = f"`{d.subject}`" if d.subject else "(empty name)"
        print(f"- {d.path}: {d.kind.value}, `{d.declaration}`, {subject}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("dirs", nargs="*", default=list(DEFAULT_DIRS))
    parser.add_argument("-j", "--jobs", type=int, default=2, help="perl processes at once")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error(f"-j must be at least 1, not {args.jobs}")
    if not (args.tree / "scripts" / "kernel-doc").is_file():
        parser.error(f"{args.tree}: no scripts/kernel-doc")
    try:
        files = list_c_files(BaseTree(args.tree), args.dirs)
    except InputError as error:
        parser.error(str(error))
    try:
        theirs, perl_time = _perl_side(args.tree, files, args.jobs)
    except RuntimeError as error:  # perl itself failed: no figure would mean anything
        parser.exit(1, f"{parser.prog}: {error}\n")
    ours, our_time = _patchaudit_side(args.tree, files)
    tallies, extras, missed = compare(files, theirs, ours)

    print(f"{len(files):,} .c/.h files under {', '.join(args.dirs)}")
    print(f"scripts/kernel-doc: {perl_time:.1f} s wall ({args.jobs} perl processes at once)")
    print(f"patchaudit: {our_time:.1f} s wall (one process, one thread)\n")
    print("| class | scripts/kernel-doc warnings matched | patchaudit extra |")
    print("| --- | --- | --- |")
    for kind, t in tallies.items():
        print(f"| {kind.value} | {t.matched:,} / {t.total:,} | {t.extra:,} |")
    matched = sum(t.matched for t in tallies.values())
    expected = sum(t.total for t in tallies.values())
    extra = sum(t.extra for t in tallies.values())
    print(f"| all | {matched:,} / {expected:,} | {extra:,} |")
    _listing("patchaudit extra", extras)
    _listing("missed (scripts/kernel-doc only)", missed)


if __name__ == "__main__":
    main()
