"""Turn a patch and how it applied into the plain PatchSummary that formatters render."""

from __future__ import annotations

from patchaudit.model import DiffFile, DiffHunk, DiffLine, PatchSummary
from patchaudit.series.model import Patch
from patchaudit.tree.apply import FileResult, PatchApplication


def _diff_file(result: FileResult, patch: Patch) -> DiffFile:
    diff = next((d for d in patch.files if d.path == result.path), None)
    hunks: list[DiffHunk] = []
    if diff is not None:
        for number, hunk in enumerate(diff.hunks):
            outcome = result.hunks[number] if number < len(result.hunks) else None
            offset = outcome.offset if outcome is not None else 0
            old_line, new_line = hunk.old_start, hunk.new_start + offset
            lines = []
            for line in hunk.lines:
                kind = line.kind.value
                lines.append(
                    DiffLine(
                        kind,
                        line.text,
                        old_line if kind != "+" else None,
                        new_line if kind != "-" else None,
                    )
                )
                if kind != "+":
                    old_line += 1
                if kind != "-":
                    new_line += 1
            hunks.append(
                DiffHunk(
                    hunk.header,
                    tuple(lines),
                    outcome.applied if outcome is not None else False,
                    offset,
                    outcome.reason if outcome is not None else "",
                )
            )
    return DiffFile(
        result.path,
        result.old_path,
        result.change.value,
        diff.binary if diff is not None else False,
        tuple(hunks),
    )


def summarise_patch(patch: Patch, application: PatchApplication | None) -> PatchSummary:
    files: tuple[DiffFile, ...] = ()
    if application is not None:
        files = tuple(_diff_file(result, patch) for result in application.files)
    return PatchSummary(
        index=patch.index,
        subject=patch.subject.title,
        raw_subject=patch.subject.raw,
        author=patch.author,
        date=patch.date,
        message_id=patch.message_id,
        in_reply_to=patch.in_reply_to,
        references=patch.references,
        body=patch.body,
        trailers=tuple((t.key, t.value) for t in patch.trailers),
        base_commit=patch.base_commit,
        applies=application.applies if application is not None else True,
        files=files,
        version=patch.subject.version,
        total=patch.subject.total,
        recipients=patch.recipients,
    )
