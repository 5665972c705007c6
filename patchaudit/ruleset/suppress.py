"""Inline suppressions: ``/* patchaudit: ignore RULE -- reason */`` on or just above a line."""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchaudit.cfront.ir import Comment, FileIR

# The marker, one or more rule references (code, slug or code-slug, separated
# by commas or spaces), then "--" and the reason. The reason is what a
# reviewer reads later, so a suppression without one is itself reported.
_MARK_RE = re.compile(
    r"patchaudit:\s*ignore\s+(?P<refs>[A-Za-z0-9_-]+(?:\s*,?\s*(?![-]{2})[A-Za-z0-9_-]+)*)"
    r"\s*(?:--\s*(?P<reason>.*?))?\s*(?:\*/)?\s*$",
    re.DOTALL,
)


# Every suppression comment holds this, as bytes: a file without it has none.
SUPPRESSION_MARK = b"patchaudit:"


@dataclass(frozen=True)
class Suppression:
    refs: tuple[str, ...]
    reason: str  # empty when the comment gives none
    line: int  # the comment's last line
    column: int
    lines: frozenset[int]  # the lines it covers: its own and the next one

    def covers(self, rule_refs: tuple[str, ...], line: int) -> bool:
        return line in self.lines and any(ref in self.refs for ref in rule_refs)


def _body(comment: Comment) -> str:
    text = comment.text
    if text.startswith(("/*", "//")):
        text = text[2:]
    text = text.removesuffix("*/")
    return " ".join(part.strip(" \t*") for part in text.splitlines()).strip()


def suppressions(ir: FileIR) -> tuple[Suppression, ...]:
    found = []
    for comment in ir.comments:
        body = _body(comment)
        if "patchaudit:" not in body:
            continue
        match = _MARK_RE.search(body)
        if match is None:
            continue
        refs = tuple(ref for ref in re.split(r"[\s,]+", match.group("refs")) if ref)
        reason = (match.group("reason") or "").strip()
        found.append(
            Suppression(
                refs=refs,
                reason=reason,
                line=comment.end_line,
                column=1,
                lines=frozenset({comment.start_line, comment.end_line, comment.end_line + 1}),
            )
        )
    return tuple(found)
