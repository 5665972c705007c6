"""The tree index and the contracts it holds: ``patchaudit index``, ``contracts``, and the
contract rules across files in ``scan`` and ``check`` (tests/fixtures/contracts/tree)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_browser import dump_dom

REPO = Path(__file__).resolve().parents[1]
TREE = REPO / "tests" / "fixtures" / "contracts" / "tree"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "patchaudit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def build(tmp_path: Path) -> tuple[Path, Path]:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    index = tmp_path / "tree.sqlite"
    done = run("index", str(tree), "--index", str(index), "-j", "1")
    assert done.returncode == 0, done.stderr
    # samples/gadget_demo.c is a userspace sample: indexed, but its comments are
    # not the kernel's contracts (phrases.toml [not_kernel]).
    assert done.stdout.startswith("4 files in the index (4 summaries computed in 1 round, "
                                  "0 removed, 0 skipped); 10 contracts, 10 resolved;")
    return tree, index


def test_contracts_lists_every_statement_with_its_resolved_lock(tmp_path: Path) -> None:
    tree, index = build(tmp_path)
    done = run("contracts", str(tree), "--index", str(index), "-f", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "patchaudit-contracts/1"
    assert document["counts"]["contracts"] == 10
    found = [(c["file"], c["line"], c["kind"], c["origin"], c["subject"], c["lock"] or c["context"])
             for c in document["contracts"]]
    assert found == [
        ("drivers/gadget/core.c", 8, "must-hold", "assertion", "gadget_queue_one",
         "gadget.queue_lock"),
        ("drivers/gadget/core.c", 15, "context", "might_sleep", "gadget_set_mode", "may sleep"),
        ("include/linux/gadget.h", 9, "lock-order", "lock hierarchy", "", "gadget.cfg_mutex"),
        ("include/linux/gadget.h", 21, "protected-by", "member comment", "gadget.queue",
         "gadget.queue_lock"),
        ("include/linux/gadget.h", 22, "protected-by", "member comment", "gadget.depth",
         "gadget.queue_lock"),
        ("include/linux/gadget.h", 31, "context", "kernel-doc", "gadget_queue_one", "any context"),
        ("include/linux/gadget.h", 31, "must-hold", "kernel-doc", "gadget_queue_one",
         "gadget.queue_lock"),
        ("include/linux/gadget.h", 40, "context", "kernel-doc", "gadget_set_mode",
         "process context"),
        ("include/linux/gadget.h", 40, "context", "kernel-doc", "gadget_set_mode", "may sleep"),
        ("include/linux/gadget.h", 40, "takes", "kernel-doc", "gadget_set_mode",
         "gadget.cfg_mutex"),
    ]
    order = next(c for c in document["contracts"] if c["kind"] == "lock-order")
    assert (order["lock"], order["inner"]) == ("gadget.cfg_mutex", "gadget.queue_lock")
    text = run("contracts", str(tree), "--index", str(index), "--function", "gadget_queue_one",
               "--kind", "must-hold")
    assert text.stdout.splitlines() == [
        'drivers/gadget/core.c:8: must-hold gadget_queue_one: gadget.queue_lock (assertion) '
        '"lockdep_assert_held(&g->queue_lock);"',
        'include/linux/gadget.h:31: must-hold gadget_queue_one: gadget.queue_lock (kernel-doc) '
        '"Caller must hold @g->queue_lock."',
    ]


def test_scan_with_the_index_judges_calls_against_another_files_contracts(tmp_path: Path) -> None:
    tree, index = build(tmp_path)
    done = run("scan", str(tree), "--index", str(index), "-j", "1", "--no-cache", "-f", "json")
    # The contract rules report notes until their tree-wide precision is measured
    # high enough (docs/contracts-triage.md): notes do not fail a run.
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)["findings"]
    # user_switch() also breaks the header's documented order: gadget_set_mode()
    # takes cfg_mutex, which comes before queue_lock, and queue_lock is held.
    assert [(f["rule_id"], f["file"], f["line"]) for f in findings] == [
        ("PA4001", "drivers/gadget/user.c", 23),
        ("PA4003", "drivers/gadget/user.c", 29),
        ("PA4005", "drivers/gadget/user.c", 29),
    ]
    must, sleep, order = findings
    assert order["source"]["text"].endswith("gadget->queue_lock")
    # Each quotes the tree's own statement, and says where.
    assert must["source"]["file"] == "include/linux/gadget.h"
    assert must["source"]["text"] == "Caller must hold @g->queue_lock."
    assert sleep["source"]["text"] == "May sleep."
    # The trace: where the caller took the lock before dropping it, the statement, the call.
    assert [step["line"] for step in must["trace"]] == [20, 31, 23]


def test_scan_without_an_index_says_the_contract_rules_need_one(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    done = run("scan", str(tree), "-j", "1", "--no-cache", "-f", "json",
               "--cache-dir", str(tmp_path / "cache"))
    report = json.loads(done.stdout)
    assert not [f for f in report["findings"] if f["rule_id"].startswith("PA4")]
    reasons = {r["id"]: r["reason"] for r in report["rules"] if r["id"].startswith("PA4")}
    assert set(reasons.values()) == {
        "needs the tree index in scan: run 'patchaudit index DIR' first"}


def unlocked_call_patch(tmp_path: Path) -> Path:
    """A patch of the fixture tree adding a call of gadget_queue_one() above the lock it needs
    (drivers/gadget/user.c, line 13 after it)."""
    patch = tmp_path / "0001.patch"
    patch.write_text(
        "From: A Developer <dev@example.org>\n"
        "Subject: [PATCH] gadget: flush on mode switch\n\n"
        "Flush the queue first.\n---\n"
        "diff --git a/drivers/gadget/user.c b/drivers/gadget/user.c\n"
        "--- a/drivers/gadget/user.c\n+++ b/drivers/gadget/user.c\n"
        "@@ -10,6 +10,7 @@ void user_submit(struct gadget *g, struct request *rq)\n"
        " {\n \tunsigned long flags;\n \n"
        "+\tgadget_queue_one(g, &rq->entry);\n"
        " \tspin_lock_irqsave(&g->queue_lock, flags);\n"
        " \tgadget_queue_one(g, &rq->entry);\n"
        " \tspin_unlock_irqrestore(&g->queue_lock, flags);\n")
    return patch


def test_check_judges_an_added_call_against_the_index(tmp_path: Path) -> None:
    tree, index = build(tmp_path)
    patch = unlocked_call_patch(tmp_path)
    with_index = run("check", str(patch), "--tree", str(tree), "--index", str(index), "-f", "json")
    found = [(f["rule_id"], f["file"], f["line"], f["status"])
             for f in json.loads(with_index.stdout)["findings"] if f["rule_id"].startswith("PA4")]
    # The new call is reported; the two already in the tree (user_reset, user_switch) are not
    # on lines the patch adds.
    assert found == [("PA4001", "drivers/gadget/user.c", 13, "new")]
    # Without an index the callee's contract is in another file: nothing to judge it by.
    alone = run("check", str(patch), "--tree", str(tree), "-f", "json",
                "--cache-dir", str(tmp_path / "empty"))
    assert not [f for f in json.loads(alone.stdout)["findings"] if f["rule_id"].startswith("PA4")]


def test_a_missing_named_index_is_a_usage_error(tmp_path: Path) -> None:
    done = run("scan", str(TREE), "--index", str(tmp_path / "none.sqlite"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no such index" in done.stderr
    done = run("contracts", str(TREE), "--cache-dir", str(tmp_path / "c"))
    assert done.returncode == 2 and "has no index yet" in done.stderr


def test_compliance_counts_how_the_tree_keeps_each_contract(tmp_path: Path) -> None:
    tree, index = build(tmp_path)
    done = run("contracts", str(tree), "--index", str(index), "--compliance",
               "--kind", "must-hold", "--kind", "protected-by", "-f", "json")
    counts = {(c["file"], c["line"], c["subject"]): c["compliance"]
              for c in json.loads(done.stdout)["contracts"]}
    # user_submit() holds queue_lock, user_reset() does not (after its unlock).
    assert counts[("include/linux/gadget.h", 31, "gadget_queue_one")] == {
        "followed": 1, "violated": 1, "unknown": 0}
    # depth is written under the lock in user_reset() and, by its contract, in
    # gadget_queue_one(); the list head changes in gadget_queue_one()'s list_add_tail().
    assert counts[("include/linux/gadget.h", 22, "gadget.depth")] == {
        "followed": 2, "violated": 0, "unknown": 0}
    assert counts[("include/linux/gadget.h", 21, "gadget.queue")] == {
        "followed": 1, "violated": 0, "unknown": 0}


def test_explain_says_what_the_index_knows_of_a_function(tmp_path: Path) -> None:
    tree, index = build(tmp_path)
    done = run("explain", str(tree), "gadget_set_mode", "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "drivers/gadget/core.c:13: gadget_set_mode(g, mode)",
        "  may sleep:",
        '    gadget_set_mode() may sleep: include/linux/gadget.h:40 "May sleep."',
        "  called from 1 place:",
        "    drivers/gadget/user.c:29 user_switch()",
        "contracts:",
        '  drivers/gadget/core.c:15: context gadget_set_mode: may sleep (might_sleep) '
        '"might_sleep();"',
        '  include/linux/gadget.h:40: context gadget_set_mode: process context (kernel-doc) '
        '"Process context."',
        '  include/linux/gadget.h:40: context gadget_set_mode: may sleep (kernel-doc) '
        '"May sleep."',
        '  include/linux/gadget.h:40: takes gadget_set_mode: gadget.cfg_mutex (kernel-doc) '
        '"Takes and releases @g->cfg_mutex."',
    ]
    missing = run("explain", str(tree), "no_such_function", "--index", str(index))
    assert missing.returncode == 2 and "neither defined nor documented" in missing.stderr


@pytest.mark.browser
def test_the_catalogue_page_shows_every_contract_in_a_browser(
        tmp_path: Path, chromium: str) -> None:
    tree, index = build(tmp_path)
    # A hostile comment in the tree stays text on the page.
    header = tree / "include" / "linux" / "gadget.h"
    header.write_text(header.read_text().replace(
        "\tint mode;\n", "\tint mode;\t/* protected by queue_lock <script>alert(1)</script> */\n"))
    done = run("index", str(tree), "--index", str(index), "-j", "1")
    assert done.returncode == 0, done.stderr
    page = tmp_path / "contracts.html"
    done = run("contracts", str(tree), "--index", str(index), "--compliance", "-f", "html",
               "-o", str(page))
    assert done.returncode == 0, done.stderr
    dom = dump_dom(chromium, page, tmp_path / "profile")
    rows = re.findall(r'<tr id="c-[0-9a-f]+" class="(resolved|unresolved)" data-kind="([a-z-]+)"',
                      dom)
    assert len(rows) == 11
    assert rows.count(("resolved", "protected-by")) == 3
    assert "<script>alert(1)</script>" not in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert '<dd id="total">11</dd>' in dom and '<dd id="resolved">11</dd>' in dom


def test_a_second_index_run_reads_only_what_changed(tmp_path: Path) -> None:
    tree, index = build(tmp_path)
    again = run("index", str(tree), "--index", str(index), "-j", "1")
    assert again.stdout.startswith("4 files in the index (0 summaries computed in 1 round, "
                                   "0 removed, 0 skipped); 10 contracts, 10 resolved;")
    user = tree / "drivers" / "gadget" / "user.c"
    user.write_text(user.read_text().replace("user_switch", "user_flip"))
    changed = run("index", str(tree), "--index", str(index), "-j", "1")
    assert changed.stdout.startswith("4 files in the index (1 summaries computed in 1 round, ")
    (tree / "drivers" / "gadget" / "huge.c").write_bytes(b"/* */\n" * (8 * 1024 * 1024 // 6 + 1))
    skipped = run("index", str(tree), "--index", str(index), "-j", "1")
    assert "(0 summaries computed in 1 round, 0 removed, 1 skipped)" in skipped.stdout
    assert "skipped drivers/gadget/huge.c: larger than 8388608 bytes" in skipped.stderr


def _resolved(tree: Path, index: Path) -> list[tuple[str, int, str, str]]:
    done = run("contracts", str(tree), "--index", str(index), "-f", "json")
    assert done.returncode == 0, done.stderr
    return sorted((c["file"], c["line"], c["lock"], c["unresolved"])
                  for c in json.loads(done.stdout)["contracts"])


@pytest.mark.parametrize("edit", ["struct", "comment"])
def test_an_update_resolves_contracts_as_a_cold_build_does(tmp_path: Path, edit: str) -> None:
    # An update re-resolves the edited file's contracts, those about its
    # functions, and every contract once a struct changed: another file's
    # "Caller must hold g->queue_lock." resolves through the header's struct.
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    (tree / "drivers" / "gadget" / "drain.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n#include <linux/gadget.h>\n\n"
        "/* Caller must hold g->queue_lock. */\n"
        "static void gadget_drain(struct gadget *g)\n{\n\tg->depth = 0;\n}\n")
    index = tmp_path / "tree.sqlite"
    assert run("index", str(tree), "--index", str(index), "-j", "1").returncode == 0
    before = _resolved(tree, index)
    assert ("drivers/gadget/drain.c", 4, "gadget.queue_lock", "") in before
    if edit == "struct":
        edited = tree / "include" / "linux" / "gadget.h"
        edited.write_text(edited.read_text().replace("spinlock_t queue_lock;", "spinlock_t qlock;"))
    else:
        edited = tree / "drivers" / "gadget" / "drain.c"
        edited.write_text(edited.read_text().replace("g->queue_lock", "g->cfg_mutex"))
    done = run("index", str(tree), "--index", str(index), "-j", "1")
    assert done.returncode == 0, done.stderr
    updated = _resolved(tree, index)
    cold = tmp_path / "cold.sqlite"
    assert run("index", str(tree), "--index", str(cold), "-j", "1").returncode == 0
    assert updated == _resolved(tree, cold)
    assert updated != before  # the edit changed what resolves: the test can fail


def test_check_reports_the_lock_order_cycle_a_patch_closes(tmp_path: Path) -> None:
    # The static lockdep: port_attach() takes the bridge lock inside the port
    # lock; a patch makes bridge_flush() take them the other way round. No
    # comment states an order: the cycle is the code's own. The markers of
    # the after file say where (expect) and where not (ok: the tree's own
    # edges, a trylock).
    cycle = REPO / "tests" / "fixtures" / "contracts" / "cycle"
    tree = tmp_path / "tree"
    shutil.copytree(cycle / "before", tree)
    index = tmp_path / "tree.sqlite"
    assert run("index", str(tree), "--index", str(index), "-j", "1").returncode == 0
    path = "drivers/demo/bridge.c"
    after = (cycle / "after" / path).read_text()
    marks = {kind: {n for n, line in enumerate(after.splitlines(), 1)
                    if f"/* {kind}: PA4005 */" in line} for kind in ("expect", "ok")}
    clean = re.sub(r"\t+/\* (?:ok|expect): PA4005 \*/", "", after)
    import difflib

    diff = "".join(difflib.unified_diff((tree / path).read_text().splitlines(keepends=True),
                                        clean.splitlines(keepends=True), f"a/{path}", f"b/{path}"))
    patch = tmp_path / "0001.patch"
    patch.write_text("From: A Developer <dev@example.org>\nSubject: [PATCH] demo: reset ports "
                     f"on flush\n\nReset them.\n---\ndiff --git a/{path} b/{path}\n{diff}")
    done = run("check", str(patch), "--tree", str(tree), "--index", str(index), "-f", "json")
    findings = [f for f in json.loads(done.stdout)["findings"] if f["rule_id"] == "PA4005"]
    assert {f["line"] for f in findings} == marks["expect"] and marks["expect"]
    assert not {f["line"] for f in findings} & marks["ok"]
    assert "lock-order cycle" in findings[0]["message"]
    # The trace names the tree's own edge that closes the cycle.
    assert any(step["line"] == 25 and "port_attach" in step["message"]
               for step in findings[0]["trace"])
    # Without the index there is no tree to close a cycle with.
    alone = run("check", str(patch), "--tree", str(tree), "-f", "json",
                "--cache-dir", str(tmp_path / "empty"))
    assert not [f for f in json.loads(alone.stdout)["findings"] if f["rule_id"] == "PA4005"]


def test_a_call_binds_only_definitions_its_module_can_reach(tmp_path: Path) -> None:
    # Two drivers each define a non-static, unexported fan_kick(): a module's
    # call runs its own, never the other driver's. Only the sleeping one of
    # the calling driver's own directory makes its call a finding.
    tree = tmp_path / "tree"
    body = ("// SPDX-License-Identifier: GPL-2.0\n#include <linux/mutex.h>\n\n"
            "struct fan {\n\tstruct mutex lock;\n\tint speed;\n};\n\n")
    sleeper = body + "void fan_kick(struct fan *f)\n{\n\tmutex_lock(&f->lock);\n" \
                     "\tf->speed++;\n\tmutex_unlock(&f->lock);\n}\n"
    quiet = body + "void fan_kick(struct fan *f)\n{\n\tf->speed++;\n}\n"
    caller = ("// SPDX-License-Identifier: GPL-2.0\n#include <linux/spinlock.h>\n\n"
              "struct fan;\nvoid fan_kick(struct fan *f);\nstatic DEFINE_SPINLOCK(fan_list_lock);\n\n"
              "void fan_tick(struct fan *f)\n{\n\tspin_lock(&fan_list_lock);\n"
              "\tfan_kick(f);\n\tspin_unlock(&fan_list_lock);\n}\n")
    for name, kick in (("usbfan", sleeper), ("pcifan", quiet)):
        (tree / "drivers" / name).mkdir(parents=True)
        (tree / "drivers" / name / "core.c").write_text(kick)
    (tree / "drivers" / "pcifan" / "tick.c").write_text(caller)
    index = tmp_path / "tree.sqlite"
    assert run("index", str(tree), "--index", str(index), "-j", "1").returncode == 0
    done = run("scan", str(tree), "--index", str(index), "-f", "json", "--no-default-rules",
               "--rules", str(REPO / "rules"))
    found = [(f["rule_id"], f["file"]) for f in json.loads(done.stdout)["findings"]
             if f["rule_id"].startswith("PA4")]
    assert found == []  # pcifan's own fan_kick() does not sleep
    # The same call in the sleeping driver's directory is a finding.
    (tree / "drivers" / "usbfan" / "tick.c").write_text(caller)
    assert run("index", str(tree), "--index", str(index), "-j", "1").returncode == 0
    done = run("scan", str(tree), "--index", str(index), "-f", "json", "--no-default-rules",
               "--rules", str(REPO / "rules"), "--cache-dir", str(tmp_path / "c2"))
    found = [(f["rule_id"], f["file"]) for f in json.loads(done.stdout)["findings"]
             if f["rule_id"].startswith("PA4")]
    assert found == [("PA4003", "drivers/usbfan/tick.c")]


def test_the_index_keeps_the_wrapper_table_it_ends_with(tmp_path: Path) -> None:
    # check and scan processes read the stored table instead of computing it.
    from patchaudit.index.build import stored_wrappers, wrapper_table
    from patchaudit.index.store import IndexStore

    tree, index = build(tmp_path)
    (tree / "drivers" / "gadget" / "lockers.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n#include <linux/gadget.h>\n\n"
        "void gadget_lock(struct gadget *g)\n{\n\tspin_lock(&g->queue_lock);\n}\n")
    assert run("index", str(tree), "--index", str(index), "-j", "1").returncode == 0
    store = IndexStore(index)
    try:
        stored = stored_wrappers(store)
        assert store.meta("wrappers") is not None and stored == wrapper_table(store)
        params, effect = stored["gadget_lock"]
        assert params == ("g",) and effect.acquires[0][0] == "gadget.queue_lock"
    finally:
        store.close()


DOUBTS = REPO / "tests" / "fixtures" / "contracts" / "doubts"


def test_not_held_is_unknown_where_the_lock_may_be_held_unseen(tmp_path: Path) -> None:
    # relay.c sees its structs only through relay.h: the index follows r->port to
    # struct relay_port, and a macro, a guard class or a helper of the header
    # that may take the lock makes "not held" unknown. The markers say which
    # calls are reported.
    tree = tmp_path / "tree"
    shutil.copytree(DOUBTS, tree)
    index = tmp_path / "tree.sqlite"
    assert run("index", str(tree), "--index", str(index), "-j", "1").returncode == 0
    done = run("scan", str(tree), "--index", str(index), "-j", "1", "--no-cache", "-f", "json",
               "--no-default-rules", "--rules", str(REPO / "rules"))
    assert done.returncode == 0, done.stderr
    found = sorted((f["file"], f["line"], f["rule_id"]) for f in json.loads(done.stdout)["findings"])
    expected, allowed = [], []
    for path in sorted(tree.rglob("*.c")):
        rel = path.relative_to(tree).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if marker := re.search(r"/\* (expect|ok): (PA\d+) \*/", line):
                (expected if marker.group(1) == "expect" else allowed).append(
                    (rel, number, marker.group(2)))
    assert len(expected) == 10 and len(allowed) == 11
    assert found == expected
    # The silence is counted: each unreported judgement with its reason.
    judged = json.loads(done.stdout)["summary"]["contracts"]
    assert judged["verdicts"]["violated"] == 10
    reasons = judged["unknown_reasons"]
    assert reasons["a locking helper the analysis does not model"] == 4
    assert reasons["the lock may be held under another expression"] == 2
    text = run("scan", str(tree), "--index", str(index), "-j", "1", "--no-cache",
               "--no-default-rules", "--rules", str(REPO / "rules")).stdout.splitlines()
    assert text[-2].startswith("contracts: ") and "not reported because" in text[-2]
    # A warm run, every file reused from the caches, counts the same judgements.
    cache = tmp_path / "cache"
    runs = [json.loads(run("scan", str(tree), "--index", str(index), "-j", "1", "-f", "json",
                           "--cache-dir", str(cache), "--no-default-rules", "--rules",
                           str(REPO / "rules")).stdout) for _ in range(2)]
    assert runs[0]["summary"]["contracts"] == runs[1]["summary"]["contracts"] == judged


def test_user_mode_linux_host_code_reaches_no_kernel_system_call() -> None:
    # arch/um/os-Linux/ is built against the host's libc: its epoll_ctl() is the
    # host's, not fs/eventpoll.c's; it still calls UML's own kernel functions.
    from patchaudit.index.summary import Effect
    from patchaudit.index.view import FunctionRef, reaches

    def ref(path: str, name: str) -> FunctionRef:
        return FunctionRef(path, name, 1, False, False, False, False, True, Effect(), (), (), (),
                           (), "int", 1)

    syscall = ref("fs/eventpoll.c", "epoll_ctl")
    uml = ref("arch/um/kernel/sigio.c", "sigio_lock")
    assert not reaches(syscall, "arch/um/os-Linux/irq.c")
    assert not reaches(syscall, "arch/um/drivers/harddog_user.c")
    assert reaches(uml, "arch/um/os-Linux/sigio.c")
    assert reaches(syscall, "arch/um/kernel/irq.c")  # the kernel side is the kernel
