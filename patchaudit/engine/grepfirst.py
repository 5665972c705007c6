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

Rules whose byte test is more than a name (a doc comment's opening line, a
name inside a comment) give grep a Perl-compatible pattern instead
(files_matching, ``grep -zP``): "->" is in nearly every file, "->" inside a
comment in a sixth of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from functools import lru_cache

# Names of the files holding a fixed string, NUL-terminated; bytes as text;
# unreadable files, devices, FIFOs and directories skipped without a word.
_COMMON = ("-l", "-a", "-s", "-D", "skip", "-d", "skip", "--null")
_OPTIONS = ("-F", *_COMMON)
# Patterns: Perl-compatible, the text between NUL bytes as one record (so a
# pattern can span lines), bytes in the C locale.
_PATTERN_OPTIONS = ("-z", "-P", *_COMMON)


@lru_cache(maxsize=1)
def grep_program() -> str | None:
    """The grep to run, or None when there is none that takes the options used here.

    Asked once per process: a grep without them (busybox, BSD) would fail on
    every chunk, so it is not tried again.
    """
    program = shutil.which("grep")
    if program is None or not _runs(program, _OPTIONS):
        return None
    return program


@lru_cache(maxsize=1)
def pattern_grep() -> str | None:
    """The grep to run with Perl-compatible patterns; None if there is none (built without PCRE)."""
    program = grep_program()
    return program if program is not None and _runs(program, _PATTERN_OPTIONS) else None


def _runs(program: str, options: tuple[str, ...]) -> bool:
    try:
        probe = subprocess.run(
            [program, *options, "-e", "x", "--", os.devnull],
            capture_output=True, env={"LC_ALL": "C"}, check=False,
        )  # fmt: skip
    except OSError:
        return False
    return probe.returncode == 1  # ran, found nothing


def files_holding(root: str, paths: Sequence[str], anchors: Sequence[bytes]) -> frozenset[str] | None:
    """The ``paths`` (relative to ``root``) whose bytes hold one of ``anchors``; None if unknown."""
    program = grep_program()
    if program is None or not paths or not anchors or any(b"\n" in a or not a for a in anchors):
        return None
    command: list[str | bytes] = [program, *_OPTIONS, "-f", "-", "--", *paths]
    return _listed(command, root, b"\n".join(anchors))


def files_matching(root: str, paths: Sequence[str], pattern: bytes) -> frozenset[str] | None:
    """The ``paths`` with a match of the Perl-compatible ``pattern`` (see _PATTERN_OPTIONS); None if unknown."""
    program = pattern_grep()
    if program is None or not paths or not pattern or b"\0" in pattern or b"\n" in pattern:
        return None
    return _listed([program, *_PATTERN_OPTIONS, "-e", pattern, "--", *paths], root, None)


def _listed(command: list[str | bytes], root: str, given: bytes | None) -> frozenset[str] | None:
    try:
        done = subprocess.run(
            command,
            input=given,
            stdin=subprocess.DEVNULL if given is None else None,
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
