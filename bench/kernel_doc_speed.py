"""Speed of the text-only kernel-doc reader, and old-against-new sameness of its problems, on one core.

    python bench/kernel_doc_speed.py KERNEL_TREE [DIR ...] [--repeat N] [--package ROOT]
    python bench/kernel_doc_speed.py KERNEL_TREE [DIR ...] --compare-with OLD_ROOT

Reads every .c/.h file under the DIRs (default: the whole tree) that holds
"/**" or "@" (the kernel-doc rules' tokens) into memory, decoded as the
engine decodes it, then times ``kernel_doc_problems(text)`` over them in
CPU seconds of this process (best of --repeat whole passes: the machine is
shared, and CPU time is what other jobs disturb least). Prints one JSON
object. --package ROOT measures the patchaudit package under ROOT instead of
this checkout (a saved copy of an older reader), so before/after figures
come from the same script.

--compare-with OLD_ROOT runs the package under OLD_ROOT over the same files
in a child process (timed the same way) and this checkout here, compares
each file's list of problems (every field, in order) and prints every file
whose lists differ, then both CPU times and their ratio; exit status 1 if
any file differs.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from dataclasses import fields
from enum import Enum
from pathlib import Path

from versions import dumped_by, parse, parser

# The byte tokens of the kernel-doc rules' prefilter: a file with neither
# holds no "/**" block and no plain comment with "@param:" lines.
_TOKENS = (b"/**", b"@")
Row = tuple[object, ...]




def _texts(tree: Path, dirs: list[str]) -> list[tuple[str, str]]:
    """(relative path, text) of every .c/.h file under ``dirs`` that holds a token, sorted."""
    found: list[tuple[str, str]] = []
    for top in dirs or ["."]:
        for root, subdirs, names in os.walk(tree / top):
            subdirs.sort()
            for name in sorted(names):
                path = Path(root) / name
                if not name.endswith((".c", ".h")) or path.is_symlink() or not path.is_file():
                    continue
                data = path.read_bytes()
                if any(token in data for token in _TOKENS):
                    text = data.decode("utf-8", "surrogateescape")
                    found.append((path.relative_to(tree).as_posix(), text))
    return found


def _row(problem: object) -> Row:
    """Every field of a DocProblem as plain values, so two packages' problems compare."""
    values = (getattr(problem, f.name) for f in fields(problem))  # type: ignore[arg-type]
    return tuple(v.value if isinstance(v, Enum) else v for v in values)


def _run(texts: list[tuple[str, str]], repeat: int) -> tuple[float, dict[str, list[Row]]]:
    """Best CPU seconds of ``repeat`` passes, and each file's problems (of the last pass)."""
    from patchaudit.analyses.docs import kernel_doc_problems

    best = float("inf")
    results: dict[str, list[object]] = {}
    for _ in range(repeat):
        spent = 0.0
        for path, text in texts:
            started = time.process_time()
            results[path] = list(kernel_doc_problems(text))
            spent += time.process_time() - started
        best = min(best, spent)
    return best, {path: [_row(p) for p in problems] for path, problems in results.items()}


def _compare(tree: Path, dirs: list[str], old_root: Path, repeat: int) -> int:
    with dumped_by(__file__, old_root, [str(tree), *dirs, "--repeat", str(repeat)]) as dump:
        old_seconds, old = pickle.loads(dump.read_bytes())
    texts = _texts(tree, dirs)
    new_seconds, new = _run(texts, repeat)
    differing = 0
    for path in sorted(set(old) | set(new)):
        if old.get(path) != new.get(path):
            differing += 1
            print(f"DIFFERENT {path}: old {old.get(path)} new {new.get(path)}")
    print(
        json.dumps(
            {
                "dirs": dirs,
                "files_compared": len(new),
                "problems": sum(map(len, new.values())),
                "files_different": differing,
                "old_cpu_s": round(old_seconds, 2),
                "new_cpu_s": round(new_seconds, 2),
                "speedup": round(old_seconds / new_seconds, 2),
            }
        )
    )
    return 1 if differing else 0


def main() -> int:
    args = parser(__doc__.split("\n")[0])
    args.add_argument("--repeat", type=int, default=1)
    opts = parse(args)
    if opts.compare_with is not None:
        return _compare(opts.tree, opts.dirs, opts.compare_with, opts.repeat)
    texts = _texts(opts.tree, opts.dirs)
    seconds, problems = _run(texts, opts.repeat)
    if opts.dump_to is not None:
        with opts.dump_to.open("wb") as sink:
            pickle.dump((seconds, problems), sink, protocol=5)
        return 0
    print(
        json.dumps(
            {
                "dirs": opts.dirs,
                "files": len(texts),
                "MB": round(sum(len(text) for _, text in texts) / 1e6, 2),
                "problems": sum(map(len, problems.values())),
                "cpu_s": round(seconds, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
