"""Mutation recall of the contract rules on real code: break one kept contract at a time.

    python bench/contract_mutations.py KERNEL_TREE INDEX [PATH ...] [--per-kind N] [--seed S]

INDEX is a tree index of KERNEL_TREE (``patchaudit index KERNEL_TREE PATH...
--index INDEX``) covering PATHs and the headers they use. The script reads the
.c files under PATHs, judges them against the index, and picks (fixed seed)
places where real code keeps a contract:

- must-hold: a call of a function whose contract needs lock X, X taken in the
  calling function itself. Mutation: release X just before the call and take
  it again just after (the lock dropped around the call).
- sleep-in-atomic: a spinning lock taken in a function. Mutation: a
  ``msleep(1);`` on the line after the acquisition.
- member-unprotected: a write to a member documented as protected by X, under
  X taken in the same function. Mutation: the same write again, on the line
  before the acquisition of X.
- lock-order: an acquisition of B while A is held, the order a documented
  hierarchy states. Mutation: B taken (and released) around the acquisition
  of A, so that A is taken while B is held.
- contract-changed: a static function of the file called in atomic context
  (a spinning lock held on every path to the call). Mutation: a
  ``might_sleep();`` as the first line of its body, an assertion its
  existing caller breaks. check only: scan has no "before" to compare.

Each mutation is applied alone; the mutated file is then judged as ``scan``
judges it (the file over the index: scan_tree on a tree holding only that
file, with --index) and as ``check`` does (check_series of a one-patch
series, the diff of the mutation, against KERNEL_TREE with the index). A
mutation counts as found when its rule reports the mutated line (or the one
below it, for a call moved by the inserted release). Before any mutation,
the unmutated files must give no finding of the contract rules in the
mutated functions. Prints a table per kind and writes the cases as JSON.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from patchaudit.cfront import parse_c  # noqa: E402
from patchaudit.engine import Options, check_series, scan_tree  # noqa: E402
from patchaudit.engine.listing import list_c_files  # noqa: E402
from patchaudit.index.store import IndexStore  # noqa: E402
from patchaudit.interproc.session import judge_file  # noqa: E402
from patchaudit.resources import rules_dir  # noqa: E402
from patchaudit.ruleset import RuleSet, load_rules  # noqa: E402
from patchaudit.series import load_series  # noqa: E402
from patchaudit.tree.base import BaseTree  # noqa: E402

RULE_OF = {"must-hold": "PA4001", "sleep-in-atomic": "PA4003", "member-unprotected": "PA4004",
           "lock-order": "PA4005", "contract-changed": "PA4006"}
CHECK_ONLY = frozenset({"contract-changed"})

# Acquisition -> release, for the primitives the mutations re-write.
_RELEASE = (
    (re.compile(r"^spin_lock_irqsave\((.*),\s*(\w+)\)$"), r"spin_unlock_irqrestore(\1, \2)"),
    (re.compile(r"^raw_spin_lock_irqsave\((.*),\s*(\w+)\)$"), r"raw_spin_unlock_irqrestore(\1, \2)"),
    (re.compile(r"^(raw_)?spin_lock(_irq|_bh)?\((.*)\)$"), r"\1spin_unlock\2(\3)"),
    (re.compile(r"^(read|write)_lock(_irq|_bh)?\((.*)\)$"), r"\1_unlock\2(\3)"),
    (re.compile(r"^mutex_lock\((.*)\)$"), r"mutex_unlock(\1)"),
    (re.compile(r"^down_(read|write)\((.*)\)$"), r"up_\1(\2)"),
)


def release_of(take: str) -> str | None:
    take = " ".join(take.split())
    for pattern, replacement in _RELEASE:
        if pattern.match(take):
            return pattern.sub(replacement, take)
    return None


@dataclass
class Mutation:
    kind: str
    file: str
    function: str
    line: int  # the line the finding must be on, in the mutated file
    description: str
    inserted: tuple[tuple[int, str], ...]  # (line before which to insert, text), original numbering
    scan_found: bool = False
    check_found: bool = False


def _braceless(lines: list[str], before: int) -> bool:
    """Whether a line inserted before line ``before`` would become a braceless body.

    ``for (...)`` or ``if (...)`` on the line above, without a brace, takes the
    next statement as its body: an inserted line there would change what the
    loop or condition covers, not only the lock state.
    """
    index = before - 2
    while index >= 0 and (not lines[index].strip() or lines[index].strip().startswith(("/*", "*", "//"))):
        index -= 1
    if index < 0:
        return False
    last = lines[index].rstrip()
    return not last.endswith((";", "{", "}", ":")) or last.lstrip().startswith(("if", "else", "for", "while"))  and not last.endswith(("{", ";"))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _candidates(path: str, data: bytes, index: str) -> list[Mutation]:
    from patchaudit.index.store import IndexStore as _Store  # noqa: F401
    from patchaudit.index.summarise import summarise
    from patchaudit.interproc.session import _SESSION

    ir = parse_c(data, path)
    _SESSION.open(index)
    names = {ident.name for ident in ir.identifiers}
    from patchaudit.index.summarise import effect_summary

    wrappers = {n: effect_summary(p, e) for n, (p, e) in _SESSION.wrappers.items() if n in names}
    summary = summarise(path, data, ir, wrappers)
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    judged = judge_file(path, data, ir, index)
    found: list[Mutation] = []
    by_fn = {fn.name: fn for fn in summary.functions}
    # must-hold and member-unprotected: followed, with the lock taken in the same function.
    for j in judged:
        if j.contract is None or j.verdict.value != "followed" or j.function not in by_fn:
            continue
        fn = by_fn[j.function]
        cls = j.contract.lock
        takes = [t for t in fn.takes if t.lock == cls and t.line < j.line and not t.via]
        if not takes:
            continue
        take = takes[-1]
        release = release_of(take.text)
        if release is None:
            continue
        code = lines[j.line - 1]
        if _braceless(lines, j.line) or _braceless(lines, take.line):
            continue
        if j.check == "must-hold":
            if code.rstrip().endswith((",", "(")) or not code.rstrip().endswith(";"):
                continue  # a call spread over lines: keep the mutation simple
            found.append(Mutation("must-hold", path, fn.name, j.line + 1,
                                  f"{release} before and {take.text} after line {j.line}",
                                  ((j.line, f"{_indent(code)}{release};"),
                                   (j.line + 1, f"{_indent(code)}{take.text};"))))
        elif j.check == "member-unprotected":
            if not code.rstrip().endswith(";") or "(" in code.split("=", 1)[0]:
                continue
            found.append(Mutation("member-unprotected", path, fn.name, take.line,
                                  f"line {j.line} copied above {take.text} (line {take.line})",
                                  ((take.line, code),)))
    for fn in summary.functions:
        if not fn.reliable:
            continue
        for take in fn.takes:
            if (take.atomic and not take.via and release_of(take.text)
                    and lines[take.line - 1].rstrip().endswith(";")
                    and not _braceless(lines, take.line)):
                text = lines[take.line - 1]
                found.append(Mutation("sleep-in-atomic", path, fn.name, take.line + 1,
                                      f"msleep(1) after {take.text} (line {take.line})",
                                      ((take.line + 1, f"{_indent(text)}msleep(1);"),)))
                break
    changed: set[str] = set()
    for fn in summary.functions:
        if not fn.reliable:
            continue
        for call in fn.calls:
            callee = by_fn.get(call.callee)
            if (not call.atomic or call.callee == fn.name or callee is None or not callee.static
                    or not callee.reliable or callee.name in changed):
                continue
            brace = next((n for n in range(callee.line, min(callee.end_line, callee.line + 8) + 1)
                          if lines[n - 1].strip() == "{"), None)
            if brace is None:
                continue
            changed.add(callee.name)
            found.append(Mutation("contract-changed", path, callee.name, brace + 1,
                                  f"might_sleep() added to {callee.name}(), which {fn.name}() calls "
                                  f"with {call.atomic} held (line {call.line})",
                                  ((brace + 1, "\tmight_sleep();"),)))
    for j in judged:
        if j.check != "lock-order" or j.verdict.value != "followed" or j.contract is None:
            continue
        fn = by_fn.get(j.function)
        if fn is None:
            continue
        # j is an acquisition of the inner lock B with A held: A taken at an earlier take.
        inner_take = next((t for t in fn.takes if t.line == j.line), None)
        if inner_take is None:
            continue
        outer = next((t for t in fn.takes if t.lock != inner_take.lock and t.line < j.line
                      and (t.lock, inner_take.lock) in _order_pairs(j)), None)
        release = release_of(inner_take.text)
        if outer is None or release is None or _braceless(lines, outer.line):
            continue
        text = lines[outer.line - 1]
        found.append(Mutation("lock-order", path, fn.name, outer.line + 1,
                              f"{inner_take.text} before {outer.text} (line {outer.line})",
                              ((outer.line, f"{_indent(text)}{inner_take.text};"),
                               (outer.line + 1, f"{_indent(text)}{release};"))))
    return found


def _order_pairs(judgement: object) -> set[tuple[str, str]]:
    contract = getattr(judgement, "contract")
    return {(contract.lock, contract.inner)}


def mutate(data: bytes, mutation: Mutation) -> bytes:
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    for before, text in sorted(mutation.inserted, reverse=True):
        lines.insert(before - 1, text)
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree")
    parser.add_argument("index")
    parser.add_argument("paths", nargs="*", default=["mm"])
    parser.add_argument("--per-kind", type=int, default=40)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", metavar="FILE", help="write every case and its outcome")
    args = parser.parse_args()
    started = time.monotonic()
    tree = Path(args.tree).resolve()
    base = BaseTree(tree)
    IndexStore(Path(args.index), readonly=True).close()  # refuse a missing or foreign index early
    contract_rules = RuleSet(tuple(r for r in load_rules([rules_dir()]) if r.id.startswith("PA4")))
    pool: dict[str, list[Mutation]] = defaultdict(list)
    baseline: list[str] = []  # what the unmutated functions already break, to be read
    files = [p for p in list_c_files(base, args.paths) if p.endswith(".c")]
    for path in files:
        data = base.read(path)
        if data is None:
            continue
        try:
            cases = _candidates(path, data, args.index)
        except Exception as exc:  # one unreadable file never stops the bench
            print(f"skipped {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        if cases:
            judged = judge_file(path, data, parse_c(data, path), args.index)
            mutated_fns = {c.function for c in cases}
            baseline.extend(f"{path}:{j.line} {j.function}() {j.check}: {j.message}"
                            for j in judged
                            if j.verdict.value == "violated" and j.function in mutated_fns)
        for case in cases:
            pool[case.kind].append(case)
    rng = random.Random(args.seed)
    chosen: list[Mutation] = []
    for kind in sorted(pool):
        cases = pool[kind]
        rng.shuffle(cases)
        chosen.extend(cases[: args.per_kind])
    with tempfile.TemporaryDirectory(prefix="patchaudit-mutation-") as scratch:
        work = Path(scratch)
        for number, case in enumerate(chosen):
            original = base.read(case.file)
            assert original is not None
            mutated = mutate(original, case)
            line = case.line
            rule = RULE_OF[case.kind]
            # scan: the mutated file alone in a tree, judged over the index.
            single = work / f"scan{number}"
            (single / case.file).parent.mkdir(parents=True)
            (single / case.file).write_bytes(mutated)
            if case.kind not in CHECK_ONLY:
                report = scan_tree(BaseTree(single), [case.file], contract_rules,
                                   Options(index=args.index))
                case.scan_found = any(f.rule_id == rule and f.line in (line, line + 1)
                                      for f in report.findings)
            # check: a one-patch series of the mutation against the real tree.
            diff = difflib.unified_diff(
                original.decode("utf-8", "surrogateescape").splitlines(keepends=True),
                mutated.decode("utf-8", "surrogateescape").splitlines(keepends=True),
                f"a/{case.file}", f"b/{case.file}")
            patch = work / f"m{number}.patch"
            patch.write_text(f"From: Bench <bench@example.org>\nSubject: [PATCH] {case.kind}\n\n"
                             f"mutation\n---\ndiff --git a/{case.file} b/{case.file}\n"
                             + "".join(diff), encoding="utf-8", errors="surrogateescape")
            checked = check_series(load_series(str(patch)), base, contract_rules,
                                   Options(index=args.index))
            case.check_found = any(f.rule_id == rule and f.line in (line, line + 1)
                                   for f in checked.findings)
    totals: Counter[str] = Counter()
    print(f"files judged: {len(files)}; candidate mutations: "
          + ", ".join(f"{k} {len(v)}" for k, v in sorted(pool.items())))
    print(f"contract findings in the unmutated functions: {len(baseline)}")
    for line in baseline:
        print(f"  {line}")
    print("| kind | mutations | check finds | scan finds |")
    print("| --- | ---: | ---: | ---: |")
    for kind in sorted({c.kind for c in chosen}):
        cases = [c for c in chosen if c.kind == kind]
        found_check = sum(c.check_found for c in cases)
        found_scan = sum(c.scan_found for c in cases)
        totals.update(total=len(cases), check=found_check, scan=found_scan)
        if kind in CHECK_ONLY:
            print(f"| {kind} | {len(cases)} | {found_check} | (check only) |")
            continue
        totals.update(scanned=len(cases))
        print(f"| {kind} | {len(cases)} | {found_check} | {found_scan} |")
    total, scanned = totals["total"] or 1, totals["scanned"] or 1
    print(f"| all | {totals['total']} | {totals['check']} ({100 * totals['check'] / total:.0f}%) "
          f"| {totals['scan']} of {totals['scanned']} ({100 * totals['scan'] / scanned:.0f}%) |")
    print(f"seconds: {time.monotonic() - started:.0f}")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(c) for c in chosen], indent=1) + "\n")


if __name__ == "__main__":
    main()
