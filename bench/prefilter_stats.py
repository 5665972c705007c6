"""How many files of a tree each shipped rule's prefilter lets through, step by step.

    python bench/prefilter_stats.py KERNEL_TREE

For every file-scope rule: the files holding one of its tokens as bytes,
then as whole identifiers (kinds that compare names), then passing its
kind's byte test (kernel-doc comment forms, mentions inside comments),
then its text gate (stale references: names the code may lack). The last
column is what a scan parses for that rule alone: nothing for the text
kinds (kernel-doc reads the text), the files through the gate otherwise.
The final lines are the union for all shipped rules and for the balloon
packs. One process; the tree is read through the tree reader, so gates
that read partner files see what a scan sees.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from patchaudit.engine.listing import list_c_files
from patchaudit.engine.prefilter import RuleTokens, TokenFilter, build_filter
from patchaudit.engine.work import read_listed
from patchaudit.errors import InputError
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.ruleset.kinds.base import may_report, needs_ir, required_tokens
from patchaudit.ruleset.model import Rule
from patchaudit.tree.base import BaseTree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree")
    args = parser.parse_args()
    base = BaseTree(args.tree)
    rules = [r for r in load_rules([rules_dir()]) if KINDS[r.kind].scope is Scope.FILE]
    filters = {rule.id: build_filter([rule]) for rule in rules}
    by_id = {rule.id: rule for rule in rules}
    everything = build_filter(rules)
    balloon = build_filter([r for r in rules if r.id.startswith(("PA1", "PA2"))])
    counts = {rule.id: [0, 0, 0, 0] for rule in rules}
    sizes = {rule.id: 0 for rule in rules}
    union = [0, 0]
    union_bytes = [0, 0]
    files = list_c_files(base)
    root = str(base.root)
    started = time.monotonic()
    for path in files:
        try:
            data, _ = read_listed(root, path, base.max_file_size)
        except InputError:
            continue
        for rule in rules:
            entry = filters[rule.id].rules[0]
            tokens = entry.tokens or ()
            if not any(token in data for token in tokens):
                continue
            counts[rule.id][0] += 1
            # The same filter without the kind's byte test: tokens (whole, if so declared) only.
            words = RuleTokens(entry.rule_id, entry.tokens, entry.whole, None)
            if not TokenFilter((words,), filters[rule.id].anchors).select(data):
                continue
            counts[rule.id][1] += 1
            if not filters[rule.id].select(data):
                continue
            counts[rule.id][2] += 1
            if not _parsed_for(rule, path, data, base):
                continue
            counts[rule.id][3] += 1
            sizes[rule.id] += len(data)
        for slot, chosen in enumerate((everything, balloon)):
            if any(_parsed_for(by_id[i], path, data, base) for i in chosen.select(data)):
                union[slot] += 1
                union_bytes[slot] += len(data)
    print(f"{len(files):,} files, {time.monotonic() - started:.1f} s\n")
    print("| rule | tokens | files with a token | as whole identifiers | after the byte test "
          "| parsed (after the text gate) | MB parsed |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for rule in rules:
        shown = ", ".join(f"`{t}`" for t in required_tokens(KINDS[rule.kind], rule) or ())
        c = counts[rule.id]
        print(f"| {rule.id} | {shown} | {c[0]:,} | {c[1]:,} | {c[2]:,} | {c[3]:,} "
              f"| {sizes[rule.id] / 1e6:.1f} |")
    print(f"| all shipped rules | | | | | {union[0]:,} | {union_bytes[0] / 1e6:.1f} |")
    print(f"| balloon packs (PA1, PA2) | | | | | {union[1]:,} | {union_bytes[1] / 1e6:.1f} |")


def _parsed_for(rule: Rule, path: str, data: bytes, base: BaseTree) -> bool:
    """Whether a scan parses ``path`` for ``rule`` once the prefilter let it through."""
    kind = KINDS[rule.kind]
    return needs_ir(kind) and may_report(kind, rule, path, data, base.read)


if __name__ == "__main__":
    main()
