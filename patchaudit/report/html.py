"""``--format html``: one self-contained, autoescaped page rendered from templates/report.html.j2.

This module only arranges the report into plain views (which diff line a
finding sits under, the findings table, rules grouped by the text they
quote); every tag is written by the templates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from patchaudit.model import (
    DiffFile,
    DiffHunk,
    DiffLine,
    Finding,
    PatchSummary,
    RuleInfo,
    RunReport,
    Severity,
    SourceQuote,
    Status,
)
from patchaudit.report.anchors import finding_anchors
from patchaudit.report.highlight import Token, highlight_file_lines
from patchaudit.report.markup import blocks
from patchaudit.report.text import counts_against, place, plural, rule_name, summary_line
from patchaudit.resources import templates_dir

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.NOTE)


def status_of(finding: Finding) -> str:
    """The one word every part of a report uses: new, preexisting, fixed or suppressed."""
    return "suppressed" if finding.suppressed is not None else finding.status.value


@dataclass(frozen=True)
class Segment:
    """Consecutive lines of a hunk, each with its tokens, then the findings shown below them."""

    lines: tuple[tuple[DiffLine, tuple[Token, ...]], ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class HunkView:
    hunk: DiffHunk
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class FileView:
    diff: DiffFile
    hunks: tuple[HunkView, ...]


@dataclass(frozen=True)
class Counts:
    """A patch's findings, counted the way the summary line counts them."""

    errors: int = 0  # new and not suppressed, by severity
    warnings: int = 0
    notes: int = 0
    fixed: int = 0
    preexisting: int = 0
    suppressed: int = 0

    @classmethod
    def of(cls, findings: Sequence[Finding]) -> Counts:
        counted = Counter(f.severity for f in findings if counts_against(f))
        other = Counter(status_of(f) for f in findings if not counts_against(f))
        return cls(
            counted[Severity.ERROR], counted[Severity.WARNING], counted[Severity.NOTE],
            other["fixed"], other["preexisting"], other["suppressed"],
        )  # fmt: skip


@dataclass(frozen=True)
class PatchView:
    patch: PatchSummary
    label: str  # "3/8"
    files: tuple[FileView, ...]
    unplaced: tuple[Finding, ...]  # findings of this patch with no diff line to sit on
    counts: Counts


@dataclass(frozen=True)
class Row:
    """One finding in the table at the top: where it is and where its box is."""

    finding: Finding
    anchor: str
    where: str  # file:line, or "the series"
    rule: str
    patch: str  # "3/8", or "" in a scan
    status: str


@dataclass(frozen=True)
class QuoteGroup:
    """Rules that enforce the same documentation text: the text is shown once."""

    source: SourceQuote
    rules: tuple[RuleInfo, ...]


def environment() -> Environment:
    """The one jinja2 environment of the HTML pages: templates/, autoescaped, strict."""
    return Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _label(patch: PatchSummary, count: int) -> str:
    return f"{patch.index}/{patch.total or count}"


def _segments(diff: DiffFile, number: int, hunk: DiffHunk,
              at_line: dict[tuple[str, str, int | None], list[Finding]]) -> tuple[Segment, ...]:
    """Split a hunk after each line that has findings, so that a box never sits inside the
    scrolled code block (a long line scrolls; the finding's text stays in view)."""
    tokens = highlight_file_lines(diff.path, (line.text for line in hunk.lines))
    segments: list[Segment] = []
    current: list[tuple[DiffLine, tuple[Token, ...]]] = []
    for line, line_tokens in zip(hunk.lines, tokens):
        current.append((line, tuple(line_tokens)))
        key = (line.kind, diff.path, line.new_line if line.kind == "+" else line.old_line)
        if line.kind in "+-" and key in at_line:
            segments.append(Segment(tuple(current), tuple(at_line.pop(key))))
            current = []
    if current or not segments:
        segments.append(Segment(tuple(current), ()))
    return tuple(segments)


