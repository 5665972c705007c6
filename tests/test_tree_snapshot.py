"""Snapshot: an immutable overlay on the base tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchaudit.errors import InputError
from patchaudit.tree import BaseTree, PathEscapeError, Snapshot


@pytest.fixture
def base(tmp_path: Path) -> BaseTree:
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "a.c").write_bytes(b"a\n")
    (tmp_path / "mm" / "b.c").write_bytes(b"b\n")
    (tmp_path / "README").write_bytes(b"readme\n")
    return BaseTree(tmp_path)


def test_empty_snapshot_is_the_base(base: BaseTree) -> None:
    snap = Snapshot(base)
    assert snap.read("mm/a.c") == b"a\n"
    assert snap.read("mm/zz.c") is None
    assert snap.exists("mm/a.c") and not snap.exists("mm/zz.c")
    assert snap.changed_paths() == frozenset()
    assert list(snap.iter_files()) == ["mm/a.c", "mm/b.c"]


def test_with_changes_adds_modifies_deletes(base: BaseTree) -> None:
    snap = Snapshot(base).with_changes({"mm/a.c": b"A\n", "mm/b.c": None, "mm/new.h": b"n\n"})
    assert snap.read("mm/a.c") == b"A\n"
    assert snap.read("mm/b.c") is None and not snap.exists("mm/b.c")
    assert snap.read("mm/new.h") == b"n\n" and snap.exists("mm/new.h")
    assert snap.changed_paths() == frozenset({"mm/a.c", "mm/b.c", "mm/new.h"})
    assert list(snap.iter_files()) == ["mm/a.c", "mm/new.h"]
    assert list(snap.iter_files(["mm/new.h"])) == ["mm/new.h"]
    assert list(snap.iter_files(["mm/b.c"])) == []
    assert list(snap.iter_files(suffixes=())) == ["README", "mm/a.c", "mm/new.h"]


def test_snapshots_are_immutable_and_independent(base: BaseTree) -> None:
    first = Snapshot(base)
    second = first.with_changes({"mm/a.c": b"2\n"})
    third = second.with_changes({"mm/a.c": b"3\n", "mm/c.c": b"c\n"})
    assert first.read("mm/a.c") == b"a\n"
    assert second.read("mm/a.c") == b"2\n" and second.read("mm/c.c") is None
    assert third.read("mm/a.c") == b"3\n" and third.read("mm/c.c") == b"c\n"
    assert third.base is first.base
    with pytest.raises(AttributeError, match="immutable"):
        second._overlay = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        second.overlay["mm/a.c"] = b"x"  # type: ignore[index]
    changes = {"mm/a.c": b"mutable source\n"}
    fourth = first.with_changes(changes)
    changes["mm/a.c"] = b"changed afterwards\n"
    assert fourth.read("mm/a.c") == b"mutable source\n"


def test_changes_back_to_the_base_are_not_changes(base: BaseTree) -> None:
    snap = Snapshot(base).with_changes({"mm/a.c": b"x\n", "mm/gone.c": None})
    assert snap.changed_paths() == frozenset({"mm/a.c"})
    back = snap.with_changes({"mm/a.c": b"a\n"})
    assert back.changed_paths() == frozenset()


def test_overlay_paths_are_checked_and_canonical(base: BaseTree) -> None:
    snap = Snapshot(base, {"./mm//a.c": b"x\n"})
    assert snap.changed_paths() == frozenset({"mm/a.c"})
    assert snap.read("mm/a.c") == b"x\n"
    with pytest.raises(PathEscapeError, match="'..' component"):
        snap.with_changes({"../evil.c": b"x"})
    with pytest.raises(PathEscapeError, match="absolute path"):
        snap.read("/etc/passwd")


def test_iter_files_missing_path(base: BaseTree) -> None:
    snap = Snapshot(base).with_changes({"drivers/new/x.c": b"x\n"})
    assert list(snap.iter_files(["drivers"])) == ["drivers/new/x.c"]
    with pytest.raises(InputError, match="fs: no such file or directory"):
        list(snap.iter_files(["fs"]))
