"""The command line: a stable contract (README "Command line"); errors become one line and status 2."""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from patchaudit import __version__
from patchaudit.errors import ExitCode, InputError
from patchaudit.report import FORMATTERS

# The stages are imported inside the command that needs them, so --help and a
# usage error do not pay for the C front end, the analyses or jinja2, and a
# check pays only for its own output format (tests/test_startup.py checks it).
if TYPE_CHECKING:
    from patchaudit.cfront.cache import ParseCache
    from patchaudit.engine.executors import Executor
    from patchaudit.engine.limits import ScanLimits
    from patchaudit.model import RunReport
    from patchaudit.ruleset import RuleSet
    from patchaudit.tree.base import BaseTree
    from patchaudit.tree.maintainers import Maintainers

EPILOG = """\
exit status:
  0  nothing at or above --fail-on
  1  at least one finding at or above --fail-on
  2  usage error or unusable input (one line on stderr)
  3  internal error (a bug; set PATCHAUDIT_DEBUG=1 for a traceback)
  130/143  interrupted (Ctrl-C) / terminated (SIGTERM)
  with --exit-style nipa: 0 clean, 250 warnings only, 1 errors, 2 input error

environment:
  PATCHAUDIT_CACHE_DIR  where parsed C is cached (default: $XDG_CACHE_HOME/patchaudit/parse)
"""

FAIL_ON = ("error", "warning", "note", "never")
# setitimer's range ends not far beyond this (engine/limits.py MAX_SECONDS).
MAX_SECONDS = 1_000_000
MAX_JOBS_PER_CORE = 16  # -j beyond this many processes a core only costs memory


