"""Every rule has a fixture folder tests/rules/<ID>/ whose markers say exactly what it must report.

C fixtures mark lines with ``/* expect: ID */`` (must be reported),
``/* ok: ID */`` (a near miss that must not be) and ``/* todo: ID */`` (a known
gap: should be reported but is not yet). Series rules use ``input.mbox``, an
optional ``tree/`` and ``expect.txt`` (``PATCH FILE LINE`` a line, ``-`` for none).
"""

from __future__ import annotations

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
    sources = sorted(p for p in (FIXTURES / rule.id).rglob("*") if p.suffix in (".c", ".h"))
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
