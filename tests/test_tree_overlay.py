"""The persistent map of changed files: versions share what they do not change."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

from tree_diff import make_patch

from patchaudit.series.model import Series
from patchaudit.tree import BaseTree, apply_series
from patchaudit.tree import overlay as overlay_module
from patchaudit.tree.overlay import EMPTY


def test_an_update_is_a_new_version_and_the_old_one_is_unchanged() -> None:
    one = EMPTY.update({"a.c": b"1", "b.c": None})
    two = one.update({"a.c": b"2", "c.c": b"3"}, frozenset({"b.c"}))
    assert dict(one) == {"a.c": b"1", "b.c": None}
    assert dict(two) == {"a.c": b"2", "c.c": b"3"}
    assert len(one) == 2 and len(two) == 2 and len(EMPTY) == 0
    assert "b.c" not in two and two.get("zz") is None
    assert dict(two.update({}, frozenset({"absent.c"}))) == dict(two)


def test_many_paths_behave_like_a_dict() -> None:
    rng = random.Random(15)
    model: dict[str, bytes | None] = {}
    overlay = EMPTY
    for step in range(3000):
        key = f"drivers/f{rng.randrange(800)}.c"
        if rng.random() < 0.3:
            model.pop(key, None)
            overlay = overlay.update({}, frozenset({key}))
        else:
            value = None if step % 7 == 0 else str(step).encode()
            model[key] = value
            overlay = overlay.update({key: value})
    assert dict(overlay) == model and len(overlay) == len(model)


def test_paths_whose_hashes_collide_share_a_bucket(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(overlay_module, "_hash", lambda key: 12345)
    overlay = EMPTY.update({"a": b"1", "b": b"2", "c": None})
    assert dict(overlay) == {"a": b"1", "b": b"2", "c": None}
    smaller = overlay.update({"a": b"9"}, frozenset({"b"}))
    assert dict(smaller) == {"a": b"9", "c": None} and dict(overlay)["a"] == b"1"


def _adding(count: int) -> Series:
    patches = []
    for i in range(1, count + 1):
        path = f"drivers/gen/f{i:05d}.c"
        text = (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n"
                f"+++ b/{path}\n@@ -0,0 +1 @@\n+int counter_{i};\n")  # fmt: skip
        patches.append(make_patch(text, index=i, source=f"{i}.patch"))
    return Series(patches=tuple(patches), source="generated")


def _held(base: BaseTree, count: int) -> int:
    series = _adding(count)
    tracemalloc.start()
    try:
        applications = apply_series(base, series)  # every tree state kept at once
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(applications[-1].after.overlay) == count
    return held


def test_every_tree_state_of_a_series_costs_memory_linear_in_its_patches(tmp_path: Path) -> None:
    # Each patch adds one file. Copying the changed files for each patch held
    # patches^2 / 2 entries (20,000 patches: 5 GB); sharing holds a few small
    # nodes per patch, so four times the patches hold about four times the memory.
    base = BaseTree(tmp_path)
    small, large = _held(base, 1000), _held(base, 4000)
    assert large < 5.5 * small, (small, large)
    assert large < 40 << 20
