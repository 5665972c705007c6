"""Path safety: untrusted relative paths checked lexically and against symlinks leaving the root."""

from __future__ import annotations

import os
import re
import stat

from patchaudit.errors import InputError

# Control characters have no place in a kernel path and would garble one-line reports.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class PathEscapeError(InputError):
    """A path that is not a plain relative path inside the tree (absolute, ``..``, symlink out)."""


def path_problem(relpath: str) -> str | None:
    """Why ``relpath`` is unacceptable on its face, or None if it is a plain relative path."""
    if not relpath:
        return "empty path"
    if "\0" in relpath:
        return "path contains a NUL byte"
    if _CONTROL_RE.search(relpath):
        return "path contains a control character"
    # A backslash is a separator on Windows ("..\\..\\x") and in no kernel path: refuse, not guess.
    if "\\" in relpath:
        return "path contains a backslash"
    if relpath.startswith("/"):
        return "absolute path"
    if ".." in relpath.split("/"):
        return "path has a '..' component"
    return None


def normalize_relpath(relpath: str, *, source: str) -> str:
    """The canonical form of a relative POSIX path (``.`` and empty components dropped).

    Raises PathEscapeError(source, ...) naming the path for anything but a plain relative path.
    """
    problem = path_problem(relpath)
    parts = [part for part in relpath.split("/") if part not in ("", ".")]
    if problem is None and not parts:
        problem = "path names the tree root, not a file"
    if problem is not None:
        raise PathEscapeError(source, f"unsafe path {relpath!r}: {problem}")
    return "/".join(parts)


def is_inside(real_root: str, real_path: str) -> bool:
    """Whether a realpath lies at or below another realpath."""
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def check_symlinks(real_root: str, canonical: str, *, source: str) -> None:
    """Refuse a path if any existing component of it resolves outside the root.

    Every prefix is checked, not only the deepest existing one: a path that leaves the tree
    through one symlink and comes back through another still reads through foreign ground.
    """
    # ``current`` is always the resolved prefix, so a component that is not a
    # symlink needs one lstat and no realpath: every read of the base tree
    # passes here, several times per file in a check.
    current = real_root
    for part in canonical.split("/"):
        current = os.path.join(current, part)
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return  # nothing below a missing component exists either
        if not stat.S_ISLNK(mode):
            continue
        current = os.path.realpath(current)
        if not is_inside(real_root, current):
            raise PathEscapeError(
                source, f"unsafe path {canonical!r}: a symlink leads outside the tree"
            )
