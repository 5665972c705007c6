"""load_series: from a spec (file, directory, quilt series, ``-``) to a Series."""

from __future__ import annotations

from typing import BinaryIO

from patchaudit.errors import InputError
from patchaudit.series.assemble import assemble
from patchaudit.series.forms import iter_patches
from patchaudit.series.model import Patch, Series
from patchaudit.series.sources import MAX_INPUT_BYTES, MAX_PATCHES, STDIN_NAME, RawInput, read_spec


def series_from_inputs(inputs: list[RawInput], source: str, max_patches: int = MAX_PATCHES) -> Series:
    """Parse every input into patches and assemble them; a series without any diff is refused.

    More than ``max_patches`` patches with a diff is refused as soon as the
    one too many is read.
    """
    patches: list[Patch] = []
    with_diff = 0
    for raw in inputs:
        for patch in iter_patches(raw.data, raw.name):
            patches.append(patch)
            with_diff += bool(patch.files)
            if with_diff > max_patches:
                raise InputError(source, f"more than {max_patches} patches (raise --max-patches)")
    series = assemble(patches, source)
    if series.cover is None and not any(p.files for p in series.patches):
        raise InputError(source, "not a patch: it holds no diff")
    return series


def load_series(
    spec: str,
    *,
    stdin: BinaryIO | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
    max_patches: int = MAX_PATCHES,
) -> Series:
    """Read a patch series from a file, a directory of ``*.patch`` files, a quilt series or ``-``.

    The form is told from the content: an mbox (format-patch, b4, list archive),
    a single mail, or a plain diff. Bad input, more than ``max_bytes`` of it or
    more than ``max_patches`` patches raise InputError.
    """
    inputs = read_spec(spec, stdin, max_bytes)
    return series_from_inputs(inputs, STDIN_NAME if spec == "-" else spec, max_patches)
