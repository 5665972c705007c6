"""Test helper: the lock state at each ``probe(name)`` call of a C snippet, by lock class."""

from __future__ import annotations

from patchaudit.analyses import FileLocks, analyse_file
from patchaudit.analyses.explain import class_holding, page_holding
from patchaudit.analyses.state import Holding
from patchaudit.cfront import parse_c

HELD = Holding.HELD
NOT_HELD = Holding.NOT_HELD
PARTIAL = Holding.PARTIAL
UNKNOWN = Holding.UNKNOWN

# Every snippet may use these two lock classes through ``struct dev *d``.
PRELUDE = """
struct dev {
	spinlock_t lock;
	struct mutex m;
	struct rw_semaphore sem;
	struct list_head items;
};
"""


def analyse(src: str) -> FileLocks:
    return analyse_file(parse_c((PRELUDE + src).encode(), "drivers/demo/demo.c"))


def probes(src: str, lock: str = "dev.lock") -> dict[str, Holding]:
    """``{label: holding}`` of ``lock`` at each ``probe(label)``; ``page:NAME`` asks for a page lock."""
    found: dict[str, Holding] = {}
    for fl in analyse(src).functions:
        for site in fl.flow.calls:
            if site.call.callee != "probe":
                continue
            label = site.call.args[0].text
            if lock.startswith("page:"):
                holding = page_holding(site.state, lock[len("page:"):])[0]
            else:
                holding = class_holding(site.state, lock)[0]
            # A probe inside a loop is visited once: its state covers every iteration.
            assert label not in found, f"probe({label}) appears twice"
            found[label] = holding
    return found
