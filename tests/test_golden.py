"""Golden outputs: the sample series rendered as JSON, text and HTML must match the stored files.

Regenerate after an intended change with ``PATCHAUDIT_UPDATE_GOLDEN=1 python -m pytest
tests/test_golden.py`` and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patchaudit.engine import Options, check_series
from patchaudit.report import FORMATTERS
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def sample_report():  # type: ignore[no-untyped-def]
    cwd = os.getcwd()
    os.chdir(REPO)  # the report names the tree and series as given: keep them relative
    try:
        series = load_series("samples/series.mbox")
        return check_series(
            series, BaseTree(Path("samples/tree")), load_rules([rules_dir()]), Options(tree_label="samples/tree")
        )
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize(("fmt", "name"), [("json", "sample-check.json"), ("text", "sample-check.txt"), ("html", "sample-check.html")])
def test_golden(sample_report, fmt: str, name: str) -> None:  # type: ignore[no-untyped-def]
    output = FORMATTERS[fmt](sample_report)
    path = GOLDEN / name
    if os.environ.get("PATCHAUDIT_UPDATE_GOLDEN"):
        path.write_text(output)
    assert output == path.read_text(), f"{name} changed; see the module docstring"
