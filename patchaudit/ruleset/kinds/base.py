"""The contract every rule kind implements, and the helpers kinds share for parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, cast, runtime_checkable

from patchaudit.cfront.cache import ParseCache
from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.model import SourceQuote, TraceStep
from patchaudit.ruleset.model import Rule


class Scope(Enum):
    FILE = "file"  # runs over the IR of one C file
    SERIES = "series"  # emitted by the engine about the series itself (no C involved)


@dataclass(frozen=True)
class Hit:
    """What a kind reports; the engine turns it into a Finding with rule and patch data."""

    line: int
    column: int
    message: str
    trace: tuple[TraceStep, ...] = ()
    # The function the hit is in, when the kind knows it without the IR (a
    # text kind); None: the engine looks it up in the file's IR.
    function: str | None = None
    # The text the hit enforces when it is not the rule's own [source]: a
    # contract kind quotes the tree's statement it found broken.
    source: SourceQuote | None = None


class RuleKind(Protocol):
    name: str
    scope: Scope

    def parse_params(self, raw: Mapping[str, Any], where: str) -> Any:
        """Validate the ``[params]`` table; raise InputError naming ``where`` and the field."""
        ...

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        """Report every match in one file (FILE scope kinds only)."""
        ...


# ---------------------------------------------------------------- context
# Some kinds need more than the IR of the file they check: the file's text
# (prototypes, which the IR does not hold) or other files of the tree (the
# .c files that implement a header). They implement ``check_in`` as well;
# ``check`` stays their IR-only entry point, so callers that have no tree
# (the fixture test) keep working, with less to go on.

Reader = Callable[[str], "bytes | None"]
Parser = Callable[[bytes, str], FileIR]


@dataclass(frozen=True)
class CheckContext:
    """What a kind may read besides the IR of the file it checks; every part is optional."""

    data: bytes | None = None  # the checked file's own bytes, as parsed
    read: Reader | None = None  # any file of the analysed tree state, by tree-relative path
    parse: Parser | None = None  # how to parse files got through ``read`` (the engine's cache)
    # check mode, after-state only: the tree before the patch, so that a kind
    # can tell what the patch removed (doc-stale-reference: a name's last use)
    read_before: Reader | None = None
    # The tree index (an SQLite file) the contract kinds read, if the run has one.
    index: str | None = None
    # Where the contract kinds keep file summaries between runs (check only).
    cache: ParseCache | None = None


@runtime_checkable
class ContextKind(Protocol):
    def check_in(self, rule: Rule, ir: FileIR, context: CheckContext) -> Iterator[Hit]:
        """Like ``check``, with the file's text and the tree in reach."""
        ...


@runtime_checkable
class TextKind(Protocol):
    def check_text(self, rule: Rule, path: str, data: bytes) -> Iterator[Hit]:
        """Report every match in one file from its bytes alone: the file need not be parsed.

        A text kind's hits carry their ``function``. Its ``check`` (IR only)
        cannot work, as the IR does not hold the text: run it through
        ``run_check`` with the file's bytes in the context.
        """
        ...


@runtime_checkable
class GateKind(Protocol):
    def may_report(
        self, rule: Rule, path: str, data: bytes, read: Reader | None, read_before: Reader | None
    ) -> bool:
        """A finer test than ``may_match``, on the text of the file and of files it reads.

        False only when ``rule`` cannot report anything in ``path`` as
        ``check_in`` would with the same ``read`` and ``read_before`` (the
        tree before the patch, in check mode); the rule then does not run
        and the file is not parsed for it. Files read through ``read``
        count as what the outcome depends on, as for the analysis itself.
        """
        ...


@dataclass(frozen=True)
class Guarded:
    """An operation a rule depends on: a patch must not drop it without a replacement.

    A replacement is an operation with the same ``key`` in the same function
    of the new file (a clear respelled as a loop over frames, moved a few
    lines, or done by a helper the function calls).
    """

    function: str
    key: str  # what counts as the same operation: "clear", "list-remove balloon_dev_info.pages"
    line: int
    column: int
    text: str  # the call as written, on one line


@runtime_checkable
class RemovalKind(Protocol):
    """A kind that says which removed calls matter, for ``check`` (engine/removals.py)."""

    def guarded(self, rule: Rule, ir: FileIR) -> Iterator[Guarded]:
        """The operations of ``ir`` (the file before a patch) whose removal breaks ``rule``.

        Strict: only what the rule knows for sure is one of its operations.
        """
        ...

    def equivalents(self, rule: Rule, ir: FileIR) -> Iterator[Guarded]:
        """Operations of ``ir`` (the file after the patch) that do what a guarded one of their key does.

        Generous: any spelling, and calls of helpers of the file that do it;
        whatever may replace a removed operation keeps it from being reported.
        """
        ...

    def removal_hit(self, rule: Rule, removed: Guarded, line: int, ir: FileIR) -> Hit | None:
        """The finding for ``removed``, gone from its function without a replacement.

        ``line`` is where it was, in ``ir`` (the file after the patch). None
        when the rest of the file makes the removal harmless (the state is no
        longer used at all, the export moved elsewhere in the file).
        """
        ...


