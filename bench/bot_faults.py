"""Bot fault test: kill -9 a replay at random points, restart it each time, count the answers.

    python bench/bot_faults.py KERNEL_TREE [--series 60] [--kills 10] [--seed 17]

Generates SERIES series of real edits to KERNEL_TREE (tests/listmail.py),
imports them into a v2 archive made with Debian's public-inbox, starts
aiosmtpd on loopback and runs ``patchaudit bot replay`` on the archive
again and again, killing it with SIGKILL each time after a random number
(1 to 60) of its log lines (each line follows one step: mail recorded,
series queued, check started, answer delivered, ...), until KILLS kills
have landed; then lets one last run finish. Reports where each kill landed
and, from the SMTP server, the outbox Maildir and the state: how many
times each expected reply arrived, and ``PRAGMA integrity_check``.
tests/test_bot_kill.py runs the same procedure, bounded, in the suite.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from botparts import Archive, SmtpServer, replay_with_kills, tally, write_config  # noqa: E402
from listmail import generated_list  # noqa: E402
from measure import machine  # noqa: E402  (bench/ is on the path: this script's directory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kernel", type=Path)
    parser.add_argument("--series", type=int, default=60)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    print(machine())
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bot-faults-") as temp:
        root = Path(temp)
        generated = generated_list(args.kernel, args.series, root / "scratch")
        archive = Archive(root / "pi")
        archive.import_bulk(generated.mails, timeout=3600)
        print(f"{generated.series} series, {len(generated.mails)} mails, "
              f"{len(generated.replied)} patches to answer; seed {args.seed}")
        server = SmtpServer().start()
        try:
            config = write_config(root / "bot.toml", archive=archive.inbox, tree=args.kernel,
                                  smtp_port=server.port, extra_bot='log_file = "bot.log"')
            command = [sys.executable, "-m", "patchaudit", "bot", "replay", str(archive.inbox),
                       "-c", str(config)]
            started = time.monotonic()
            landed = replay_with_kills(command, root / "bot.log",
                                       [rng.randint(1, 60) for _ in range(args.kills)],
                                       dict(os.environ, PYTHONPATH=str(REPO)))
            wall = time.monotonic() - started
            found = tally(root, server, root / "bot.log")
        finally:
            server.stop()
    print(f"{len(landed)} kills in {wall:.0f} s; the last line each killed run had logged:")
    for number, line in enumerate(landed, 1):
        event = next((part for part in line.split() if part.startswith("event=")), line)
        print(f"  {number:2d}. {event}")
    smtp_times = Counter(found.smtp.values())
    outbox_times = Counter(found.outbox.values())
    expected = len(generated.replied)
    print(f"series states: {found.states}")
    print(f"replies expected: {expected}; delivered per the state: "
          f"smtp {len(found.delivered.get('smtp', ()))}, outbox {len(found.delivered.get('outbox', ()))}")
    twice = sorted(key for key, times in found.smtp.items() if times > 1)
    print(f"SMTP server: {len(found.smtp)} distinct replies, received n times: {dict(smtp_times)}; "
          f"sends resent after a kill mid-send (event=delivery.resend): {len(found.resent)}, "
          f"of which the server had already taken: {len(twice)}")
    print(f"outbox: {len(found.outbox)} distinct replies, files n times: {dict(outbox_times)}")
    print(f"replies answer exactly the expected patches: {found.replied_to == generated.replied}")
    print(f"PRAGMA integrity_check: {found.integrity}")
    ok = (found.states == {"answered": generated.series} and found.integrity == "ok"
          and len(found.smtp) == len(found.outbox) == expected
          and set(found.outbox.values()) == {1} and found.replied_to == generated.replied
          and {k for k, n in found.smtp.items() if n > 1} <= found.resent)
    print("every series answered exactly once: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
