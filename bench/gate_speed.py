"""Speed of PA3101's text gate (may_name_stale) over a whole tree, and old-against-new answers.

    python bench/gate_speed.py KERNEL_TREE [DIR ...] [--package ROOT]
    python bench/gate_speed.py KERNEL_TREE [DIR ...] --compare-with OLD_ROOT

Lists every .c/.h file (under the DIRs, default the whole tree) as a scan
does, keeps those that pass the stale-reference rule's byte test
(``KINDS["doc-stale-reference"].may_match`` with rule PA3101 from this
checkout's rules/), and runs may_name_stale(path, data, read) on each with
a reader over the tree (BaseTree.read, as bench/gate_soundness.py and a
scan use it). Only the gate's calls are timed, in CPU seconds of this
process (the machine is shared), partner files it reads included; the
file's own bytes are read before the clock starts. Prints one JSON object.
--package ROOT measures the patchaudit package under ROOT instead of this
checkout (a saved copy of the old gate), so both figures come from one script.

--compare-with OLD_ROOT runs the package under OLD_ROOT in a child process
first, then this checkout, one after the other (never both at once), and
prints every file whose answer differs, both CPU figures and their ratio;
exit status 1 if any answer differs. One process at a time, one pass each.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from versions import REPO, dumped_by, parse, parser


def _answers(tree: Path, dirs: list[str]) -> tuple[dict[str, bool], float]:
    """The gate's answer for every file that passes the byte test, and its CPU seconds in all."""
    from patchaudit.analyses.docs.gate import may_name_stale
    from patchaudit.engine.listing import list_c_files
    from patchaudit.errors import InputError
    from patchaudit.ruleset import load_rules
    from patchaudit.ruleset.kinds import KINDS
    from patchaudit.ruleset.kinds.base import may_match
    from patchaudit.tree.base import BaseTree

    base = BaseTree(str(tree))
    kind = KINDS["doc-stale-reference"]
    # The rules of this checkout, whichever package runs: an old copy of the
    # package has no rules/ beside it.
    rule = load_rules([REPO / "rules"]).by_id()["PA3101"]
    answers: dict[str, bool] = {}
    cpu = 0.0
    for path in list_c_files(base, dirs):
        try:
            data = base.read(path)
        except InputError:
            continue  # over the reader's size limit: a scan skips it too
        if data is None or not may_match(kind, rule, data):  # the kind's own byte test
            continue
        started = time.process_time()
        answers[path] = may_name_stale(path, data, base.read)
        cpu += time.process_time() - started
    return answers, cpu


def _summary(answers: dict[str, bool], cpu: float) -> dict[str, object]:
    return {"files": len(answers), "passed": sum(answers.values()), "gate_cpu_s": round(cpu, 2)}


def _compare(tree: Path, dirs: list[str], old_root: Path) -> int:
    with dumped_by(__file__, old_root, [str(tree), *dirs]) as dump:
        old = json.loads(dump.read_text())
    old_answers: dict[str, bool] = old["answers"]
    new_answers, cpu = _answers(tree, dirs)
    differing = 0
    for path in sorted(old_answers.keys() & new_answers.keys()):
        if old_answers[path] != new_answers[path]:
            differing += 1
            print(f"DIFFERENT {path}: old {old_answers[path]}, new {new_answers[path]}")
    # A file only one side's byte test lets through is not a gate difference.
    one_side = sorted(old_answers.keys() ^ new_answers.keys())
    for path in one_side:
        print(f"byte test of one side only: {path}: old {old_answers.get(path)}, "
              f"new {new_answers.get(path)}")
    print(json.dumps({
        "dirs": dirs,
        "old": _summary(old_answers, old["cpu"]),
        "new": _summary(new_answers, cpu),
        "speedup": round(old["cpu"] / cpu, 2) if cpu else None,
        "files_different": differing,
        "files_one_side": len(one_side),
    }))  # fmt: skip
    return 1 if differing else 0


def main() -> int:
    opts = parse(parser(__doc__.split("\n")[0]))
    if opts.compare_with is not None:
        return _compare(opts.tree, opts.dirs, opts.compare_with)
    answers, cpu = _answers(opts.tree, opts.dirs)
    if opts.dump_to is not None:
        opts.dump_to.write_text(json.dumps({"cpu": cpu, "answers": answers}))
        return 0
    print(json.dumps({"package": str(opts.package), "dirs": opts.dirs, **_summary(answers, cpu)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
