"""Bot throughput: replay a public-inbox archive of generated series end to end, answers by SMTP too.

    python bench/bot_throughput.py KERNEL_TREE [--series 300]

Generates SERIES series of real edits to KERNEL_TREE (tests/listmail.py's
generated_list: renames that must be answered, rewordings that must not,
covered three-patch series, review replies), imports them into a v2 archive
made with Debian's public-inbox, starts aiosmtpd on loopback and runs
``patchaudit bot replay`` on the archive, with outbox, SMTP and per-series
files (JSON, SARIF, HTML, patchwork, index) configured. Reports series per
minute over the whole replay, the median and worst time from a series' last
mail's arrival to its answer (from the state), and the replay process's
resident memory each time another sixth of the series is answered.
The test helpers are reused so that the bench measures what the tests check.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from botparts import Archive, SmtpServer, write_config  # noqa: E402
from listmail import generated_list  # noqa: E402
from measure import machine  # noqa: E402  (bench/ is on the path: this script's directory)


def vm_rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def answered(state: Path) -> int:
    if not state.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM series WHERE state = 'answered'")
                       .fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kernel", type=Path)
    parser.add_argument("--series", type=int, default=300)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bot-throughput-") as temp:
        root = Path(temp)
        started = time.monotonic()
        generated = generated_list(args.kernel, args.series, root / "scratch")
        print(f"generated {generated.series} series, {len(generated.mails)} mails, "
              f"{len(generated.replied)} patches to answer in {time.monotonic() - started:.0f} s")
        started = time.monotonic()
        archive = Archive(root / "pi")
        archive.import_bulk(generated.mails, timeout=3600)
        print(f"public-inbox-watch archived them in {time.monotonic() - started:.0f} s")
        server = SmtpServer().start()
        try:
            config = write_config(root / "bot.toml", archive=archive.inbox, tree=args.kernel,
                                  smtp_port=server.port, extra_bot='log_file = "bot.log"')
            command = [sys.executable, "-m", "patchaudit", "bot", "replay", str(archive.inbox),
                       "-c", str(config)]
            env = dict(os.environ, PYTHONPATH=str(REPO))
            started = time.monotonic()
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            step = max(1, args.series // 6)
            milestones: list[tuple[int, float, int]] = []
            while process.poll() is None:
                done = answered(root / "state.sqlite")
                if done >= step * (len(milestones) + 1):
                    milestones.append((done, time.monotonic() - started, vm_rss_kb(process.pid)))
                time.sleep(0.2)
            wall = time.monotonic() - started
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            if process.returncode != 0:
                print(f"the replay failed with status {process.returncode}: {stderr[-2000:]}")
                return 1
            received = len(server.mails())
        finally:
            server.stop()
        with sqlite3.connect(root / "state.sqlite") as db:
            states = dict(db.execute("SELECT state, count(*) FROM series GROUP BY state"))
            waits = sorted(row[0] for row in db.execute(
                "SELECT answered - last_arrival FROM series WHERE state = 'answered'"))
            rss = db.execute("SELECT rss_kb FROM run ORDER BY id DESC LIMIT 1").fetchone()[0]
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        outbox = len(list((root / "outbox" / "new").iterdir()))
        stop = re.findall(r"event=bot\.stop .*?rss_kb=(\d+)", (root / "bot.log").read_text())
        print(f"series states: {states}; replies: {outbox} in the outbox, {received} by SMTP "
              f"(expected {len(generated.replied)}); integrity_check: {integrity}")
        print(f"replay: {wall:.1f} s wall, {states.get('answered', 0) / wall * 60:.0f} series/min")
        print(f"arrival to answer: median {statistics.median(waits):.1f} s, "
              f"worst {waits[-1]:.1f} s")
        print("resident memory of the replay process as series are answered:")
        for done, at, kb in milestones:
            print(f"  {done:4d} answered at {at:6.1f} s: {kb / 1024:.1f} MiB")
        print(f"  peak recorded by the bot: {rss / 1024:.1f} MiB; "
              f"at exit: {int(stop[-1]) / 1024 if stop else 0:.1f} MiB")
        size = sum(path.stat().st_size for path in root.glob("state.sqlite*"))
        print(f"state file: {size / 1024:.0f} KiB ({size / max(1, generated.series) / 1024:.1f} "
              f"KiB per series)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
