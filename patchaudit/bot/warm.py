"""Imported once by the runner's fork server: every child then starts with the checker loaded.

Importing this module loads the engine, the series reader, the C front end,
the formatters the bot writes and the shipped rules; children forked from
the server share all of it instead of paying 0.8 s each.
"""

from __future__ import annotations

import patchaudit.cfront.parser  # noqa: F401
import patchaudit.engine.check  # noqa: F401
import patchaudit.report.email_format  # noqa: F401
import patchaudit.report.html  # noqa: F401
import patchaudit.report.json_format  # noqa: F401
import patchaudit.report.patchwork  # noqa: F401
import patchaudit.report.sarif  # noqa: F401
import patchaudit.series.forms  # noqa: F401
import patchaudit.tree.git  # noqa: F401
from patchaudit.bot.check import rules_for
from patchaudit.bot.config import CheckConfig
from patchaudit.errors import InputError

try:
    rules_for(CheckConfig())
except InputError:
    pass  # a broken rule file is reported by the check that needs it