def implements(kind: object, protocol: type) -> bool:
    """``isinstance(kind, protocol)`` for the method protocols above, answered once per class.

    isinstance() against a runtime-checkable protocol inspects every method
    each time; scans ask it for every rule on every file.
    """
    key = (type(kind), protocol)
    found = _IMPLEMENTS.get(key)
    if found is None:
        found = _IMPLEMENTS[key] = isinstance(kind, protocol)
    return found


_IMPLEMENTS: dict[tuple[type, type], bool] = {}


def needs_ir(kind: RuleKind) -> bool:
    """Whether running ``kind`` on a file needs the file parsed."""
    return not implements(kind, TextKind)


@runtime_checkable
class PartnerKind(Protocol):
    def partners(self, path: str, read: Reader) -> tuple[str, ...]:
        """Other files whose findings of this kind may change when ``path`` changes.

        In check mode such a file should be analysed before and after a patch
        that touches ``path`` even if the patch leaves it alone (a header
        whose comment goes stale when its .c file stops using a name).
        """
        ...


@runtime_checkable
class TokenKind(Protocol):
    def required_tokens(self, rule: Rule) -> tuple[str, ...] | None:
        """Literal strings a file must contain one of for ``rule`` to report anything in it.

        Judged on one tree state, as ``scan`` sees it: ``scan`` never parses a
        file that contains none of them. None means any file may match; an
        empty tuple that no file can. Kinds without this method count as None.
        A kind whose class sets ``whole_identifiers = True`` matches its
        tokens as whole C identifiers (tdp_mmu_pages_lock is not pages_lock).
        """
        ...


@runtime_checkable
class ByteCheckKind(Protocol):
    def may_match(self, rule: Rule, data: bytes) -> bool:
        """A finer test on the raw bytes of a file that holds one of the tokens (see bytescan.py).

        False only when ``rule`` cannot report anything in the file; ``scan``
        then does not parse it.
        """
        ...


@runtime_checkable
class GrepPatternKind(Protocol):
    def grep_pattern(self, rule: Rule) -> bytes:
        """A Perl-compatible pattern that every file ``may_match`` accepts has a match of.

        ``scan`` gives it to ``grep -zP`` in the C locale (bytes) as its first
        pass: a file with no match is never read. grep -z matches the text
        between NUL bytes apart, so files holding a NUL byte are read
        whatever the pattern says: it need only hold for files without one.
        """
        ...


def grep_pattern(kind: RuleKind, rule: Rule) -> bytes | None:
    """The kind's first-pass pattern for ``rule`` (see GrepPatternKind); None without one."""
    if implements(kind, GrepPatternKind):
        return cast(GrepPatternKind, kind).grep_pattern(rule)
    return None


def may_match(kind: RuleKind, rule: Rule, data: bytes) -> bool:
    """Whether ``rule`` may report in ``data`` by its kind's byte test (True without one)."""
    if implements(kind, ByteCheckKind):
        return cast(ByteCheckKind, kind).may_match(rule, data)
    return True


def may_report(
    kind: RuleKind,
    rule: Rule,
    path: str,
    data: bytes,
    read: Reader | None,
    read_before: Reader | None = None,
) -> bool:
    """Whether ``rule`` may report in ``path`` by its kind's text gate (True without one)."""
    if implements(kind, GateKind):
        return cast(GateKind, kind).may_report(rule, path, data, read, read_before)
    return True


def judges_across_patch(kind: RuleKind) -> bool:
    """Whether the kind compares a file before and after a patch (``across_patch = True``).

    Such a kind may report in a state that lacks its tokens (the patch
    removed the last use of a name), so check runs it regardless of them.
    """
    return bool(getattr(kind, "across_patch", False))


def whole_identifiers(kind: RuleKind) -> bool:
    """Whether the kind's tokens count only as whole identifiers (see TokenKind)."""
    return bool(getattr(kind, "whole_identifiers", False))


def required_tokens(kind: RuleKind, rule: Rule) -> tuple[str, ...] | None:
    """The tokens ``rule`` needs in a file (see TokenKind); None when its kind does not say."""
    if implements(kind, TokenKind):
        return cast(TokenKind, kind).required_tokens(rule)
    return None


def run_check(kind: RuleKind, rule: Rule, ir: FileIR, context: CheckContext) -> Iterator[Hit]:
    """Run ``kind`` on one parsed file, giving it ``context`` if it can use one."""
    return run_lazily(kind, rule, ir.path, lambda: ir, context)


def run_lazily(
    kind: RuleKind, rule: Rule, path: str, ir: Callable[[], FileIR], context: CheckContext
) -> Iterator[Hit]:
    """Run ``kind`` on the file at ``path``, calling ``ir`` only if the kind needs the parse.

    A text kind reads the bytes in ``context.data`` instead.
    """
    if implements(kind, TextKind) and context.data is not None:
        return cast(TextKind, kind).check_text(rule, path, context.data)
    if implements(kind, ContextKind):
        return cast(ContextKind, kind).check_in(rule, ir(), context)
    return kind.check(rule, ir())


def param_str(raw: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise InputError(where, f"field 'params.{key}': must be a non-empty string")
    return value


def param_str_list(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise InputError(where, f"field 'params.{key}': must be a non-empty list of strings")
    return tuple(value)


def reject_unknown(raw: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(where, f"field 'params.{unknown[0]}': unknown parameter")
