"""Throughput of raw tree-sitter-c against patchaudit's parse_tree (masking + parse), one core.

    python bench/parse_throughput.py KERNEL_TREE [DIR ...] [--repeat N]

Reads every .c/.h file under the given directories of the tree (default:
mm) into memory first, then times, on the same bytes: tree-sitter-c alone,
the masking alone, and parse_tree (masking, then tree-sitter on the masked
bytes). Each file is timed --repeat times per method, methods alternating
file by file, and the best time per file counts: that filters out the noise
of a shared machine. Also prints the share of function definitions with an
ERROR/MISSING node, raw and masked.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tree_sitter import Node, Parser, Query, QueryCursor

# Measure this checkout, not an installed copy that may be older.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patchaudit.cfront.kernel import mask
from patchaudit.cfront.parser import c_language, parse_tree
from patchaudit.cfront.report import collect_files


def _per_file_best(
    repeat: int, blobs: list[bytes], runs: list[Callable[[bytes], object]]
) -> list[float]:
    """Seconds per run over all blobs: for each file the best of ``repeat`` timings, summed.

    The runs alternate file by file, so a burst of load from other jobs on
    the shared machine hits all of them alike instead of one whole pass.
    """
    best = [[float("inf")] * len(blobs) for _ in runs]
    for _ in range(repeat):
        for i, blob in enumerate(blobs):
            for r, run in enumerate(runs):
                started = time.perf_counter()
                run(blob)
                best[r][i] = min(best[r][i], time.perf_counter() - started)
    return [sum(times) for times in best]


def _error_share(roots: list[Node]) -> tuple[int, int]:
    query = Query(c_language(), "(function_definition) @f")
    functions = errors = 0
    for root in roots:
        for fn in QueryCursor(query).captures(root).get("f", []):
            functions += 1
            errors += fn.has_error
    return functions, errors


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("tree", type=Path)
    args.add_argument("dirs", nargs="*", default=["mm"])
    args.add_argument("--repeat", type=int, default=3)
    opts = args.parse_args()

    blobs = [(opts.tree / rel).read_bytes() for rel in collect_files(opts.tree, opts.dirs)]
    size = sum(map(len, blobs))
    parser = Parser(c_language())

    raw, masking, masked = _per_file_best(opts.repeat, blobs, [parser.parse, mask, parse_tree])

    raw_fns, raw_errs = _error_share([parser.parse(b).root_node for b in blobs])
    fns, errs = _error_share([parse_tree(b).tree.root_node for b in blobs])
    mb = size / 1e6
    print(
        json.dumps(
            {
                "dirs": opts.dirs,
                "files": len(blobs),
                "bytes": size,
                "raw_mb_per_second": round(mb / raw, 2),
                "masking_mb_per_second": round(mb / masking, 2),
                "parse_tree_mb_per_second": round(mb / masked, 2),
                "slowdown": round(masked / raw, 3),
                "raw_functions_with_errors": [raw_errs, raw_fns, round(raw_errs / raw_fns, 4)],
                "functions_with_errors": [errs, fns, round(errs / fns, 4)],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
