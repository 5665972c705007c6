"""The index of every series the bot handled, one page per hundred series, rewritten only where changed.

A change to a series marks its page dirty in the same transaction as the
change; after each cycle the dirty pages and the front page (``index.html``:
totals and the newest page) are rendered and written atomically, so a crash
between the two leaves the page dirty, and it is rendered on restart.
"""

from __future__ import annotations

from pathlib import Path

from patchaudit.bot.log import timestamp
from patchaudit.bot.state import SeriesRow, State, page_of
from patchaudit.output import encode, write_atomic
from patchaudit.report.index_page import IndexPage, IndexRow, format_index

TITLE = "patchaudit: series checked"
# A row's report link only for series that have one.
_REPORTED = ("answering", "answered")


def page_name(page: int) -> str:
    return f"page-{page:04d}.html"


def series_directory(series_id: int) -> str:
    return f"series/{series_id:06d}"


def _link(series_id: int | None) -> str:
    if series_id is None:
        return ""
    return f"{page_name(page_of(series_id))}#series-{series_id}"


def _row(series: SeriesRow, html: bool) -> IndexRow:
    problem = series.error
    if series.notes:
        problem = f"{problem}; {series.notes}" if problem else series.notes
    return IndexRow(
        id=series.id, list=series.list, arrived=timestamp(series.last_arrival)[:19].replace("T", " "),
        title=series.title, author=series.author, version=series.version, patches=series.patches,
        state=series.state, new_errors=series.new_errors, new_warnings=series.new_warnings,
        new_notes=series.new_notes, fixed=series.fixed, mails=series.mails, base=series.base,
        missing=series.missing, problem=problem,
        report=f"{series_directory(series.id)}/report.html"
        if html and series.state in _REPORTED else "",
        supersedes=_link(series.supersedes), superseded_by=_link(series.superseded_by),
    )


def render_dirty(state: State, directory: Path, html: bool, now: float) -> list[int]:
    """Render the dirty pages and the front page; the pages rendered."""
    dirty = state.dirty_pages()
    if not dirty:
        return []
    last = state.last_page()
    pages = tuple((n, page_name(n)) for n in range(1, last + 1))
    totals = tuple(sorted(state.series_counts().items()))
    generated = timestamp(now)
    directory.mkdir(parents=True, exist_ok=True)
    for number in sorted({*dirty, last} - {0}):
        rows = tuple(_row(s, html) for s in reversed(state.series_page(number)))
        page = IndexPage(TITLE, generated, totals, pages, number, rows)
        write_atomic(directory / page_name(number), encode(format_index(page)))
        if number == last:
            front = IndexPage(TITLE, generated, totals, pages, 0, rows)
            write_atomic(directory / "index.html", encode(format_index(front)))
    with state.transaction():
        state.clean_pages(dirty)
    return dirty
