"""check keeps file summaries in the parse cache (index/kept.py): found again, keyed, damage a miss."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import patchaudit.interproc.session as session_module
from patchaudit.cfront import parse_c
from patchaudit.cfront.cache import ParseCache
from patchaudit.index.kept import keep_summary, kept_summary, summary_key
from patchaudit.index.summarise import summarise
from patchaudit.index.summary import Effect
from test_contracts_index import build, run, unlocked_call_patch

REPO = Path(__file__).resolve().parents[1]
USER = "drivers/gadget/user.c"
TREE = REPO / "tests" / "fixtures" / "contracts" / "tree"


def test_a_kept_summary_comes_back_equal_and_its_key_names_all_it_depends_on(tmp_path: Path) -> None:
    data = (TREE / USER).read_bytes()
    ir = parse_c(data, USER)
    cache = ParseCache(tmp_path / "cache")
    key = summary_key(USER, ir.digest, {})
    assert kept_summary(cache, key) is None
    summary = summarise(USER, data, ir)
    keep_summary(cache, key, summary)
    assert kept_summary(cache, key) == summary
    # Another path, other contents, another wrapper table: other notes.
    wrapper = {"gadget_lock": (("g",), Effect(acquires=(("gadget.lock", "", True),)))}
    others = {summary_key("drivers/gadget/other.c", ir.digest, {}),
              summary_key(USER, "0" * 32, {}), summary_key(USER, ir.digest, wrapper)}
    assert key not in others and len(others) == 3
    # A flipped byte, a truncated note, a link: each a miss, never an error.
    note = next((tmp_path / "cache" / "notes").rglob(key))
    raw = bytearray(note.read_bytes())
    raw[-1] ^= 1
    note.write_bytes(bytes(raw))
    assert kept_summary(cache, key) is None
    note.write_bytes(bytes(raw[:10]))
    assert kept_summary(cache, key) is None
    note.unlink()
    note.symlink_to(tmp_path / "elsewhere")
    assert kept_summary(cache, key) is None


def test_a_second_session_reads_the_note_instead_of_summarising(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    data = (TREE / USER).read_bytes()
    ir = parse_c(data, USER)
    cache = ParseCache(tmp_path / "cache")
    first = session_module._Session().summary(USER, data, ir, cache)

    def no_summarise(*args: object, **kwargs: object) -> None:
        raise AssertionError("summarised again: the kept note was not used")

    monkeypatch.setattr(session_module, "summarise", no_summarise)
    assert session_module._Session().summary(USER, data, ir, cache) == first
    with pytest.raises(AssertionError):  # without the cache there is no note to read
        session_module._Session().summary(USER, data, ir, None)


def test_check_twice_with_one_cache_reports_the_same_and_scan_keeps_no_summaries(
        tmp_path: Path) -> None:
    tree, index = build(tmp_path)
    patch = unlocked_call_patch(tmp_path)
    cache = tmp_path / "cache"
    args = ("check", str(patch), "--tree", str(tree), "--index", str(index), "-f", "json",
            "--cache-dir", str(cache))
    first, second = run(*args), run(*args)
    assert first.returncode == second.returncode == 0  # a note is no error
    assert json.loads(first.stdout)["findings"] == json.loads(second.stdout)["findings"]
    assert [f["line"] for f in json.loads(first.stdout)["findings"]
            if f["rule_id"] == "PA4001"] == [13]
    notes = sorted((cache / "notes").rglob("*"))
    kept = [p for p in notes if p.is_file() and "summary" in p.parts[-3]]
    # user.c after the patch; before it, the index holds it as it is, summarised by this code.
    assert len(kept) == 1
    shutil.rmtree(cache)
    scanned = run("scan", str(tree), "--index", str(index), "--cache-dir", str(cache), "-f", "json")
    assert scanned.returncode in (0, 1), scanned.stderr
    assert not (cache / "notes").is_dir() or not [
        p for p in (cache / "notes").rglob("*") if p.is_file() and "summary" in str(p)]


@pytest.mark.parametrize("fixture", ["tree", "doubts"])
def test_the_index_gives_back_the_summary_it_was_given(tmp_path: Path, fixture: str) -> None:
    # A check's "before" state and a scan's files are read from the index when it holds
    # them with the same contents, summarised by the same code: what it gives back must
    # be what summarising them again gives (less what it does not keep, see file_summary).
    from dataclasses import replace

    from patchaudit.index.store import IndexStore

    tree = tmp_path / "tree"
    shutil.copytree(REPO / "tests" / "fixtures" / "contracts" / fixture, tree)
    index = tmp_path / "tree.sqlite"
    assert run("index", str(tree), "--index", str(index), "-j", "1").returncode == 0
    session = session_module._Session()
    session.open(str(index))
    assert session.current and session.store is not None
    compared = 0
    for path in sorted(p for p in tree.rglob("*") if p.suffix in (".c", ".h")):
        rel = path.relative_to(tree).as_posix()
        data = path.read_bytes()
        ir = parse_c(data, rel)
        stored = session.store.file_summary(rel, ir.digest)
        assert stored is not None, rel
        assert session.store.file_summary(rel, "0" * 32) is None  # other contents: not this one
        names = {fn.name for fn in stored.functions}
        fresh = summarise(rel, data, ir, {name: session_module.effect_summary(*wrapper)
                                          for name, wrapper in session.wrappers.items()
                                          if name in {i.name for i in ir.identifiers}})
        fresh = replace(
            fresh, exports=tuple(n for n in fresh.exports if n in names),
            address_taken=tuple(n for n in fresh.address_taken if n in names),
            functions=tuple(replace(fn, calls=tuple(c for c in fn.calls if c.callee))
                            for fn in fresh.functions))
        assert stored == fresh, rel
        compared += 1
    assert compared >= 4
