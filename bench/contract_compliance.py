"""LockDoc's question for one tree: how well does the code keep the contracts it states?

    python bench/contract_compliance.py INDEX [--top 20]

For the TOP most-called functions with a resolved must-hold or must-not-hold
contract, and the TOP most-written members with a protected-by contract,
every call site or write in the index is judged (interproc/judge.py):
followed, violated, unknown. Prints Markdown tables for docs/contracts.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patchaudit.contracts.model import ContractKind  # noqa: E402
from patchaudit.index.store import IndexStore  # noqa: E402
from patchaudit.index.view import TreeView  # noqa: E402
from patchaudit.interproc.judge import Judge  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    store = IndexStore(Path(args.index), readonly=True)
    view = TreeView(store)
    judge = Judge(view)
    contracts = [c for c in view.contracts() if c.checkable]
    functions = [c for c in contracts if c.kind in (ContractKind.MUST_HOLD,
                                                    ContractKind.MUST_NOT_HOLD)]
    members = [c for c in contracts if c.kind is ContractKind.PROTECTED_BY
               and not c.lock.startswith("@")]
    calls = dict(store.query(
        "SELECT callee, count(*) FROM calls GROUP BY callee HAVING callee IN (SELECT subject"
        " FROM contracts WHERE kind IN ('must-hold', 'must-not-hold'))"))
    writes = dict(store.query("SELECT member, count(*) FROM writes GROUP BY member"))
    for title, chosen, counted in (("functions", functions, calls), ("members", members, writes)):
        seen: set[tuple[str, str]] = set()
        ranked = []
        for contract in sorted(chosen, key=lambda c: -counted.get(c.subject, 0)):
            key = (contract.subject, contract.lock)
            if key in seen or not counted.get(contract.subject):
                continue
            seen.add(key)
            ranked.append(contract)
            if len(ranked) == args.top:
                break
        print(f"\n| {title[:-1]} | contract | where | followed | violated | unknown |")
        print("| --- | --- | --- | ---: | ---: | ---: |")
        for contract in ranked:
            verdicts = Counter(j.verdict.value for j in judge.compliance(contract))
            what = f"{contract.kind.value} {contract.describe_lock()}"
            print(f"| {contract.subject} | {what} | {contract.file}:{contract.line} | "
                  f"{verdicts['followed']} | {verdicts['violated']} | {verdicts['unknown']} |")
    store.close()


if __name__ == "__main__":
    main()
