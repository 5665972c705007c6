"""Parity oracle: the function warnings of scripts/kernel-doc as (class, declaration, subject)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# scripts/kernel-doc's message for each warning class patchaudit reproduces:
# (pattern, class as DocProblemKind.value, group of the declaration, group of the subject).
# The subject is the parameter, or the name the comment documents.
CLASSES: tuple[tuple[re.Pattern[str], str, int, int], ...] = (
    (re.compile(r"Function parameter or struct member '(.*)' not described in '(.*)'"),
     "undescribed-param", 2, 1),
    (re.compile(r"Excess function parameter '(.*)' description in '(.*)'"), "excess-param", 2, 1),
    (re.compile(r"expecting prototype for (.*)\(\)\. Prototype was for (.*)\(\) instead"),
     "name-mismatch", 2, 1),
    (re.compile(r"No description found for return value of '(.*)'"), "missing-return", 1, 1),
)

# "-v" names the kind of every doc block before its warnings; only blocks it
# reads as functions are compared (struct members share the "not described" text).
_SCANNING = re.compile(r"info: Scanning doc for (\w+) ")


def kernel_doc_warnings(kernel_tree: Path, path: str) -> set[tuple[str, str, str]]:
    """(class, declaration, subject) of scripts/kernel-doc's warnings about functions in ``path``.

    Runs ``perl scripts/kernel-doc -none -Wall -v PATH`` in ``kernel_tree``.
    Raises RuntimeError if perl fails: with -none kernel-doc exits 0 even when it
    warns, so a non-zero status means the script itself did not run (a missing
    Perl module, say) and an empty set would be a lie.
    """
    run = subprocess.run(
        ["perl", "scripts/kernel-doc", "-none", "-Wall", "-v", path],
        cwd=kernel_tree, capture_output=True, text=True, errors="surrogateescape", check=False,
    )
    if run.returncode:
        last = run.stderr.strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"{path}: scripts/kernel-doc exited {run.returncode}: {last[0]}")
    found: set[tuple[str, str, str]] = set()
    current = ""
    for line in run.stderr.splitlines():
        scanning = _SCANNING.search(line)
        if scanning:
            current = scanning.group(1)
            continue
        if current != "function" or ": warning: " not in line:
            continue
        message = line.split(": warning: ", 1)[1]
        for pattern, kind, decl, subject in CLASSES:
            match = pattern.match(message)
            if match:
                found.add((kind, match.group(decl), match.group(subject)))
    return found
