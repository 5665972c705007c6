"""grep(1) as the scan's first pass: which files of a chunk hold any of the rare anchors.

Searching a file for eight rare names costs Python eight passes over its
bytes (``bytes.find`` cannot look for several needles at once, and ``re``
alternations are slower still). GNU grep finds any of them in one pass, in
C, while it reads the file: over a whole kernel tree that is most of the
cost of a scan whose rules all have rare tokens. Files grep does not name
are known to hold none of the anchors and are never read by patchaudit.

grep is run without a shell, on tree-relative paths after "--", in the C
locale (bytes, no encoding errors), skipping devices and FIFOs. Any trouble
(no grep, an unreadable file, a non-GNU grep without these options) makes
the caller search the chunk itself: grep only ever saves work.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import lru_cache


@lru_cache(maxsize=1)
def grep_program() -> str | None:
    """The grep to run, or None when there is none."""
    return shutil.which("grep")


def files_holding(root: str, paths: Sequence[str], anchors: Sequence[bytes]) -> frozenset[str] | None:
    """The ``paths`` (relative to ``root``) whose bytes hold one of ``anchors``; None if unknown."""
    program = grep_program()
    if program is None or not paths or not anchors or any(b"\n" in a or not a for a in anchors):
        return None
    command = [program, "-l", "-F", "-a", "-s", "-D", "skip", "-d", "skip", "--null",
               "-f", "-", "--", *paths]  # fmt: skip
    try:
        done = subprocess.run(
            command,
            input=b"\n".join(anchors),
            capture_output=True,
            cwd=root,
            env={"LC_ALL": "C"},
            check=False,
        )
    except OSError:
        return None
    if done.returncode not in (0, 1):
        return None  # 2: some file could not be read, or the options are not understood
    names = done.stdout.split(b"\0")
    return frozenset(name.decode("utf-8", "surrogateescape") for name in names if name)
