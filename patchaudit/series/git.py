"""load_git_range: a series from ``git format-patch --stdout <range>`` in a local repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from patchaudit.errors import InputError
from patchaudit.series.loader import series_from_inputs
from patchaudit.series.model import Series
from patchaudit.series.sources import MAX_INPUT_BYTES, RawInput

# Repository config must not make git run other programs (fsmonitor hooks,
# external diff drivers, textconv filters): only git itself runs.
_SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "diff.external=")
_TIMEOUT_SECONDS = 300


def load_git_range(repo: Path, rev_range: str) -> Series:
    """Run ``git -C repo format-patch --stdout rev_range`` and read its output as an mbox."""
    source = f"{repo}:{rev_range}"
    if not rev_range or rev_range.startswith("-"):
        # A leading dash would be taken as an option by git.
        raise InputError(source, "the revision range must not be empty or start with '-'")
    command = [
        "git",
        *_SAFE_CONFIG,
        "-C",
        str(repo),
        "format-patch",
        "--stdout",
        "--no-ext-diff",
        "--no-textconv",
        "--no-signature",
        rev_range,
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=_TIMEOUT_SECONDS, check=False)
    except FileNotFoundError:
        raise InputError(source, "git is not installed (not found on PATH)") from None
    except (OSError, subprocess.TimeoutExpired) as err:
        raise InputError(source, f"could not run git: {err}") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        # Warnings may come first; the "fatal:"/"error:" line says what went wrong.
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        reason = (fatal or lines or [f"exit status {done.returncode}"])[0]
        raise InputError(source, f"git format-patch failed: {reason}")
    if not done.stdout.strip():
        raise InputError(source, "the range holds no commits")
    if len(done.stdout) > MAX_INPUT_BYTES:
        raise InputError(source, "git output larger than 64 MiB refused")
    return series_from_inputs([RawInput(source, done.stdout)], source)
