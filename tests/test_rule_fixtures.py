"""Every rule has a fixture folder tests/rules/<ID>/ whose markers say exactly what it must report.

C fixtures mark lines with ``/* expect: ID */`` (must be reported),
``/* ok: ID */`` (a near miss that must not be) and ``/* todo: ID */`` (a known
gap: should be reported but is not yet). Series rules use ``input.mbox``, an
optional ``tree/`` and ``expect.txt`` (``PATCH FILE LINE`` a line, ``-`` for none).

A file rule may also have check cases, ``check/<case>/before/`` and
``check/<case>/after/``: the same files before and after one patch. The
markers sit in the after files (they are blanked out before the patch is
made, so they change no line); ``expect`` marks where ``check`` must report
the patch's new finding, which for a removed line is where that line was.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from patchaudit.cfront import parse_c
from patchaudit.engine import Options, check_series
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.ruleset.kinds.base import CheckContext, run_check
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

FIXTURES = Path(__file__).resolve().parent / "rules"
RULES = load_rules([rules_dir()])
MARKER_RE = re.compile(r"/\*\s*(expect|ok|todo):\s*([A-Z]{2}\d{4}(?:\s*,\s*[A-Z]{2}\d{4})*)\s*\*/")


def markers(text: str, rule_id: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {"expect": set(), "ok": set(), "todo": set()}
    for number, line in enumerate(text.splitlines(), start=1):
        for match in MARKER_RE.finditer(line):
            ids = {part.strip() for part in match.group(2).split(",")}
            if rule_id in ids:
                found[match.group(1)].add(number)
    return found


@pytest.mark.parametrize("rule", list(RULES), ids=lambda rule: rule.id)
def test_every_rule_has_a_fixture_folder(rule) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / rule.id
    assert folder.is_dir(), f"rule {rule.name} has no fixture folder tests/rules/{rule.id}/"
    assert any(folder.iterdir()), f"tests/rules/{rule.id}/ is empty"


FILE_RULES = [rule for rule in RULES if KINDS[rule.kind].scope is Scope.FILE]
SERIES_RULES = [rule for rule in RULES if KINDS[rule.kind].scope is Scope.SERIES]


@pytest.mark.parametrize("rule", FILE_RULES, ids=lambda rule: rule.id)
def test_file_rule_reports_exactly_the_marked_lines(rule) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / rule.id
    if getattr(KINDS[rule.kind], "check_only", False):
        # It compares a file before and after a patch: its fixtures are check cases.
        assert (folder / "check").is_dir(), f"tests/rules/{rule.id}/ has no check/"
        return
    sources = sorted(
        p for p in folder.rglob("*")
        if p.suffix in (".c", ".h") and p.relative_to(folder).parts[0] != "check"
    )
    assert sources, f"tests/rules/{rule.id}/ holds no C fixture"
    expected_somewhere = False
    for path in sources:
        data = path.read_bytes()
        marks = markers(data.decode(), rule.id)
        expected_somewhere |= bool(marks["expect"])
        ir = parse_c(data, path.name)
        reported = {hit.line for hit in run_check(KINDS[rule.kind], rule, ir, CheckContext(data))}
        assert reported - marks["todo"] == marks["expect"], path.name
        assert not reported & marks["ok"], f"{path.name}: near miss reported"
    assert expected_somewhere, f"tests/rules/{rule.id}/ marks no line with expect:"


@pytest.mark.parametrize("rule", SERIES_RULES, ids=lambda rule: rule.id)
def test_series_rule_reports_exactly_the_expected_places(rule) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / rule.id
    expected = set()
    for line in (folder / "expect.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            patch, file, number = line.split()
            expected.add((None if patch == "-" else int(patch), "" if file == "-" else file, int(number)))
    assert expected, f"tests/rules/{rule.id}/expect.txt lists nothing"
    tree = folder / "tree"
    series = load_series(str(folder / "input.mbox"))
    report = check_series(series, BaseTree(tree if tree.is_dir() else folder), RULES, Options())
    reported = {
        (f.patch.index if f.patch else None, f.file, f.line)
        for f in report.findings
        if f.rule_id == rule.id
    }
    assert reported == expected


CHECK_CASES = sorted(FIXTURES.glob("PA*/check/*"))


def _blank_markers(text: str) -> str:
    return "".join(MARKER_RE.sub("", line).rstrip() + "\n" for line in text.splitlines())


def _patch_mail(case: Path) -> str:
    diffs = []
    for after in sorted(p for p in (case / "after").rglob("*") if p.is_file()):
        path = after.relative_to(case / "after").as_posix()
        old = _blank_markers((case / "before" / path).read_text()).splitlines(keepends=True)
        new = _blank_markers(after.read_text()).splitlines(keepends=True)
        body = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=3))
        if body:
            diffs.append(f"diff --git a/{path} b/{path}\n{body}")
    subject = case.name.replace("_", " ")
    return (
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: Ada Fixture <ada@example.org>\n"
        "Date: Mon, 2 Mar 2026 11:00:00 +0100\n"
        f"Subject: [PATCH] {subject}\n\n{subject}.\n\n"
        "Signed-off-by: Ada Fixture <ada@example.org>\n---\n"
        + "".join(diffs) + "-- \n2.43.0\n\n"
    )


def test_every_check_case_has_before_and_after_of_the_same_files() -> None:
    assert CHECK_CASES, "no check cases under tests/rules/*/check/"
    for case in CHECK_CASES:
        after = sorted(p.relative_to(case / "after") for p in (case / "after").rglob("*.[ch]"))
        before = sorted(p.relative_to(case / "before") for p in (case / "before").rglob("*.[ch]"))
        assert after and after == before, case


@pytest.mark.parametrize("case", CHECK_CASES, ids=lambda case: f"{case.parts[-3]}/{case.name}")
def test_check_case_reports_exactly_the_marked_lines(case: Path, tmp_path: Path) -> None:
    rule_id = case.parts[-3]
    tree = tmp_path / "tree"
    expected: set[tuple[str, int]] = set()
    near_misses: set[tuple[str, int]] = set()
    for before in sorted(p for p in (case / "before").rglob("*") if p.is_file()):
        path = before.relative_to(case / "before").as_posix()
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(_blank_markers(before.read_text()))
        marks = markers((case / "after" / path).read_text(), rule_id)
        expected |= {(path, line) for line in marks["expect"]}
        near_misses |= {(path, line) for line in marks["ok"]}
    mbox = tmp_path / "patch.mbox"
    mbox.write_text(_patch_mail(case))
    # The case trees hold no headers: every rule applies (each era's), and
    # only the findings of the case's own rule are looked at.
    report = check_series(load_series(str(mbox)), BaseTree(tree), RULES, Options(all_rules=True))
    assert [p.applies for p in report.patches] == [True]
    new = {
        (f.file, f.line) for f in report.findings
        if f.rule_id == rule_id and f.status.value == "new"
    }
    assert new == expected
    assert not new & near_misses
