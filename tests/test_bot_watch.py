"""The long-running bot: it answers mail as it arrives, reports while running, stops on SIGTERM;
a dry run shows what it would answer and changes nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botparts import Archive, header, outbox_mails, write_config
from listmail import PatchSpec, SeriesSpec, build_series, doc_sites, rename_param

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kernel
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def bot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "patchaudit", "bot", *args, "-c", str(config)],
                          env=ENV, capture_output=True, text=True, timeout=300)


def wait_for(condition: object, what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def test_the_bot_answers_mail_as_it_arrives_and_stops_on_sigterm(
        kernel_tree: Path, public_inbox: None, tmp_path: Path) -> None:
    sites = [s for s in doc_sites(kernel_tree, ["mm"]) if s.path == "mm/balloon_compaction.c"]
    archive = Archive(tmp_path / "pi")
    config = write_config(tmp_path / "bot.toml", archive=archive.inbox, tree=kernel_tree,
                          extra_bot='log_file = "bot.log"')
    watcher = subprocess.Popen([sys.executable, "-m", "patchaudit", "bot", "watch", "-c",
                                str(config)], env=ENV, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (tmp_path / "bot.log").exists() and "event=bot.start" in (
            tmp_path / "bot.log").read_text(), "the bot to start")
        first = SeriesSpec("first", (PatchSpec("mm/balloon: rename", "Doc.",
                                               (rename_param(sites[0]),)),))
        for mail in build_series(kernel_tree, first, tmp_path / "scratch"):
            archive.deliver(mail)
        wait_for(lambda: (tmp_path / "outbox" / "new").is_dir() and outbox_mails(
            tmp_path / "outbox"), "the reply in the outbox")
        status = bot(config, "status")
        assert status.returncode == 0, status.stderr
        assert f"last run: #1 watch, pid {watcher.pid}, started " in status.stdout
        assert ", running, last heartbeat " in status.stdout
        assert "series: 1 (answered 1)" in status.stdout
    finally:
        watcher.send_signal(signal.SIGTERM)
        code = watcher.wait(60)
    assert code == 0, watcher.stderr.read() if watcher.stderr else ""
    log = (tmp_path / "bot.log").read_text()
    assert "event=bot.stop mode=watch" in log
    assert "event=series.answered series=1 mails=1 arrival_to_answer=" in log
    assert "\n" not in log.strip().split("\n")[0]
    assert all(line.split(" ", 1)[1].startswith("level=") for line in log.strip().split("\n"))

    second = SeriesSpec("second", (PatchSpec("mm/balloon: rename", "Doc.",
                                             (rename_param(sites[1]),)),))
    for mail in build_series(kernel_tree, second, tmp_path / "scratch"):
        archive.deliver(mail)
    dry = bot(config, "watch", "--once", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "event=delivery.dry-run series=2 channel=outbox key=<patchaudit." in dry.stderr
    assert "event=delivery.dry-run series=2 channel=file key=series/000002/report.html" in dry.stderr
    assert len(outbox_mails(tmp_path / "outbox")) == 1
    assert not (tmp_path / "public" / "series" / "000002").exists()
    assert sqlite3.connect(tmp_path / "state.sqlite").execute(
        "SELECT count(*) FROM series").fetchone() == (1,)
    real = bot(config, "watch", "--once")
    assert real.returncode == 0, real.stderr
    replies = sorted(header(m, "In-Reply-To") for m in outbox_mails(tmp_path / "outbox"))
    assert replies == ["<first.v1.1@example.org>", "<second.v1.1@example.org>"]
    finished = bot(config, "status").stdout
    # The dry run left no trace: this is the second run the state knows.
    assert "last run: #2 watch, pid " in finished and ", finished 20" in finished
