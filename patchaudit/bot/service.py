"""The bot's loop: read new mail, assemble series, check them in limited children, answer, remember.

One cycle: record new mail (with its source position), decide which series
are ready, start checks, record finished checks together with the intent of
every answer, deliver what is intended, and refresh the index. Every state
change is a transaction of bot/state.py, so the loop may be killed anywhere
and resumes where it stood.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from patchaudit.bot.answers import AnswerPlan
from patchaudit.bot.assembly import (
    Action,
    decide,
    group_mail,
    missing_text,
    newer_version,
    outside_parents,
)
from patchaudit.bot.check import BaseSpec
from patchaudit.bot.config import BotConfig, FilesConfig, ListConfig
from patchaudit.bot.deliver import DeliveryError, Outbox, Smtp, write_file
from patchaudit.bot.index import render_dirty, series_directory
from patchaudit.bot.intake import message_row
from patchaudit.bot.log import Log, rss_kb
from patchaudit.bot.runner import Job, JobResult, Runner
from patchaudit.bot.sources import MaildirSource, PublicInboxSource, Source
from patchaudit.bot.state import Delivery, Intent, NewSeries, Outcome, SeriesRow, State
from patchaudit.errors import InputError
from patchaudit.report.email_format import SENDER

MAX_ATTEMPTS = 20  # transient delivery failures before an answer is given up


@dataclass
class _Counts:
    messages: int = 0
    series: int = 0
    deliveries: int = 0


def list_sources(config: BotConfig) -> list[Source]:
    sources: list[Source] = []
    for entry in config.lists:
        if entry.archive is not None:
            sources.append(PublicInboxSource(entry.archive, entry.name,
                                             skip_history=entry.skip_history))
        if entry.maildir is not None:
            sources.append(MaildirSource(entry.maildir, entry.name))
    return sources


class Bot:
    """The service; ``dry_run`` works on an in-memory copy of the state and delivers nothing."""

    def __init__(self, config: BotConfig, sources: list[Source], log: Log, *,
                 dry_run: bool = False) -> None:
        self.config = config
        self.sources = sources
        self.log = log
        self.dry_run = dry_run
        self.state = State(config.state, memory=dry_run)
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        work = config.work
        if dry_run:
            self._scratch = tempfile.TemporaryDirectory(prefix="patchaudit-dry-run-")
            work = Path(self._scratch.name)
        self.runner = Runner(work, config.jobs)
        answers = config.answers
        self.outbox = Outbox(answers.outbox) if answers.outbox and not dry_run else None
        self.smtp = (Smtp(answers.smtp, _envelope_sender(answers.sender))
                     if answers.smtp and not dry_run else None)
        self.stopping = False
        self._smtp_blocked_until = 0.0

    # ------------------------------------------------------------------ running

    def run(self, mode: str, *, until_idle: bool, final_at_end: bool) -> int:
        """Cycle until stopped, or (``until_idle``) until nothing is left to do now.

        ``final_at_end``: once the sources are exhausted, check incomplete
        series with what arrived instead of waiting (the end of a replay).
        """
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        run_id = self.state.start_run(mode + (" (dry run)" if self.dry_run else ""), os.getpid(),
                                      time.time())
        self.log.info("bot.start", mode=mode, pid=os.getpid(), state=self.config.state,
                      dry_run=self.dry_run, sources=len(self.sources))
        try:
            self._recover()
            final = False
            while not self.stopping:
                counts = _Counts()
                exhausted = self._cycle(counts, final)
                with self.state.transaction():
                    self.state.beat(run_id, time.time(), messages=counts.messages,
                                    series=counts.series, deliveries=counts.deliveries,
                                    rss_kb=rss_kb())
                busy = bool(self.runner.running or self._open_work())
                if exhausted and not busy:
                    if final_at_end and not final and self.state.waiting_messages():
                        final = True
                        continue
                    if until_idle:
                        break
                if exhausted and not self.runner.running:
                    self._sleep()
        finally:
            self.runner.stop()
            if self.smtp is not None:
                self.smtp.close()
            with self.state.transaction():
                self.state.beat(run_id, time.time(), rss_kb=rss_kb(), finished=True)
            self.log.info("bot.stop", mode=mode, rss_kb=rss_kb())
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def close(self) -> None:
        self.state.close()
        if self._scratch is not None:
            self._scratch.cleanup()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _sleep(self) -> None:
        deadline = time.monotonic() + self.config.poll_seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def _open_work(self) -> bool:
        if self.state.series_in_state("queued", limit=1):
            return True
        deliverable = [d for d in self.state.open_deliveries()
                       if d.channel != "smtp" or time.time() >= self._smtp_blocked_until]
        return bool(deliverable)

    def _recover(self) -> None:
        """After a crash: leftovers of interrupted writes go, and mail the SMTP server may
        already have is announced before it is sent again."""
        open_deliveries = self.state.open_deliveries()
        for delivery in open_deliveries:
            if delivery.state == "sending":
                self.log.warning("delivery.resend", series=delivery.series, channel=delivery.channel,
                                 key=delivery.key, reason="interrupted while the server had it")
        if self.dry_run:
            return
        files = self.config.answers.files
        directories = {files.directory} if files else set()
        if files is not None:
            directories.update((files.directory / d.key).parent
                               for d in open_deliveries if d.channel == "file")
        for directory in directories:
            for temp in directory.glob(".*.tmp") if directory.is_dir() else ():
                temp.unlink(missing_ok=True)
        if self.outbox is not None:
            for temp in (self.outbox.path / "tmp").glob("patchaudit.*"):
                temp.unlink(missing_ok=True)

    def _cycle(self, counts: _Counts, final: bool) -> bool:
        """One round; True when every source had nothing new."""
        now = time.time()
        polled = 0
        # Back pressure: mail is read while the checks keep up, so a replay of a
        # whole archive measures answers rather than a queue, and memory stays flat.
        pressed = len(self.state.series_in_state("queued", limit=2 * self.config.jobs)) \
            >= 2 * self.config.jobs
        if not pressed:
            for source in self.sources:
                seen, recorded = self._ingest(source, now)
                polled += seen
                counts.messages += recorded
        exhausted = not pressed and polled == 0
        counts.series += self._assemble(now, final and exhausted)
        self._start_checks(now)
        for result in self.runner.wait(0.05 if polled else 1.0):
            self._record(result)
        counts.deliveries += self._deliver()
        self._render_index()
        return exhausted

    # ------------------------------------------------------------------ mail in

    def _ingest(self, source: Source, now: float) -> tuple[int, int]:
        """(mails read from the source, mails recorded as new)."""
        try:
            mails = source.poll(self.state, self.config.batch_messages,
                                self.config.max_message_bytes)
        except InputError as exc:
            self._event("error", "source.error", str(exc))
            return 0, 0
        if not mails:
            return 0, 0
        recorded = 0
        # Logged once the batch is committed: a line says the mail is recorded, even
        # when the bot is killed in the middle of the batch (which is then read again).
        lines: list[tuple[str, dict[str, object]]] = []
        try:
            with self.state.transaction():
                for mail in mails:
                    row = message_row(mail, source.key, source.list_name, now)
                    if row is not None:
                        if self.state.add_message(row):
                            recorded += 1
                            lines.append(("mail.recorded", dict(
                                list=row.list, kind=row.kind, message_id=row.message_id,
                                subject=row.subject, position=row.position)))
                            if row.kind == "too-large":
                                self.state.add_event("warning", "mail.too-large",
                                                     f"{row.position}: {row.size} bytes")
                        else:
                            lines.append(("mail.duplicate", dict(
                                list=source.list_name, message_id=row.message_id,
                                position=row.position)))
                    if mail.cursor is not None:
                        self.state.set_cursor(source.key, *mail.cursor)
                    if mail.seen is not None:
                        self.state.mark_seen(source.key, mail.seen)
        except BaseException:
            if isinstance(source, PublicInboxSource):
                source.forget()
            raise
        for event, fields in lines:
            self.log.info(event, **fields)
        return len(mails), recorded

    def _assemble(self, now: float, final: bool) -> int:
        waiting = self.state.waiting_messages()
        if not waiting:
            return 0
        assigned = self.state.series_of_messages(outside_parents(waiting))
        answered_by = self.state.series_answering(m.message_id for m in waiting if m.kind == "cover")
        groups = group_mail(waiting, assigned, answered_by)
        created = 0
        lines: list[tuple[str, dict[str, object]]] = []  # logged once committed
        with self.state.transaction():
            for decision in decide(groups, now, self.config.incomplete_after_seconds, final=final):
                group = decision.group
                ids = [m.message_id for m in group.members]
                if decision.action is Action.WAIT:
                    continue
                if decision.action is Action.LATE and group.late_for is not None:
                    self.state.assign(ids, group.late_for.id)
                    included = group.late_for.state == "queued" and \
                        group.late_for.id not in self.runner.running
                    lines.append(("mail.late", dict(series=group.late_for.id, messages=len(ids),
                                                    included=included)))
                    continue
                state = "queued" if decision.action is Action.CHECK else "superseded"
                earlier = [s for s in self.state.earlier_versions(
                    group.author, {group.anchor, *group.references}, group.version)
                    if newer_version(s.version, s.author, s.title, s.anchor, group)]
                new = NewSeries(
                    anchor=group.anchor, list=group.list, title=group.title, author=group.author,
                    version=group.version, total=group.total, state=state,
                    first_arrival=group.first_arrival, last_arrival=group.last_arrival,
                    missing=missing_text(group),
                    supersedes=earlier[-1].id if earlier and state == "queued" else None,
                )
                series_id = self.state.create_series(new, ids, now)
                created += 1
                lines.append(("series." + state, dict(
                    series=series_id, list=group.list, version=group.version,
                    patches=group.patches, reason=decision.reason, anchor=group.anchor,
                    title=group.title, supersedes=new.supersedes or "")))
        for event, fields in lines:
            self.log.info(event, **fields)
        return created

    # ------------------------------------------------------------------ checks

    def _start_checks(self, now: float) -> None:
        if self.runner.free <= 0:
            return
        running = self.runner.running
        for series in self.state.series_in_state("queued", limit=self.config.jobs * 4):
            if self.runner.free <= 0:
                break
            if series.id in running:
                continue
            try:
                job = self._job(series)
            except InputError as exc:
                with self.state.transaction():
                    self.state.record_outcome(series.id, Outcome("failed", error=str(exc)), (), now)
                self._event("error", "series.failed", str(exc), series.id)
                continue
            self.runner.start(job, now)
            self.log.info("series.checking", series=series.id, mails=len(job.mails))

    def _job(self, series: SeriesRow) -> Job:
        entry = self.config.list_named(series.list)
        answers = self.config.answers
        files = answers.files
        directory = series_directory(series.id)
        known: tuple[str, ...] = ()
        if series.supersedes is not None and not answers.repeat_findings:
            known = self.state.series(series.supersedes).fingerprints
        plan = AnswerPlan(
            anchor=series.anchor,
            directory=directory,
            formats=files.formats if files else (),
            file_names=tuple((f, FilesConfig.file_name(f)) for f in files.formats) if files else (),
            mail=answers.outbox is not None or answers.smtp is not None,
            sender=answers.sender,
            report_url=_report_url(files, directory),
            min_severity=answers.mail_min_severity,
            known=known,
            cc=tuple(dict.fromkeys(
                ([entry.address] if answers.cc_list and entry.address else []) + list(answers.cc))),
            redirect=answers.redirect,
        )
        return Job(
            series_id=series.id,
            mails=tuple(self.state.series_mail(series.id)),
            source=f"{series.list} <{series.anchor}>",
            base=_base(entry),
            check=self.config.check,
            plan=plan,
            seconds=self.config.series_seconds,
            memory_mb=self.config.series_memory_mb,
            max_patches=self.config.max_series_patches,
        )

    def _record(self, result: JobResult) -> None:
        now = time.time()
        intents: list[Intent] = [Intent("file", path, data) for path, data in result.answers.files]
        for mail in result.answers.mails:
            if self.outbox is not None or (self.dry_run and self.config.answers.outbox):
                intents.append(Intent("outbox", mail.message_id, mail.data))
            if self.smtp is not None or (self.dry_run and self.config.answers.smtp):
                intents.append(Intent("smtp", mail.message_id, mail.data, mail.recipients))
        if self.config.answers.files is None:
            intents = [i for i in intents if i.channel != "file"]
        summary = result.answers.summary
        outcome = Outcome(
            state=result.state, base=result.base, base_note=result.base_note,
            patches=summary.patches, applies=summary.applies, new_errors=summary.new_errors,
            new_warnings=summary.new_warnings, new_notes=summary.new_notes, fixed=summary.fixed,
            fingerprints=summary.fingerprints, error=result.error, notes="; ".join(result.notes),
            seconds=result.seconds, peak_kb=result.peak_kb,
        )
        with self.state.transaction():
            self.state.record_outcome(result.series_id, outcome, intents, now)
            if result.state == "answering" and not intents:
                self.state.set_state(result.series_id, "answered", now)
            if result.state == "failed":
                self.state.add_event("error", "series.failed", result.error, result.series_id)
        level = "error" if result.state == "failed" else "info"
        self.log(level, "series.checked", series=result.series_id, state=result.state,
                 errors=summary.new_errors, warnings=summary.new_warnings, notes=summary.new_notes,
                 mails=len(result.answers.mails), seconds=f"{result.seconds:.2f}",
                 peak_kb=result.peak_kb, base=result.base, error=result.error)
        for note in result.notes:
            self.log.warning("series.unreadable-mail", series=result.series_id, detail=note)
        if result.state == "answering" and not intents:
            self._answered(result.series_id, now)

    # ------------------------------------------------------------------ answers out

    def _deliver(self) -> int:
        done = 0
        for delivery in self.state.open_deliveries():
            if self.stopping:
                break
            now = time.time()
            if delivery.channel == "smtp" and not self._smtp_ready(now):
                continue
            done += self._deliver_one(delivery, now)
        return done

    def _smtp_ready(self, now: float) -> bool:
        smtp = self.config.answers.smtp
        if smtp is None or now < self._smtp_blocked_until:
            return False
        if self.state.delivered_since("smtp", now - 60.0) >= smtp.per_minute:
            self._smtp_blocked_until = now + 1.0
            return False
        return True

    def _deliver_one(self, delivery: Delivery, now: float) -> bool:
        if self.dry_run:
            self.log.info("delivery.dry-run", series=delivery.series, channel=delivery.channel,
                          key=delivery.key, bytes=len(delivery.payload),
                          recipients=",".join(delivery.recipients))
            self._delivered(delivery, now)
            return True
        try:
            if delivery.channel == "smtp":
                assert self.smtp is not None
                with self.state.transaction():
                    self.state.mark_delivery(delivery.id, "sending", now)
                refused = self.smtp.send(delivery.recipients, delivery.payload)
                if refused:
                    self._event("warning", "delivery.refused",
                                f"{delivery.key}: refused {', '.join(refused)}", delivery.series)
            elif delivery.channel == "outbox":
                assert self.outbox is not None
                if not self.outbox.deliver(delivery.key, delivery.payload):
                    self.log.info("delivery.present", series=delivery.series, channel="outbox",
                                  key=delivery.key)
            else:
                files = self.config.answers.files
                assert files is not None
                write_file(files.directory, delivery.key, delivery.payload)
        except DeliveryError as exc:
            give_up = exc.permanent or delivery.attempts + 1 >= MAX_ATTEMPTS
            with self.state.transaction():
                self.state.mark_delivery(delivery.id, "failed" if give_up else "intent", now, str(exc))
                if give_up:
                    self.state.add_event("error", "delivery.failed", f"{delivery.key}: {exc}",
                                         delivery.series)
                    if self.state.unfinished_series(delivery.series) == 0:
                        self.state.set_state(delivery.series, "answered", now)
            self.log("error" if give_up else "warning", "delivery.failed", series=delivery.series,
                     channel=delivery.channel, key=delivery.key, error=str(exc), final=give_up)
            if delivery.channel == "smtp" and not give_up:
                self._smtp_blocked_until = now + min(300.0, 2.0 ** delivery.attempts)
            return False
        self.log.info("delivery.done", series=delivery.series, channel=delivery.channel,
                      key=delivery.key)
        self._delivered(delivery, time.time())
        return True

    def _delivered(self, delivery: Delivery, now: float) -> None:
        """Record a delivery; the series' last one marks it answered in the same transaction."""
        with self.state.transaction():
            self.state.mark_delivery(delivery.id, "delivered", now)
            last = self.state.unfinished_series(delivery.series) == 0
            if last:
                self.state.set_state(delivery.series, "answered", now)
        if last:
            self._answered(delivery.series, now)

    def _answered(self, series_id: int, now: float) -> None:
        series = self.state.series(series_id)
        self.log.info("series.answered", series=series_id, mails=series.mails,
                      arrival_to_answer=f"{now - series.last_arrival:.2f}")

    def _render_index(self) -> None:
        files = self.config.answers.files
        if files is None or not files.index or self.dry_run:
            return
        try:
            render_dirty(self.state, files.directory, "html" in files.formats, time.time())
        except InputError as exc:
            self._event("error", "index.error", str(exc))

    def _event(self, level: str, what: str, detail: str, series: int | None = None) -> None:
        self.log(level, what, series=series or "", detail=detail)
        with self.state.transaction():
            self.state.add_event(level, what, detail, series)


def _base(entry: ListConfig) -> BaseSpec:
    return BaseSpec(
        git=str(entry.git) if entry.git else "",
        branch=entry.branch,
        tree=str(entry.tree) if entry.tree else "",
    )


def _report_url(files: FilesConfig | None, directory: str) -> str:
    if files is None or not files.url:
        return ""
    return files.url + directory + ("/report.html" if "html" in files.formats else "/")


def _envelope_sender(sender: str) -> str:
    text = sender or SENDER
    start, end = text.find("<"), text.rfind(">")
    return text[start + 1 : end] if 0 <= start < end else text
