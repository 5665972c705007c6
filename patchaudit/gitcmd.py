"""Run git itself, and nothing else: the one place patchaudit starts a git process."""

from __future__ import annotations

import subprocess
import tempfile
import threading

from patchaudit.errors import InputError

# Repository config must not make git run other programs (fsmonitor hooks,
# external diff drivers, textconv filters): only git itself runs.
SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "diff.external=")
TIMEOUT_SECONDS = 300


def run_git(repo: str, args: list[str], where: str, what: str, stdin: bytes | None = None, *,
            limit: int | None = None) -> bytes:
    """``git -C repo ARGS``'s standard output; any failure is an InputError naming ``where``.

    ``what`` names the command in messages ("git format-patch"); ``stdin`` is
    fed to git (``cat-file --batch`` reads the objects to print from it). With
    ``limit``, output past that many bytes is refused (git is stopped) rather
    than held in memory.
    """
    command = ["git", *SAFE_CONFIG, "-C", repo, *args]
    if limit is not None:
        assert stdin is None, "a limited run reads nothing from stdin"
        return _run_limited(command, where, what, limit)
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=TIMEOUT_SECONDS,
                              check=False)
    except FileNotFoundError:
        raise InputError(where, "git is not installed (not found on PATH)") from None
    except (OSError, subprocess.TimeoutExpired) as err:
        raise InputError(where, f"could not run git: {err}") from None
    return _checked(done.returncode, done.stdout, done.stderr, where, what)


def _run_limited(command: list[str], where: str, what: str, limit: int) -> bytes:
    # stderr goes to a file, so that reading stdout alone can never deadlock.
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        except FileNotFoundError:
            raise InputError(where, "git is not installed (not found on PATH)") from None
        except OSError as err:
            raise InputError(where, f"could not run git: {err}") from None
        assert process.stdout is not None
        # The same time limit as run_git's: a git that hangs is stopped.
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            process.kill()

        timer = threading.Timer(TIMEOUT_SECONDS, expire)
        timer.start()
        try:
            with process:
                output = process.stdout.read(limit + 1)
                if len(output) > limit:
                    process.kill()
                    raise InputError(where, f"{what} output larger than {limit} bytes refused")
                status = process.wait()
        finally:
            timer.cancel()
        if expired.is_set():
            raise InputError(where, f"could not run git: no answer in {TIMEOUT_SECONDS} s")
        errors.seek(0)
        return _checked(status, output, errors.read(1 << 20), where, what)


def _checked(status: int, output: bytes, stderr: bytes, where: str, what: str) -> bytes:
    if status != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        # Warnings may come first; the "fatal:"/"error:" line says what went wrong.
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        reason = (fatal or lines or [f"exit status {status}"])[0]
        raise InputError(where, f"{what} failed: {reason}")
    return output
