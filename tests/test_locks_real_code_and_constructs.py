"""Lock context end to end: real 6.12 balloon code through the CLI, and a held/not-held fixture per construct."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from patchaudit.analyses import analyse_file
from patchaudit.analyses.explain import class_holding, page_holding
from patchaudit.analyses.state import Holding
from patchaudit.cfront import parse_c
from patchaudit.model import Confidence, Severity
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.ruleset.kinds import KINDS
from patchaudit.ruleset.model import Rule, RuleSource

REPO = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------ `patchaudit scan` on real 6.12 code

BALLOON_CODE = (
    "include/linux/balloon_compaction.h",
    "mm/balloon_compaction.c",
    "drivers/virtio/virtio_balloon.c",
    "drivers/misc/vmw_balloon.c",
    "drivers/hv/hv_balloon.c",
    "drivers/xen/balloon.c",
    "arch/powerpc/platforms/pseries/cmm.c",
    "kernel/vmcore_info.c",
)
RULES = load_rules([rules_dir()])
# The lock packs: the removed PG_balloon API (PA1xxx), balloon locking and PG_offline (PA2xxx).
LOCK_PACKS = ("PA1", "PA2")
KERNEL_DOC_RULES = {"PA3001", "PA3002", "PA3003", "PA3004", "PA3005", "PA3006", "PA3007"}


@pytest.mark.kernel
def test_patchaudit_scan_of_the_real_balloon_code_reports_no_locking_or_pg_offline_finding(
    kernel_tree: Path,
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "patchaudit", "scan", str(kernel_tree), *BALLOON_CODE, "-f", "json"],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    assert report["summary"]["files_analysed"] == len(BALLOON_CODE)
    applies = {rule["id"]: rule["applies"] for rule in report["rules"]}
    # Every rule of the packs runs on 6.12 except the 5.x balloon_page_delete()
    # contract and the rules of the 2026 header (balloon_pages_lock).
    assert {rid for rid, on in applies.items() if rid.startswith(LOCK_PACKS) and not on} == {
        "PA2004", "PA2008", "PA2009", "PA2010", "PA2011",
    }
    assert [f for f in report["findings"] if f["rule_id"].startswith(LOCK_PACKS)] == []
    assert report["summary"]["errors"] == 0
    # What remains is kernel-doc drift (scripts/kernel-doc -Wall
    # warns about the same functions), never a lock or page-flag rule.
    assert {f["rule_id"] for f in report["findings"]} <= KERNEL_DOC_RULES


# ------------------------------------------------------------------ held and not held, per construct

# Fixtures mark each call of demo_op() (needs dev.lock) or demo_page_op()
# (needs the page lock of its argument) with what must hold there:
#   /* held */      the lock is held on every path: no finding;
#   /* not held */  it is held on no path: a finding;
#   /* partial */   held on some paths only, which is not held: a finding.
MARK_RE = re.compile(r"demo_(page_)?op\(.*/\* (held|not held|partial) \*/")
HOLDING = {"held": Holding.HELD, "not held": Holding.NOT_HELD, "partial": Holding.PARTIAL}

PRELUDE = """\
struct dev {
	spinlock_t lock;
	struct mutex m;
	struct list_head items;
};

static DEFINE_SPINLOCK(l);
static DEFINE_MUTEX(ml);
"""


def _rule(kind: str, params: Mapping[str, Any]) -> Rule:
    return Rule(
        id="PA9999", slug="demo", title="demo", kind=kind, severity=Severity.ERROR,
        confidence=Confidence.HIGH, summary="s", why="w", false_positives="f",
        source=RuleSource("include/demo.h", "demo", "text", "v6.12"),
        params=KINDS[kind].parse_params(params, "demo.toml"), path="demo.toml",
    )


def _check(src: str, lock: str) -> None:
    """Lock state and findings at each marked call agree with its mark; both cases are present."""
    text = PRELUDE + src
    marks: dict[int, Holding] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = MARK_RE.search(line)
        if match:
            marks[number] = HOLDING[match.group(2)]
    assert Holding.HELD in marks.values() and Holding.NOT_HELD in marks.values(), "need both cases"

    ir = parse_c(text.encode(), "drivers/demo/demo.c")
    states: dict[int, Holding] = {}
    for fl in analyse_file(ir).functions:
        assert fl.reliable, fl.function.name
        for site in fl.flow.calls:
            if site.call.callee == "demo_op":
                states[site.call.pos.line] = class_holding(site.state, lock)[0]
            elif site.call.callee == "demo_page_op":
                states[site.call.pos.line] = page_holding(site.state, site.call.args[0].text)[0]
    assert states == marks

    if lock == "page":
        rule = _rule("caller-contract", {"function": "demo_page_op", "requires": [{"lock": "page", "arg": 0}]})
    else:
        rule = _rule("must-hold", {"lock": lock, "operation": "call", "target": "demo_op"})
    reported = {hit.line for hit in KINDS[rule.kind].check(rule, ir)}
    assert reported == {line for line, holding in marks.items() if holding is not Holding.HELD}


CONSTRUCTS = {
    "if-else": """
void f(struct dev *d, int x)
{
	spin_lock(&d->lock);
	if (x) {
		demo_op(d); /* held */
		spin_unlock(&d->lock);
	} else {
		demo_op(d); /* held */
		spin_unlock(&d->lock);
	}
	demo_op(d); /* not held */
	if (x)
		spin_lock(&d->lock);
	else
		demo_op(d); /* not held */
	demo_op(d); /* partial */
}
""",
    "switch": """
