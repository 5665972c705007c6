"""The answers to one checked series, rendered through the report stage's one mapping of formats.

Reply mail is ``FORMATTERS["email"]`` output, split into its messages; the bot
adds only what delivery needs and the formatter does not write: a Message-Id
made from the series and the mail replied to (the same on every retry, so a
redelivered answer is recognisable), a Date, and Cc of the list.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from dataclasses import dataclass, replace

from patchaudit.bot.check import CheckOutcome
from patchaudit.engine.baseline import apply_baseline
from patchaudit.model import RunReport, Severity, Status
from patchaudit.output import encode
from patchaudit.report import FORMATTERS
from patchaudit.report.email_format import MBOX_SEPARATOR
from patchaudit.report.text import counts_against

_QUOTED_FROM = re.compile(r"^>(>*From )", re.MULTILINE)
_HEADER_NAME = re.compile(r"^([!-9;-~]+):", re.MULTILINE)
_ADDRESS = re.compile(r"<([!-;=?-~]+@[!-;=?-~]+)>|^([!-;=?-~]+@[!-;=?-~]+)$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class AnswerPlan:
    """How to answer one series: which files, which mail, to whom. Plain values, picklable."""

    anchor: str  # the series' Message-Id: part of every reply's Message-Id
    directory: str  # where the series' files go, relative to the files directory
    formats: tuple[str, ...] = ()
    file_names: tuple[tuple[str, str], ...] = ()  # format -> file name
    mail: bool = False
    sender: str = ""
    report_url: str = ""
    min_severity: Severity = Severity.WARNING
    known: tuple[str, ...] = ()  # fingerprints an earlier version was already told of
    cc: tuple[str, ...] = ()
    redirect: str = ""


@dataclass(frozen=True)
class Mail:
    message_id: str  # with brackets
    recipients: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class Summary:
    patches: int = 0
    applies: bool = True
    new_errors: int = 0
    new_warnings: int = 0
    new_notes: int = 0
    fixed: int = 0
    fingerprints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answers:
    files: tuple[tuple[str, bytes], ...]  # (path relative to the files directory, content)
    mails: tuple[Mail, ...]
    summary: Summary


def summarise(report: RunReport) -> Summary:
    counted = Counter(f.severity for f in report.findings if counts_against(f))
    return Summary(
        patches=len(report.patches),
        applies=all(p.applies for p in report.patches),
        new_errors=counted[Severity.ERROR],
        new_warnings=counted[Severity.WARNING],
        new_notes=counted[Severity.NOTE],
        fixed=sum(1 for f in report.findings if f.status is Status.FIXED),
        # What the next version is compared with, as --baseline reads a report.
        fingerprints=tuple(f.fingerprint() for f in report.findings if f.status is not Status.FIXED),
    )


def mail_date(seconds: float) -> str:
    """An RFC 5322 date in UTC, independent of the locale."""
    t = time.gmtime(seconds)
    return (f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")


def _messages(text: str) -> list[str]:
    """The messages of the email format's output: one bare message, or an mboxrd."""
    if not text.startswith(MBOX_SEPARATOR + "\n"):
        return [text] if text.strip() else []
    parts = text.split(MBOX_SEPARATOR + "\n")[1:]
    return [_QUOTED_FROM.sub(r"\1", part.removesuffix("\n") if i < len(parts) - 1 else part)
            for i, part in enumerate(parts)]


def _split(message: str) -> tuple[list[str], str]:
    head, _, body = message.partition("\n\n")
    return head.split("\n"), body


def _header(lines: list[str], name: str) -> str:
    """The unfolded value of a header, "" when absent."""
    value: list[str] = []
    taking = False
    for line in lines:
        if line[:1] in (" ", "\t"):
            if taking:
                value.append(line.strip())
            continue
        if taking:
            break
        match = _HEADER_NAME.match(line)
        if match and match.group(1).lower() == name.lower():
            taking = True
            value.append(line[match.end():].strip())
    return " ".join(value)


def _address(value: str) -> str:
    for part in value.split(","):
        match = _ADDRESS.search(part.strip())
        if match:
            return match.group(1) or match.group(2)
    return ""


def _domain(sender: str) -> str:
    address = _address(sender) or "patchaudit@localhost"
    return address.rpartition("@")[2]


def _mail(message: str, plan: AnswerPlan, number: int, now: float) -> Mail:
    lines, body = _split(message)
    replied = _header(lines, "In-Reply-To")
    message_id = _header(lines, "Message-ID")
    if not message_id:
        digest = hashlib.blake2b(f"{plan.anchor}\0{replied}\0{number}".encode(),
                                 digest_size=12).hexdigest()
        message_id = f"<patchaudit-{digest}@{_domain(_header(lines, 'From'))}>"
        lines.append(f"Message-ID: {message_id}")
    if not _header(lines, "Date"):
        lines.append(f"Date: {mail_date(now)}")
    cc = [a for a in plan.cc if a]
    if cc and not _header(lines, "Cc"):
        lines.append("Cc: " + ",\n ".join(cc))
    to = _address(_header(lines, "To"))
    recipients = (plan.redirect,) if plan.redirect else tuple(dict.fromkeys(
        [a for a in (to, *cc) if a]))
    data = encode("\n".join(lines) + "\n\n" + body)
    return Mail(message_id, recipients, data)


def mails(report: RunReport, plan: AnswerPlan, now: float) -> tuple[Mail, ...]:
    """The replies to send: new findings at or above the plan's severity that were not sent before."""
    shown = tuple(f for f in report.findings if f.severity >= plan.min_severity)
    wanted = replace(report, findings=shown)
    if plan.known:
        wanted = apply_baseline(wanted, Counter(plan.known))
    # The same series answered again (after a crash, before its delivery was
    # recorded) must give the same Message-IDs, so that a reply is sent once.
    run_id = hashlib.blake2b(plan.anchor.encode("utf-8", "surrogateescape"),
                             digest_size=8).hexdigest()
    wanted = replace(wanted, delivery=replace(wanted.delivery, run_id=run_id))
    text = FORMATTERS["email"](wanted)
    return tuple(_mail(m, plan, n, now) for n, m in enumerate(_messages(text), 1)
                 if _split(m)[0] and m.strip())


def render_answers(outcome: CheckOutcome, plan: AnswerPlan, now: float) -> Answers:
    if outcome.report is None:
        return Answers((), (), Summary())
    report = replace(outcome.report, sender=plan.sender, report_url=plan.report_url)
    names = dict(plan.file_names)
    files = tuple(
        (f"{plan.directory}/{names[fmt]}", encode(FORMATTERS[fmt](report))) for fmt in plan.formats
    )
    replies = mails(report, plan, now) if plan.mail else ()
    return Answers(files, replies, summarise(report))
