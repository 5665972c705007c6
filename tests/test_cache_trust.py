"""What a cache directory can do to patchaudit: make entries misses, never hang it, never run code."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchaudit.cfront import parse_c
from patchaudit.cfront.cache import _MAGIC as PARSE_MAGIC
from patchaudit.cfront.cache import ParseCache
from patchaudit.engine.results import FileResult, ResultCache
from patchaudit import entries as entries_module
from patchaudit.entries import MAX_ENTRY_BYTES, MAX_INFLATED_BYTES, inflate, read_entry, write_entry
from patchaudit.model import FileIssue

REPO = Path(__file__).resolve().parents[1]
MAGIC = b"test-entry-v1\n"
SOURCE = b"int f(void)\n{\n\treturn 0;\n}\n"


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    # A FIFO entry used to block the reader forever: fail instead of hanging the suite.
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("reading a cache entry hung")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_fifo_entry_is_a_miss_at_once(tmp_path: Path) -> None:
    path = tmp_path / "entry"
    os.mkfifo(path)
    assert read_entry(path, MAGIC) is None


def test_a_link_to_a_device_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "entry"
    path.symlink_to("/dev/zero")
    assert read_entry(path, MAGIC) is None


def test_a_link_to_a_good_entry_is_not_followed(tmp_path: Path) -> None:
    good = tmp_path / "good"
    write_entry(good, MAGIC, b"payload")
    link = tmp_path / "link"
    link.symlink_to(good)
    assert read_entry(good, MAGIC) == b"payload"
    assert read_entry(link, MAGIC) is None


def test_an_entry_larger_than_any_we_write_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "entry"
    with path.open("wb") as out:  # sparse: costs no disk
        out.truncate(MAX_ENTRY_BYTES + 1)
    assert read_entry(path, MAGIC) is None


def test_a_decompression_bomb_is_a_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_INFLATED_BYTES == 1 << 30
    monkeypatch.setattr(entries_module, "MAX_INFLATED_BYTES", 1 << 20)  # the same, smaller
    bomb = zlib.compress(b"\0" * ((1 << 20) + 1), 9)
    assert len(bomb) < 2048
    assert inflate(bomb) is None
    assert inflate(zlib.compress(b"\0" * (1 << 20))) == b"\0" * (1 << 20)
    assert inflate(zlib.compress(b"fine")) == b"fine"
    assert inflate(b"not zlib") is None


class _Planted:
    """What an attacker with write access to the cache would store: a pickle that runs code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def test_a_planted_parse_entry_runs_no_code(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    fresh = parse_c(SOURCE, "x.c", cache=cache)
    marker = tmp_path / "pwned"
    write_entry(cache.entry_path(fresh.digest), PARSE_MAGIC,
                zlib.compress(pickle.dumps(_Planted(marker))))  # fmt: skip
    assert cache.get(fresh.digest, path="x.c") is None
    assert parse_c(SOURCE, "x.c", cache=cache) == fresh
    assert not marker.exists()
    # The genuine entry, rewritten by the parse above, loads again.
    assert cache.get(fresh.digest, path="x.c") == fresh


def test_a_planted_result_entry_runs_no_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    directory = tmp_path / "results"
    cache = ResultCache(directory)
    good = FileResult((), (FileIssue("a.c", "note"),), ())
    cache.put("good", good)
    cache.put("bad", good)
    cache.flush()
    # Swap the stored bytes of "bad" for a planted pickle, keeping the pack well-formed.
    (pack,) = [p for p in directory.rglob("*") if p.is_file()]
    from patchaudit.engine import results as results_module

    entries = results_module._read_pack(pack)
    assert entries is not None and set(entries) == {"good", "bad"}
    entries["bad"] = zlib.compress(pickle.dumps(_Planted(marker)))
    pack.unlink()
    results_module.write_entry(pack, results_module._MAGIC, pickle.dumps(entries))
    again = ResultCache(directory)
    assert again.get("good") == good
    assert again.get("bad") is None
    assert not marker.exists()


def _scan(cache: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "patchaudit", "scan", str(REPO / "samples" / "tree"),
         "--all-rules", "--cache-dir", str(cache), "-f", "json", "-o", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "owner", "reason"),
    [
        pytest.param(0o777, None, "writable by group or others", id="world-writable"),
        pytest.param(0o775, None, "writable by group or others", id="group-writable"),
        pytest.param(0o755, 65534, "owned by uid 65534, not by this user", id="someone-else's"),
    ],
)
def test_a_cache_others_can_write_is_not_used(
    tmp_path: Path, mode: int, owner: int | None, reason: str
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(mode)
    if owner is not None:
        if os.geteuid() != 0:
            pytest.skip("giving a directory away needs root (CI runs as root)")
        os.chown(cache, owner, owner)
    result = _scan(cache, tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"patchaudit: warning: cache {cache} is {reason}; running without it\n"
    assert list(cache.iterdir()) == []
    # The same directory made private is used.
    os.chown(cache, os.geteuid(), os.getegid())
    cache.chmod(0o700)
    result = _scan(cache, tmp_path)
    assert result.returncode == 1 and result.stderr == ""
    assert list(cache.iterdir())
