"""The on-disk parse cache: hits, misses, path rebinding, damage and concurrent writers."""

from __future__ import annotations

import multiprocessing
import pickle
from dataclasses import replace
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from patchaudit import cfront
from patchaudit.cfront import digest, ir, parse_c
from patchaudit.cfront.cache import ParseCache, default_cache_dir

FIXTURE = Path(__file__).parent / "fixtures" / "cfront" / "lower" / "toy_balloon.c"
SOURCE = b"static DEFINE_SPINLOCK(l);\nint f(void)\n{\n\tspin_lock(&l);\n\treturn 0;\n}\n"


def test_miss_then_hit_with_the_path_rebound(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path)
    key = digest(SOURCE)
    assert cache.get(key) is None
    first = parse_c(SOURCE, "a/one.c", cache=cache)
    assert cache.entry_path(key) == tmp_path / key[:2] / key
    assert cache.entry_path(key).is_file()
    again = cache.get(key, path="b/two.c")
    assert again is not None
    assert again.path == "b/two.c"
    assert again == replace(first, path="b/two.c")


def test_parse_c_does_not_parse_on_a_hit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ParseCache(tmp_path)
    first = parse_c(SOURCE, "one.c", cache=cache)

    def no_parsing(data: bytes) -> object:
        raise AssertionError("parsed despite a cache hit")

    monkeypatch.setattr(cfront, "parse_tree", no_parsing)
    second = parse_c(SOURCE, "elsewhere/two.c", cache=cache)
    assert second.path == "elsewhere/two.c"
    assert second.functions == first.functions
    assert second.digest == first.digest


def test_entries_are_stored_without_their_path(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path)
    fir = parse_c(SOURCE, "secret/location.c", cache=cache)
    assert b"secret/location.c" not in cache.entry_path(fir.digest).read_bytes()


def test_pickle_round_trip_is_equal() -> None:
    fir = parse_c(FIXTURE.read_bytes(), "toy_balloon.c")
    assert fir.functions and fir.structs and fir.globals and fir.macros and fir.identifiers
    assert pickle.loads(pickle.dumps(fir, protocol=5)) == fir


def test_the_cached_ir_equals_the_fresh_one(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    fresh = parse_c(data, "toy_balloon.c")
    cache = ParseCache(tmp_path)
    cache.put(fresh.digest, fresh)
    assert cache.get(fresh.digest, path="toy_balloon.c") == fresh


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: b"", id="empty"),
        pytest.param(lambda raw: raw[:-1] + bytes([raw[-1] ^ 0x01]), id="bit-flip"),
        pytest.param(lambda raw: b"garbage" * 10, id="garbage"),
        pytest.param(lambda raw: pickle.dumps("not an IR"), id="foreign-pickle"),
    ],
)
def test_a_damaged_entry_is_a_miss_and_is_rewritten(tmp_path: Path, damage: object) -> None:
    cache = ParseCache(tmp_path)
    fresh = parse_c(SOURCE, "x.c", cache=cache)
    entry = cache.entry_path(fresh.digest)
    good = entry.read_bytes()
    assert callable(damage)
    entry.write_bytes(damage(good))
    assert cache.get(fresh.digest) is None
    again = parse_c(SOURCE, "x.c", cache=cache)
    assert again == fresh
    assert entry.read_bytes() == good


def test_an_entry_under_the_wrong_key_is_a_miss(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path)
    fresh = parse_c(SOURCE, "x.c", cache=cache)
    other = digest(b"int other;\n")
    cache.entry_path(other).parent.mkdir(parents=True, exist_ok=True)
    cache.entry_path(other).write_bytes(cache.entry_path(fresh.digest).read_bytes())
    assert cache.get(other) is None


def test_an_unusable_directory_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = ParseCache(blocker / "cache")
    fir = parse_c(SOURCE, "x.c", cache=cache)
    assert fir.functions and cache.get(fir.digest) is None


def _writer(directory: str, start: Barrier, rounds: int) -> None:
    cache = ParseCache(Path(directory))
    fir = parse_c(SOURCE, "writer.c")
    start.wait(timeout=60)  # all writers hammer the key at the same time
    for _ in range(rounds):
        cache.put(fir.digest, fir)
        seen = cache.get(fir.digest, path="writer.c")
        # A reader sees a whole entry, never a torn one.
        assert seen == fir


def test_concurrent_writers_of_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    workers = [context.Process(target=_writer, args=(str(tmp_path), start, 200)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    key = digest(SOURCE)
    assert sorted(p.name for p in (tmp_path / key[:2]).iterdir()) == [key]  # no temp files left
    assert ParseCache(tmp_path).get(key, path="x.c") == parse_c(SOURCE, "x.c")


def test_directory_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATCHAUDIT_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("PATCHAUDIT_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "patchaudit" / "parse"
    monkeypatch.delenv("XDG_CACHE_HOME")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "patchaudit" / "parse"


@pytest.mark.parametrize(
    ("xdg", "home", "expected"),
    [
        pytest.param("relative/cache", "{tmp}/home", "{tmp}/home/.cache/patchaudit/parse",
                     id="relative-xdg-ignored"),
        pytest.param("", "", None, id="empty-home"),
        pytest.param(None, "relative", None, id="relative-home"),
        pytest.param(None, "{tmp}/nonexistent/home", None, id="missing-home"),
    ],
)  # fmt: skip
def test_no_cache_rather_than_one_in_an_unsound_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None, home: str, expected: str | None
) -> None:
    (tmp_path / "home").mkdir()
    monkeypatch.delenv("PATCHAUDIT_CACHE_DIR", raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.setenv("HOME", home.format(tmp=tmp_path))
    found = default_cache_dir()
    assert found == (None if expected is None else Path(expected.format(tmp=tmp_path)))
    assert not (tmp_path / "nonexistent").exists()


def test_diagnostics_survive_the_cache(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path)
    data = b"/* caf\xe9 */\nint f(void);\n"
    first = parse_c(data, "a.c", cache=cache)
    second = parse_c(data, "b.c", cache=cache)
    assert (
        second.issues
        == first.issues
        == (ir.ParseIssue("not valid UTF-8 (first bad byte at offset 6); parsed anyway"),)
    )


def test_parse_tree_limits_become_a_per_file_issue(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import patchaudit.cfront as cfront
    from patchaudit.errors import InputError

    def too_slow(data: bytes) -> None:
        raise InputError("<input>", "parsing took longer than the 10 s limit")

    monkeypatch.setattr(cfront, "parse_tree", too_slow)
    ir = cfront.parse_c(b"int x;\n", "slow.c")
    assert [issue.message for issue in ir.issues] == ["parsing took longer than the 10 s limit"]
    assert ir.functions == ()


def test_parse_report_warm_run_reads_summaries_without_parsing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import patchaudit.cfront.report as report_module
    from patchaudit.cfront.cache import ParseCache

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.c").write_text("int f(void)\n{\n\treturn 0;\n}\n")
    (tree / "b.c").write_text("int g(void)\n{\n\treturn 1 +;\n}\n")
    cache = ParseCache(tmp_path / "cache")
    cold = report_module.parse_report(tree, cache=cache)

    def no_parsing(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a warm run must not parse")

    monkeypatch.setattr(report_module, "parse_c", no_parsing)
    warm = report_module.parse_report(tree, cache=cache)
    for key in ("files", "bytes", "functions", "functions_with_errors", "top_error_constructs"):
        assert warm[key] == cold[key]
    assert cold["functions"] == 2 and cold["functions_with_errors"] == 1
