"""Reports stage: one formatter per output format, reached through one mapping."""

from __future__ import annotations

from collections.abc import Callable

from patchaudit.model import RunReport
from patchaudit.report.checkpatch_style import format_emacs, format_terse
from patchaudit.report.email_format import format_email
from patchaudit.report.html import format_html
from patchaudit.report.json_format import format_json
from patchaudit.report.patchwork import format_patchwork
from patchaudit.report.sarif import format_sarif
from patchaudit.report.text import format_text

Formatter = Callable[[RunReport], str]

FORMATTERS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
    "html": format_html,
    "terse": format_terse,
    "emacs": format_emacs,
    "sarif": format_sarif,
    "email": format_email,
    "patchwork": format_patchwork,
}

__all__ = ["FORMATTERS", "Formatter"]
