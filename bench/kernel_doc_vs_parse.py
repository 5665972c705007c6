"""The text-only kernel-doc reader against the parse-based one it replaced, over a whole tree.

    python bench/kernel_doc_vs_parse.py KERNEL_TREE OLD_ROOT [DIR ...]

OLD_ROOT holds an older patchaudit package whose ``kernel_doc_problems``
took the parsed file (``kernel_doc_problems(ir, text)``), for instance
``mkdir /tmp/old && git archive 09570af patchaudit | tar -x -C /tmp/old``.
For every .c/.h file (under the DIRs, default the whole tree) that the
kernel-doc rules' byte tests let through, both versions list their
problems as (file, class, style, line, column, comment line, declaration,
subject); the old one runs in a child process. Prints the totals, the
problems only one side reports, counted by class, and up to 60 of them.
One process each; the old side parses about 10,000 files (minutes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Run under either package: lists the problems of every file the byte tests let through.
_LISTER = """
import json, sys
from patchaudit.analyses.docs import kernel_doc_problems
from patchaudit.engine.listing import list_c_files
from patchaudit.errors import InputError
from patchaudit.ruleset.kinds.bytescan import KERNEL_DOC_OPENING, PLAIN_PARAM_LINE
from patchaudit.tree.base import BaseTree
old = sys.argv[1] == "old"
base = BaseTree(sys.argv[2])
found = []
for path in list_c_files(base, sys.argv[3:]):
    try:
        data = base.read(path)
    except InputError:
        continue
    if data is None or not (KERNEL_DOC_OPENING.search(data) or PLAIN_PARAM_LINE.search(data)):
        continue
    text = data.decode("utf-8", "surrogateescape")
    if old:
        from patchaudit.cfront import parse_c
        problems = kernel_doc_problems(parse_c(data, path), text)
    else:
        problems = kernel_doc_problems(text)
    found.extend([path, p.kind.value, p.style.value, p.line, p.column, p.doc_line,
                  p.declaration, p.subject] for p in problems)
json.dump(found, sys.stdout)
"""


def _problems(package_root: Path, which: str, tree: str, dirs: list[str]) -> set[tuple[object, ...]]:
    run = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(package_root)!r})\n{_LISTER}",
         which, tree, *dirs],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode:
        raise SystemExit(f"{which} side failed: {run.stderr.strip().splitlines()[-1:]}")
    return {tuple(item) for item in json.loads(run.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree")
    parser.add_argument("old_root", type=Path)
    parser.add_argument("dirs", nargs="*")
    args = parser.parse_args()
    new = _problems(REPO, "new", args.tree, args.dirs)
    old = _problems(args.old_root, "old", args.tree, args.dirs)
    print(f"text reader: {len(new):,} problems; parse-based reader: {len(old):,}")
    for label, only in (("only the parse-based reader", old - new), ("only the text reader", new - old)):
        classes = Counter(f"{item[1]} ({item[2]})" for item in only)
        print(f"{label}: {len(only)} {dict(classes)}")
        for item in sorted(only, key=str)[:60]:
            print("   ", item)


if __name__ == "__main__":
    main()
