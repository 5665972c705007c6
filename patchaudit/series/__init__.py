"""Series stage: read patches (mbox, mail, format-patch files, quilt, git range) into a Series."""

from __future__ import annotations
