"""Memory and time of check against the number of patches in a series.

    python bench/many_patches.py [N ...] [--package ROOT] [--max-patches M]

For each N (default: 2500 5000 10000 20000) writes, in a temporary
directory, a small tree and an mbox of N patches in git format-patch's
layout, patch i adding the new file drivers/gen/fNNNNN.c (three lines); then
runs ``patchaudit check`` of it with the parse cache off, under
bench/measure.py (wall time, CPU time, peak RSS), and prints a Markdown
table. Each patch changes one file the others leave alone, so what the
check holds should grow with the number of patches, not with its square.

--package ROOT runs the patchaudit under ROOT (an older checkout) instead of
this one, so before/after figures come from the same script.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from measure import HEADER, machine, run

REPO = Path(__file__).resolve().parents[1]


def mbox(count: int) -> str:
    mails = []
    for i in range(1, count + 1):
        name = f"drivers/gen/f{i:05d}.c"
        mails.append(
            f"From {i:040x} Mon Sep 17 00:00:00 2001\n"
            "From: A U Thor <author@example.org>\n"
            f"Subject: [PATCH {i}/{count}] gen: add f{i:05d}\n"
            f"Message-Id: <{i}@example.org>\n\n"
            f"Add counter {i}.\n\nSigned-off-by: A U Thor <author@example.org>\n---\n"
            f"diff --git a/{name} b/{name}\nnew file mode 100644\nindex 0000000..1111111\n"
            f"--- /dev/null\n+++ b/{name}\n@@ -0,0 +1,3 @@\n"
            f"+// SPDX-License-Identifier: GPL-2.0\n+int counter_{i};\n+/* end */\n"
            "-- \n2.43.0\n\n"
        )
    return "".join(mails)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("counts", nargs="*", type=int, default=[2500, 5000, 10000, 20000])
    parser.add_argument("--package", type=Path, default=REPO)
    parser.add_argument("--max-patches", type=int, default=None,
                        help="pass --max-patches (checkouts that have it)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.package)}
    print(f"patchaudit from {args.package}; {machine()}\n")
    print(HEADER)
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        (tree / "drivers" / "gen").mkdir(parents=True)
        (tree / "drivers" / "gen" / "README").write_text("generated\n")
        for count in args.counts:
            series = Path(scratch) / f"{count}.mbox"
            series.write_text(mbox(count))
            out = Path(scratch) / "report.json"
            limit = ["--max-patches", str(args.max_patches)] if args.max_patches else []
            measured = run(
                f"check, {count} patches ({series.stat().st_size / 1e6:.1f} MB mbox)",
                [sys.executable, "-m", "patchaudit", "check", str(series), "--tree", str(tree),
                 "--no-cache", "-f", "json", "-o", str(out), *limit],
                cwd=scratch, env=env,
            )  # fmt: skip
            result = f"exit {measured.status}" + (
                f": {measured.stderr.strip()[:80]}" if measured.status > 1 else ""
            )
            print(measured.row(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
