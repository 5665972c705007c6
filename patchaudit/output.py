"""Write outputs atomically: a reader never sees a half-written report."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from patchaudit.errors import InputError


def encode(text: str) -> bytes:
    # Kernel files and patches may hold bytes that are not UTF-8; they travel
    # as surrogate escapes and leave as U+FFFD so every output is valid UTF-8.
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").encode("utf-8")


def write_atomic(path: Path, text: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(str(path), "the directory to write into does not exist")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encode(text))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise InputError(str(path), f"cannot write: {exc.strerror}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def check_target(path: Path) -> None:
    """Refuse, before any work, an output file that cannot be written: a run never ends in it.

    The directory must exist and be writable; the name must not be a directory
    or anything but a regular file (a device or FIFO is never written to).
    """
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(str(path), "the directory to write into does not exist")
    if path.is_dir():
        raise InputError(str(path), "is a directory; name a file to write")
    if path.exists() and not path.is_file():
        raise InputError(str(path), "is not a regular file; name a file to write")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(str(path), "cannot write: the directory is not writable")


# A directory report holds this file, so that writing one again may replace it
# and nothing else is ever replaced.
REPORT_MARK = ".patchaudit-report"


def check_directory_target(path: Path) -> None:
    """Refuse, before any work, a report directory that cannot be (re)written.

    It may be missing (its parent must exist), empty, or a report directory
    patchaudit wrote before; any other directory is the user's and is left alone.
    """
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(str(path), "the directory to write into does not exist")
    if path.exists() or path.is_symlink():
        if path.is_symlink() or not path.is_dir():
            raise InputError(str(path), "exists and is not a directory")
        if any(path.iterdir()) and not (path / REPORT_MARK).is_file():
            raise InputError(
                str(path), "is a directory that patchaudit did not write; name a new one"
            )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(str(path), "cannot write: the directory above it is not writable")


def write_directory_atomic(path: Path, files: dict[str, str]) -> None:
    """Write ``files`` (relative name -> text) as the directory ``path``, all or nothing.

    The pages are written into a fresh directory beside ``path`` that is then
    renamed into place; a previous report directory there is swapped out and
    removed, so a reader sees the old report or the new one, never a mix.
    """
    check_directory_target(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        temp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror}") from None
    old: Path | None = None
    try:
        for name, text in {**files, REPORT_MARK: "written by patchaudit\n"}.items():
            target = temp / name
            if target.parent != temp:
                target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(encode(text))
        os.chmod(temp, 0o755)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=parent))
            os.replace(path, old / "report")
        os.replace(temp, path)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        if old is not None and not path.exists() and (old / "report").exists():
            os.replace(old / "report", path)  # put the previous report back
        raise InputError(str(path), f"cannot write: {exc.strerror}") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
