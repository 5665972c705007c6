"""The command line: a stable contract (README "Command line"); errors become one line and status 2."""

from __future__ import annotations

import argparse
import os
import re
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
    from patchaudit.model import RunReport
    from patchaudit.ruleset import RuleSet

EPILOG = """\
exit status:
  0  nothing at or above --fail-on
  1  at least one finding at or above --fail-on
  2  usage error or unusable input (one line on stderr)
  3  internal error (a bug; set PATCHAUDIT_DEBUG=1 for a traceback)
  with --exit-style nipa: 0 clean, 250 warnings only, 1 errors, 2 input error

environment:
  PATCHAUDIT_CACHE_DIR  where parsed C is cached (default: $XDG_CACHE_HOME/patchaudit/parse)
"""

FAIL_ON = ("error", "warning", "note", "never")


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


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", "-f", choices=sorted(FORMATTERS), default="text", help="output format"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE")
    parser.add_argument(
        "--html", metavar="FILE", help="also write the HTML report to FILE"
    )
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
        "--from", dest="sender", metavar="ADDRESS",
        help="the sender of -f email's replies, also in their Reported-by tag "
        "(default: patchaudit <patchaudit@localhost>)",
    )  # fmt: skip
    parser.add_argument(
        "--report-url", metavar="URL",
        help="where the full report will be published: -f patchwork's target_url, "
        "and a line of -f email's signature",
    )  # fmt: skip
    parser.add_argument(
        "--all-rules",
        action="store_true",
        help="apply every rule even where the tree lacks the documentation text it encodes",
    )
    _add_cache_options(parser)
    _add_rule_options(parser)


