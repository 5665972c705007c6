"""The fingerprint of patchaudit's analysis code and data: what every cache of results is keyed by."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

# The parts of patchaudit whose code or data decide a file's findings
# (formatters and the command line do not).
ANALYSIS_CODE = (
    "analyses", "cfront", "engine", "ruleset", "tree", "model.py", "errors.py", "textbytes.py",
    # The contract kinds: the judge, the miners and the index's view (the index's
    # own stamp covers only what it stores, not how it is judged).
    "interproc", "contracts", "index",
)


@lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """Hash of the analysis code and data: an analysis change must not reuse old results.

    Hashing the sources (under 1 MB, a few milliseconds) rather than trusting
    a version number means a forgotten bump cannot serve stale findings.
    """
    package = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=16)
    files = sorted(
        p for part in ANALYSIS_CODE for p in [package / part, *(package / part).rglob("*")]
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".toml", ".txt", ".json")
    )  # fmt: skip
    for path in files:
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.digest()
