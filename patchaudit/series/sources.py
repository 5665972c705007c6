"""Reading the bytes behind a series spec: a file, a directory, a quilt series file or stdin."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from patchaudit.errors import InputError
from patchaudit.series.diff import find_diff_start, split_lines

MAX_INPUT_BYTES = 64 * 1024 * 1024  # a whole series (all its files); check --max-series-size
MAX_PATCHES = 10_000  # patches with a diff in one series; check --max-patches
STDIN_NAME = "<stdin>"
# A quilt series line: a patch name, optional patch(1) options such as -p1,
# optional "# comment".
_QUILT_LINE = re.compile(r"^(\S+)((?:\s+-\S+)*)\s*(?:#.*)?$")


@dataclass(frozen=True)
class RawInput:
    """One file's (or stdin's) bytes and the name messages use for it."""

    name: str
    data: bytes


def size_text(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit and limit % (1 << 20) == 0 else f"{limit} bytes"


def too_big(name: str, limit: int) -> InputError:
    return InputError(name, f"input larger than {size_text(limit)} refused")


def read_file(path: Path, name: str, limit: int = MAX_INPUT_BYTES) -> RawInput:
    try:
        if path.stat().st_size > limit:
            raise too_big(name, limit)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError(name, "no such file or directory") from None
    except OSError as err:
        raise InputError(name, f"cannot read it: {err.strerror or err}") from None
    if len(data) > limit:  # grew while we read it, or a device
        raise too_big(name, limit)
    return RawInput(name, data)


def read_stdin(stdin: BinaryIO | None, limit: int = MAX_INPUT_BYTES) -> RawInput:
    stream = stdin if stdin is not None else sys.stdin.buffer
    try:
        data = stream.read(limit + 1)
    except OSError as err:
        raise InputError(STDIN_NAME, f"cannot read it: {err.strerror or err}") from None
    if len(data) > limit:
        raise too_big(STDIN_NAME, limit)
    return RawInput(STDIN_NAME, data)


def _within(inputs: list[RawInput], name: str, limit: int) -> list[RawInput]:
    """``inputs`` if together they are within ``limit`` bytes (a series' files share it)."""
    if sum(len(raw.data) for raw in inputs) > limit:
        raise too_big(name, limit)
    return inputs


def read_directory(path: Path, name: str, limit: int = MAX_INPUT_BYTES) -> list[RawInput]:
    """Every ``*.patch`` file of a directory, in name order (``0000-cover-letter.patch`` first)."""
    try:
        entries = sorted(p for p in path.iterdir() if p.suffix == ".patch" and p.is_file())
    except OSError as err:
        raise InputError(name, f"cannot list the directory: {err.strerror or err}") from None
    if not entries:
        raise InputError(name, "the directory holds no .patch files")
    return _within([read_file(p, str(Path(name) / p.name), limit) for p in entries], name, limit)


def _quilt_names(text: str) -> list[str] | None:
    names: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _QUILT_LINE.match(line)
        if match is None:
            return None
        names.append(match.group(1))
    return names


def quilt_entries(raw: RawInput, directory: Path) -> list[Path] | None:
    """The patch files a quilt ``series`` file lists, or None if ``raw`` is not one.

    It is one when every line is a single name (plus options or a comment), it
    holds no diff, and at least one name is an existing file next to it.
    """
    text = raw.data.decode("utf-8", "surrogateescape")
    names = _quilt_names(text)
    if not names or find_diff_start(split_lines(text)) is not None:
        return None
    if not any((directory / name).is_file() for name in names):
        return None
    paths: list[Path] = []
    for name in names:
        pure = PurePosixPath(name)
        # Names come from the input: keep them inside the series file's directory.
        if pure.is_absolute() or ".." in pure.parts:
            raise InputError(raw.name, f"the quilt series names '{name}', outside its directory")
        paths.append(directory / name)
    return paths


def read_spec(spec: str, stdin: BinaryIO | None, limit: int = MAX_INPUT_BYTES) -> list[RawInput]:
    """The inputs a spec names: ``-`` (stdin), a directory, a quilt series or a patch file.

    Together they may hold at most ``limit`` bytes.
    """
    if spec == "-":
        return [read_stdin(stdin, limit)]
    path = Path(spec)
    if path.is_dir():
        return read_directory(path, spec, limit)
    raw = read_file(path, spec, limit)
    entries = quilt_entries(raw, path.parent)
    if entries is None:
        return [raw]
    return _within(
        [read_file(p, str(Path(spec).parent / p.relative_to(path.parent)), limit) for p in entries],
        spec, limit,
    )  # fmt: skip
