"""Write outputs safely: a file is replaced atomically, a stream is written, nothing else is touched.

An output path names one of three things. A regular file (or a name not yet
taken) is written to a temporary file beside it and renamed over it, so a
reader never sees half a report; an existing file keeps its mode. A
character device, a FIFO, a socket or ``-`` is a stream: it is written, never
replaced (as root, replacing ``/dev/null`` would make it a regular file).
Anything else (a directory, a block device, a link to a regular file, a path
inside the analysed tree without ``--force``) is refused with one line.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from patchaudit.errors import InputError
from patchaudit.textbytes import to_utf8

STDOUT = "-"


def encode(text: str) -> bytes:
    # Kernel files and patches may hold bytes that are not UTF-8; they travel
    # as surrogate escapes and leave as U+FFFD so every output is valid UTF-8.
    return to_utf8(text)


def _is_stream(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _inside(path: Path, tree: Path) -> bool:
    """Whether ``path`` (its directory resolved, as a rename would see it) lies in ``tree``."""
    where = Path(os.path.realpath(path.parent if str(path.parent) else ".")) / path.name
    root = Path(os.path.realpath(tree))
    return where == root or root in where.parents


def check_output(name: str, *, tree: Path | None = None, force: bool = False) -> None:
    """Refuse an output ``write_output`` would refuse, before any work is done for it."""
    if name != STDOUT:
        _plan(Path(name), tree, force)


def write_output(
    name: str, text: str, *, tree: Path | None = None, force: bool = False,
    stdout: BinaryIO | None = None,
) -> None:
    """Write ``text`` to the output ``name`` as the module docstring describes."""
    data = encode(text)
    if name == STDOUT:
        _write_stream(stdout if stdout is not None else sys.stdout.buffer, data, name)
        return
    path = Path(name)
    info = _plan(path, tree, force)
    if info is not None and _is_stream(info.st_mode):
        _write_device(path, data)
        return
    write_atomic(path, data, mode=None if info is None else stat.S_IMODE(info.st_mode),
                 owner=None if info is None else (info.st_uid, info.st_gid))  # fmt: skip


def _plan(path: Path, tree: Path | None, force: bool) -> os.stat_result | None:
    """What ``path`` names now (a stream or a regular file; None for nothing), or InputError."""
    name = str(path)
    try:
        info: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(name, f"cannot write: {exc.strerror}") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            raise InputError(name, "is a symbolic link to nothing; name a file instead") from None
        if not _is_stream(target.st_mode):
            raise InputError(name, "is a symbolic link; name its target instead")
        return target
    if info is not None and _is_stream(info.st_mode):
        return info
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise InputError(name, f"is {kind}; not replacing it")
    if tree is not None and not force and _inside(path, tree):
        raise InputError(name, "is inside the analysed tree, which is never written "
                               "(--force to write there anyway)")  # fmt: skip
    if info is None and not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise InputError(name, "the directory to write into does not exist")
    return info


def _write_stream(stream: BinaryIO, data: bytes, name: str) -> None:
    try:
        stream.write(data)
        stream.flush()
    except OSError as exc:
        raise InputError(name, f"cannot write: {exc.strerror}") from None


def _write_device(path: Path, data: bytes) -> None:
    """Write to a device, FIFO or socket in place (a FIFO waits for its reader, as cat would)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror}") from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror}") from None
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes, *, mode: int | None = None,
                 owner: tuple[int, int] | None = None) -> None:
    """Publish ``data`` at ``path`` by rename: the old content or the new, never a part.

    A new file gets the mode open(2) would give it (0666 less the umask); a
    replaced one keeps its mode and, where permitted, its owner.
    """
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(str(path), "the directory to write into does not exist")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            try:
                os.chown(temp, *owner)
            except OSError:
                pass  # not ours to give away: the new file is the writer's
        os.chmod(temp, mode if mode is not None else 0o666 & ~_umask())
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
