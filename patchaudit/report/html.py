"""``--format html``: one self-contained, autoescaped page rendered from templates/report.html.j2."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from patchaudit.model import Finding, PatchSummary, RunReport, Status
from patchaudit.report.highlight import Token, highlight_lines
from patchaudit.report.text import rule_name, summary_line
from patchaudit.resources import templates_dir


@dataclass(frozen=True)
class PatchView:
    patch: PatchSummary
    # (file, line after the patch) -> findings shown under that diff line
    at_line: dict[tuple[str, str, int | None], list[Finding]]
    unplaced: list[Finding]  # findings of this patch with no diff line to sit on
    counts: dict[str, int]
    # (file, hunk number) -> highlighted tokens of each line of that hunk
    tokens: dict[tuple[str, int], list[list[Token]]]
    new: int
    fixed: int
    preexisting: int


def environment() -> Environment:
    """The one jinja2 environment of the HTML pages: templates/, autoescaped, strict."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _patch_views(report: RunReport) -> list[PatchView]:
    views = []
    for patch in report.patches:
        mine = [f for f in report.findings if f.patch is not None and f.patch.index == patch.index]
        # New and moved findings sit under the added line, fixed ones under the
        # removed line of the before-state they were found at.
        shown = {
            (line.kind, diff.path, line.new_line if line.kind == "+" else line.old_line)
            for diff in patch.files
            for hunk in diff.hunks
            for line in hunk.lines
            if line.kind in "+-"
        }
        at_line: dict[tuple[str, str, int | None], list[Finding]] = defaultdict(list)
        unplaced = []
        for finding in mine:
            kind = "-" if finding.status is Status.FIXED else "+"
            key = (kind, finding.file, finding.line)
            if key in shown:
                at_line[key].append(finding)
            else:
                unplaced.append(finding)
        counts = Counter(f.severity.label for f in mine if f.status is Status.NEW)
        counts.update(f.status.value for f in mine if f.status is not Status.NEW)
        tokens = {
            (diff.path, number): highlight_lines(line.text for line in hunk.lines)
            for diff in patch.files
            for number, hunk in enumerate(diff.hunks)
        }
        statuses = Counter(f.status for f in mine)
        views.append(
            PatchView(
                patch, dict(at_line), unplaced, dict(counts), tokens,
                statuses[Status.NEW], statuses[Status.FIXED], statuses[Status.PREEXISTING],
            )
        )
    return views


def format_html(report: RunReport) -> str:
    template = environment().get_template("report.html.j2")
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_file[finding.file].append(finding)
    series_findings = [f for f in report.findings if not f.file and f.patch is None]
    return template.render(
        report=report,
        patch_views=_patch_views(report),
        by_file=dict(sorted(by_file.items())),
        series_findings=series_findings,
        summary=summary_line(report),
        rule_name=lambda finding: rule_name(finding, report),
        rule_info=report.rule,
    )
