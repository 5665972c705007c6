"""Kind ``kernel-doc``: one warning class of scripts/kernel-doc, for "/**" or plain "/*" comments."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.analyses.docs import CommentStyle, DocProblem, DocProblemKind, kernel_doc_problems
from patchaudit.cfront.ir import FileIR
from patchaudit.errors import InputError
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import Hit, Scope, param_str, reject_unknown
from patchaudit.ruleset.kinds.bytescan import KERNEL_DOC_OPENING, PLAIN_PARAM_LINE
from patchaudit.ruleset.model import Rule


@dataclass(frozen=True)
class KernelDocParams:
    problem: DocProblemKind  # which warning class the rule reports
    comments: CommentStyle  # in "/**" kernel-doc comments, or plain comments in kernel-doc form


# What the trace step on the comment says, per warning class.
_POINTERS = {
    DocProblemKind.EXCESS_PARAM: "the comment describes the parameter here",
    DocProblemKind.UNDESCRIBED_PARAM: "the comment that should describe it",
    DocProblemKind.NAME_MISMATCH: "the comment names this function",
    DocProblemKind.MISSING_RETURN: "the comment that should have a Return: section",
}


def _choice(raw: Mapping[str, Any], key: str, where: str, values: list[str]) -> str:
    value = param_str(raw, key, where)
    if value not in values:
        raise InputError(where, f"field 'params.{key}': must be one of {', '.join(values)}")
    return value


class KernelDocKind:
    name = "kernel-doc"
    scope = Scope.FILE

    def __init__(self) -> None:
        self._memo: tuple[bytes, list[DocProblem]] | None = None

    def parse_params(self, raw: Mapping[str, Any], where: str) -> KernelDocParams:
        reject_unknown(raw, {"problem", "comments"}, where)
        problem = _choice(raw, "problem", where, [k.value for k in DocProblemKind])
        comments = _choice(raw, "comments", where, [s.value for s in CommentStyle])
        return KernelDocParams(DocProblemKind(problem), CommentStyle(comments))

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        params: KernelDocParams = rule.params
        if params.comments is CommentStyle.KERNEL_DOC:
            # scripts/kernel-doc reads only comments opened by a "/**" line.
            return ("/**",)
        # A plain comment is in kernel-doc form only with "@param:" lines.
        return ("@",)

    def may_match(self, rule: Rule, data: bytes) -> bool:
        params: KernelDocParams = rule.params
        if params.comments is CommentStyle.KERNEL_DOC:
            return KERNEL_DOC_OPENING.search(data) is not None
        return PLAIN_PARAM_LINE.search(data) is not None

    def grep_pattern(self, rule: Rule) -> bytes:
        # The byte tests above are written in the syntax Python's re and
        # Perl-compatible patterns share; neither can span a NUL byte.
        params: KernelDocParams = rule.params
        if params.comments is CommentStyle.KERNEL_DOC:
            return KERNEL_DOC_OPENING.pattern
        return PLAIN_PARAM_LINE.pattern

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        raise TypeError("kernel-doc rules read the file's text: use run_check with its bytes")

    def check_text(self, rule: Rule, path: str, data: bytes) -> Iterator[Hit]:
        params: KernelDocParams = rule.params
        for problem in self._problems(data):
            if problem.kind is params.problem and problem.style is params.comments:
                step = TraceStep(path, problem.doc_line, _POINTERS[problem.kind])
                yield Hit(problem.line, problem.column, problem.message, (step,), problem.function)

    def _problems(self, data: bytes) -> list[DocProblem]:
        # All rules of this kind read the same problems of a file: compute
        # them once per file content.
        if self._memo is None or self._memo[0] is not data:
            text = data.decode("utf-8", "surrogateescape")
            self._memo = (data, kernel_doc_problems(text))
        return self._memo[1]
