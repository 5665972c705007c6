"""Each tree gets exactly the balloon rules its own header states: the 5.0, 5.1-6.12 and 2026 texts."""

from __future__ import annotations

import shutil
from pathlib import Path

from patchaudit.engine import Options, scan_tree
from patchaudit.report.rules_doc import format_rule_list
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.ruleset.anchor import locate_in
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
RULES = load_rules([rules_dir()])
# The rules whose text is in the balloon header or the balloon core.
BALLOON_TEXT = {
    rule.id for rule in RULES
    if {"include/linux/balloon_compaction.h", "mm/balloon_compaction.c"} & set(rule.source.files)
}


def overlay(root: Path, *layers: Path) -> Path:
    for layer in layers:
        shutil.copytree(layer, root, dirs_exist_ok=True)
    return root


def applying(tree: Path) -> dict[str, str]:
    """The balloon-text rules that apply to ``tree``, and the file their text was found in."""
    report = scan_tree(BaseTree(tree), [], RULES, Options())
    return {
        info.id: info.source.file for info in report.rules if info.id in BALLOON_TEXT and info.applies
    }


def test_the_three_eras_of_the_balloon_header_each_get_their_own_rules(tmp_path: Path) -> None:
    series = sorted((SAMPLES / "series-src").glob("[0-9][0-9]/tree"))
    trees = {
        # The sample's own 5.0-era wording: no rule sentence of 5.1, only the
        # 5.x kernel-doc contracts of insert and delete.
        "5.0": SAMPLES / "tree",
        # After the PG_offline series: the 5.1 rule block, as through 6.12
        # (the sample words page->private and page->mapping its own way; the
        # real 6.12 header, in test_done_issue5.py, adds PA3201 and PA3202).
        "5.1-6.12": overlay(tmp_path / "5.1", SAMPLES / "tree", *series),
        "2026": SAMPLES / "2026" / "tree",
    }
    header, core = "include/linux/balloon_compaction.h", "mm/balloon_compaction.c"
    assert {era: applying(tree) for era, tree in trees.items()} == {
        "5.0": {"PA2003": header, "PA2004": header},
        "5.1-6.12": {
            "PA2001": header, "PA2002": header, "PA2003": header, "PA2004": header,
        },
        "2026": {
            "PA2008": header, "PA2009": header, "PA2010": core, "PA2011": core, "PA3201": header,
        },
    }


def test_a_tree_that_renamed_the_balloon_files_gets_the_same_rules_quoting_the_new_names(
    tmp_path: Path,
) -> None:
    # Mainline later renamed the header to balloon.h and the core to balloon.c.
    tree = overlay(tmp_path / "renamed", SAMPLES / "2026" / "tree")
    for old, new in (("include/linux/balloon_compaction.h", "include/linux/balloon.h"),
                     ("mm/balloon_compaction.c", "mm/balloon.c")):
        (tree / old).rename(tree / new)
    for path in tree.rglob("*.c"):
        text = path.read_text()
        path.write_text(text.replace("<linux/balloon_compaction.h>", "<linux/balloon.h>"))
    assert applying(tree) == {
        "PA2008": "include/linux/balloon.h", "PA2009": "include/linux/balloon.h",
        "PA2010": "mm/balloon.c", "PA2011": "mm/balloon.c", "PA3201": "include/linux/balloon.h",
    }


def test_rules_list_names_the_era_of_each_rule() -> None:
    lines = {line.split()[0]: line.split() for line in format_rule_list(RULES).splitlines()}
    eras = {name.split("-")[0]: fields[3] for name, fields in lines.items()}
    assert {rid: eras[rid] for rid in sorted(BALLOON_TEXT)} == {
        "PA2001": "5.1-6.12", "PA2002": "5.1-6.12", "PA2003": "5.1-6.12", "PA2004": "5.x",
        "PA2005": "6.12", "PA2008": "2026-", "PA2009": "2026-", "PA2010": "2026-",
        "PA2011": "2026-", "PA3201": "5.1-", "PA3202": "5.1-6.12",
    }
    assert eras["PA0001"] == "any"


def test_a_rule_sentence_is_found_with_or_without_its_full_stop() -> None:
    rule = next(r for r in RULES if r.id == "PA2009")
    sentence = (" *  ii. isolation or dequeueing procedure must remove the page from balloon\n"
                " *      device page list under balloon_pages_lock{}\n")
    assert locate_in(rule, sentence.format("").encode()).applies
    assert locate_in(rule, sentence.format(".").encode()).applies
    assert locate_in(rule, sentence.format("; see below").encode()).applies
    # Another word is another rule: a longer name, or the lock of 6.12.
    assert not locate_in(rule, sentence.format("s").encode()).applies
    assert not locate_in(rule, sentence.replace("balloon_pages_lock", "b_dev_info->pages_lock")
                         .format(".").encode()).applies
