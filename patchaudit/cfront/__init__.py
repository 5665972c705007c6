"""C front end: kernel-aware tree-sitter parsing lowered to a cached, plain IR."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from patchaudit.cfront.cache import ParseCache
from patchaudit.cfront.ir import FileIR, ParseIssue
from patchaudit.cfront.lower import line_count, lower_tree
from patchaudit.cfront.parser import c_language, parse_tree
from patchaudit.errors import InputError

__all__ = ["FRONTEND_VERSION", "MAX_FILE_SIZE", "FileIR", "ParseCache", "digest", "parse_c"]

# Bump when masking or lowering changes what FileIR holds for the same bytes.
# The digest also covers the front end's own source and data files (below),
# so a forgotten bump costs a stale cache only in an installed copy that was
# patched without a version change.
FRONTEND_VERSION = "2"

# In Linux 6.12 only 11 files exceed this: generated amdgpu register headers
# (asic_reg/*_sh_mask.h, up to 24 MB of #defines).
MAX_FILE_SIZE = 8 * 1024 * 1024


@lru_cache(maxsize=1)
def _frontend_fingerprint() -> bytes:
    """Hash of everything that decides the IR: version, grammar release, front-end code and data."""
    h = hashlib.blake2b(digest_size=16)
    h.update(FRONTEND_VERSION.encode())
    # The grammar's own release, as the loaded grammar states it: importlib.metadata
    # costs a process 12 ms to import, so it is asked only for a grammar
    # built without its version.
    language = c_language()
    version = getattr(language, "semantic_version", None)
    if version is None:
        from importlib import metadata

        try:
            version = metadata.version("tree-sitter-c")
        except metadata.PackageNotFoundError:
            version = "tree-sitter-c ?"
    h.update(f"{version} abi {language.abi_version}".encode())
    here = Path(__file__).parent
    # Only the modules and data that decide the IR (not report.py, cache.py).
    decisive = [here / name for name in ("ir.py", "kernel.py", "parser.py", "grammar.py")]
    decisive += here.glob("lower*.py")
    decisive += (p for p in here.glob("data/**/*") if p.is_file() and "__pycache__" not in p.parts)
    files = sorted(p for p in decisive if p.is_file())
    for path in files:
        h.update(path.relative_to(here).as_posix().encode())
        h.update(path.read_bytes())
    return h.digest()


def digest(data: bytes) -> str:
    """The cache key of a file's bytes under this front end (hex)."""
    h = hashlib.blake2b(data, digest_size=32)
    h.update(_frontend_fingerprint())
    return h.hexdigest()


def _skipped(data: bytes, path: str, key: str, problem: str) -> FileIR:
    return FileIR(
        path=path,
        digest=key,
        size=len(data),
        lines=line_count(data),
        functions=(),
        structs=(),
        globals=(),
        macros=(),
        comments=(),
        identifiers=(),
        error_nodes=0,
        issues=(ParseIssue(problem),),
    )


def parse_c(
    data: bytes,
    path: str = "<memory>",
    *,
    cache: ParseCache | None = None,
    max_size: int = MAX_FILE_SIZE,
) -> FileIR:
    """Parse and lower one C file. Never raises for bad content: problems become ``FileIR.issues``.

    Files over ``max_size`` bytes and files with NUL bytes (not text) are not
    parsed; invalid UTF-8 is parsed anyway (text decoded with surrogateescape).
    """
    key = digest(data)
    if len(data) > max_size:
        return _skipped(
            data, path, key, f"file too large to parse ({len(data)} bytes, limit {max_size})"
        )
    if b"\0" in data:
        offset = data.index(b"\0")
        return _skipped(data, path, key, f"binary file (NUL byte at offset {offset}): not parsed")
    if cache is not None:
        cached = cache.get(key, path=path)
        if cached is not None:
            return cached
    issues: list[ParseIssue] = []
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        issues.append(
            ParseIssue(f"not valid UTF-8 (first bad byte at offset {exc.start}); parsed anyway")
        )
    try:
        ir = lower_tree(parse_tree(data), path=path, digest=key)
    except RecursionError:
        # The explicit depth limit should make this unreachable; a file must
        # still never stop a run.
        return _skipped(data, path, key, "too deeply nested to lower")
    except InputError as exc:
        # parse_tree's own limits (time, size): a per-file issue, not a stop.
        return _skipped(data, path, key, exc.problem)
    if issues:
        ir = replace(ir, issues=tuple(issues) + ir.issues)
    if cache is not None:
        cache.put(key, ir)
    return ir
