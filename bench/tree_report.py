#!/usr/bin/env python3
"""How big the HTML reports of a whole-tree scan are, and how long Chromium takes to open them.

    python bench/tree_report.py KERNEL_TREE

Runs ``patchaudit scan KERNEL_TREE --all-rules`` once, writing both HTML
forms of its report: the one page (``--html FILE``) and the directory
(``--html-dir DIR``, one page per MAINTAINERS entry). Prints the size of the
page, the directory's page count and total size and its largest page, and the
wall time headless Chromium takes to load and paint (a screenshot at 1400 px)
the one page, index.html and the largest page of the directory, and for an
empty page (Chromium's own start-up) to compare with. Needs chromium
on PATH. The scan uses the parse cache as a user's would: run it twice for
warm figures.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("tree_report.py: no chromium on PATH (Debian: apt-get install chromium)")


def paint_seconds(browser: str, url: str, work: Path) -> float:
    """Wall seconds for Chromium to load ``url`` and write a 1400x1000 screenshot of it."""
    profile = Path(tempfile.mkdtemp(dir=work, prefix="profile-"))
    start = time.perf_counter()
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--window-size=1400,1000",
         f"--screenshot={work / 'shot.png'}", url],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return time.perf_counter() - start


def best_of(runs: int, browser: str, url: str, work: Path) -> float:
    return min(paint_seconds(browser, url, work) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--runs", type=int, default=3, help="Chromium runs a page; the best counts")
    args = parser.parse_args()
    browser = chromium()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        page, site, terse = work / "report.html", work / "site", work / "report.txt"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "patchaudit", "scan", str(args.tree), "--all-rules",
             "-f", "terse", "-o", str(terse), "--html", str(page), "--html-dir", str(site),
             "--fail-on", "never"],
            cwd=REPO, check=True,
        )  # fmt: skip
        scan = time.perf_counter() - start
        pages = sorted(site.glob("*.html"), key=lambda p: p.stat().st_size, reverse=True)
        largest = pages[0]
        blank = best_of(args.runs, browser, "about:blank", work)
        timed = {
            "one page": best_of(args.runs, browser, page.as_uri(), work),
            "index.html": best_of(args.runs, browser, (site / "index.html").as_uri(), work),
            f"largest page ({largest.name})": best_of(args.runs, browser, largest.as_uri(), work),
        }
        print(f"scan with both HTML forms: {scan:.1f} s")
        print(f"one page: {page.stat().st_size / 1e6:.1f} MB")
        total = sum(p.stat().st_size for p in pages)
        print(f"directory: {len(pages)} pages, {total / 1e6:.1f} MB; index.html "
              f"{(site / 'index.html').stat().st_size / 1e3:.0f} kB; largest {largest.name} "
              f"{largest.stat().st_size / 1e3:.0f} kB")  # fmt: skip
        print(f"Chromium start, load and paint (best of {args.runs}):")
        print(f"  empty page: {blank:.2f} s")
        for name, seconds in timed.items():
            print(f"  {name}: {seconds:.2f} s ({seconds - blank:+.2f} s beyond the empty page)")


if __name__ == "__main__":
    main()
