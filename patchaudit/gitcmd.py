"""Run git itself, and nothing else: the one place patchaudit starts a git process."""

from __future__ import annotations

import subprocess

from patchaudit.errors import InputError

# Repository config must not make git run other programs (fsmonitor hooks,
# external diff drivers, textconv filters): only git itself runs.
SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "diff.external=")
TIMEOUT_SECONDS = 300


def run_git(repo: str, args: list[str], where: str, what: str, stdin: bytes | None = None) -> bytes:
    """``git -C repo ARGS``'s standard output; any failure is an InputError naming ``where``.

    ``what`` names the command in messages ("git format-patch"); ``stdin`` is
    fed to git (``cat-file --batch`` reads the objects to print from it).
    """
    command = ["git", *SAFE_CONFIG, "-C", repo, *args]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=TIMEOUT_SECONDS,
                              check=False)
    except FileNotFoundError:
        raise InputError(where, "git is not installed (not found on PATH)") from None
    except (OSError, subprocess.TimeoutExpired) as err:
        raise InputError(where, f"could not run git: {err}") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        # Warnings may come first; the "fatal:"/"error:" line says what went wrong.
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        reason = (fatal or lines or [f"exit status {done.returncode}"])[0]
        raise InputError(where, f"{what} failed: {reason}")
    return done.stdout
