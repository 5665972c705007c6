"""File summaries kept in the parse cache, for check: a series' files are summarised again and again.

check summarises every file a patch touches twice (before and after the
patch), and a review bot checks each version of a series, and each patch of
it, against the same base: the same contents come back. A summary is kept as
a note of the parse cache (cfront/cache.py), keyed by everything it depends
on: the analysis code and data (codeprint.py), the path (the
summary names it), the content digest and the lock helpers of other files
it was computed with (the index's wrappers). A damaged or foreign note is a
miss; entries.load builds nothing but the summary's own data classes.

scan does not keep them: the per-file result cache covers a warm scan, and
a note for each of the tree's 60,000 files would only fill the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from patchaudit.cfront.cache import ParseCache
from patchaudit.contracts import model as contract_model
from patchaudit.codeprint import code_fingerprint
from patchaudit.entries import data_classes
from patchaudit.index import summary as summary_model
from patchaudit.index.summary import Effect, FileSummary
from patchaudit.textbytes import to_bytes

_NAMESPACE = "summary-1"
_ALLOWED = data_classes(summary_model, contract_model)

Used = Mapping[str, tuple[tuple[str, ...], Effect]]  # name -> (parameters, effect)


def summary_key(path: str, digest: str, used: Used) -> str:
    """The note's key: code, path, content and the wrappers' parameters and effects, in order."""
    h = hashlib.blake2b(digest_size=20)
    h.update(code_fingerprint())
    h.update(to_bytes(f"\0{path}\0{digest}\0"))
    for name in sorted(used):
        h.update(to_bytes(f"{name}\0{used[name]!r}\0"))
    return h.hexdigest()


def kept_summary(cache: ParseCache, key: str) -> FileSummary | None:
    found = cache.get_object_note(_NAMESPACE, key, _ALLOWED)
    return found if isinstance(found, FileSummary) else None


def keep_summary(cache: ParseCache, key: str, summary: FileSummary) -> None:
    cache.put_object_note(_NAMESPACE, key, summary)
