"""Draw a fixed random sample of mined contracts, or of contract findings, for judging by hand.

    python bench/contract_sample.py contracts INDEX TREE [-n 200] [--seed 7] > sample.md
    python bench/contract_sample.py findings REPORT.json TREE [-n 100] [--seed 7] > sample.md

``contracts`` draws from the tree index (every contract, resolved or not);
``findings`` from a JSON report of ``patchaudit scan`` with the contract
rules. Each row shows what patchaudit read or reported and the source lines
around it, and leaves a verdict column for the reviewer: the published
tables (docs/contracts-precision.md, docs/contracts-triage.md) are these
files with the verdicts filled in.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
from pathlib import Path


def _excerpt(tree: Path, path: str, line: int, before: int = 2, after: int = 2) -> str:
    try:
        lines = (tree / path).read_text(errors="replace").splitlines()
    except OSError:
        return "(file not readable)"
    start = max(1, line - before)
    shown = lines[start - 1: line + after]
    return " / ".join(f"{start + i}: {text.strip()}" for i, text in enumerate(shown) if text.strip())


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def contracts(index: str, tree: Path, count: int, seed: int) -> None:
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT fi.path, c.line, c.kind, c.origin, c.subject, c.text, c.lock_text, c.resolved_lock,"
        " c.resolved_arg, c.context, c.resolved_inner, c.conditional, c.reason"
        " FROM contracts c JOIN files fi ON c.file_id = fi.id ORDER BY fi.path, c.line, c.id"
    ).fetchall()
    chosen = random.Random(seed).sample(rows, min(count, len(rows)))
    chosen.sort()
    print(f"Sample of {len(chosen)} of {len(rows)} contracts, seed {seed}.\n")
    print("| # | where | kind | binds | read as | text | verdict | why |")
    print("| ---: | --- | --- | --- | --- | --- | --- | --- |")
    for number, row in enumerate(chosen, 1):
        (path, line, kind, origin, subject, text, lock_text, lock, arg, context, inner,
         conditional, reason) = row
        if kind == "context":
            read = context.lower().replace("_", " ")
        elif kind == "lock-order":
            read = f"{lock or '?'} before {inner or '?'}"
        elif lock:
            read = lock + (f" (argument {arg + 1})" if lock == "page" and arg is not None else "")
        else:
            read = f"unresolved: {reason}"
        if conditional:
            read += " [conditional]"
        print(f"| {number} | {path}:{line} | {kind} ({origin}) | {_cell(subject) or '-'} | "
              f"{_cell(read)} | {_cell(text)[:200]} |  |  |")


def findings(report: str, tree: Path, count: int, seed: int) -> None:
    found = [f for f in json.loads(Path(report).read_text())["findings"]
             if f["rule_id"].startswith("PA4")]
    chosen = random.Random(seed).sample(found, min(count, len(found)))
    chosen.sort(key=lambda f: (f["file"], f["line"]))
    print(f"Sample of {len(chosen)} of {len(found)} contract findings, seed {seed}.\n")
    print("| # | where | rule | message | source | code | verdict | why |")
    print("| ---: | --- | --- | --- | --- | --- | --- | --- |")
    for number, f in enumerate(chosen, 1):
        source = f.get("source") or {}
        where = f"{source.get('file', '')}:{source.get('line', '')}"
        print(f"| {number} | {f['file']}:{f['line']} ({f['function']}) | {f['rule_id']} | "
              f"{_cell(f['message'])} | {_cell(where)} \"{_cell(source.get('text', ''))[:120]}\" | "
              f"{_cell(_excerpt(tree, f['file'], f['line']))[:300]} |  |  |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("contracts", "findings"))
    parser.add_argument("source", help="the index (contracts) or a JSON report (findings)")
    parser.add_argument("tree")
    parser.add_argument("-n", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.what == "contracts":
        contracts(args.source, Path(args.tree), args.n or 200, args.seed)
    else:
        findings(args.source, Path(args.tree), args.n or 100, args.seed)


if __name__ == "__main__":
    main()
