"""The review bot's index pages: every series checked, its state, counts and links (HTML, jinja2).

Not a format of one run (those go through FORMATTERS): a page of many runs,
rendered from plain rows the bot hands over, never from the bot's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchaudit.report.html import environment


@dataclass(frozen=True)
class IndexRow:
    id: int
    list: str
    arrived: str  # UTC, as the bot logs it
    title: str
    author: str
    version: int
    patches: int
    state: str  # answered, failed, superseded, empty, queued, answering
    new_errors: int
    new_warnings: int
    new_notes: int
    fixed: int
    mails: int
    base: str
    missing: str
    problem: str  # why it failed, or what could not be read
    report: str  # link to the series' HTML report, "" when there is none
    supersedes: str  # link to the older version's row, "" when none
    superseded_by: str


@dataclass(frozen=True)
class IndexPage:
    title: str
    generated: str
    totals: tuple[tuple[str, int], ...]  # (state, number of series)
    pages: tuple[tuple[int, str], ...]  # (page number, href), oldest first
    current: int  # the page shown; 0 for the front page
    rows: tuple[IndexRow, ...]  # newest first


def format_index(page: IndexPage) -> str:
    template = environment().get_template("bot_index.html.j2")
    return template.render(page=page)