void f(struct dev *d, int x)
{
	switch (x) {
	case 1:
		spin_lock(&d->lock);
		demo_op(d); /* held */
		spin_unlock(&d->lock);
		break;
	case 2:
		demo_op(d); /* not held */
		break;
	default:
		spin_lock(&d->lock);
		demo_op(d); /* held */
		spin_unlock(&d->lock);
	}
	demo_op(d); /* not held */
}
""",
    "loop-break": """
void f(struct dev *d, int n)
{
	while (n--) {
		spin_lock(&d->lock);
		if (n == 3) {
			demo_op(d); /* held */
			spin_unlock(&d->lock);
			break;
		}
		spin_unlock(&d->lock);
		demo_op(d); /* not held */
	}
	demo_op(d); /* not held */
	spin_lock(&d->lock);
	for (;;) {
		if (n++ > 8)
			break;
	}
	demo_op(d); /* held */
	spin_unlock(&d->lock);
}
""",
    "loop-continue": """
void f(struct dev *d, int n)
{
	for (int i = 0; i < n; i++) {
		demo_op(d); /* not held */
		spin_lock(&d->lock);
		if (i & 1) {
			spin_unlock(&d->lock);
			continue;
		}
		demo_op(d); /* held */
		spin_unlock(&d->lock);
	}
	spin_lock(&d->lock);
	list_for_each(pos, &d->items) {
		if (pos == d->items.next)
			continue;
		demo_op(d); /* held */
	}
	spin_unlock(&d->lock);
}
""",
    "goto-labels": """
int f(struct dev *d, int x)
{
	int err = 0;

	if (x < 0)
		goto out;
	spin_lock(&d->lock);
	if (x > 9) {
		err = -EINVAL;
		goto out_unlock;
	}
	demo_op(d); /* held */
out_unlock:
	demo_op(d); /* held */
	spin_unlock(&d->lock);
out:
	demo_op(d); /* not held */
	return err;
}
""",
    "early-return": """
int f(struct dev *d, int x)
{
	if (x)
		return -EINVAL;
	spin_lock(&d->lock);
	if (x > 2) {
		spin_unlock(&d->lock);
		demo_op(d); /* not held */
		return -EBUSY;
	}
	demo_op(d); /* held */
	spin_unlock(&d->lock);
	return 0;
}
""",
    "do-while-0": """
void f(struct dev *d, int x)
{
	do {
		spin_lock(&d->lock);
		if (x) {
			spin_unlock(&d->lock);
			break;
		}
		demo_op(d); /* held */
		spin_unlock(&d->lock);
	} while (0);
	demo_op(d); /* not held */
	do {
		spin_lock(&d->lock);
	} while (0);
	demo_op(d); /* held */
	spin_unlock(&d->lock);
}
""",
    "statement-expression": """
void f(struct dev *d)
{
	int v = ({ spin_lock(&d->lock); demo_op(d); /* held */
		   d->items.next != 0; });

	demo_op(d); /* held */
	v += ({ spin_unlock(&d->lock); demo_op(d); /* not held */
		1; });
	demo_op(d); /* not held */
}
""",
}

# The four conditional-acquire forms, with the page lock, a struct lock and
# bare global locks (l, ml).
TRYLOCKS = {
    "if-not-trylock_page-continue": ("page", """
void f(struct list_head *pages)
{
	struct page *page;

	list_for_each_entry(page, pages, lru) {
		if (!trylock_page(page)) {
			demo_page_op(page); /* not held */
			continue;
		}
		demo_page_op(page); /* held */
		unlock_page(page);
		demo_page_op(page); /* not held */
	}
}
"""),
    "BUG_ON-not-trylock_page": ("page", """
void f(struct page *page)
{
	demo_page_op(page); /* not held */
	BUG_ON(!trylock_page(page));
	demo_page_op(page); /* held */
	unlock_page(page);
	demo_page_op(page); /* not held */
}
"""),
    "if-not-mutex_trylock-return": ("ml", """
int f(void)
{
	if (!mutex_trylock(&ml)) {
		demo_op(0); /* not held */
		return -EAGAIN;
	}
	demo_op(0); /* held */
	mutex_unlock(&ml);
	return 0;
}
"""),
    "if-not-mutex_trylock-return-struct": ("dev.m", """
int f(struct dev *d)
{
	if (!mutex_trylock(&d->m))
		return -EAGAIN;
	demo_op(d); /* held */
	mutex_unlock(&d->m);
	demo_op(d); /* not held */
	return 0;
}
"""),
    "if-spin_trylock-block": ("l", """
void f(void)
{
	if (spin_trylock(&l)) {
		demo_op(0); /* held */
		spin_unlock(&l);
	} else {
		demo_op(0); /* not held */
	}
	demo_op(0); /* not held */
}
"""),
}


@pytest.mark.parametrize("construct", sorted(CONSTRUCTS))
def test_each_control_flow_construct_has_a_held_and_a_not_held_case(construct: str) -> None:
    _check(CONSTRUCTS[construct], "dev.lock")


@pytest.mark.parametrize("form", sorted(TRYLOCKS))
def test_each_conditional_acquire_form_has_a_held_and_a_not_held_case(form: str) -> None:
    lock, src = TRYLOCKS[form]
    _check(src, lock)
