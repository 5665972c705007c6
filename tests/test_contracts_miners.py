"""The contract miners on hand-written fixtures: exactly the statements each file makes.

Each tests/fixtures/contracts/miners/NAME.c has NAME.expect, one contract a
line (``LINE KIND SUBJECT LOCK [conditional]``). The fixtures also hold the
near misses that must not become contracts (a sentence about another
function, a historical remark, a question, "may" instead of "must", a
member that never changes); equality with the list is what shows they stay
silent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchaudit.cfront import parse_c
from patchaudit.index.summarise import summarise
from patchaudit.index.view import TreeView

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "contracts" / "miners"


def mined(path: Path) -> list[str]:
    data = path.read_bytes()
    view = TreeView(None, [summarise(path.name, data, parse_c(data, path.name), {})])
    rows = []
    for c in sorted(view.contracts(), key=lambda c: c.sort_key()):
        if c.kind.value == "context":
            assert c.context is not None
            target = c.context.name.lower()
        elif c.kind.value == "lock-order":
            target = f"{c.lock}>{c.inner}"
        else:
            target = c.lock or "-"
        rows.append(f"{c.line} {c.kind.value} {c.subject or '-'} {target}"
                    f"{' conditional' if c.conditional else ''}")
    return rows


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.c")), ids=lambda p: p.name)
def test_miners_find_exactly_the_listed_contracts(path: Path) -> None:
    expected = [line for line in path.with_suffix(".expect").read_text().splitlines()
                if line and not line.startswith("#")]
    assert mined(path) == expected


def test_prose_near_misses_are_not_contracts() -> None:
    rows = mined(FIXTURES / "prose.c")
    # pump_rate()'s comment speaks of pump_step(), of the past and asks a question;
    # pump_touch()'s says "may be held"; pump_trylock()'s "the caller must not
    # sleep" is about the caller after a successful return.
    assert not [row for row in rows
                if " pump_rate " in row or " pump_touch " in row or " pump_trylock " in row]
    # "with no lock held" names no lock; "won't be called from IRQ context" rules a
    # context out rather than requiring one; "when this function is entered" is
    # no condition.
    assert not [row for row in rows if " pump_idle " in row or " pump_drain " in row]
    assert "81 must-hold pump_adjust pump.lock" in rows


def test_a_page_lock_contract_names_its_argument() -> None:
    data = (FIXTURES / "code.c").read_bytes()
    view = TreeView(None, [summarise("code.c", data, parse_c(data, "code.c"), {})])
    page = [c for c in view.contracts("valve_page") if c.lock == "page"]
    assert [(c.arg, c.describe_lock()) for c in page] == [(1, "the page lock of argument 2")]
