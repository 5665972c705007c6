"""Reports stage: one formatter per output format, reached through one mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patchaudit.model import RunReport

Formatter = Callable[["RunReport"], str]

# Format name -> (module in patchaudit.report, function). The modules are
# imported on first use: a run pays only for the format it asks for (html
# brings in jinja2, sarif and email their own helpers).
_WHERE: dict[str, tuple[str, str]] = {
    "text": ("text", "format_text"),
    "json": ("json_format", "format_json"),
    "html": ("html", "format_html"),
    "terse": ("checkpatch_style", "format_terse"),
    "emacs": ("checkpatch_style", "format_emacs"),
    "sarif": ("sarif", "format_sarif"),
    "email": ("email_format", "format_email"),
    "patchwork": ("patchwork", "format_patchwork"),
}


class _Formatters(Mapping[str, Formatter]):
    """The format-name mapping; a formatter's module is imported when it is looked up."""

    def __getitem__(self, name: str) -> Formatter:
        module, function = _WHERE[name]
        formatter: Formatter = getattr(import_module(f"{__name__}.{module}"), function)
        return formatter

    def __contains__(self, name: object) -> bool:
        # Mapping's default would import the module just to answer "is it a format?".
        return name in _WHERE

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


FORMATTERS: Mapping[str, Formatter] = _Formatters()

__all__ = ["FORMATTERS", "Formatter"]
