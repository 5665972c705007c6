"""``--format email``: plain-text replies to the patch mails with new findings, 0-day robot style.

One message a patch that introduces something (new, unsuppressed findings
only); a patch with none gets no mail. Several messages are concatenated as
an mbox (``From patchaudit ...`` separators, mboxrd quoting); a single-patch
input gives one bare message that can be piped to a mailer. Findings about
the series as a whole go in a reply to the cover letter (to patch 1 when there
is none). The layout is documented in docs/formats.md.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import re
import secrets
import textwrap
from collections import Counter
from email.utils import formataddr, getaddresses

from patchaudit.model import DiffLine, Finding, PatchSummary, RunReport, Severity, SourceQuote
from patchaudit.report.anchors import finding_anchors
from patchaudit.report.text import counts_against, place, rule_name

SENDER = "patchaudit <patchaudit@localhost>"
# git format-patch's fixed mbox date: the separator carries no real time, so
# the output is byte for byte reproducible.
MBOX_SEPARATOR = "From patchaudit Mon Sep 17 00:00:00 2001"
CONTEXT_LINES = 3  # diff lines quoted with '>' on each side of the offending one
MARK = ">>"  # the 0-day robot's marker for a line the patch adds
QUOTE = "> "

# Header values come from untrusted mail: a CR or LF would start a new header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# "Name <addr>" or '"Name" <addr>': the display name is what a greeting uses.
_NAMED = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<addr>[^<>]*)>\s*$')
# RFC 5322 specials: a display name holding one must be a quoted string.
# mboxrd: a body line that reads as a separator gets one more '>'.
_FROM_LINE = re.compile(r"^(>*From )", re.MULTILINE)
_ENCODED_WORD_BYTES = 36  # 48 base64 characters: a header line with one word stays within 78
_HEADER_WIDTH = 78  # RFC 5322's recommended line length (998 is the hard limit)
_MAX_MSGID = _HEADER_WIDTH - len("In-Reply-To: <>")
# Body characters a terminal or mail reader would act on rather than show:
# C0 controls but tab, DEL, C1 controls, and the bidirectional overrides of
# "Trojan Source" (which reorder what a reader sees). They are shown escaped.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_ADDR_SPEC = re.compile(r"[!-~]+@[!-~]+")
_NOT_IN_ADDRESS = set('<>,;"\\()[]: ')


def _clean(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def _encoded_words(text: str) -> str:
    """RFC 2047 ``=?utf-8?b?...?=`` words, split on character boundaries, folded one a line."""
    words: list[bytes] = []
    chunk = b""
    for char in text:
        # A surrogate escape (a byte that was not UTF-8) leaves as U+FFFD.
        data = char.encode("utf-8", "surrogateescape").decode("utf-8", "replace").encode("utf-8")
        if chunk and len(chunk) + len(data) > _ENCODED_WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += data
    if chunk:
        words.append(chunk)
    return "\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


def _fold(name: str, value: str) -> str:
    """``Name: value`` folded at spaces to about 78 columns (RFC 5322 prefers it)."""
    line = f"{name}:"
    lines = []
    for word in value.split(" "):
        if len(line) + 1 + len(word) > 78 and line != f"{name}:":
            lines.append(line)
            line = ""
        line += f" {word}"
    lines.append(line)
    return "\n".join(lines)


def _visible(text: str) -> str:
    """``text`` with the characters _INVISIBLE names written as ``\\x1b`` or ``\\u202e``."""
    return _INVISIBLE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text
    )


def _header(name: str, value: str) -> str:
    value = _clean(value)
    if value.isascii():
        folded = _fold(name, value)
        if all(len(line) <= _HEADER_WIDTH for line in folded.split("\n")):
            return folded
    # Non-ASCII, or a word too long to fold at spaces: encoded words fold anywhere.
    return f"{name}: {_encoded_words(value)}"


def _address(author: str) -> str:
    """The author as a To: value: one plain address, its display name quoted or encoded as
    needed; "" (no To:) when the author is not one plain ASCII address."""
    author = _clean(author)
    found = getaddresses([author])
    # Pythons before 3.11.10 parse that group as one empty address: the same fallback.
    if len(found) != 1 or not found[0][1]:
        # "Mallory Bcc: victim@example.org <mallory@example.org>" parses as a group
        # holding two addresses; it is one display name and one address in angle
        # brackets, which the quoting below keeps to one. A comma still separates
        # two recipients ("Thor, A <a@example.org>"): no author to reply to.
        match = _NAMED.match(author)
        if match is None or "," in match["name"]:
            return ""
        found = [(match["name"], match["addr"])]
    name, addr = found[0]
    if not _ADDR_SPEC.fullmatch(addr) or _NOT_IN_ADDRESS.intersection(addr):
        return ""  # none, several, or an internationalised address (SMTPUTF8): leave To: out
    name = name.strip()
    if not name:
        return addr
    if not name.isascii():
        return f"{_encoded_words(name)} <{addr}>"
    plain = formataddr((name, addr))
    # A name too long for one header line is no one's real name: the address alone.
    return plain if len(f"To: {plain}") <= _HEADER_WIDTH else addr


def check_sender(text: str) -> str:
    """``text`` as a From: value ("Name <addr@host>" or "addr@host"); ValueError if it is not one.

    It goes into a header as it is given: a control character could add a
    header, and an address must be plain ASCII (SMTPUTF8 aside).
    """
    if _CONTROL.search(text) or text != text.strip():
        raise ValueError("a sender must be one line without control characters")
    match = _NAMED.match(text)
    address = match["addr"] if match is not None else text
    if not re.fullmatch(r"[!-~]+@[!-~]+", address) or any(c in address for c in '<>,;"\\'):
        raise ValueError(f"'{text}' is not a mail address ('Name <addr@host>' or 'addr@host')")
    found = _address(text)
    if not found:
        raise ValueError(f"'{text}' cannot be written as a mail header")
    return found


def _msgid(value: str) -> str:
    # An id is printable ASCII (RFC 5322 msg-id): brackets, whitespace, control
    # and non-ASCII characters inside one are noise from the mail; drop them.
    # One longer than a header line is no mailer's id: leave it out (no threading).
    bare = re.sub(r"[^!-~]|[<>]", "", value)
    return f"<{bare}>" if bare and len(bare) <= _MAX_MSGID else ""


def _greeting(author: str) -> str:
    match = _NAMED.match(_clean(author))
    name = match["name"].strip() if match is not None else ""
    return f"Hi {name}," if name else "Hi,"


def _domain(sender: str) -> str:
    """The domain of the sender's address: Message-IDs are made in its name."""
    match = _NAMED.match(sender)
    address = match["addr"] if match is not None else sender
    domain = address.rpartition("@")[2]
    return re.sub(r"[^A-Za-z0-9.-]", "", domain) or "localhost"


