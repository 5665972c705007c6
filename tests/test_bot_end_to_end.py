"""The bot end to end: a public-inbox archive of series from real 6.12 code, SMTP on loopback, Chromium.

One list's life, in three runs of the real command line: series arrive
(cover letters, review replies, an incomplete series, hostile mail), the bot
answers what is complete; new versions arrive and supersede; a replay checks
what is still incomplete. Every answer is counted where it lands: at the SMTP
server, in the outbox Maildir, as files, and on the index page in a browser.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from botparts import LIST_ADDRESS, Archive, SmtpServer, header, outbox_mails, write_config
from listmail import (
    PatchSpec,
    SeriesSpec,
    balloon_patches,
    build_series,
    doc_sites,
    hostile_mails,
    message_id,
    rename_param,
    reply,
    reword_summary,
    with_injected_headers,
)
from test_browser import dump_dom, parse

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.kernel, pytest.mark.browser]


def run_bot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "patchaudit", "bot", *args, "-c", str(config)],
                          cwd=config.parent, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@dataclass
class World:
    root: Path
    config: Path
    archive: Archive
    smtp: SmtpServer
    series: dict[str, SeriesSpec] = field(default_factory=dict)
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.root / "state.sqlite")

    def series_rows(self) -> dict[str, tuple[str, int, int, int, str, int | None]]:
        """anchor -> (state, new errors, new warnings, mails, missing, supersedes)."""
        rows = self.db().execute(
            "SELECT anchor, state, new_errors, new_warnings, mails, missing, supersedes FROM series")
        return {anchor: tuple(rest) for anchor, *rest in rows}  # type: ignore[misc]

    def series_id(self, anchor: str) -> int:
        return int(self.db().execute("SELECT id FROM series WHERE anchor = ?", (anchor,)).fetchone()[0])


@pytest.fixture(scope="module")
def world(kernel_tree: Path, public_inbox: None, smtp_server_module: None,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("bot-e2e")
    smtp = SmtpServer().start()
    archive = Archive(root / "pi")
    config = write_config(root / "bot.toml", archive=archive.inbox, tree=kernel_tree,
                          smtp_port=smtp.port, extra_bot='log_file = "bot.log"')
    world = World(root, config, archive, smtp)
    sites = [s for s in doc_sites(kernel_tree, ["mm"]) if "balloon" not in s.path]
    balloon = balloon_patches()
    scratch = root / "scratch"
    specs = {
        "balloon": SeriesSpec("balloon", balloon[:3], cover="mm/balloon: three changes"),
        "doc": SeriesSpec("doc", (PatchSpec("mm: rename a parameter's description", "Doc.",
                                            (rename_param(sites[0]),)),)),
        "clean": SeriesSpec("clean", (PatchSpec("mm: reword a summary", "Words.",
                                                (reword_summary(sites[1]),)),)),
        "partial": SeriesSpec("partial", tuple(
            PatchSpec(f"mm: reword summary {n}", "Words.", (reword_summary(sites[n]),))
            for n in (2, 3, 4))),
        "inject": SeriesSpec("inject", (PatchSpec("mm: title", "Doc.", (rename_param(sites[5]),)),),
                             author="Mallory <mallory@example.org>"),
        "halves": SeriesSpec("halves", (
            PatchSpec("mm: halves, rename", "Doc.", (rename_param(sites[6]),)),
            PatchSpec("mm: halves, reword", "Words.", (reword_summary(sites[7]),)))),
    }
    world.series = specs
    mails = {key: build_series(kernel_tree, spec, scratch) for key, spec in specs.items()}
    hostile = hostile_mails(LIST_ADDRESS)
    for mail in (
        *mails["balloon"],
        reply(mails["balloon"][1], "Reviewed-by: Reviewer <reviewer@example.org>"),
        *mails["doc"], *mails["clean"],
        *mails["partial"][1:],  # patch 1/3 never comes
        hostile["broken-mime"], hostile["nested"], hostile["huge"],
        with_injected_headers(mails["inject"][0]),
        mails["halves"][0],  # 2/2 of v1 never comes: v2 replaces it
    ):
        archive.deliver(mail)
    world.runs.append(run_bot(config, "watch", "--once"))
    world.runs.append(run_bot(config, "status"))
    # New versions: balloon v2 drops the planted bug; doc v2 repeats its
    # problems; halves v2 is complete.
    specs["balloon2"] = SeriesSpec("balloon", (balloon[0], balloon[3], balloon[2]), version=2,
                                   cover="mm/balloon: three changes",
                                   in_reply_to=message_id(specs["balloon"], 0))
    specs["doc2"] = SeriesSpec("doc", specs["doc"].patches, version=2)
    specs["halves2"] = SeriesSpec("halves", specs["halves"].patches, version=2)
    for key in ("balloon2", "doc2", "halves2"):
        for mail in build_series(kernel_tree, specs[key], scratch):
            archive.deliver(mail)
    world.runs.append(run_bot(config, "watch", "--once"))
    world.runs.append(run_bot(config, "replay", str(archive.inbox)))
    yield world
    smtp.stop()


def test_complete_series_are_answered_and_the_incomplete_one_waits(world: World) -> None:
    status = world.runs[1].stdout
    assert "backlog: 2 series waiting for more mail" in status
    assert "mail: 14 (cover 1, patch 11, reply 1, too-large 1)" in status
    rows = world.series_rows()
    assert rows["balloon.v1.0@example.org"] == ("answered", 1, 0, 1, "", None)
    assert rows["doc.v1.1@example.org"] == ("answered", 0, 2, 1, "", None)
    assert rows["clean.v1.1@example.org"] == ("answered", 0, 0, 0, "", None)
    assert rows["inject.v1.1@example.org"] == ("answered", 0, 2, 1, "", None)


def test_new_versions_supersede_and_repeat_nothing(world: World) -> None:
    rows = world.series_rows()
    v1 = world.series_id("balloon.v1.0@example.org")
    assert rows["balloon.v2.0@example.org"] == ("answered", 0, 0, 0, "", v1)
    # doc v2 still has both problems: reported in its files, not mailed again.
    assert rows["doc.v2.1@example.org"] == ("answered", 0, 2, 0, "", world.series_id(
        "doc.v1.1@example.org"))
    assert rows["halves.v1.1@example.org"][0] == "superseded"
    assert rows["halves.v2.1@example.org"] == ("answered", 0, 2, 1, "", None)
    log = (world.root / "bot.log").read_text()
    assert re.search(r"event=series.superseded series=\d+ .*reason=\"v2 <halves.v2.1@example.org> "
                     r"arrived\"", log)


def test_the_replay_checks_what_arrived_of_the_incomplete_series(world: World) -> None:
    rows = world.series_rows()
    assert rows["partial.v1.2@example.org"] == ("answered", 0, 1, 1, "1/3", None)
    [mail] = [m for m in world.smtp.mails() if header(m.data, "In-Reply-To")
              == "<partial.v1.2@example.org>"]
    assert "warning: patch 1/3 is missing [PA0001-series-missing-patch]" in mail.data.decode()


def test_every_mail_is_received_once_with_the_same_copy_in_the_outbox(world: World) -> None:
    received = world.smtp.mails()
    replied = sorted(header(m.data, "In-Reply-To") for m in received)
    assert replied == sorted(["<balloon.v1.2@example.org>", "<doc.v1.1@example.org>",
                              "<inject.v1.1@example.org>", "<halves.v2.1@example.org>",
                              "<partial.v1.2@example.org>"])
    ids = [m.message_id for m in received]
    assert len(set(ids)) == len(ids) == 5
    outbox = outbox_mails(world.root / "outbox")
    assert sorted(header(m, "Message-ID") for m in outbox) == sorted(ids)
    assert sorted(outbox) == sorted(m.data for m in received)
    delivered = world.db().execute(
        "SELECT channel, count(*) FROM delivery WHERE state = 'delivered' AND channel != 'file' "
        "GROUP BY channel").fetchall()
    assert sorted(delivered) == [("outbox", 5), ("smtp", 5)]
    for mail in received:
        assert mail.mail_from == "bot@example.org"
        assert header(mail.data, "Cc") == LIST_ADDRESS
        assert LIST_ADDRESS in mail.recipients


def test_the_reply_to_the_planted_bug_names_it_where_it_is(world: World) -> None:
    [mail] = [m for m in world.smtp.mails() if header(m.data, "In-Reply-To")
              == "<balloon.v1.2@example.org>"]
    text = mail.data.decode()
    assert header(mail.data, "To") == "Bench Author <bench@example.org>"
    assert mail.recipients == ("bench@example.org", LIST_ADDRESS)
    assert header(mail.data, "Subject") == (
        "Re: [PATCH 2/3] mm/balloon: take the page off the list before taking pages_lock")
    assert header(mail.data, "References") == "<balloon.v1.0@example.org> <balloon.v1.2@example.org>"
    assert ("error: list_del() takes 'page' off balloon_dev_info.pages, but "
            "balloon_dev_info.pages_lock is not held [PA2002-balloon-list-removal-without-pages-lock]"
            in text)
    assert "at mm/balloon_compaction.c:207" in text
    assert f"The full report: https://bot.example.org/patchaudit/series/" \
           f"{world.series_id('balloon.v1.0@example.org'):06d}/report.html" in text


def test_injected_headers_stay_in_the_subject(world: World) -> None:
    [mail] = [m for m in world.smtp.mails() if header(m.data, "In-Reply-To")
              == "<inject.v1.1@example.org>"]
    head = mail.data.partition(b"\n\n")[0].decode()
    assert not re.search(r"^Bcc:", head, re.MULTILINE | re.IGNORECASE)
    assert "victim" not in " ".join(mail.recipients)
    assert mail.recipients == ("mallory@example.org", LIST_ADDRESS)


def test_hostile_mail_is_recorded_and_answered_without_harm(world: World) -> None:
    db = world.db()
    [(too_large,)] = db.execute("SELECT count(*) FROM message WHERE kind = 'too-large'").fetchall()
    assert too_large == 1
    nested = db.execute("SELECT state, error, notes FROM series WHERE anchor = ?",
                        ("hostile.nested@example.org",)).fetchone()
    assert nested == ("empty", "no patch with a diff arrived",
                      ("<hostile.nested@example.org> could not be read: "
                       "the mail's MIME structure is nested too deeply"))
    broken = db.execute("SELECT state, error, notes FROM series WHERE anchor = ?",
                        ("hostile.mime@example.org",)).fetchone()
    assert broken == ("empty", "no patch with a diff arrived",
                      ("<hostile.mime@example.org> could not be read: hunk '@@ -1,1 +1,1 @@' of "
                       "mm/x.c does not match its header's line counts (truncated or corrupt patch)"))
    status = run_bot(world.config, "status").stdout
    assert "warning mail.too-large" in status


def test_reports_are_what_patchaudit_check_reports(world: World, kernel_tree: Path) -> None:
    series_id = world.series_id("balloon.v1.0@example.org")
    directory = world.root / "public" / "series" / f"{series_id:06d}"
    assert sorted(p.name for p in directory.iterdir()) == [
        "patchwork.json", "report.html", "report.json", "report.sarif"]
    bot = json.loads((directory / "report.json").read_text())
    mbox = world.root / "balloon.mbox"
    mails = build_series(kernel_tree, world.series["balloon"], world.root / "again")
    mbox.write_bytes(b"".join(b"From bot Mon Sep 17 00:00:00 2001\n" + m for m in mails))
    done = subprocess.run([sys.executable, "-m", "patchaudit", "check", str(mbox), "--tree",
                           str(kernel_tree), "-f", "json"], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
    assert done.returncode == 1, done.stderr
    cli = json.loads(done.stdout)
    assert bot["findings"] == cli["findings"]
    assert bot["patches"] == cli["patches"]
    checks = json.loads((directory / "patchwork.json").read_text())
    assert [c["state"] for c in checks] == ["success", "fail", "success"]


def test_the_index_shows_every_series_in_a_browser(world: World, chromium: str, tmp_path: Path) -> None:
    page = world.root / "public" / "index.html"
    dom = dump_dom(chromium, page, tmp_path / "profile")
    elements = parse(dom)
    shown = {attrs["data-series"]: attrs["data-state"] for tag, attrs in elements.elements
             if tag == "tr" and attrs.get("data-series")}
    in_db = {str(i): s for i, s in world.db().execute("SELECT id, state FROM series")}
    assert shown == in_db
    links = [attrs["href"] for tag, attrs in elements.elements
             if tag == "a" and "report" in (attrs.get("class") or "")]
    assert links and all((world.root / "public" / str(href)).is_file() for href in links)
    v2 = world.series_id("balloon.v2.0@example.org")
    previous = [attrs["href"] for tag, attrs in elements.elements
                if tag == "a" and attrs.get("class") == "supersedes"]
    assert f"page-0001.html#series-{world.series_id('balloon.v1.0@example.org')}" in previous
    assert f'id="series-{v2}"' in dom
    assert not [tag for tag, _ in elements.elements if tag in ("script", "img", "iframe")]
