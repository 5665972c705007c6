"""Build a 10-patch series from real Linux 6.12 code: small edits, committed in a scratch git repository.

    python bench/make_series.py KERNEL_TREE OUTDIR

Copies the ten files the series touches from KERNEL_TREE into a temporary
git repository, makes one small edit per commit (the edits below: comment
fixes, message rewordings, one planted locking bug), and writes the series
with ``git format-patch`` into OUTDIR (0001-...patch to 0010-...patch). The
patches apply to KERNEL_TREE itself. Nothing is written inside patchaudit's
repository: the patches carry kernel code and must stay out of it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edit:
    path: str
    old: str  # must occur exactly once in the 6.12 file
    new: str
    subject: str
    body: str


EDITS = (
    Edit(
        "include/linux/balloon_compaction.h",
        " * balloon_page_pop - remove a page from a page list.\n * @head : pointer to list\n",
        " * balloon_page_pop - remove a page from a page list.\n * @pages: pointer to list\n",
        "mm/balloon: name the list parameter of balloon_page_pop() in its comment",
        "The comment still documents @head, which the function no longer has.",
    ),
    Edit(
        "mm/balloon_compaction.c",
        "\tspin_lock_irqsave(&b_dev_info->pages_lock, flags);\n\tlist_del(&page->lru);\n"
        "\tb_dev_info->isolated_pages++;\n",
        "\tlist_del(&page->lru);\n\tspin_lock_irqsave(&b_dev_info->pages_lock, flags);\n"
        "\tb_dev_info->isolated_pages++;\n",
        "mm/balloon: take the page off the list before taking pages_lock",
        "Shorten the critical section of balloon_page_isolate() (a planted bug:\n"
        "rule ii of balloon_compaction.h wants the removal under pages_lock).",
    ),
    Edit(
        "drivers/virtio/virtio_balloon.c",
        '"Out of puff! Can\'t get %u pages\\n",',
        '"Out of memory: cannot get %u pages\\n",',
        "virtio_balloon: say plainly that page allocation failed",
        "The ratelimited message is read by people who do not know the idiom.",
    ),
    Edit(
        "drivers/misc/vmw_balloon.c",
        'pr_debug("%s - size: %llu", __func__, atomic64_read(&b->size));',
        'pr_debug("%s - size: %llu\\n", __func__, atomic64_read(&b->size));',
        "vmw_balloon: end the size debug message with a newline",
        "Without it the next message is glued to this one.",
    ),
    Edit(
        "drivers/hv/hv_balloon.c",
        'pr_info("Ignore hot-add request!\\n");',
        'pr_info("Ignoring hot-add request\\n");',
        "hv_balloon: reword the ignored hot-add message",
        "No exclamation mark for an expected condition.",
    ),
    Edit(
        "drivers/xen/balloon.c",
        'pr_info("Initialising balloon driver\\n");',
        'pr_info("Initialising the balloon driver\\n");',
        "xen/balloon: reword the initialisation message",
        "Cosmetic.",
    ),
    Edit(
        "arch/powerpc/platforms/pseries/cmm.c",
        '#define cmm_dbg(...) if (cmm_debug) { printk(KERN_INFO "cmm: "__VA_ARGS__); }',
        '#define cmm_dbg(...) do { if (cmm_debug) pr_info("cmm: " __VA_ARGS__); } while (0)',
        "powerpc/pseries/cmm: make cmm_dbg() a statement",
        "A bare if in a macro swallows a following else.",
    ),
    Edit(
        "kernel/vmcore_info.c",
        "\tVMCOREINFO_NUMBER(PG_hwpoison);\n",
        "\tVMCOREINFO_NUMBER(PG_hwpoison);\t/* memory failure */\n",
        "vmcore_info: say what PG_hwpoison is exported for",
        "Cosmetic.",
    ),
    Edit(
        "mm/page_alloc.c",
        " * Returns %true if pages could be moved, %false otherwise.\n",
        " * Return: %true if pages could be moved, %false otherwise.\n",
        "mm/page_alloc: use the kernel-doc Return: section",
        "scripts/kernel-doc reads 'Return:', not 'Returns'.",
    ),
    Edit(
        "mm/migrate.c",
        "#include <linux/migrate.h>\n",
        "#include <linux/migrate.h>\n#include <linux/balloon_compaction.h>\n",
        "mm/migrate: include balloon_compaction.h directly",
        "It uses the balloon helpers; do not rely on an indirect include.",
    ),
)


def _git(repo: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_DATE="2024-11-18T12:00:00Z",
               GIT_COMMITTER_DATE="2024-11-18T12:00:00Z")
    subprocess.run(["git", "-c", "user.name=Bench Author", "-c", "user.email=bench@example.org",
                    *args], cwd=repo, check=True, env=env, stdout=subprocess.DEVNULL)


def make_series(kernel: Path, out: Path) -> list[Path]:
    """Write the series into ``out``; return the patch files in order."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="patchaudit-series-") as scratch:
        repo = Path(scratch)
        _git(repo, "init", "-q")
        for edit in EDITS:
            target = repo / edit.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(kernel / edit.path, target)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "base: Linux 6.12 files the series touches")
        for edit in EDITS:
            target = repo / edit.path
            text = target.read_text()
            if text.count(edit.old) != 1:
                raise SystemExit(f"{edit.path}: the text to edit is not there exactly once")
            target.write_text(text.replace(edit.old, edit.new))
            _git(repo, "commit", "-q", "-a", "-m", f"{edit.subject}\n\n{edit.body}\n\n"
                 "Signed-off-by: Bench Author <bench@example.org>")
        for old in out.glob("*.patch"):
            old.unlink()
        _git(repo, "format-patch", "-q", f"-{len(EDITS)}", "-o", str(out))
    return sorted(out.glob("*.patch"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kernel")
    parser.add_argument("out")
    args = parser.parse_args()
    for patch in make_series(Path(args.kernel), Path(args.out)):
        print(patch)


if __name__ == "__main__":
    main()
