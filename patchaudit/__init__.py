"""patchaudit: check Linux patch series against the rules kernel comments state."""

from __future__ import annotations

__version__ = "0.1.0"
