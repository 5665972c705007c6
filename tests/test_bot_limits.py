"""Per-series limits: a series that takes too long or too much memory fails alone; the rest is answered."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from botparts import maildir_with, write_config
from listmail import PatchSpec, SeriesSpec, build_series, doc_sites, heavy_mail, reword_summary

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kernel

def replay(config: Path, maildir: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "patchaudit", "bot", "replay", str(maildir),
                           "-c", str(config)], env=dict(os.environ, PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def states(config: Path) -> dict[str, tuple[str, str]]:
    rows = sqlite3.connect(config.parent / "state.sqlite").execute(
        "SELECT anchor, state, error FROM series")
    return {anchor: (state, error) for anchor, state, error in rows}


def test_a_series_over_the_time_limit_fails_and_the_others_are_answered(
        kernel_tree: Path, tmp_path: Path) -> None:
    sites = [s for s in doc_sites(kernel_tree, ["mm"]) if s.path == "mm/balloon_compaction.c"]
    mails = [heavy_mail(4000)]  # about 4 s of checking
    for number, site in enumerate(sites[:2]):
        spec = SeriesSpec(f"light{number}", (PatchSpec("mm: reword", "Words.",
                                                       (reword_summary(site),)),))
        mails += build_series(kernel_tree, spec, tmp_path / "scratch")  # 0.2 s each
    config = write_config(tmp_path / "bot.toml", maildir=tmp_path / "Maildir", tree=kernel_tree,
                          limits="series_seconds = 1.5", max_message_bytes=4 << 20)
    log = replay(config, maildir_with(tmp_path, mails))
    found = states(config)
    assert found.pop("hostile.heavy@example.org") == ("failed", "time limit of 1.5 s exceeded")
    assert found == {"light0.v1.1@example.org": ("answered", ""),
                     "light1.v1.1@example.org": ("answered", "")}
    assert "level=error event=series.checked series=1 state=failed" in log
    status = subprocess.run([sys.executable, "-m", "patchaudit", "bot", "status", "-c", str(config)],
                            env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True,
                            text=True, check=True).stdout
    assert "error series.failed series 1: time limit of 1.5 s exceeded" in status


def test_a_series_over_the_memory_limit_fails_with_that_reason(
        kernel_tree: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "bot.toml", maildir=tmp_path / "Maildir", tree=kernel_tree,
                          limits="series_memory_mb = 64", max_message_bytes=4 << 20)
    replay(config, maildir_with(tmp_path, [heavy_mail(4000)]))
    assert states(config) == {"hostile.heavy@example.org": ("failed", "memory limit of 64 MiB exceeded")}
