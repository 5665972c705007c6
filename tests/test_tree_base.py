"""BaseTree: path safety, reading, listing, and never writing."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from patchaudit.errors import InputError
from patchaudit.tree import BaseTree, NotAFileError, PathEscapeError


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ with C files, a .git directory, and symlinks in and out of the tree."""
    root = tmp_path / "root"
    (root / "mm").mkdir(parents=True)
    (root / "include" / "linux").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "mm" / "balloon.c").write_bytes(b"int x;\n")
    (root / "mm" / "Makefile").write_bytes(b"obj-y += balloon.o\n")
    (root / "include" / "linux" / "balloon.h").write_bytes(b"#define B 1\n")
    (root / ".git" / "HEAD.c").write_bytes(b"not source\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.c").write_bytes(b"secret\n")
    (root / "escape").symlink_to(outside)
    (root / "escape.c").symlink_to(outside / "secret.c")
    (root / "alias").symlink_to("mm")
    (root / "alias.h").symlink_to("include/linux/balloon.h")
    return root


def test_missing_or_file_root_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="tree does not exist"):
        BaseTree(tmp_path / "nope")
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="tree is not a directory"):
        BaseTree(tmp_path / "f")


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "empty path"),
        (".", "path names the tree root"),
        ("/etc/passwd", "absolute path"),
        ("//etc/passwd", "absolute path"),
        ("../x.c", "'..' component"),
        ("mm/../../x.c", "'..' component"),
        ("a/../../x", "'..' component"),
        ("mm/..", "'..' component"),
        ("mm/ba\0lloon.c", "NUL byte"),
        ("..\\..\\x.c", "backslash"),
        ("mm\\balloon.c", "backslash"),
        ("mm/bal\nloon.c", "control character"),
        ("escape/secret.c", "symlink leads outside the tree"),
        ("escape", "symlink leads outside the tree"),
        ("escape.c", "symlink leads outside the tree"),
        ("escape/new-file.c", "symlink leads outside the tree"),
    ],
)
def test_resolve_refuses_escapes(tree: Path, path: str, problem: str) -> None:
    base = BaseTree(tree)
    with pytest.raises(PathEscapeError, match=problem) as caught:
        base.resolve(path)
    assert isinstance(caught.value, InputError)
    assert caught.value.source == str(tree)
    with pytest.raises(PathEscapeError):
        base.read(path)


def test_resolve_accepts_plain_paths_and_symlinks_inside(tree: Path) -> None:
    base = BaseTree(tree)
    assert base.resolve("mm/balloon.c") == tree / "mm" / "balloon.c"
    assert base.resolve("./mm//balloon.c") == tree / "mm" / "balloon.c"
    assert base.resolve("mm/new/dir/file.c") == tree / "mm" / "new" / "dir" / "file.c"
    assert base.resolve("alias/balloon.c") == tree / "alias" / "balloon.c"
    assert base.read("alias/balloon.c") == b"int x;\n"
    assert base.read("alias.h") == b"#define B 1\n"
    assert base.normalize("./mm//balloon.c") == "mm/balloon.c"


def test_symlink_out_and_back_in_is_still_refused(tree: Path, tmp_path: Path) -> None:
    # outside/back -> root/mm: "escape/back/balloon.c" ends inside but travels outside.
    (tmp_path / "outside" / "back").symlink_to(tree / "mm")
    with pytest.raises(PathEscapeError, match="symlink leads outside"):
        BaseTree(tree).read("escape/back/balloon.c")


def test_read(tree: Path) -> None:
    base = BaseTree(tree)
    assert base.read("mm/balloon.c") == b"int x;\n"
    assert base.read("mm/absent.c") is None
    assert base.read("absent/dir/x.c") is None
    assert base.read("mm/balloon.c/below") is None  # a file used as a directory
    with pytest.raises(NotAFileError, match="is a directory, not a file"):
        base.read("mm")
    assert base.exists("mm/balloon.c")
    assert not base.exists("mm")
    assert not base.exists("mm/absent.c")


def test_read_refuses_special_files(tree: Path) -> None:
    os.mkfifo(tree / "mm" / "fifo.c")
    with pytest.raises(NotAFileError, match="is not a regular file"):
        BaseTree(tree).read("mm/fifo.c")


def test_read_size_limit(tree: Path) -> None:
    (tree / "big.c").write_bytes(b"x" * 101)
    (tree / "fits.c").write_bytes(b"x" * 100)
    base = BaseTree(tree, max_file_size=100)
    assert base.read("fits.c") == b"x" * 100
    with pytest.raises(InputError, match=r"big\.c: file is 101 bytes, over the 100-byte limit"):
        base.read("big.c")


def test_unreadable_file_is_input_error() -> None:
    # Root reads any file, so the read is made by a forked child that has
    # become "nobody" (uid 65534) when the tests run as root, as in CI; the
    # tree sits where that user can reach it.
    root = Path(tempfile.mkdtemp(prefix="patchaudit-unreadable-", dir="/tmp"))
    try:
        root.chmod(0o755)
        (root / "mm").mkdir(mode=0o755)
        (root / "mm" / "balloon.c").write_bytes(b"int x;\n")
        (root / "mm" / "balloon.c").chmod(0)
        base = BaseTree(root)
        assert "cannot read: Permission denied" in _read_error(base, "mm/balloon.c")
    finally:
        shutil.rmtree(root)


def _read_error(base: BaseTree, path: str) -> str:
    """The InputError that reading ``path`` raises, as a user without special rights sees it."""
    if os.geteuid() != 0:
        try:
            base.read(path)
        except InputError as exc:
            return str(exc)
        return "no error"
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(reader)
        try:
            os.setgid(65534)
            os.setuid(65534)
            base.read(path)
            message = "no error"
        except InputError as exc:
            message = str(exc)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as text
            message = f"unexpected: {exc!r}"
        os.write(writer, message.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(child, 0)
    return message


def test_iter_files(tree: Path) -> None:
    base = BaseTree(tree)
    # .git skipped, symlinked dir "alias" not descended, "escape.c" points outside.
    assert list(base.iter_files()) == ["alias.h", "include/linux/balloon.h", "mm/balloon.c"]
    assert list(base.iter_files(["mm"])) == ["mm/balloon.c"]
    assert list(base.iter_files(["mm"], suffixes=())) == ["mm/Makefile", "mm/balloon.c"]
    assert list(base.iter_files(["mm/Makefile"], suffixes=())) == ["mm/Makefile"]
    assert list(base.iter_files(["mm/Makefile"])) == []
    assert list(base.iter_files(["include", "include/linux/balloon.h", "mm/"])) == [
        "include/linux/balloon.h",
        "mm/balloon.c",
    ]
    assert list(base.iter_files([".git"])) == []
    with pytest.raises(InputError, match="nothing: no such file or directory"):
        list(base.iter_files(["nothing"]))
    assert list(base.iter_files(["nothing"], missing_ok=True)) == []
    with pytest.raises(PathEscapeError):
        list(base.iter_files(["escape"]))
    with pytest.raises(PathEscapeError):
        list(base.iter_files(["../root"]))


def test_iter_files_skips_names_read_would_refuse(tree: Path) -> None:
    (tree / "mm" / "bad\nname.c").write_bytes(b"")
    assert list(BaseTree(tree).iter_files(["mm"])) == ["mm/balloon.c"]