def _seconds(text: str) -> float:
    """A time limit: a finite number of seconds (0: none); argparse's message otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_SECONDS:  # also false for NaN
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a number of seconds from 0 to {MAX_SECONDS}"
        )
    return value


def _bytes(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of bytes")
    return int(text)


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 18) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number from 1")
    return int(text)


def _check_jobs(jobs: int) -> None:
    most = MAX_JOBS_PER_CORE * _cores()
    if not 1 <= jobs <= most:
        raise InputError("--jobs", f"must be from 1 to {most} ({MAX_JOBS_PER_CORE} a core)")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other input error, instead of argparse's usage block.
        self.exit(ExitCode.INPUT_ERROR, f"patchaudit: {message} (see '{self.prog} --help')\n")


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="DIR",
        help="also load the rule files (*.toml) of DIR; may be repeated",
    )
    parser.add_argument(
        "--no-default-rules",
        action="store_true",
        help="do not load the rules shipped with patchaudit",
    )


# Formats that mean something for a whole-file scan: a scan has no patch mail
# to reply to (email) and no patch to attach a check to (patchwork).
CHECK_FORMATS = tuple(FORMATTERS)
SCAN_FORMATS = ("text", "json", "html", "terse", "emacs", "sarif")
SUMMARY_FORMATS = ("text", "terse", "emacs")  # the formats that end in a 'total:' line


def _add_output_options(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    parser.add_argument(
        "--format", "-f", choices=sorted(formats), default="text", help="output format"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="write the output to FILE (replaced atomically; a device, FIFO or - is written "
        "as a stream)",
    )  # fmt: skip
    parser.add_argument(
        "--html", metavar="FILE", help="also write the HTML report to FILE (as -o)"
    )
    parser.add_argument(
        "--no-summary", action="store_true",
        help="leave out the closing 'total:' line of text, terse and emacs (b4's "
        "per-patch hook shows every line a check prints)",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true",
        help="allow -o/--html to write inside the analysed tree",
    )  # fmt: skip
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="warning",
        help="lowest severity that makes the exit status 1 (default: warning)",
    )
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help="a previous JSON report: findings it already has are preexisting, not new",
    )
    parser.add_argument(
        "--exit-style",
        choices=("default", "nipa"),
        default="default",
        help="nipa: exit 0 clean, 250 warnings only, 1 errors (NIPA test scripts); "
        "a one-line summary also goes to the file descriptor in $DESC_FD",
    )
    parser.add_argument(
        "--all-rules",
        action="store_true",
        help="apply every rule even where the tree lacks the documentation text it encodes",
    )
    _add_cache_options(parser)
    _add_rule_options(parser)
    from patchaudit.index.commands import add_index_options

    add_index_options(parser)


def _add_bot_options(parser: argparse.ArgumentParser) -> None:
    """Options of the review-bot formats (email, patchwork): only check has patches to answer."""
    bot = parser.add_argument_group("review-bot options (-f email, -f patchwork)")
    bot.add_argument(
        "--from", dest="sender", metavar="ADDRESS",
        help="the sender of -f email's replies, also in their Reported-by tag "
        "(default: patchaudit <patchaudit@localhost>)",
    )  # fmt: skip
    bot.add_argument(
        "--to", action="append", default=[], metavar="ADDRESS",
        help="-f email: send the replies to ADDRESS instead of the patch's author (repeatable)",
    )  # fmt: skip
    bot.add_argument(
        "--cc", action="append", default=[], metavar="ADDRESS",
        help="-f email: Cc ADDRESS instead of the patch mail's own To, Cc and list "
        "(repeatable)",
    )  # fmt: skip
    bot.add_argument(
        "--email-notes", action="store_true",
        help="-f email: also mail a patch whose only new findings are notes",
    )  # fmt: skip
    bot.add_argument(
        "--report-url", metavar="URL",
        help="where the full HTML report will be published: -f patchwork's target_url "
        "(URL#patch-N), and -f email's Closes: tag and signature",
    )  # fmt: skip


def _add_file_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-file-size", type=_bytes, default=None, metavar="BYTES",
        help="do not analyse larger files; those that may match are listed as skipped "
        "(default: 8388608)",
    )  # fmt: skip
    parser.add_argument(
        "--file-time-limit", type=_seconds, default=None, metavar="SECONDS",
        help="give up on a file after this long and list it as skipped (default: 60; 0: none)",
    )  # fmt: skip


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--executor", choices=("local", "dask"), default="local",
        help="where the work runs: local processes (-j), or a Dask distributed cluster "
        "(needs --scheduler and the tree at the same path on every worker; "
        "pip install 'patchaudit[cluster]')",
    )  # fmt: skip
    parser.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="the Dask scheduler of --executor dask"
    )


@contextmanager
def chosen_executor(args: argparse.Namespace) -> Iterator[Executor | None]:
    """The executor --executor names (None: the command's own local default), closed after use."""
    if args.executor == "local" and args.scheduler is None:
        yield None
        return
    from patchaudit.engine.executors import make_executor

    executor = make_executor(args.executor, args.jobs, args.scheduler)
    try:
        yield executor
    finally:
        close = getattr(executor, "close", None)
        if close is not None:
            close()


def _add_cache_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", metavar="DIR", help="parse cache directory")
    parser.add_argument("--no-cache", action="store_true", help="do not use the parse cache")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="patchaudit",
        description=(
            "Check Linux kernel patch series and trees against the rules that the "
            "kernel's own comments state."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"patchaudit {__version__}")
    parser.set_defaults(group=parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser(
        "check",
        help="apply a patch series in memory and report what each patch adds",
        description=(
            "Apply SERIES (a patch or diff file, an mbox with a cover letter, a directory "
            "of git format-patch files, a quilt series file, or - for stdin) to the tree "
            "in memory, patch by patch, and report findings on the lines each patch adds. "
            "The tree is never written to."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("series", metavar="SERIES", nargs="?")
    # Not an option: a tree given as a second argument gets a one-line hint
    # naming --tree instead of argparse's "unrecognized arguments".
    check.add_argument("misplaced_tree", nargs="?", help=argparse.SUPPRESS)
    check.add_argument("--tree", default=".", metavar="DIR", help="base kernel tree (default: .)")
    check.add_argument(
        "--git",
        metavar="A..B",
        help="check the commits of a range of the git repository --tree, as a series "
        "applied to the tree of commit A (read through git; the working tree is not used)",
    )
    check.add_argument(
        "--max-series-size", type=_bytes, default=None, metavar="BYTES",
        help="refuse a series larger than this, all its files together (default: 67108864)",
    )  # fmt: skip
    check.add_argument(
        "--max-patches", type=_count, default=None, metavar="N",
        help="refuse a series of more patches than this (default: 10000)",
    )  # fmt: skip
    _add_file_limits(check)
    _add_output_options(check, CHECK_FORMATS)
    _add_bot_options(check)
    check.add_argument(
        "--per-patch",
        action="store_true",
        help="SERIES is one patch of a larger series, as b4's am-perpatch-check-cmd pipes "
        "them one at a time: the patches it lacks are not reported missing",
    )

    scan = commands.add_parser(
        "scan",
        help="report every finding in the C files of a tree",
        description="Analyse whole files: the .c and .h files under PATHs of the tree DIR.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("tree", metavar="DIR")
    # default=[]: argparse counts a '*' positional without a default as required
    # and would name PATH among the missing arguments of a bare 'scan'.
    scan.add_argument(
        "paths", metavar="PATH", nargs="*", default=[], help="files or directories in DIR"
    )
    scan.add_argument(
        "-j", "--jobs", type=int, default=_cores(),
        help="worker processes of the local executor (default: the number of cores, "
        "here %(default)s)",
    )  # fmt: skip
    _add_file_limits(scan)
    scan.add_argument(
        "--no-grep", action="store_true",
        help="search every file for the rules' tokens in Python instead of running grep "
        "first (same report; grep is used only where it is found)",
    )  # fmt: skip
    add_executor_options(scan)
    _add_output_options(scan, SCAN_FORMATS)
    scan.add_argument(
        "--html-dir", metavar="DIR",
        help="also write the HTML report as a directory for a whole tree: DIR/index.html "
        "(the summary and a filter) and one page per MAINTAINERS entry (per rule in a tree "
        "without MAINTAINERS), each small enough to open at once",
    )  # fmt: skip
    scan.add_argument(
        "--maintainers-of", metavar="PATH",
        help="report only the findings in files owned by the MAINTAINERS entries that cover "
        "PATH (as scripts/get_maintainer.pl names them; THE REST only when nothing else does)",
    )  # fmt: skip

    rules = commands.add_parser("rules", help="list the rules or show one")
    rules.set_defaults(group=rules)
    rule_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION", parser_class=_Parser)
    rules_list = rule_commands.add_parser("list", help="one line per rule")
    _add_rule_options(rules_list)
    rules_show = rule_commands.add_parser("show", help="a rule's full documentation")
    rules_show.add_argument("rule", metavar="ID", help="code (PA1001), slug or both")
    _add_rule_options(rules_show)

    parse_report = commands.add_parser(
        "parse-report",
        help="how well patchaudit parses a tree (JSON)",
        description=(
            "Parse the .c and .h files under PATHs of DIR and print JSON: files, bytes, "
            "functions, functions_with_errors, error_rate, seconds and the constructs "
            "behind the remaining parse errors."
        ),
    )
    from patchaudit.index.commands import add_commands

    add_commands(commands, _Parser, _cores())

    parse_report.add_argument("tree", metavar="DIR")
    parse_report.add_argument("paths", metavar="PATH", nargs="*", default=[])
    parse_report.add_argument(
        "-j", "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes"
    )
    _add_cache_options(parse_report)
    # Each command's own parser, to report what it does not take (see main()).
    for command in (parser, check, scan, rules, rules_list, rules_show, parse_report):
        command.set_defaults(command_parser=command)

    from patchaudit.bot.cli import add_parser as add_bot_parser

    add_bot_parser(commands, _Parser)
    return parser


def _load_rules(args: argparse.Namespace) -> RuleSet:
    from patchaudit.resources import rules_dir
    from patchaudit.ruleset import load_rules

    directories = [] if args.no_default_rules else [rules_dir()]
    directories.extend(Path(d) for d in args.rules)
    if not directories:
        raise InputError("--no-default-rules", "no rules to run: give --rules DIR")
    return load_rules(directories)


def _cache(args: argparse.Namespace) -> ParseCache | None:
    from patchaudit.cfront.cache import ParseCache, default_cache_dir, untrusted

    if args.no_cache:
        return None
    directory = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    if directory is None:
        return None
    reason = untrusted(directory)
    if reason is not None:
        print(f"patchaudit: warning: cache {directory} is {reason}; running without it",
              file=sys.stderr)  # fmt: skip
        return None
    return ParseCache(directory)


def _index(args: argparse.Namespace, root: Path) -> str | None:
    from patchaudit.index.commands import existing_index

    return existing_index(args, root)


def _prepare(args: argparse.Namespace) -> None:
    """Check every option that a run would only use at its end, before the run.

    A wrong output path, sender or baseline must not cost a whole check or
    scan and then lose its report.
    """
    from patchaudit.output import check_directory_target

    _check_outputs(args)
    if getattr(args, "html_dir", None):
        check_directory_target(Path(args.html_dir))
    args.sender = _sender(getattr(args, "sender", None))
    args.report_url = _report_url(getattr(args, "report_url", None))
    args.to = tuple(_address("--to", value) for value in getattr(args, "to", ()))
    args.cc = tuple(_address("--cc", value) for value in getattr(args, "cc", ()))
    if args.baseline:
        from patchaudit.engine.baseline import load_baseline

        args.baseline_findings = load_baseline(Path(args.baseline))


def _emit(report: RunReport, args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.model import Delivery, Severity
    from patchaudit.output import STDOUT, encode, write_output
    from patchaudit.report.text import counts_against

    if args.baseline:
        from patchaudit.engine.baseline import apply_baseline

        report = apply_baseline(report, args.baseline_findings)
    report = replace(
        report,
        sender=args.sender,
        report_url=args.report_url,
        delivery=Delivery(to=args.to, cc=args.cc, notes=getattr(args, "email_notes", False)),
    )
    text = FORMATTERS[args.format](report)
    if args.no_summary and args.format in SUMMARY_FORMATS:
        text = text[: text.rstrip("\n").rfind("\n") + 1]  # the total line is the last one
    tree = Path(args.tree)
    if args.output and args.output != STDOUT:
        write_output(args.output, text, tree=tree, force=args.force)
    else:
        stdout.buffer.write(encode(text)) if hasattr(stdout, "buffer") else stdout.write(text)
        stdout.flush()
    if args.html == STDOUT:
        html = FORMATTERS["html"](report)
        stdout.buffer.write(encode(html)) if hasattr(stdout, "buffer") else stdout.write(html)
        stdout.flush()
    elif args.html:
        write_output(args.html, FORMATTERS["html"](report), tree=tree, force=args.force)
    if getattr(args, "html_dir", None):
        from patchaudit.output import write_directory_atomic
        from patchaudit.report.html_site import format_html_site

        write_directory_atomic(Path(args.html_dir), format_html_site(report))
    if args.exit_style == "nipa":
        return _nipa_status(report)
    if args.fail_on == "never":
        return ExitCode.CLEAN
    threshold = Severity.parse(args.fail_on)
    failing = any(f.severity >= threshold and counts_against(f) for f in report.findings)
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN


# The outputs that show who owns a finding: only they pay for reading MAINTAINERS.
OWNED_FORMATS = ("json", "html")


def _wants_owners(args: argparse.Namespace) -> bool:
    return bool(
        args.format in OWNED_FORMATS or args.html or getattr(args, "html_dir", None)
        or getattr(args, "maintainers_of", None)
    )


def _maintainers(args: argparse.Namespace, base: BaseTree) -> Maintainers | None:
    """The tree's MAINTAINERS, read before any work when an output or --maintainers-of uses it."""
    from patchaudit.engine.owners import read_maintainers

    if not _wants_owners(args):
        return None
    maintainers = read_maintainers(base.read, base.is_dir)
    if maintainers is None and getattr(args, "maintainers_of", None):
        raise InputError("--maintainers-of", f"{args.tree}: the tree has no MAINTAINERS file")
    return maintainers


def _owned(report: RunReport, args: argparse.Namespace, base: BaseTree,
           maintainers: Maintainers | None) -> RunReport:
    from patchaudit.engine.owners import attach_ownership, restrict_to_maintainers_of

    if maintainers is None:
        return report
    path = getattr(args, "maintainers_of", None)
    if path:
        return restrict_to_maintainers_of(report, maintainers, path, base.is_dir(path))
    return attach_ownership(report, maintainers)


def _address(option: str, text: str) -> str:
    from patchaudit.report.email_format import check_sender

    try:
        return check_sender(text)
    except ValueError as exc:
        raise InputError(option, str(exc)) from None


def _sender(text: str | None) -> str:
    if text is None:
        return ""
    from patchaudit.report.email_format import check_sender

    try:
        return check_sender(text)
    except ValueError as exc:
        raise InputError("--from", str(exc)) from None


# Printed into mails and JSON as given: one http(s) URL, no spaces or control characters.
_URL_RE = re.compile(r"https?://[!-~]+")


def _report_url(text: str | None) -> str:
    if text is None:
        return ""
    if not _URL_RE.fullmatch(text):
        raise InputError("--report-url", f"'{text}' is not an http:// or https:// URL without spaces")
    return text


def _nipa_status(report: RunReport) -> int:
    from patchaudit.model import Severity
    from patchaudit.output import encode
    from patchaudit.report.text import counts_against, summary_line

    counting = [f for f in report.findings if counts_against(f)]
    worst = max((f.severity for f in counting), default=None)
    summary = summary_line(report)
    fd = os.environ.get("DESC_FD", "")
    if fd.isascii() and fd.isdigit():
        try:
            # A number of thousands of digits does not even convert: no such descriptor.
            os.write(int(fd) if len(fd) <= 9 else -1, encode(summary + "\n"))
        except OSError as exc:
            raise InputError(f"DESC_FD={fd[:20]}", f"cannot write the summary: {exc.strerror}") from None
    if worst is None or worst < Severity.WARNING:
        return ExitCode.CLEAN
    return ExitCode.FINDINGS if worst is Severity.ERROR else ExitCode.NIPA_WARNING


def _file_limits(args: argparse.Namespace) -> ScanLimits:
    from patchaudit.engine.limits import ScanLimits

    defaults = ScanLimits()
    return ScanLimits(
        defaults.max_file_size if args.max_file_size is None else args.max_file_size,
        defaults.seconds_per_file if args.file_time_limit is None else args.file_time_limit,
    )


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse an unusable -o/--html before the analysis, not after it."""
    from patchaudit.output import check_output

    for name in (args.output, args.html):
        if name:
            check_output(name, tree=Path(args.tree), force=args.force)


def _cmd_check(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.engine import Options, check_series
    from patchaudit.engine.check import READ_LIMIT
    from patchaudit.series import load_series
    from patchaudit.series.sources import MAX_INPUT_BYTES, MAX_PATCHES
    from patchaudit.tree.base import BaseTree

    if args.misplaced_tree is not None:
        raise InputError(
            args.misplaced_tree,
            f"check takes one SERIES; to check it against this tree, use "
            f"--tree {args.misplaced_tree}",
        )
    _prepare(args)
    rules = _load_rules(args)
    size = MAX_INPUT_BYTES if args.max_series_size is None else args.max_series_size
    count = MAX_PATCHES if args.max_patches is None else args.max_patches
    if args.git is not None:
        from patchaudit.series.git import load_git_range
        from patchaudit.tree.git import GitTree, is_repository, range_base

        if args.series is not None:
            raise InputError(args.series, "give either SERIES or --git A..B, not both")
        if not is_repository(args.tree):
            where = "the current directory" if args.tree in ("", ".") else args.tree
            raise InputError(
                where, "not a git repository; name the repository of the range with --tree REPO"
            )
        base: BaseTree = GitTree(Path(args.tree), range_base(args.git), max_file_size=READ_LIMIT)
        series = load_git_range(Path(args.tree), args.git, max_bytes=size, max_patches=count)
    else:
        if args.series is None:
            raise InputError("check", "the following arguments are required: SERIES (or --git A..B)")
        base = BaseTree(Path(args.tree), max_file_size=READ_LIMIT)
        series = load_series(args.series, max_bytes=size, max_patches=count)
    if args.per_patch:
        from patchaudit.series.model import ProblemKind

        series = replace(series, problems=tuple(
            p for p in series.problems if p.kind is not ProblemKind.MISSING_PATCH))
    maintainers = _maintainers(args, base)
    options = Options(args.all_rules, _cache(args), args.tree, _index(args, base.root))
    report = check_series(series, base, rules, options, limits=_file_limits(args))
    return _emit(_owned(report, args, base, maintainers), args, stdout)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _cmd_scan(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.engine import Options, scan_tree
    from patchaudit.engine.progress import ProgressLine
    from patchaudit.tree.base import BaseTree

    _check_jobs(args.jobs)
    limits = _file_limits(args)
    _prepare(args)
    rules = _load_rules(args)
    base = BaseTree(Path(args.tree))
    maintainers = _maintainers(args, base)
    # A progress line only for a person watching: never in logs, pipes or CI output.
    line = ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        with chosen_executor(args) as executor:
            report = scan_tree(base, args.paths, rules,
                               Options(args.all_rules, _cache(args), args.tree,
                                       _index(args, base.root)),
                               jobs=args.jobs, limits=limits, progress=line,
                               first_pass=not args.no_grep, executor=executor)
    finally:
        if line is not None:
            line.close()
    return _emit(_owned(report, args, base, maintainers), args, stdout)


def _cmd_rules(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.report.rules_doc import format_rule, format_rule_list

    rules = _load_rules(args)
    if args.rules_command == "show":
        rule = rules.find(args.rule)
        if rule is None:
            raise InputError(args.rule, "no such rule (see 'patchaudit rules list')")
        stdout.write(format_rule(rule))
    else:
        stdout.write(format_rule_list(rules))
    return ExitCode.CLEAN


def _cmd_parse_report(args: argparse.Namespace, stdout: TextIO) -> int:
    import json

    from patchaudit.cfront.report import parse_report

    _check_jobs(args.jobs)
    root = Path(args.tree)
    if not root.is_dir():
        raise InputError(args.tree, "not a directory")
    result = parse_report(root, args.paths, jobs=args.jobs, cache=_cache(args))
    stdout.write(json.dumps(result, indent=2) + "\n")
    return ExitCode.CLEAN


def _cmd_index(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.index.commands import cmd_index

    return cmd_index(args, stdout)


def _cmd_contracts(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.index.commands import cmd_contracts

    return cmd_contracts(args, stdout)


def _cmd_explain(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.index.commands import cmd_explain

    return cmd_explain(args, stdout)


def _cmd_bot(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.bot.cli import run_command

    return run_command(args, stdout)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Reported by the subcommand's parser, so that the hint names its own --help.
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None or (args.command == "rules" and args.rules_command is None):
        # A command group without its command is a usage error: say what it takes.
        args.group.print_help(sys.stderr)
        return ExitCode.INPUT_ERROR
    handlers = {
        "check": _cmd_check,
        "scan": _cmd_scan,
        "rules": _cmd_rules,
        "parse-report": _cmd_parse_report,
        "index": _cmd_index,
        "contracts": _cmd_contracts,
        "explain": _cmd_explain,
        "bot": _cmd_bot,
    }
    from patchaudit.lifetime import Terminated, sigterm_interrupts

    try:
        with sigterm_interrupts():
            return handlers[args.command](args, out)
    except InputError as exc:
        sys.stderr.write(f"patchaudit: {_one_line(str(exc))}\n")
        return ExitCode.INPUT_ERROR
    except Terminated:
        sys.stderr.write("patchaudit: terminated\n")
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        sys.stderr.write("patchaudit: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (patchaudit ... | head): not an error worth a message.
        return ExitCode.CLEAN
    except Exception as exc:
        if os.environ.get("PATCHAUDIT_DEBUG"):
            raise
        sys.stderr.write(
            f"patchaudit: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
            "(a bug: please report it; PATCHAUDIT_DEBUG=1 shows the traceback)\n"
        )
        return ExitCode.INTERNAL_ERROR


def _one_line(text: str) -> str:
    return " ".join(text.split())
