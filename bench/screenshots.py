#!/usr/bin/env python3
"""Screenshots of the sample report at 1400 and 800 px wide, so anyone can look at it.

    python bench/screenshots.py [OUTDIR]        (default: docs/screenshots)

Checks the sample series against the sample tree, writes its HTML report and
takes, with headless Chromium, a screenshot of the top of the page and of
patch 8 (four findings in a diff) at each width. Needs chromium on PATH.

Headless Chromium paints nothing when asked for a screenshot at a #fragment,
so the patch-8 view is taken of a copy of the page with one extra style rule
that leaves out everything but that section.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WIDTHS = (1400, 800)
HEIGHTS = {"top": 1000, "patch-8": 2600}  # patch 8: down to its second finding
# (name, CSS that leaves out the rest): the top of the page, and the patch
# with the most findings.
VIEWS = (
    ("top", ""),
    ("patch-8", "header, nav, main > section:not(#patch-8), #findings { display: none; }"),
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("screenshots.py: no chromium on PATH (Debian: apt-get install chromium)")


def screenshot(browser: str, page: Path, width: int, height: int, out: Path, profile: Path) -> None:
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=3000", f"--user-data-dir={profile}", f"--window-size={width},{height}",
         f"--screenshot={out}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default=str(REPO / "docs" / "screenshots"))
    args = parser.parse_args()
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    browser = chromium()
    with tempfile.TemporaryDirectory() as work:
        page = Path(work) / "sample-report.html"
        subprocess.run(
            [sys.executable, "-m", "patchaudit", "check", "samples/series.mbox",
             "--tree", "samples/tree", "--format", "html", "-o", str(page), "--fail-on", "never"],
            cwd=REPO, check=True,
        )  # fmt: skip
        for name, hide in VIEWS:
            view = Path(work) / f"{name}.html"
            view.write_text(page.read_text().replace("</head>", f"<style>{hide}</style></head>", 1))
            for width in WIDTHS:
                out = outdir / f"sample-report-{name}-{width}.png"
                screenshot(browser, view, width, HEIGHTS[name], out, Path(work) / f"profile-{name}-{width}")
                print(out)


if __name__ == "__main__":
    main()
