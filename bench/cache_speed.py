"""Read and write cost of the parse cache and the result cache, on one core.

    python bench/cache_speed.py KERNEL_TREE [DIR ...] [--repeat N]

Parses every .c/.h file under the given directories (default: mm) with the
cache off, then, in fresh temporary cache directories, times in CPU seconds:

- parse cache: ``ParseCache.put`` of every file's IR, then ``get`` of each
  (a new ParseCache, as a new process would);
- result cache: ``ResultCache.put`` of every file's results and one
  ``flush``, then ``get`` of each from a new ResultCache (whose first lookup
  loads the packs).

The results are those of a scan of the same files with every shipped rule
forced (--all-rules). Each figure is the best of --repeat runs. Prints one
JSON object. Run it with PYTHONPATH naming another checkout to measure that
one (the APIs it uses are the same since the caches were introduced).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _best(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("dirs", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dirs = args.dirs or ["mm"]
    sys.setrecursionlimit(10_000)

    from patchaudit.cfront import digest, parse_c
    from patchaudit.cfront.cache import ParseCache
    from patchaudit.cfront.report import collect_files
    from patchaudit.engine import Options
    from patchaudit.engine.common import Applicability, FileState, file_findings
    from patchaudit.engine.results import FileResult, ResultCache, content_digest
    from patchaudit.model import FileIssue
    from patchaudit.resources import rules_dir
    from patchaudit.ruleset import load_rules
    from patchaudit.tree.base import BaseTree

    rels = collect_files(args.tree, dirs)
    blobs = {rel: (args.tree / rel).read_bytes() for rel in rels}
    irs = {rel: parse_c(data, rel, cache=None) for rel, data in blobs.items()}
    keys = {rel: digest(data) for rel, data in blobs.items()}

    rules = load_rules([rules_dir()])
    base = BaseTree(args.tree)
    statuses = Applicability(True).statuses(rules, base.read)
    results: dict[str, FileResult] = {}
    for rel, data in blobs.items():
        state = FileState(rel, data, Options(all_rules=True), ir=irs[rel])
        findings = tuple(file_findings(rules, statuses, state, None, None, base.read))
        issues = tuple(FileIssue(rel, i.message) for i in irs[rel].issues)
        results[f"{content_digest(data)}-{rel}"] = FileResult(findings, issues, ())

    with tempfile.TemporaryDirectory() as scratch:
        parse_dir, result_dir = Path(scratch) / "parse", Path(scratch) / "results"

        def put_irs() -> None:
            cache = ParseCache(parse_dir)
            for rel, ir in irs.items():
                cache.put(keys[rel], ir)

        def get_irs() -> None:
            cache = ParseCache(parse_dir)
            for rel in irs:
                assert cache.get(keys[rel], path=rel) is not None

        def put_results() -> None:
            cache = ResultCache(result_dir)
            for key, result in results.items():
                cache.put(key, result)
            cache.flush()

        def get_results() -> None:
            cache = ResultCache(result_dir)
            for key in results:
                assert cache.get(key) is not None

        figures = {
            "parse_put_s": _best(args.repeat, put_irs),
            "parse_get_s": _best(args.repeat, get_irs),
            "result_put_s": _best(args.repeat, put_results),
            "result_get_s": _best(args.repeat, get_results),
        }
    print(json.dumps({
        "dirs": dirs,
        "files": len(rels),
        "MB": round(sum(map(len, blobs.values())) / 1e6, 2),
        "findings": sum(len(r.findings) for r in results.values()),
        **{name: round(value, 3) for name, value in figures.items()},
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
