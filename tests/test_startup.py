"""Fixed start-up cost: what each command imports, formatters on demand, each quoted file read once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from patchaudit.errors import InputError
from patchaudit.model import Confidence, Severity
from patchaudit.report import FORMATTERS
from patchaudit.report.checkpatch_style import format_terse
from patchaudit.ruleset import Rule, RuleSource, anchor
from patchaudit.ruleset.anchor import RuleStatus, locate, locate_all
from patchaudit.tree import BaseTree, PathEscapeError, Snapshot
from patchaudit.tree.git import GitTree

REPO = Path(__file__).resolve().parents[1]

# Runs the CLI in a fresh interpreter, then writes the names of the loaded
# modules (JSON) to the file named by the first argument.
PROBE = """
import json, sys
from patchaudit.cli import main
try:
    status = main(sys.argv[2:])
except SystemExit as exc:
    status = exc.code
with open(sys.argv[1], "w") as out:
    json.dump({"status": status, "modules": sorted(sys.modules)}, out)
"""

# What --help and a usage error may load of patchaudit: nothing of the stages.
# The bot's subcommands are part of the command line: patchaudit.bot.cli defines
# them with argparse alone and imports the bot when one runs; so does
# patchaudit.index.commands for the index and contracts subcommands.
CLI_ONLY = ["patchaudit", "patchaudit.bot", "patchaudit.bot.cli", "patchaudit.cli",
            "patchaudit.errors", "patchaudit.index", "patchaudit.index.commands",
            "patchaudit.report"]
THIRD_PARTY = ("jinja2", "tree_sitter", "tree_sitter_c", "unidiff")


def probe(tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    out = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", PROBE, str(out), *args], cwd=REPO, check=True,
                   capture_output=True, timeout=120)
    result = json.loads(out.read_text())
    return result["status"], result["modules"]


def ours(modules: list[str]) -> list[str]:
    return [name for name in modules if name == "patchaudit" or name.startswith("patchaudit.")]


def loaded_in_fresh_interpreter(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        cwd=REPO, check=True, capture_output=True, text=True, timeout=60,
    )
    return set(done.stdout.split())


# ------------------------------------------------------------------ imports per command


def test_help_loads_only_the_command_line(tmp_path: Path) -> None:
    status, modules = probe(tmp_path, "--help")
    assert status == 0
    assert ours(modules) == CLI_ONLY
    assert not [name for name in THIRD_PARTY if name in modules]


def test_usage_error_loads_only_the_command_line(tmp_path: Path) -> None:
    status, modules = probe(tmp_path, "check", "samples/series.mbox", "-f", "nope")
    assert status == 2
    assert ours(modules) == CLI_ONLY


@pytest.mark.parametrize(
    ("fmt", "loaded", "not_loaded"),
    [
        ("terse", {"patchaudit.report.checkpatch_style"},
         {"jinja2", "patchaudit.report.html", "patchaudit.report.sarif",
          "patchaudit.report.email_format", "patchaudit.report.json_format"}),
        ("html", {"jinja2", "patchaudit.report.html"},
         {"patchaudit.report.sarif", "patchaudit.report.email_format"}),
        ("sarif", {"patchaudit.report.sarif"}, {"jinja2", "patchaudit.report.html"}),
    ],
)
def test_check_loads_the_formatter_it_was_asked_for_and_no_other(
    tmp_path: Path, fmt: str, loaded: set[str], not_loaded: set[str]
) -> None:
    status, modules = probe(tmp_path, "check", "samples/series.mbox", "--tree", "samples/tree",
                            "--no-cache", "-f", fmt, "-o", str(tmp_path / "report"))
    assert status == 1  # the sample series has planted violations
    assert loaded <= set(modules)
    assert not not_loaded & set(modules)


def test_rule_types_do_not_bring_in_the_kinds_or_the_c_front_end() -> None:
    modules = loaded_in_fresh_interpreter("from patchaudit.ruleset import Rule, RuleSet")
    assert "patchaudit.ruleset.loader" in modules
    assert not {"patchaudit.ruleset.kinds", "patchaudit.cfront", "patchaudit.analyses",
                "tree_sitter"} & modules


# ------------------------------------------------------------------ the formatter mapping


def test_formatter_names_are_listed_without_importing_formatters() -> None:
    modules = loaded_in_fresh_interpreter(
        "from patchaudit.report import FORMATTERS\n"
        "assert 'html' in FORMATTERS and 'pdf' not in FORMATTERS\n"
        "assert len(FORMATTERS) == 8 and sorted(FORMATTERS)[0] == 'emacs'"
    )
    assert "patchaudit.report" in modules
    assert not {"jinja2", "patchaudit.report.html", "patchaudit.report.text"} & modules


def test_formatter_lookup_imports_and_returns_the_module_function() -> None:
    assert sorted(FORMATTERS) == [
        "emacs", "email", "html", "json", "patchwork", "sarif", "terse", "text",
    ]
    assert FORMATTERS["terse"] is format_terse
    assert FORMATTERS.get("pdf") is None
    with pytest.raises(KeyError):
        FORMATTERS["pdf"]


# ------------------------------------------------------------------ anchoring


def rule(rule_id: str, file: str, text: str) -> Rule:
    return Rule(
        id=rule_id, slug=f"slug-{rule_id[2:]}", title="t", kind="removed-api",
        severity=Severity.WARNING, confidence=Confidence.HIGH, summary="s", why="w",
        false_positives="f", source=RuleSource(file, "sym", text, "v6.12"), params=None,
        path=f"{rule_id}.toml",
    )


HEADER = b"/*\n * Rule one: take the page lock\n * before pages_lock.\n * Rule two: hold it.\n */\n"
RULES = [
    rule("PA9001", "a.h", "take the page lock before pages_lock."),
    rule("PA9002", "a.h", "Rule two: hold it."),
    rule("PA9003", "a.h", "Rule three"),
    rule("PA9004", "gone.h", "anything"),
    rule("PA9005", "../escape.h", "anything"),
    rule("PA9006", "a.h", "Rule two: hold it."),
]


def counting_reader(files: dict[str, bytes]) -> tuple[Callable[[str], bytes | None], list[str]]:
    reads: list[str] = []

    def read(path: str) -> bytes | None:
        reads.append(path)
        if path.startswith(".."):
            raise InputError("tree", f"unsafe path {path!r}: path has a '..' component")
        # A fresh bytes object each time, as a read from disk returns.
        return bytes(bytearray(files[path])) if path in files else None

    return read, reads


def test_locate_all_reads_each_quoted_file_once_and_says_why_a_rule_does_not_apply() -> None:
    read, reads = counting_reader({"a.h": HEADER})
    statuses = locate_all(RULES, read)
    assert sorted(reads) == ["../escape.h", "a.h", "gone.h"]
    assert statuses == {
        "PA9001": RuleStatus("PA9001", True, "rule text found at a.h:2", "a.h", 2),
        "PA9002": RuleStatus("PA9002", True, "rule text found at a.h:4", "a.h", 4),
        "PA9003": RuleStatus(
            "PA9003", False, "a.h does not contain the rule text (as worded in v6.12)", "a.h"
        ),
        "PA9004": RuleStatus("PA9004", False, "gone.h is not in the tree", "gone.h"),
        "PA9005": RuleStatus(
            "PA9005", False, "unsafe path '../escape.h': path has a '..' component", "../escape.h"
        ),
        "PA9006": RuleStatus("PA9006", True, "rule text found at a.h:4", "a.h", 4),
    }
    # The same answers as one rule at a time.
    for one in RULES[:4]:
        assert locate(one, read) == statuses[one.id]


def test_a_files_content_is_normalised_once_for_every_rule_and_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    real = anchor.normalise

    def counting(text: str) -> anchor.NormalisedText:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(anchor, "normalise", counting)
    anchor._normalised_file.cache_clear()
    read, _ = counting_reader({"a.h": HEADER})
    locate_all(RULES, read)
    locate_all(RULES, read)  # the next patch's snapshot: equal bytes, a new object
    assert seen.count(HEADER.decode()) == 1


# ------------------------------------------------------------------ reading the tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "mm").mkdir(parents=True)
    (root / "mm" / "balloon.c").write_bytes(b"int x;\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.c").write_bytes(b"secret\n")
    (root / "escape").symlink_to(outside)
    (root / "inner").symlink_to("escape")  # inside the tree, to a link that leaves it
    (root / "alias").symlink_to("mm")
    (root / "alias2").symlink_to("alias")  # a chain that stays inside
    return root


def test_symlink_chains_are_judged_by_where_they_end(tree: Path) -> None:
    base = BaseTree(tree)
    assert base.read("alias2/balloon.c") == b"int x;\n"
    with pytest.raises(PathEscapeError, match="symlink leads outside"):
        base.read("inner/secret.c")
    with pytest.raises(PathEscapeError, match="symlink leads outside"):
        base.read("inner/not-there.c")
    assert base.read("mm/balloon.c/x") is None  # below a file: nothing, as before


def test_a_snapshot_read_checks_the_path_once(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import patchaudit.tree.base as base_module

    checked: list[str] = []
    real = base_module.check_symlinks

    def counting(real_root: str, canonical: str, *, source: str) -> None:
        checked.append(canonical)
        real(real_root, canonical, source=source)

    monkeypatch.setattr(base_module, "check_symlinks", counting)
    snapshot = Snapshot(BaseTree(tree))
    assert snapshot.read("./mm//balloon.c") == b"int x;\n"
    assert checked == ["mm/balloon.c"]


def test_a_git_tree_fetches_each_blob_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "mm").mkdir(parents=True)
    (repo / "mm" / "balloon.c").write_bytes(b"int x;\n")
    (repo / "mm" / "copy.c").write_bytes(b"int x;\n")  # the same blob under another name
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)
    commands: list[str] = []
    real = GitTree._git

    def counting(self: GitTree, where: str, *args: str) -> bytes:
        commands.append(args[0])
        return real(self, where, *args)

    monkeypatch.setattr(GitTree, "_git", counting)
    base = GitTree(repo, "HEAD")
    snapshot = Snapshot(base)
    reads = [base.read("mm/balloon.c"), snapshot.read("mm/balloon.c"), base.read("mm/copy.c")]
    assert reads == [b"int x;\n"] * 3
    assert commands == ["rev-parse", "ls-tree", "cat-file"]
