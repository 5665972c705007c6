"""Speed of the C front end's lowering, and old-against-new IR equivalence, on one core.

    python bench/lower_speed.py KERNEL_TREE [DIR ...] [--repeat N] [--package ROOT]
    python bench/lower_speed.py KERNEL_TREE [DIR ...] --compare-with OLD_ROOT

Timing (default dirs: mm): reads every .c/.h file under the given
directories into memory, then times, per file, the masking + tree-sitter
parse (parse_tree), the lowering alone (lower_tree) and the whole parse_c
with cache=None, in CPU seconds; each file's best of --repeat runs counts
(the machine is shared), summed over the files. Prints one JSON object.
--package ROOT measures the patchaudit package under ROOT instead of this
checkout (a saved copy of an older front end), so before/after figures
come from the same script.

--compare-with OLD_ROOT lowers every file with the package under OLD_ROOT
(in a child process) and with this checkout, and compares the FileIR
values (all fields but ``digest``, which hashes the front end's own source
and so always differs). Prints the files compared and every difference;
exit status 1 if any.
"""

from __future__ import annotations

import json
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from versions import dumped_by, parse, parser


def _files(tree: Path, dirs: list[str]) -> list[str]:
    from patchaudit.cfront.report import collect_files

    return collect_files(tree, dirs)


def _best(repeat: int, run: Callable[[Any], object], arg: Any) -> float:
    # CPU seconds of this process, not wall time: other jobs on the two
    # shared cores then cost much less of the figure.
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        run(arg)
        best = min(best, time.process_time() - started)
    return best


def _timing(tree: Path, dirs: list[str], repeat: int) -> dict[str, object]:
    from patchaudit.cfront import parse_c
    from patchaudit.cfront.lower import lower_tree
    from patchaudit.cfront.parser import parse_tree

    blobs = [(tree / rel).read_bytes() for rel in _files(tree, dirs)]
    size = sum(map(len, blobs))
    parse = lower = whole = 0.0
    for blob in blobs:
        parsed = parse_tree(blob)
        parse += _best(repeat, parse_tree, blob)
        lower += _best(repeat, lambda p: lower_tree(p, path="x", digest=""), parsed)
        whole += _best(repeat, lambda b: parse_c(b, "x", cache=None), blob)
    mb = size / 1e6
    return {
        "dirs": dirs,
        "files": len(blobs),
        "MB": round(mb, 2),
        "parse_tree_s": round(parse, 2),
        "lower_s": round(lower, 2),
        "parse_c_s": round(whole, 2),
        "parse_c_MB_per_s": round(mb / whole, 2),
        "lower_MB_per_s": round(mb / lower, 2),
    }


def _dump_irs(tree: Path, dirs: list[str], out: Path) -> None:
    """Child process of --compare-with: one pickle of (path, FileIR) after another."""
    from dataclasses import replace

    from patchaudit.cfront import parse_c

    with out.open("wb") as sink:
        for rel in _files(tree, dirs):
            ir = parse_c((tree / rel).read_bytes(), rel, cache=None)
            pickle.dump((rel, replace(ir, digest="")), sink, protocol=5)


def _first_difference(name: str, old: object, new: object) -> str:
    """``functions[12] (name foo)``: which element of a differing field differs first."""
    if isinstance(old, tuple) and isinstance(new, tuple):
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            if a != b:
                label = getattr(b, "name", "")
                return f"{name}[{i}]" + (f" ({label})" if label else "")
        return f"{name} (length {len(old)} -> {len(new)})"
    return name


def _compare(tree: Path, dirs: list[str], old_root: Path) -> int:
    from dataclasses import fields, replace

    from patchaudit.cfront import parse_c

    with dumped_by(__file__, old_root, [str(tree), *dirs]) as dump:
        compared = differing = 0
        with dump.open("rb") as source:
            while True:
                try:
                    rel, old = pickle.load(source)
                except EOFError:
                    break
                new = replace(parse_c((tree / rel).read_bytes(), rel, cache=None), digest="")
                compared += 1
                if new != old:
                    differing += 1
                    where = [
                        _first_difference(f.name, getattr(old, f.name), getattr(new, f.name))
                        for f in fields(new)
                        if getattr(new, f.name) != getattr(old, f.name)
                    ]
                    print(f"DIFFERENT {rel}: {'; '.join(where)}")
    print(json.dumps({"dirs": dirs, "files_compared": compared, "files_different": differing}))
    return 1 if differing else 0


def main() -> int:
    args = parser(__doc__.split("\n")[0])
    args.add_argument("--repeat", type=int, default=3)
    opts = parse(args)
    opts.dirs = opts.dirs or ["mm"]
    # Deep IRs need more frames to pickle than the default limit allows.
    sys.setrecursionlimit(10_000)
    if opts.dump_to is not None:
        _dump_irs(opts.tree, opts.dirs, opts.dump_to)
        return 0
    if opts.compare_with is not None:
        return _compare(opts.tree, opts.dirs, opts.compare_with)
    print(json.dumps(_timing(opts.tree, opts.dirs, opts.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
