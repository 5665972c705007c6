"""The checked entry store every cache uses: whole entries or none, never an error."""

from __future__ import annotations

import shutil
from pathlib import Path

from patchaudit.entries import read_entry, write_entry

MAGIC = b"test-entry-v1\n"


def test_an_entry_reads_back_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "ab" / "abcdef"
    write_entry(path, MAGIC, b"payload")
    assert read_entry(path, MAGIC) == b"payload"
    assert read_entry(path, b"other-magic\n") is None
    assert sorted(p.name for p in path.parent.iterdir()) == ["abcdef"]


def test_a_removed_directory_is_made_again(tmp_path: Path) -> None:
    # A cache cleared while a scan runs (or between two scans of one process).
    path = tmp_path / "results" / "ab" / "abcdef"
    write_entry(path, MAGIC, b"one")
    shutil.rmtree(tmp_path / "results")
    write_entry(path, MAGIC, b"two")
    assert read_entry(path, MAGIC) == b"two"


def test_a_truncated_entry_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "entry"
    write_entry(path, MAGIC, b"x" * 100)
    path.write_bytes(path.read_bytes()[:-1])
    assert read_entry(path, MAGIC) is None


def test_a_path_under_a_file_makes_writing_a_no_op(tmp_path: Path) -> None:
    # An unwritable place (root writes into read-only directories, but not
    # under a regular file) makes writing a no-op, not an error.
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"")
    write_entry(blocker / "ab" / "entry", MAGIC, b"payload")
    assert read_entry(blocker / "ab" / "entry", MAGIC) is None
