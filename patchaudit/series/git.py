"""load_git_range: a series from ``git format-patch --stdout <range>`` in a local repository."""

from __future__ import annotations

from pathlib import Path

from patchaudit.errors import InputError
from patchaudit.gitcmd import run_git
from patchaudit.series.loader import series_from_inputs
from patchaudit.series.model import Series
from patchaudit.series.sources import MAX_INPUT_BYTES, MAX_PATCHES, RawInput


def load_git_range(
    repo: Path, rev_range: str, *, max_bytes: int = MAX_INPUT_BYTES, max_patches: int = MAX_PATCHES
) -> Series:
    """Run ``git -C repo format-patch --stdout rev_range`` and read its output as an mbox.

    git's output is read up to ``max_bytes``; more is refused, like a series file.
    """
    source = f"{repo}:{rev_range}"
    if not rev_range or rev_range.startswith("-"):
        # A leading dash would be taken as an option by git.
        raise InputError(source, "the revision range must not be empty or start with '-'")
    output = run_git(
        str(repo),
        ["format-patch", "--stdout", "--no-ext-diff", "--no-textconv", "--no-signature", rev_range],
        source,
        "git format-patch",
        limit=max_bytes,
    )
    if not output.strip():
        raise InputError(source, "the range holds no commits")
    return series_from_inputs([RawInput(source, output)], source, max_patches)
