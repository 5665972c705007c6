"""What one sentence states about a function: kind, the locks it names, context, conditions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchaudit.contracts.model import Context, ContractKind
from patchaudit.contracts.phrases import Phrases, Where, phrases

# A call named in the sentence: "foo() must be called with ..." is about foo.
_CALL_RE = re.compile(r"\b([A-Za-z_]\w*)\(\)")
# What a function's own comment calls the function besides its name.
_SELF_WORDS = ("this function", "this helper", "this routine", "it ")


@dataclass(frozen=True)
class Statement:
    kind: ContractKind
    lock_texts: tuple[str, ...]  # the locks as written, one per lock of a list
    context: Context | None
    conditional: bool
    fixed: str = ""  # the lock or context the phrase itself names ("@irq")
    page: bool = False  # a page or folio that must be locked


def split_locks(text: str, table: Phrases) -> tuple[str, ...]:
    """"A, B and C" -> ("A", "B", "C"); a piece that is not a lock phrase is kept as written."""
    pieces = [p.strip(" ,.") for p in table.joiner.split(text)]
    return tuple(p for p in pieces if p)


def _about_other(sentence: str, start: int, subject: str, table: Phrases) -> bool:
    """Whether the words before the phrase make another function its subject."""
    before = sentence[:start]
    for match in _CALL_RE.finditer(before):
        name = match.group(1)
        if name != subject and " ".join(f"{name}()".lower().split()) not in table.aliases:
            return True
    return False


def _allowed(where: Where, section: Where) -> bool:
    return where is Where.ANY or where is section or (
        where is Where.START and section in (Where.ANY, Where.START))


def read(sentence: str, subject: str, section: Where = Where.ANY,
         table: Phrases | None = None) -> list[Statement]:
    """The statements of one sentence about ``subject`` (a function name).

    ``section`` says where the sentence stands: a kernel-doc "Context:"
    section, a @param description, or anywhere else. A sentence may state a
    lock requirement and a context ("Process context. May sleep." is two
    sentences; "Must be called with X held and may sleep" is one with two
    statements): one phrase of each kind at most.
    """
    table = table or phrases()
    if not table.hint.search(sentence):
        return []  # no word any phrasing needs: most sentences of most comments
    if any(v.search(sentence) for v in table.veto):
        return []
    conditional = any(c.search(sentence) for c in table.conditional)
    found: list[Statement] = []
    seen_kinds: set[ContractKind] = set()
    taken: list[tuple[int, int]] = []
    for phrase in table.phrases:
        if not _allowed(phrase.where, section):
            continue
        if section is Where.PARAM and phrase.kind is ContractKind.CONTEXT:
            continue  # "@may_sleep: whether the request can sleep" describes the parameter
        if phrase.kind in seen_kinds and phrase.kind is not ContractKind.CONTEXT:
            continue
        match = phrase.pattern.search(sentence)
        if match is None:
            continue
        if any(s < match.end() and match.start() < e for s, e in taken):
            continue  # these words were read by an earlier phrase ("must not" before "must")
        if phrase.where is Where.START and match.start() != 0:
            continue
        if _about_other(sentence, match.start(), subject, table):
            continue
        groups = match.groupdict()
        lock_text = groups.get("lock") or groups.get("lock2") or ""
        locks = split_locks(lock_text, table) if lock_text else ()
        if phrase.kind is ContractKind.CONTEXT:
            if any(s.context is phrase.context for s in found):
                continue
        elif not locks and not phrase.lock and not phrase.page:
            continue
        taken.append((match.start(), match.end()))
        seen_kinds.add(phrase.kind)
        if phrase.page:
            locks = (_page_words(match.group(0)),)
        # "Must hold rcu_read_lock or the write lock": either will do, so neither is required.
        alternative = bool(lock_text) and _OR_AFTER_RE.match(
            sentence, match.end("lock" if groups.get("lock") else "lock2")) is not None
        found.append(Statement(phrase.kind, locks, phrase.context,
                               conditional or alternative or " or " in f" {lock_text} ",
                               phrase.lock, phrase.page))
    return found


_OR_AFTER_RE = re.compile(r"\s*,?\s*or\b", re.IGNORECASE)
_PAGE_WORD_RE = re.compile(r"@\w+|\bfolio\b|\bpage\b", re.IGNORECASE)


def _page_words(text: str) -> str:
    """The page or folio a page-lock phrase names: "@folio", "page"."""
    match = _PAGE_WORD_RE.search(text)
    return match.group(0) if match else "page"
