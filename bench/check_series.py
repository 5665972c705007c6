"""Series benchmark: patchaudit check of a 10-patch series from real 6.12 code against checkpatch.pl.

    python bench/check_series.py KERNEL_TREE

Builds the series with bench/make_series.py in a temporary directory, then
measures, side by side, with interpreter start-up included:

- scripts/checkpatch.pl --terse of KERNEL_TREE on the ten patches, run
  inside the tree, one process for the series and one process per patch;
- patchaudit check of the series against KERNEL_TREE, with an empty parse
  cache, then warm; and one process per patch (warm), as b4 and NIPA run
  checkers. With --index FILE (a tree index of KERNEL_TREE), every check
  reads it: the contract rules judge the series against the whole tree.

Also reports which files the check parsed (the touched files and the
partners doc rules read), to show it never parses the tree at large.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from make_series import make_series
from measure import HEADER, Measured, machine, run, snapshot

REPO = Path(__file__).resolve().parents[1]

# Counts the files check parses, by wrapping the front end's entry point.
PARSED_PROBE = """
import sys
from pathlib import Path
import patchaudit.engine.common as common
real = common.parse_c
seen = {}
def counting(data, path="<memory>", **kwargs):
    seen[path] = seen.get(path, 0) + 1
    return real(data, path, **kwargs)
common.parse_c = counting
from patchaudit.cfront.cache import ParseCache
from patchaudit.engine import Options, check_series
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree
check_series(load_series(sys.argv[1]), BaseTree(sys.argv[2]), load_rules([rules_dir()]),
             Options(cache=ParseCache(Path(sys.argv[3]))))
for path in sorted(seen):
    print(path, seen[path])
"""


def _findings(measured: Measured) -> str:
    lines = [line for line in measured.stdout.splitlines() if line and not line.startswith("total")]
    # A patch checked alone is a series with its other nine patches missing.
    alone = sum(1 for line in lines if "PA0001-series-missing-patch" in line)
    text = f"{len(lines) - alone} finding{'s' if len(lines) - alone != 1 else ''}"
    return text + (f" (+ {alone} PA0001 'patch k/10 is missing')" if alone else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree")
    parser.add_argument("--index", metavar="FILE", help="the tree index every check reads")
    args = parser.parse_args()
    tree = str(Path(args.tree).resolve())
    print(f"machine: {machine()}")
    rows: list[str] = []

    def record(measured: Measured, result: str) -> None:
        rows.append(measured.row(result))
        print(rows[-1], flush=True)

    with tempfile.TemporaryDirectory(prefix="patchaudit-bench-") as scratch:
        work = Path(scratch)
        code = str(snapshot(REPO, work))
        patches = make_series(Path(tree), work / "series")
        assert len(patches) == 10
        quoted = " ".join(shlex.quote(str(p)) for p in patches)
        print(HEADER)
        checkpatch = ["perl", "scripts/checkpatch.pl", "--terse", "--no-summary"]
        measured = run("checkpatch.pl --terse, the series in one process",
                       [*checkpatch, *map(str, patches)], cwd=tree)
        record(measured, _findings(measured))
        loop = f"for p in {quoted}; do {shlex.join(checkpatch)} \"$p\"; done"
        measured = run("checkpatch.pl --terse, one process per patch", ["sh", "-c", loop], cwd=tree)
        record(measured, _findings(measured))
        cache = work / "cache"
        index = ["--index", str(Path(args.index).resolve())] if args.index else []
        check = [sys.executable, "-m", "patchaudit", "check", str(work / "series"), "--tree", tree,
                 "-f", "terse", "--cache-dir", str(cache), *index]
        with_index = ", with the index" if args.index else ""
        measured = run(f"patchaudit check, the series, empty parse cache{with_index}", check,
                       cwd=code)
        record(measured, _findings(measured))
        measured = run(f"patchaudit check, the series, warm parse cache{with_index}", check,
                       cwd=code)
        record(measured, _findings(measured))
        single = [sys.executable, "-m", "patchaudit", "check", "--tree", tree, "-f", "terse",
                  "--cache-dir", str(cache), *index]
        loop = f"for p in {quoted}; do {shlex.join(single[:4])} \"$p\" {shlex.join(single[4:])}; done"
        measured = run(f"patchaudit check, one process per patch, warm{with_index}",
                       ["sh", "-c", loop], cwd=code)
        record(measured, _findings(measured))
        probe = subprocess.run(
            [sys.executable, "-c", PARSED_PROBE, str(work / "series"), tree, str(work / "probe")],
            cwd=code, capture_output=True, text=True, check=True,
        )
        parsed = probe.stdout.split()
        print(f"\nfiles the check parsed ({len(parsed) // 2}): " + ", ".join(parsed[::2]))
    print("\n" + HEADER + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
