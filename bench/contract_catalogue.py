"""The contracts a tree index holds: counts per kind and source, resolution, what they bind.

    python bench/contract_catalogue.py INDEX

INDEX is the SQLite file ``patchaudit index DIR --index INDEX`` built.
Prints Markdown tables for docs/contracts.md.
"""

from __future__ import annotations

import argparse
import sqlite3
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index")
    args = parser.parse_args()
    db = sqlite3.connect(f"file:{args.index}?mode=ro", uri=True)
    files = db.execute("SELECT count(*) FROM files").fetchone()[0]
    functions = db.execute("SELECT count(*) FROM functions").fetchone()[0]
    rows = db.execute(
        "SELECT origin, kind, count(*), sum(resolved_lock != '' OR (kind = 'context' AND"
        " reason = '')), sum(conditional) FROM contracts GROUP BY origin, kind ORDER BY origin, kind"
    ).fetchall()
    total = sum(r[2] for r in rows)
    resolved = sum(r[3] for r in rows)
    print(f"{files} files, {functions} function definitions; {total} contracts, {resolved} "
          f"resolved ({100 * resolved / max(total, 1):.0f}%)\n")
    print("| origin | kind | mined | resolved | conditional |")
    print("| --- | --- | ---: | ---: | ---: |")
    for origin, kind, count, done, conditional in rows:
        print(f"| {origin} | {kind} | {count} | {done} | {conditional} |")
    bound = Counter()
    for kind, subjects in db.execute(
            "SELECT kind, count(DISTINCT subject) FROM contracts WHERE subject != '' GROUP BY kind"):
        bound[kind] = subjects
    functions_bound = db.execute(
        "SELECT count(DISTINCT subject) FROM contracts WHERE kind NOT IN"
        " ('protected-by', 'lock-order') AND subject != ''").fetchone()[0]
    members = db.execute(
        "SELECT count(DISTINCT subject) FROM contracts WHERE kind = 'protected-by'").fetchone()[0]
    structs = db.execute(
        "SELECT count(DISTINCT substr(subject, 1, instr(subject, '.') - 1)) FROM contracts"
        " WHERE kind = 'protected-by'").fetchone()[0]
    print(f"\nThey bind {functions_bound} functions, {members} members of {structs} structs.")
    print("\nMost common reasons a lock stays unresolved:\n")
    print("| reason | contracts |")
    print("| --- | ---: |")
    for reason, count in db.execute(
            "SELECT reason, count(*) FROM contracts WHERE reason != '' GROUP BY reason"
            " ORDER BY 2 DESC LIMIT 12"):
        print(f"| {reason} | {count} |")


if __name__ == "__main__":
    main()
