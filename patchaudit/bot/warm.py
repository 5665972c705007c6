"""Imported once by the runner's fork server: every child then starts with the checker loaded.

Importing this module loads the engine, the series reader, the C front end,
the formatters the bot writes and the shipped rules; children forked from
the server share all of it instead of paying 0.8 s each.
"""

from __future__ import annotations

import patchaudit.cfront.parser
import patchaudit.engine.check
import patchaudit.report.email_format
import patchaudit.report.html
import patchaudit.report.json_format
import patchaudit.report.patchwork
import patchaudit.report.sarif
import patchaudit.series.forms
import patchaudit.tree.git  # noqa: F401
from patchaudit.bot.check import rules_for
from patchaudit.bot.config import CheckConfig
from patchaudit.errors import InputError

try:
    rules_for(CheckConfig())
except InputError:
    pass  # a broken rule file is reported by the check that needs it
