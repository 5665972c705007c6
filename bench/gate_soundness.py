"""Does PA3101's text gate let through every file the parsed analysis reports in? Over a whole tree.

    python bench/gate_soundness.py KERNEL_TREE [DIR ...]

For every .c/.h file (under the DIRs, default the whole tree) that passes
the stale-reference rule's byte test, runs the real analysis (parse, the
governed partner files, stale_references) and the text gate
(may_name_stale), and counts the files with a finding and those among them
the gate would have cleared: that count must be 0. Prints the count of
files the gate passes too. One process; slow on purpose (it parses every
file the byte test lets through, about 10,000 on Linux 6.12).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from patchaudit.analyses.docs.gate import may_name_stale
from patchaudit.cfront import parse_c
from patchaudit.engine.listing import list_c_files
from patchaudit.errors import InputError
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.ruleset.kinds.base import CheckContext
from patchaudit.ruleset.kinds.doc_stale import DocStaleKind, _references
from patchaudit.tree.base import BaseTree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree")
    parser.add_argument("dirs", nargs="*")
    args = parser.parse_args()
    base = BaseTree(args.tree)
    kind = DocStaleKind()
    rule = load_rules([rules_dir()]).by_id()["PA3101"]
    started = time.monotonic()
    tested = passed = reported = missed = 0
    for path in list_c_files(base, args.dirs):
        try:
            data = base.read(path)
        except InputError:
            continue  # over the reader's size limit: a scan skips it too
        if data is None or not kind.may_match(rule, data):
            continue
        tested += 1
        gate = may_name_stale(path, data, base.read)
        passed += gate
        if _references(parse_c(data, path), CheckContext(data, base.read)):
            reported += 1
            if not gate:
                missed += 1
                print(f"MISSED BY THE GATE: {path}")
    print(f"{tested:,} files through the byte test, {passed:,} through the gate, "
          f"{reported:,} with a finding, {missed} of them cleared by the gate "
          f"({time.monotonic() - started:.0f} s)")
    if missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