def _bare(address: str) -> str:
    match = _NAMED.match(address)
    return (match["addr"] if match is not None else address).strip().lower()


def _recipients(patch: PatchSummary, report: RunReport) -> tuple[list[str], list[str]]:
    """To: (the author, or --to) and Cc: (the patch mail's To, Cc and list, or --cc).

    An address appears once: not in Cc when it is in To, never the sender.
    """
    delivery = report.delivery
    to = list(delivery.to) if delivery.to else [patch.author]
    cc = list(delivery.cc) if delivery.cc else list(patch.recipients)
    seen = {_bare(_sender(report))}
    chosen: list[list[str]] = [[], []]
    for group, addresses in zip(chosen, (to, cc)):
        for address in addresses:
            written = _address(address)
            key = _bare(address)
            if written and key and key not in seen:
                seen.add(key)
                group.append(written)
    return chosen[0], chosen[1]


def _date(report: RunReport) -> str:
    return report.delivery.date or email.utils.format_datetime(
        datetime.datetime.now(datetime.timezone.utc)
    )


def _run_id(report: RunReport) -> str:
    if report.delivery.run_id:
        return report.delivery.run_id
    # A name unique across runs: when, and a random part for two runs in one second.
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S.") + (
        secrets.token_hex(6)
    )


def message_id(report: RunReport, run_id: str, patch: PatchSummary, cover: bool) -> str:
    """This run's reply to ``patch``: one id a mail, in the sender's domain."""
    which = "cover" if cover else str(patch.index)
    return f"<patchaudit.{run_id}.{which}@{_domain(_sender(report))}>"


