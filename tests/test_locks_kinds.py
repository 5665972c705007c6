"""The lock rule kinds end to end on small inputs: parameters, operations, messages and traces."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from patchaudit.cfront import parse_c
from patchaudit.errors import InputError
from patchaudit.model import Confidence, Severity
from patchaudit.ruleset.kinds import KINDS, Hit
from patchaudit.ruleset.model import Rule, RuleSource


def rule(kind: str, params: Mapping[str, Any]) -> Rule:
    return Rule(
        id="PA9999", slug="demo", title="demo", kind=kind, severity=Severity.ERROR,
        confidence=Confidence.HIGH, summary="s", why="w", false_positives="f",
        source=RuleSource("include/demo.h", "demo", "text", "v6.12"),
        params=KINDS[kind].parse_params(params, "demo.toml"), path="demo.toml",
    )


def hits(kind: str, params: Mapping[str, Any], src: str, path: str = "drivers/demo/demo.c") -> list[Hit]:
    return list(KINDS[kind].check(rule(kind, params), parse_c(src.encode(), path)))


@pytest.mark.parametrize(
    ("kind", "params", "problem"),
    [
        ("lock-order", {"first": "page"}, "field 'params.then'"),
        ("lock-order", {"first": "page", "then": "a->b"}, "must name a lock class"),
        ("must-hold", {"lock": "x.l", "operation": "read", "target": "x.y"}, "must be one of"),
        ("must-hold", {"lock": "x.l", "operation": "field-write", "target": "y"}, "struct.member"),
        ("caller-contract", {"function": "f", "requires": []}, "non-empty array"),
        ("caller-contract", {"function": "f", "requires": [{"lock": "page"}]}, "page argument"),
        ("caller-contract", {"function": "f", "requires": [{"lock": "x.l", "when": 1}]}, "unknown"),
        ("paired-state", {"set": ["a"]}, "field 'params.clear'"),
        ("companion-call", {"callee": "M", "present": "A"}, "field 'params.requires'"),
    ],
)
def test_bad_parameters_name_the_field(kind: str, params: Mapping[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as caught:
        KINDS[kind].parse_params(params, "rules/PA9999-demo.toml")
    assert caught.value.source == "rules/PA9999-demo.toml"
    assert problem in caught.value.problem


MUST_HOLD_SRC = """struct demo_dev {
	spinlock_t lock;
	unsigned long count;
};

void demo_bump(struct demo_dev *d)
{
	d->count++;
	spin_lock(&d->lock);
	d->count = 0;
	demo_flush(d);
	spin_unlock(&d->lock);
	demo_flush(d);
	d->count = 1;
}
"""


def test_must_hold_field_write() -> None:
    found = hits("must-hold", {"lock": "demo_dev.lock", "operation": "field-write",
                               "target": "demo_dev.count"}, MUST_HOLD_SRC)
    # d->count++ writes as an assignment does: it and the write after the
    # unlock are bad, the one between lock and unlock is not.
    assert [(hit.line, hit.message) for hit in found] == [
        (8, "writing demo_dev.count, but demo_dev.lock is not held"),
        (14, "writing demo_dev.count, but demo_dev.lock is not held"),
    ]


def test_must_hold_call_reports_the_unlocked_call_with_its_trace() -> None:
    found = hits("must-hold", {"lock": "demo_dev.lock", "operation": "call",
                               "target": "demo_flush"}, MUST_HOLD_SRC)
    assert [(hit.line, hit.message) for hit in found] == [
        (13, "calling demo_flush(), but demo_dev.lock is not held"),
    ]
    assert [(step.line, step.message) for step in found[0].trace] == [
        (12, "demo_dev.lock released: spin_unlock(&d->lock)"),
        (13, "calling demo_flush() here"),
    ]


def test_lock_order_message_and_lockdep_style_scenario() -> None:
    src = """
void demo(struct balloon_dev_info *b, struct page *page)
{
	spin_lock_irq(&b->pages_lock);
	lock_page(page);
}
"""
    [hit] = hits("lock-order", {"first": "page", "then": "balloon_dev_info.pages_lock"}, src)
    assert (hit.line, hit.column) == (5, 2)
    assert hit.message == (
        "lock_page(page) waits for the page lock while balloon_dev_info.pages_lock is held; "
        "the documented order is the page lock first, then balloon_dev_info.pages_lock "
        "(a trylock would not wait)"
    )
    assert [step.line for step in hit.trace] == [4, 5, 5]
    assert "CPU1 holds balloon_dev_info.pages_lock and waits for the page lock" in hit.trace[2].message


def test_caller_contract_names_every_missing_lock() -> None:
    src = """
void demo(struct balloon_dev_info *b, struct page *page)
{
	balloon_page_insert(b, page);
}
"""
    params = {"function": "balloon_page_insert",
              "requires": [{"lock": "page", "arg": 1}, {"lock": "balloon_dev_info.pages_lock"}]}
    [hit] = hits("caller-contract", params, src)
    assert hit.message == (
        "balloon_page_insert() requires its caller to hold the page lock of 'page' and "
        "balloon_dev_info.pages_lock, but the page lock of 'page' is not held; "
        "balloon_dev_info.pages_lock is not held"
    )


def test_paired_state_skips_excluded_paths_and_files_with_parse_errors() -> None:
    src = "void demo(struct page *page)\n{\n\t__SetPageOffline(page);\n}\n"
    params = {"set": ["__SetPageOffline"], "clear": ["__ClearPageOffline"], "exclude_paths": ["mm/"]}
    assert [hit.line for hit in hits("paired-state", params, src)] == [3]
    assert hits("paired-state", params, src, path="mm/mm_init.c") == []
    broken = src + "void other(void)\n{\n\tint x = ;\n}\n"
    assert hits("paired-state", params, broken) == []


def test_companion_call_applies_only_where_the_state_is_named() -> None:
    src = "void demo(void)\n{\n\tVMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);\n}\n"
    params = {"callee": "VMCOREINFO_NUMBER", "present": "PAGE_BUDDY_MAPCOUNT_VALUE",
              "requires": "PAGE_OFFLINE_MAPCOUNT_VALUE", "only_if_named": ["PageOffline"]}
    assert hits("companion-call", params, src) == []
    named = "/* PageOffline() pages too */\n" + src
    assert [hit.line for hit in hits("companion-call", params, named)] == [4]
