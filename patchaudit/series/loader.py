"""load_series: from a spec (file, directory, quilt series, ``-``) to a Series."""

from __future__ import annotations

from typing import BinaryIO

from patchaudit.errors import InputError
from patchaudit.series.assemble import assemble
from patchaudit.series.forms import patches_from_bytes
from patchaudit.series.model import Patch, Series
from patchaudit.series.sources import STDIN_NAME, RawInput, read_spec


def series_from_inputs(inputs: list[RawInput], source: str) -> Series:
    """Parse every input into patches and assemble them; a series without any diff is refused."""
    patches: list[Patch] = []
    for raw in inputs:
        patches.extend(patches_from_bytes(raw.data, raw.name))
    series = assemble(patches, source)
    if series.cover is None and not any(p.files for p in series.patches):
        raise InputError(source, "not a patch: it holds no diff")
    return series


def load_series(spec: str, *, stdin: BinaryIO | None = None) -> Series:
    """Read a patch series from a file, a directory of ``*.patch`` files, a quilt series or ``-``.

    The form is told from the content: an mbox (format-patch, b4, list archive),
    a single mail, or a plain diff. Bad input raises InputError.
    """
    inputs = read_spec(spec, stdin)
    return series_from_inputs(inputs, STDIN_NAME if spec == "-" else spec)
