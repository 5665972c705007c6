"""Recall of the balloon and PG_offline packs on real balloon code: every removal of what a rule guards.

    python bench/balloon_recall.py KERNEL_TREE

The plants are chosen by pattern, not by hand: every statement line of the
balloon and PageOffline drivers of KERNEL_TREE that sets or clears
PageOffline, directly or through one of the driver's own helpers; every
list_del() in mm/balloon_compaction.c; every
VMCOREINFO_NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE). Each is removed on its own
(with the unbraced if/for that guards it, so the code stays well formed),
in a scratch copy of the files and the rules' text files. For each plant
it runs `check` on the removal as a one-patch series and `scan` on the
result, and prints one row: where check reports the plant's rule (at the
removed line's place, elsewhere, or not), and whether scan reports the rule
anywhere. It first scans the unchanged files and counts the findings of
PA1xxx and PA2xxx there, which must be none (exit status 1 otherwise). The
patterns are wider than the rules: a list_del() of a page from a list that
is not the balloon's is a plant too, and should not be reported.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from patchaudit.engine import Options, check_series, scan_tree
from patchaudit.model import Finding, Status
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

DRIVERS = (
    "drivers/virtio/virtio_balloon.c",
    "drivers/misc/vmw_balloon.c",
    "drivers/hv/hv_balloon.c",
    "drivers/xen/balloon.c",
    "arch/powerpc/platforms/pseries/cmm.c",
    "drivers/virtio/virtio_mem.c",
    "arch/powerpc/platforms/powernv/memtrace.c",
)
CODE = ("include/linux/balloon_compaction.h", "mm/balloon_compaction.c", "kernel/vmcore_info.c", *DRIVERS)
RULE_TEXTS = ("include/linux/page-flags.h", "Documentation/admin-guide/kdump/vmcoreinfo.rst")
PACK = ("PA1", "PA2")

# A statement line calling one of the names: the plant removes it.
STATE = re.compile(r"^\s*(__SetPageOffline|__ClearPageOffline|SetPageOffline|ClearPageOffline)\(.*\);\s*$")
LIST_REMOVAL = re.compile(r"^\s*list_del\(.*\);\s*$")
EXPORT = re.compile(r"^\s*VMCOREINFO_NUMBER\(PAGE_OFFLINE_MAPCOUNT_VALUE\);\s*$")
# An unbraced guard whose body is the next line goes with it.
GUARD = re.compile(r"^\s*(?:\}\s*)?else\s*$|^\s*(?:\}\s*else\s+)?(?:if|for|while)\s*\(.*\)\s*$")


@dataclass(frozen=True)
class Plant:
    file: str
    line: int  # first removed line, 1-based
    count: int  # lines removed
    rule: str
    what: str


# The head of a function definition in kernel style: at the start of a line,
# the name (after its return type, or alone on its own line) and "(".
DEFINITION = re.compile(r"^(?:[\w\*][\w\s\*]*[\s\*])?(\w+)\((?!.*;\s*$)")


def helpers_of(text: str) -> list[str]:
    """Functions of a driver whose body sets or clears PageOffline (its own marking helpers)."""
    names: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        head = DEFINITION.match(line)
        if head:
            current = head.group(1)
        elif line.startswith("}"):
            current = None
        elif current and STATE.match(line) and current not in names:
            names.append(current)
    return names


def plants(tree: Path) -> list[Plant]:
    found: list[Plant] = []
    for path in CODE:
        lines = (tree / path).read_text().splitlines()
        patterns: list[tuple[re.Pattern[str], str]] = []
        if path in DRIVERS:
            patterns.append((STATE, "PA2006"))
            helpers = helpers_of("\n".join(lines))
            if helpers:
                calls = "|".join(map(re.escape, helpers))
                patterns.append((re.compile(rf"^\s+({calls})\(.*\);\s*$"), "PA2006"))
        if path == "mm/balloon_compaction.c":
            patterns.append((LIST_REMOVAL, "PA2002"))
        if path == "kernel/vmcore_info.c":
            patterns.append((EXPORT, "PA2007"))
        for number, line in enumerate(lines, 1):
            for pattern, rule in patterns:
                if pattern.match(line):
                    guarded = number > 1 and GUARD.match(lines[number - 2]) is not None
                    start = number - 1 if guarded else number
                    found.append(Plant(path, start, number - start + 1, rule, line.strip()))
                    break
    return found


def mail(path: str, before: str, after: str) -> str:
    diff = "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    ))
    return (
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: Bench <bench@example.org>\nDate: Mon, 7 Dec 2026 10:00:00 +0000\n"
        "Subject: [PATCH] a planted removal\n\nA planted removal.\n\n"
        "Signed-off-by: Bench <bench@example.org>\n---\n"
        f"diff --git a/{path} b/{path}\n{diff}-- \n2.43.0\n\n"
    )


def pack(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if f.rule_id.startswith(PACK)]


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("kernel", type=Path)
    kernel = args.parse_args().kernel
    rules = load_rules([rules_dir()])
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "tree"
        for path in (*CODE, *RULE_TEXTS):
            (base / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(kernel / path, base / path)
        clean = pack(scan_tree(BaseTree(base), list(CODE), rules, Options()).findings)
        print(f"unchanged code ({len(CODE)} files): {len(clean)} PA1xxx/PA2xxx findings")
        for finding in clean:
            print(f"  {finding.file}:{finding.line}: {finding.rule_id} {finding.message}")
        print()
        print("| plant | rule | check | scan |")
        print("| --- | --- | --- | --- |")
        at_line = scanned = 0
        chosen = plants(base)
        for number, plant in enumerate(chosen):
            tree = Path(scratch) / f"plant{number}"
            shutil.copytree(base, tree)
            original = (tree / plant.file).read_text()
            lines = original.splitlines(keepends=True)
            edited = "".join(lines[: plant.line - 1] + lines[plant.line - 1 + plant.count:])
            mbox = Path(scratch) / f"plant{number}.mbox"
            mbox.write_text(mail(plant.file, original, edited))
            report = check_series(load_series(str(mbox)), BaseTree(tree), rules, Options())
            new = [f for f in pack(report.findings) if f.status is Status.NEW and f.rule_id == plant.rule]
            where = sorted({f.line for f in new if f.file == plant.file})
            if where == [plant.line]:
                verdict = f"at the removed line's place ({plant.line})"
                at_line += 1
            elif new:
                verdict = "elsewhere: " + ", ".join(f"{f.file}:{f.line}" for f in new)
            else:
                verdict = "not reported"
            (tree / plant.file).write_text(edited)
            found = [f for f in pack(scan_tree(BaseTree(tree), list(CODE), rules, Options()).findings)
                     if f.rule_id == plant.rule]
            scanned += bool(found)
            in_scan = ", ".join(f"{f.file.rsplit('/', 1)[-1]}:{f.line}" for f in found) or "—"
            print(f"| {plant.file}:{plant.line} `{plant.what}` | {plant.rule} | {verdict} | {in_scan} |")
            shutil.rmtree(tree)
    print()
    print(f"check: {at_line}/{len(chosen)} at the removed line's place; "
          f"scan: {scanned}/{len(chosen)} reported somewhere; {time.monotonic() - started:.1f} s")
    return 1 if clean else 0


if __name__ == "__main__":
    sys.exit(main())
