"""kill -9 at random points of a replay, restart each time: every series answered exactly once.

A bounded form of the fault test of docs/bot.md (bench/bot_faults.py kills a
replay of 60 series 10 times): 12 series of real 6.12 code in a public-inbox
archive, SMTP on loopback, three kills at random points (after a random
number of the bot's log lines, each following one step of its work).
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest
from botparts import Archive, SmtpServer, replay_with_kills, tally, write_config
from listmail import generated_list

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kernel
SEED = int(os.environ.get("PATCHAUDIT_KILL_SEED", "17"))


def test_a_replay_killed_three_times_answers_every_series_once(
        kernel_tree: Path, public_inbox: None, smtp_server_module: None, tmp_path: Path) -> None:
    generated = generated_list(kernel_tree, 12, tmp_path / "scratch")
    archive = Archive(tmp_path / "pi")
    archive.import_bulk(generated.mails)
    server = SmtpServer().start()
    try:
        config = write_config(tmp_path / "bot.toml", archive=archive.inbox, tree=kernel_tree,
                              smtp_port=server.port, extra_bot='log_file = "bot.log"')
        rng = random.Random(SEED)
        command = [sys.executable, "-m", "patchaudit", "bot", "replay", str(archive.inbox),
                   "-c", str(config)]
        # An uninterrupted replay of these 12 series logs about 150 lines.
        landed = replay_with_kills(command, tmp_path / "bot.log",
                                   [rng.randint(1, 40) for _ in range(3)],
                                   dict(os.environ, PYTHONPATH=str(REPO)))
        found = tally(tmp_path, server, tmp_path / "bot.log")
    finally:
        server.stop()
    assert len(landed) == 3
    assert found.integrity == "ok"
    assert found.states == {"answered": 12}
    # One reply per renamed patch, each a different Message-ID, in both channels.
    assert len(found.delivered["smtp"]) == len(generated.replied) == 9
    assert found.delivered["smtp"] == found.delivered["outbox"] == set(found.outbox)
    assert set(found.smtp) == found.delivered["smtp"]
    assert set(found.outbox.values()) == {1}
    assert found.replied_to == generated.replied
    # SMTP cannot say whether it has a mail: a send cut off after the server
    # took the mail is repeated, and logged. Nothing else arrives twice.
    assert {key for key, times in found.smtp.items() if times > 1} <= found.resent
    assert all(times <= 2 for times in found.smtp.values())
