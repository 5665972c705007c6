"""``check`` stays cheap: it parses the files a series touches and their documented partners, nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patchaudit.engine import Options, check_series
from patchaudit.engine import common as common_module
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tree" / "series"


def test_check_parses_only_touched_files_and_their_partners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURE / "base", tree)
    # Bystanders: a big unrelated driver and a header nobody includes.
    (tree / "drivers/misc").mkdir(parents=True)
    (tree / "drivers/misc/other.c").write_text("int other(void)\n{\n\treturn 0;\n}\n" * 200)
    (tree / "include/linux/unrelated.h").write_text("/**\n * unrelated() - nothing\n */\nint unrelated(void);\n")
    parsed: list[str] = []
    real = common_module.parse_c  # type: ignore[attr-defined]

    def recording(data, path="<memory>", **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real(data, path, **kwargs)

    monkeypatch.setattr(common_module, "parse_c", recording)
    series = load_series(str(FIXTURE))
    report = check_series(series, BaseTree(tree), load_rules([rules_dir()]), Options(all_rules=True))
    assert [p.index for p in report.patches] == [1, 2, 3]
    # The three patches touch mm/balloon.c, include/linux/balloon.h and the
    # stats header (added in mm/, then moved to include/linux/); mm/balloon.c
    # and include/linux/balloon.h also govern each other's comments. The
    # stats header holds no rule's tokens and no comment a patch could make
    # stale: its text settles it, unparsed. The bystanders are never read.
    assert sorted(set(parsed)) == ["include/linux/balloon.h", "mm/balloon.c"]
