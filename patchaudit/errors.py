"""Exit codes and the one exception type that reaches the user as a one-line message."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses; documented in the README and ``--help``."""

    CLEAN = 0  # nothing at or above --fail-on
    FINDINGS = 1  # at least one finding at or above --fail-on
    INPUT_ERROR = 2  # usage error or unusable input; one line on stderr
    INTERNAL_ERROR = 3  # a bug in patchaudit; one line on stderr (PATCHAUDIT_DEBUG=1 for more)
    NIPA_WARNING = 250  # --exit-style nipa: warnings but no errors


class InputError(Exception):
    """Bad input that stops the run: the message names the input and the problem.

    The CLI prints ``patchaudit: <message>`` and exits with status 2; no
    traceback ever reaches the user for these.
    """

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