def _add_executor_options(parser: argparse.ArgumentParser) -> None:
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
def _executor(args: argparse.Namespace) -> Iterator[Executor | None]:
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
    check.add_argument("--tree", default=".", metavar="DIR", help="base kernel tree (default: .)")
    check.add_argument(
        "--git",
        metavar="A..B",
        help="check the commits of a range of the git repository --tree, as a series "
        "applied to the tree of commit A (read through git; the working tree is not used)",
    )
    _add_output_options(check)

    scan = commands.add_parser(
        "scan",
        help="report every finding in the C files of a tree",
        description="Analyse whole files: the .c and .h files under PATHs of the tree DIR.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("tree", metavar="DIR")
    scan.add_argument("paths", metavar="PATH", nargs="*", help="files or directories in DIR")
    scan.add_argument(
        "-j", "--jobs", type=int, default=_cores(),
        help="worker processes of the local executor (default: the number of cores, "
        "here %(default)s)",
    )  # fmt: skip
    scan.add_argument(
        "--max-file-size", type=int, default=None, metavar="BYTES",
        help="do not analyse larger files; those that may match are listed as skipped "
        "(default: 8388608)",
    )  # fmt: skip
    scan.add_argument(
        "--file-time-limit", type=float, default=None, metavar="SECONDS",
        help="give up on a file after this long and list it as skipped (default: 60; 0: none)",
    )  # fmt: skip
    scan.add_argument(
        "--no-grep", action="store_true",
        help="search every file for the rules' tokens in Python instead of running grep "
        "first (same report; grep is used only where it is found)",
    )  # fmt: skip
    _add_executor_options(scan)
    _add_output_options(scan)

    rules = commands.add_parser("rules", help="list the rules or show one")
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
    parse_report.add_argument("tree", metavar="DIR")
    parse_report.add_argument("paths", metavar="PATH", nargs="*")
    parse_report.add_argument(
        "-j", "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes"
    )
    _add_cache_options(parse_report)
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
    from patchaudit.cfront.cache import ParseCache, default_cache_dir

    if args.no_cache:
        return None
    return ParseCache(Path(args.cache_dir) if args.cache_dir else default_cache_dir())


def _emit(report: RunReport, args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.model import Severity
    from patchaudit.output import encode, write_atomic
    from patchaudit.report.text import counts_against

    if args.baseline:
        from patchaudit.engine.baseline import apply_baseline, load_baseline

        report = apply_baseline(report, load_baseline(Path(args.baseline)))
    report = replace(report, sender=_sender(args.sender), report_url=_report_url(args.report_url))
    text = FORMATTERS[args.format](report)
    if args.output:
        write_atomic(Path(args.output), text)
    else:
        stdout.buffer.write(encode(text)) if hasattr(stdout, "buffer") else stdout.write(text)
        stdout.flush()
    if args.html:
        write_atomic(Path(args.html), FORMATTERS["html"](report))
    if args.exit_style == "nipa":
        return _nipa_status(report)
    if args.fail_on == "never":
        return ExitCode.CLEAN
    threshold = Severity.parse(args.fail_on)
    failing = any(f.severity >= threshold and counts_against(f) for f in report.findings)
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN


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
    from patchaudit.report.text import counts_against, summary_line

    counting = [f for f in report.findings if counts_against(f)]
    worst = max((f.severity for f in counting), default=None)
    summary = summary_line(report)
    fd = os.environ.get("DESC_FD", "")
    if fd.isdigit():
        try:
            os.write(int(fd), (summary + "\n").encode())
        except OSError as exc:
            raise InputError(f"DESC_FD={fd}", f"cannot write the summary: {exc.strerror}") from None
    if worst is None or worst < Severity.WARNING:
        return ExitCode.CLEAN
    return ExitCode.FINDINGS if worst is Severity.ERROR else ExitCode.NIPA_WARNING


def _cmd_check(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.engine import Options, check_series
    from patchaudit.series import load_series
    from patchaudit.tree.base import BaseTree

    rules = _load_rules(args)
    if args.git is not None:
        from patchaudit.series.git import load_git_range
        from patchaudit.tree.git import GitTree, range_base

        if args.series is not None:
            raise InputError(args.series, "give either SERIES or --git A..B, not both")
        base: BaseTree = GitTree(Path(args.tree), range_base(args.git))
        series = load_git_range(Path(args.tree), args.git)
    else:
        if args.series is None:
            raise InputError("check", "the following arguments are required: SERIES (or --git A..B)")
        base = BaseTree(Path(args.tree))
        series = load_series(args.series)
    report = check_series(series, base, rules, Options(args.all_rules, _cache(args), args.tree))
    return _emit(report, args, stdout)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _cmd_scan(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.engine import Options, scan_tree
    from patchaudit.engine.progress import ProgressLine
    from patchaudit.engine.work import ScanLimits
    from patchaudit.tree.base import BaseTree

    if args.jobs < 1:
        raise InputError("--jobs", "must be at least 1")
    defaults = ScanLimits()
    limits = ScanLimits(
        defaults.max_file_size if args.max_file_size is None else args.max_file_size,
        defaults.seconds_per_file if args.file_time_limit is None else args.file_time_limit,
    )
    if limits.max_file_size < 0 or limits.seconds_per_file < 0:
        raise InputError("--max-file-size/--file-time-limit", "must not be negative")
    rules = _load_rules(args)
    base = BaseTree(Path(args.tree))
    # A progress line only for a person watching: never in logs, pipes or CI output.
    line = ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        with _executor(args) as executor:
            report = scan_tree(base, args.paths, rules,
                               Options(args.all_rules, _cache(args), args.tree), jobs=args.jobs,
                               limits=limits, progress=line, first_pass=not args.no_grep,
                               executor=executor)
    finally:
        if line is not None:
            line.close()
    return _emit(report, args, stdout)


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

    if args.jobs < 1:
        raise InputError("--jobs", "must be at least 1")
    root = Path(args.tree)
    if not root.is_dir():
        raise InputError(args.tree, "not a directory")
    result = parse_report(root, args.paths, jobs=args.jobs, cache=_cache(args))
    stdout.write(json.dumps(result, indent=2) + "\n")
    return ExitCode.CLEAN


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(out)
        return ExitCode.INPUT_ERROR
    if args.command == "rules" and args.rules_command is None:
        args.rules_command = "list"
    handlers = {
        "check": _cmd_check,
        "scan": _cmd_scan,
        "rules": _cmd_rules,
        "parse-report": _cmd_parse_report,
    }
    try:
        return handlers[args.command](args, out)
    except InputError as exc:
        sys.stderr.write(f"patchaudit: {_one_line(str(exc))}\n")
        return ExitCode.INPUT_ERROR
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