def _patch_view(patch: PatchSummary, findings: list[Finding], count: int) -> PatchView:
    # New and moved findings sit under the added line, fixed ones under the
    # removed line of the before-state they were found at.
    shown = {
        (line.kind, diff.path, line.new_line if line.kind == "+" else line.old_line)
        for diff in patch.files
        for hunk in diff.hunks
        for line in hunk.lines
        if line.kind in "+-"
    }
    at_line: dict[tuple[str, str, int | None], list[Finding]] = {}
    unplaced = []
    for finding in findings:
        key = ("-" if finding.status is Status.FIXED else "+", finding.file, finding.line)
        if key in shown:
            at_line.setdefault(key, []).append(finding)
        else:
            unplaced.append(finding)
    files = tuple(
        FileView(diff, tuple(HunkView(hunk, _segments(diff, n, hunk, at_line))
                             for n, hunk in enumerate(diff.hunks)))
        for diff in patch.files
    )
    return PatchView(patch, _label(patch, count), files, tuple(unplaced), Counts.of(findings))


def _rows(report: RunReport, anchors: list[str]) -> list[Row]:
    labels = {p.index: _label(p, len(report.patches)) for p in report.patches}
    return [
        Row(
            finding=finding,
            anchor=anchor,
            where=place(finding.file, finding.line, 0) if finding.file else "the series",
            rule=rule_name(finding, report),
            patch=labels.get(finding.patch.index, str(finding.patch.index)) if finding.patch else "",
            status=status_of(finding),
        )
        for finding, anchor in zip(report.findings, anchors)
    ]


def quote_groups(rules: Sequence[RuleInfo]) -> list[QuoteGroup]:
    """Rules grouped by the documentation they quote (file and text), in rule order."""
    groups: dict[tuple[str, str], list[RuleInfo]] = {}
    for rule in rules:
        groups.setdefault((rule.source.file, rule.source.text), []).append(rule)
    return [QuoteGroup(members[0].source, tuple(members)) for members in groups.values()]


def render_context(report: RunReport) -> dict[str, object]:
    """What every HTML template of a report needs: helpers and the report's own values."""
    anchors = finding_anchors(report.findings)
    by_id = {id(finding): anchor for finding, anchor in zip(report.findings, anchors)}
    anchor: Callable[[Finding], str] = lambda finding: by_id[id(finding)]  # noqa: E731
    return {
        "report": report,
        "summary": summary_line(report),
        "rule_name": lambda finding: rule_name(finding, report),
        "rule_info": report.rule,
        "anchor": anchor,
        "status_of": status_of,
        "place_of": lambda finding: place(finding.file, finding.line, finding.column),
        "blocks": blocks,
        "plural": plural,
        "severities": [s.label for s in SEVERITIES],
    }


def format_html(report: RunReport) -> str:
    template = environment().get_template("report.html.j2")
    count = len(report.patches)
    views = [
        _patch_view(
            patch,
            [f for f in report.findings if f.patch is not None and f.patch.index == patch.index],
            count,
        )
        for patch in report.patches
    ]
    by_file: dict[str, list[Finding]] = {}
    if report.mode == "scan":
        for finding in report.findings:
            by_file.setdefault(finding.file, []).append(finding)
    return template.render(
        **render_context(report),
        rows=_rows(report, finding_anchors(report.findings)),
        patch_views=views,
        by_file=dict(sorted(by_file.items())),
        series_findings=[f for f in report.findings if f.patch is None and not f.file],
        quote_groups=quote_groups(report.rules),
        edits=_of_kind(report, RULE_SOURCE_KIND),
        stale=_of_kind(report, STALE_KIND),
    )


# The documentation section lists the findings of these kinds a second time,
# by what they say about the documentation.
RULE_SOURCE_KIND = "rule-source"
STALE_KIND = "doc-stale-reference"


def _of_kind(report: RunReport, kind: str) -> list[Finding]:
    ids = {rule.id for rule in report.rules if rule.kind == kind}
    return [f for f in report.findings if f.rule_id in ids]