def _thread(patch: PatchSummary, report: RunReport) -> list[str]:
    """References: the patch's own chain, then the cover letter, then the patch itself."""
    own = _msgid(patch.message_id)
    chain = [_msgid(ref) for ref in patch.references]
    cover = report.cover
    if cover is not None and cover is not patch and cover.message_id:
        chain.append(_msgid(cover.message_id))
    chain.append(own)
    return [ref for ref in dict.fromkeys(chain) if ref]


def _headers(patch: PatchSummary, report: RunReport, own_id: str) -> list[str]:
    subject = _clean(patch.raw_subject or patch.subject)
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    lines = [f"From: {_sender(report)}"]
    to, cc = _recipients(patch, report)
    if to:
        lines.append("To: " + ",\n ".join(to))
    if cc:
        lines.append("Cc: " + ",\n ".join(cc))
    lines.append(_header("Subject", subject))
    lines += [f"Date: {_date(report)}", f"Message-ID: {own_id}"]
    own = _msgid(patch.message_id)
    if own:
        lines.append(f"In-Reply-To: {own}")
    references = _thread(patch, report)
    if references:
        lines.append("References: " + "\n ".join(references))
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return lines


def _counts(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    parts = [
        f"{counts[severity]} {severity.label}{'s' if counts[severity] != 1 else ''}"
        for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
        if counts[severity]
    ]
    total = len(findings)
    return f"{total} new problem{'s' if total != 1 else ''} ({', '.join(parts)})"


def _diff_quote(finding: Finding, patch: PatchSummary) -> list[str]:
    """The hunk lines around the finding's line: ``>>`` on it, ``>`` on its context."""
    for diff in patch.files:
        if diff.path != finding.file:
            continue
        for hunk in diff.hunks:
            lines = hunk.lines
            at = next((i for i, line in enumerate(lines) if _is_target(line, finding.line)), None)
            if at is None:
                continue
            window = lines[max(0, at - CONTEXT_LINES) : at + CONTEXT_LINES + 1]
            quoted = [f"{QUOTE} {hunk.header}"]
            for line in window:
                prefix = MARK if line is lines[at] else QUOTE
                quoted.append(f"{prefix} {line.kind}{line.text}".rstrip())
            return quoted
    if finding.code:
        # Not a line of this patch's diff (a partner file, a line the patch
        # left alone): quote the offending statement alone.
        return [
            f"{QUOTE} (line {finding.line} is not in this patch's diff)",
            f"{MARK} {finding.code}",
        ]
    return []


def _is_target(line: DiffLine, number: int) -> bool:
    return line.kind != "-" and line.new_line == number


def _cited(source: SourceQuote | None) -> list[str]:
    if source is None or not source.text.strip():
        return []
    where = f"{source.file}:{source.line}" if source.line is not None else source.file
    lines = [f"The rule enforces this text of {where} ({source.symbol}, {source.version}):", ""]
    lines += [f"    {text}".rstrip() for text in source.text.strip().splitlines()]
    return lines


def _finding_block(
    finding: Finding, patch: PatchSummary, report: RunReport, anchor: str
) -> list[str]:
    lines = [f"{finding.severity.label}: {finding.message} [{rule_name(finding, report)}]"]
    if finding.file:
        function = f" in {finding.function}()" if finding.function else ""
        lines.append(f"at {place(finding.file, finding.line, finding.column)}{function}")
    if report.report_url:
        lines.append(f"details: {report.report_url}#{anchor}")
    quoted = _diff_quote(finding, patch) if finding.file else []
    if quoted:
        lines += [""] + quoted
    info = report.rule(finding.rule_id)
    cited = _cited(finding.source or (info.source if info is not None else None))
    if cited:
        lines += [""] + cited
    if finding.trace:
        lines += ["", "How patchaudit got there:"]
        for step in finding.trace:
            text = step.message.splitlines() or [""]
            where = f"{step.file}:{step.line}: " if step.file else ""
            lines.append(f"    {where}{text[0]}".rstrip())
            lines += [f"        {rest}".rstrip() for rest in text[1:]]
    return lines


def _body(
    patch: PatchSummary,
    findings: list[Finding],
    report: RunReport,
    cover: bool,
    anchors: dict[int, str],
) -> str:
    what = "this series" if cover else "this patch"
    base = f" (base commit {patch.base_commit})" if patch.base_commit else ""
    after = ""
    if not cover and patch.index > 1:
        earlier = "patch 1" if patch.index == 2 else f"patches 1-{patch.index - 1}"
        after = f", applied after {earlier} of the series,"
    intro = (
        f"patchaudit checked {what} against {report.tree}{base}{after} and found "
        f"{_counts(findings)} that it introduces:"
    )
    them = "them" if len(findings) > 1 else "it"
    link = report_link(report, patch, cover)
    tags = [f"| Reported-by: {_sender(report)}"]
    if link:
        tags.append(f"| Closes: {link}")
    lines = [
        _greeting(patch.author),
        "",
        *textwrap.wrap(intro, 72, break_long_words=False, break_on_hyphens=False),
        "",
        f"    {_clean(patch.raw_subject or patch.subject)}",
        "",
        f"If you fix {them} in a separate commit rather than in a new version of",
        f"{what}, kindly add the following {'tags' if len(tags) > 1 else 'tag'}:",
        *tags,
    ]
    for finding in findings:
        lines += ["", "-" * 72, ""]
        lines += _finding_block(finding, patch, report, anchors[id(finding)])
    lines += ["", "-- ", f"{report.tool} {report.version}"]
    if link:
        lines.append(f"The full report: {link}")
    lines.append("A rule's full documentation: patchaudit rules show RULE-ID")
    return _visible("\n".join(lines)) + "\n"


def report_link(report: RunReport, patch: PatchSummary, cover: bool) -> str:
    """Where the published HTML report shows this mail's findings: its patch's section."""
    if not report.report_url:
        return ""
    return f"{report.report_url}#{'series' if cover else f'patch-{patch.index}'}"


def _sender(report: RunReport) -> str:
    return check_sender(report.sender) if report.sender else SENDER


def _mails(report: RunReport) -> list[tuple[PatchSummary, list[Finding], bool]]:
    """(mail replied to, its findings, whether it is the cover letter), in series order."""
    wanted = [f for f in report.findings if counts_against(f)]
    mails = []
    series_wide = [f for f in wanted if f.patch is None]
    target = report.cover or (report.patches[0] if report.patches else None)
    if report.mode != "check" or target is None:
        series_wide = []  # a scan has no mail to reply to
    elif report.cover is not None and series_wide:
        mails.append((report.cover, series_wide, True))
        series_wide = []
    for patch in report.patches:
        mine = [f for f in wanted if f.patch is not None and f.patch.index == patch.index]
        if patch is target:
            mine = series_wide + mine
        if mine:
            mails.append((patch, mine, False))
    if not report.delivery.notes:
        # A note alone (a documentation-only patch gets PA0020) is worth a
        # line in the report, not a mail to the author: --email-notes asks.
        mails = [m for m in mails if any(f.severity > Severity.NOTE for f in m[1])]
    return mails


def format_email(report: RunReport) -> str:
    run_id = _run_id(report)
    anchors = {id(f): a for f, a in zip(report.findings, finding_anchors(report.findings))}
    messages = [
        "\n".join(_headers(patch, report, message_id(report, run_id, patch, cover)))
        + "\n\n"
        + _body(patch, findings, report, cover, anchors)
        for patch, findings, cover in _mails(report)
    ]
    if len(report.patches) <= 1 and len(messages) == 1:
        return messages[0]
    return "\n".join(MBOX_SEPARATOR + "\n" + _FROM_LINE.sub(r">\1", m) for m in messages)
