"""Entry point for ``python -m patchaudit``."""

from __future__ import annotations

from patchaudit.cli import main

raise SystemExit(main())
