"""Why "not held" may be wrong at a point: the lock held under another name, or by unmodelled code.

The lock flow names a lock by the expression's type where it can. Two
expressions of one lock still get different classes when the type of an
embedded member is not in the file's view (``&pit->pit_state.lock`` in a
file that sees ``struct kvm_pit`` only through a header it does not
parse): the flow calls it ``~kvm_pit.pit_state.lock``, the contract
``kvm_kpit_state.lock``. The index knows every struct's members, so such
a chain is followed to the struct that declares the lock. A chain that
cannot be followed, or a lock of unknown type, ending in the same member
name may be the same lock: its state at the point is unknown.

And a function that calls a locking helper the analysis does not model
(a macro, a helper that returns with a lock held, a guard class a driver
defines) may hold any lock after it: "not held" there is unknown.

Both are counted as unknown with their reason, never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from patchaudit.analyses.state import CHAIN_PREFIX, UNKNOWN_CLASS
from patchaudit.analyses.tables import tables
from patchaudit.index.summary import (
    DROPPED,
    HELD,
    NOT_HELD,
    UNKNOWN,
    Codes,
    FunctionSummary,
    code_of,
)
from patchaudit.index.view import FunctionRef, TreeView
from patchaudit.interproc.tables import judge_tables, releases

_STRUCT_RE = re.compile(r"\b(?:struct|union)\s+(\w+)")
_CALLER_DEPTH = 3
_HELPER_DEPTH = 2
_NO_ARGUMENTS_RE = re.compile(r"\(\s*(?:void\s*)?\)\s*;?\s*$")
# The head of an if or else branch, and a flag variable naming a lock in its condition
# (locked, rtnl_locked, have_lock; not a call such as spin_is_locked(...)).
_BRANCH_RE = re.compile(r"^\s*(?:}\s*)?(?:else\s+)?(?:if\s*\((.*)|else\b)")
# A flag is a whole operand of the condition (if (locked), if (!rtnl_locked && x)),
# or compared with a name (lpfc's locked == MBOX_THD_LOCKED), not a word inside an
# expression (&lock->wait_list, rt_mutex_top_waiter(lock)).
_FLAG_RE = re.compile(r"(?:^|(?<!\w)\(|!|&&|\|\|)\s*(\w*locked|\w*lock_held|\w*_lock)"
                      r"\s*(?:[!=]=\s*\w+\s*)?(?=$|\)|&&|\|\|)")
_GUARD_RE = re.compile(r"\b(\w+)\s*\(\s*(\w+)\b")
_COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


def _member(cls: str) -> str:
    return cls.rpartition(".")[2]


class Doubts:
    """Alias and unmodelled-helper doubts over one tree view (sources: text of files in memory)."""

    def __init__(self, view: TreeView, sources: Mapping[str, bytes] | None = None) -> None:
        self.view = view
        self.sources = sources or {}
        self._canonical: dict[str, str | None] = {}
        self._helpers: dict[tuple[str, int, int], list[tuple[int, str, tuple[str, ...] | None]]] = {}
        self._lines: dict[str, list[str]] = {}
        self._comments: dict[tuple[str, int], list[str]] = {}

    # ------------------------------------------------------------ aliases

    def canonical(self, cls: str) -> str | None:
        """A chain class followed through the index's structs: ``~kvm_pit.pit_state.lock`` ->
        ``kvm_kpit_state.lock``; None when it is not a chain or a step is not known."""
        if cls in self._canonical:
            return self._canonical[cls]
        found: str | None = None
        if cls.startswith(CHAIN_PREFIX):
            steps = cls[len(CHAIN_PREFIX):].split(".")
            tag: str | None = steps[0]
            for step in steps[1:-1]:
                if tag is None or not tag.isidentifier():
                    tag = None
                    break
                members = self.view.members(tag)
                kind = (members or {}).get(step.removesuffix("[]"))
                match = _STRUCT_RE.search(kind or "")
                tag = match.group(1) if match else None
            if tag is not None and tag.isidentifier() and len(steps) > 2:
                found = f"{tag}.{steps[-1]}"
        self._canonical[cls] = found
        return found

    def code(self, codes: Codes, cls: str) -> str | None:
        """The code of ``cls`` in a state, counting the same lock under another class."""
        code = code_of(codes, cls)
        if code == HELD:
            return code
        for other, other_code in codes:
            if other == cls or other_code == NOT_HELD:
                continue
            same = self.canonical(other)
            if same == cls:
                return other_code
            if (same is None and other.startswith((CHAIN_PREFIX, UNKNOWN_CLASS))
                    and _member(other) == _member(cls)):
                return UNKNOWN
        return code

    def released_alias(self, codes: Codes, cls: str) -> bool:
        """Whether a lock held at a point may have been released under another expression:
        taken as &p_hwfn->p_rdma_info->lock, dropped as &p_rdma_info->lock
        (qed_roce_alloc_cid()), one of the two a chain the file cannot type."""
        if cls.startswith("@"):
            return False
        return any(other != cls and code in DROPPED and (self._same(other, cls)
                                                          or self._same(cls, other))
                   for other, code in codes)

    # ------------------------------------------------------------ unmodelled helpers

    def helper(self, fn: FunctionRef, line: int, cls: str) -> str | None:
        """Why the lock state of ``fn`` at ``line`` may not be what the flow says: a locking
        helper or guard it calls before, whose acquisition the analysis did not record."""
        return self._helper(fn, line, cls, 0)

    def _helper(self, fn: FunctionRef, line: int, cls: str, depth: int) -> str | None:
        member = "." in cls and not cls.startswith("@")
        for at, text, takes in self._helper_calls(fn):
            if member and text.endswith("()"):
                continue  # cpus_read_lock(): a helper with no argument takes no object's lock
            if at < line and (takes is None or any(self._same(c, cls) for c in takes)):
                return f"{fn.name}() calls {text} at {fn.file}:{at}, which may take a lock " \
                       f"the analysis does not model"
        if not fn.static or fn.header or depth >= _CALLER_DEPTH:
            return None
        # A static function's lock states come from its callers in the file (the file's
        # flow follows them in): their unmodelled helpers count too.
        for caller, call in self.view.calls_to(fn.name):
            if caller.file == fn.file and caller.key != fn.key:
                found = self._helper(caller, call.line, cls, depth + 1)
                if found:
                    return found
        return None

    def _helper_calls(self, fn: FunctionRef,
                      depth: int = 0) -> list[tuple[int, str, tuple[str, ...] | None]]:
        """The lock-like calls of ``fn`` with no acquisition recorded at their line: (line,
        text, the classes the callee's definitions say they return holding, or None)."""
        key = (fn.file, fn.key, depth)
        found = self._helpers.get(key)
        if found is None:
            words = judge_tables().lock_helpers
            taken = {take.line for take in self.view.takes_of(fn)}
            found = []
            for call in self.view.calls_of(fn):
                if call.callee and call.line not in taken and words.lock_like(call.callee):
                    shown = f"{call.callee}()" if _NO_ARGUMENTS_RE.search(call.text) else \
                        f"{call.callee}(...)"
                    found.append((call.line, shown, self._acquired(call.callee, fn, depth)))
            found.extend((at, text, None) for at, text in self._guards(fn))
            found.sort(key=lambda item: item[0])
            self._helpers[key] = found
        return found

    def _acquired(self, callee: str, caller: FunctionRef, depth: int) -> tuple[str, ...] | None:
        """The classes the definitions of ``callee`` the caller reaches take or may return
        holding (their acquisitions and effects); None when no definition is in the index
        (a macro such as hci_dev_lock(d)) or a definition calls such a helper in turn
        (usb_lock_device_for_reset() and its usb_trylock_device()): it may take anything."""
        definitions = self.view.callees_for(callee, caller.file)
        if not definitions or depth >= _HELPER_DEPTH:
            return None
        classes: list[str] = []
        for definition in definitions:
            if definition.key == caller.key:
                continue
            inner = self._helper_calls(definition, depth + 1) if definition.key >= 0 else []
            if any(takes is None for _, _, takes in inner):
                return None
            # What it takes and does not release on its straight line: it may return
            # holding it (intel_context_lock_pinned(): mutex_lock_interruptible() alone);
            # ubi_refill_pools_and_lock() takes and drops wl_lock, so not that one.
            released = {cls for call in self.view.calls_of(definition) if call.top
                        and releases(call.callee) for _, cls in call.arg_classes}
            classes.extend(take.lock for take in self.view.takes_of(definition)
                           if take.lock not in released)
            classes.extend(lock for lock, *_ in definition.effect.acquires)
            classes.extend(lock for lock, _ in definition.effect.unsure)
            classes.extend(lock for lock, *_ in definition.effect.cond)
        return tuple(dict.fromkeys(classes))

    def _same(self, other: str, cls: str) -> bool:
        """Whether a class a helper takes may be ``cls``: the same, the same through the
        index's structs, or a chain of the same member name that cannot be followed."""
        if other == cls:
            return True
        same = self.canonical(other)
        if same is not None:
            return same == cls
        return other.startswith((CHAIN_PREFIX, UNKNOWN_CLASS)) and _member(other) == _member(cls)

    def _text(self, fn: FunctionRef) -> tuple[FunctionSummary | None, list[str]]:
        """The summary and the file's lines of a function in memory (decoded once a file);
        (None, []) for one the index holds, whose text the judge does not read."""
        summary = self.view.memory.by_key.get(fn.key) if fn.key < 0 else None
        data = self.sources.get(fn.file)
        if summary is None or data is None:
            return None, []
        lines = self._lines.get(fn.file)
        if lines is None:
            lines = self._lines[fn.file] = data.decode("utf-8", "replace").splitlines()
        return summary, lines

    def flag(self, fn: FunctionRef, line: int) -> str | None:
        """Why a call at ``line`` may run with the lock its caller says it holds: it sits in a
        branch of ``if (locked)`` (or its else), a flag callers set when they hold the lock
        (brcmf_net_attach(..., locked)), from the text of a function in memory."""
        summary, lines = self._text(fn)
        if summary is None or not summary.line <= line <= min(summary.end_line, len(lines)):
            return None
        depth = _indent(lines[line - 1])
        seeking: int | None = None  # after an else: the indentation of its if
        for number in range(line - 1, summary.line - 1, -1):
            text = lines[number - 1]
            if not text.strip():
                continue
            width = _indent(text)
            if seeking is not None:
                if width < seeking:
                    break
                opening = _BRANCH_RE.match(text) if width == seeking else None
                if opening is None or opening.group(1) is None:
                    continue
                seeking, depth = None, width
            elif width >= depth:
                continue
            else:
                depth = width
                opening = _BRANCH_RE.match(text)
                if opening is None:
                    if text.strip() in ("{", "}"):
                        continue
                    break  # a loop, a switch or the function's own braces: no flag in sight
                if opening.group(1) is None:
                    seeking = width  # an else: its condition is its if's
                    continue
            if _FLAG_RE.search(opening.group(1)):
                return f"{fn.name}() makes the call under {text.strip()[:60]}, a flag its " \
                       f"callers set when they hold the lock"
        return None

    def waived(self, fn: FunctionRef, cls: str) -> bool:
        """Whether a comment in the function names the lock's member and says the function
        goes without it on purpose ("we do not lock 'c->log_mutex'", fs/ubifs/log.c)."""
        summary, lines = self._text(fn)
        member = _member(cls)
        if summary is None or not member.isidentifier():
            return False
        named = re.compile(rf"\b{re.escape(member)}\b")
        patterns = judge_tables().waivers
        key = (fn.file, fn.key)
        comments = self._comments.get(key)
        if comments is None:
            comments = self._comments[key] = list(
                _comments(lines[summary.line - 1:summary.end_line]))
        for comment in comments:
            if named.search(comment) and any(p.search(comment) for p in patterns):
                return True
        return False

    def _guards(self, fn: FunctionRef) -> list[tuple[int, str]]:
        """guard(kind)(...) and scoped_guard(kind, ...) of a kind the lock table does not know
        (DEFINE_GUARD(mvm, ...) in a driver), from the text of a function in memory."""
        summary, lines = self._text(fn)
        if summary is None:
            return []
        guards = tables().guards
        macros = {guards.guard_macro, *guards.scoped}
        found = []
        for number in range(summary.line, min(summary.end_line, len(lines)) + 1):
            for macro, kind in _GUARD_RE.findall(lines[number - 1]):
                if macro not in macros:
                    continue
                base = kind
                for suffix in (*guards.try_suffixes, *guards.waiting_suffixes):
                    base = base.removesuffix(suffix)
                if base not in guards.kinds and kind not in guards.contexts:
                    found.append((number, f"{macro}({kind})"))
        return found


def _comments(lines: list[str]) -> Iterator[str]:
    """The comments of some lines of C, each as one string (// comments one a line)."""
    text = "\n".join(lines)
    for match in _COMMENT_RE.finditer(text):
        yield " ".join(match.group(0).split())


def _indent(text: str) -> int:
    """Indentation width, a tab counted as 8 (the kernel's style)."""
    expanded = text.expandtabs(8)
    return len(expanded) - len(expanded.lstrip())


