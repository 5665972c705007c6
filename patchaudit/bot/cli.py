"""``patchaudit bot``: init, watch, replay, status (the command line of the review bot)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from patchaudit.errors import ExitCode, InputError

DEFAULT_CONFIG = "bot.toml"

DESCRIPTION = """\
A review bot: follow a list archive (public-inbox v2) or a Maildir, assemble
series from loose mail as b4 does, check each complete series once against
its base-commit (or the list's branch), and answer: reply mail into a Maildir
outbox and/or through SMTP, JSON/SARIF/HTML/patchwork files per series and an
index page. State lives in one SQLite file; a killed bot resumes exactly.
See docs/bot.md."""


def add_parser(commands: argparse._SubParsersAction[Any], parser_class: type[Any]) -> None:
    bot = commands.add_parser("bot", help="run the review bot (watch a list archive, answer series)",
                              description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = bot.add_subparsers(dest="bot_command", metavar="ACTION", parser_class=parser_class)

    init = actions.add_parser("init", help="write a configuration for one list",
                              description="Write a bot configuration (TOML) for one list.")
    init.add_argument("--config", "-c", default=DEFAULT_CONFIG, metavar="FILE",
                      help=f"the file to write (default: {DEFAULT_CONFIG})")
    where = init.add_mutually_exclusive_group(required=True)
    where.add_argument("--archive", metavar="DIR", help="a public-inbox v2 archive to follow")
    where.add_argument("--maildir", metavar="DIR", help="a Maildir to follow")
    base = init.add_mutually_exclusive_group(required=True)
    base.add_argument("--tree", metavar="DIR", help="check series against this directory")
    base.add_argument("--git", metavar="REPO",
                      help="look base-commit: up in this repository (with --branch)")
    init.add_argument("--branch", metavar="NAME",
                      help="the base in --git when a series names no base-commit it has")
    init.add_argument("--list", dest="list_name", metavar="NAME", default="list",
                      help="the list's name in the configuration (default: list)")
    init.add_argument("--address", metavar="ADDR", default="",
                      help="the list's posting address (replies Cc it)")
    init.add_argument("--smtp", metavar="HOST:PORT",
                      help="also send the replies through this SMTP server")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    for name, text in (("watch", "follow the lists and answer new series until stopped"),
                       ("replay", "answer every series of an archive, Maildir or mbox once, then exit")):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        action.add_argument("--config", "-c", default=DEFAULT_CONFIG, metavar="FILE",
                            help=f"the configuration (default: {DEFAULT_CONFIG})")
        action.add_argument("--dry-run", action="store_true",
                            help="check and log what would be answered; deliver and record nothing")
        if name == "watch":
            action.add_argument("--once", action="store_true",
                                help="handle what has arrived, then exit (for cron)")
        else:
            action.add_argument("path", metavar="PATH",
                                help="a public-inbox v2 archive, a Maildir or an mbox")
            action.add_argument("--list", dest="list_name", metavar="NAME",
                                help="the configured list PATH belongs to (default: the only one)")

    status = actions.add_parser("status", help="backlog, last run, answers and errors",
                                description="Backlog, last run, answers and errors.")
    status.add_argument("--config", "-c", default=DEFAULT_CONFIG, metavar="FILE",
                        help=f"the configuration (default: {DEFAULT_CONFIG})")
    status.add_argument("--json", action="store_true", help="print JSON")


def _toml(value: str) -> str:
    return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's


def _init(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.bot.config import parse_config
    from patchaudit.output import encode, write_atomic

    path = Path(args.config)
    if path.exists() and not args.force:
        raise InputError(args.config, "exists already (--force overwrites it)")
    if args.git and not args.branch:
        raise InputError("--git", "needs --branch: the base when a series names no base-commit")
    source = ("archive", args.archive) if args.archive else ("maildir", args.maildir)
    lines = [
        "# patchaudit review bot; every key is described in docs/bot.md",
        "[bot]",
        'state = "state.sqlite"',
        "poll_seconds = 5",
        "jobs = 2",
        "incomplete_after_seconds = 21600",
        'log_file = "bot.log"',
        "",
        "[limits]",
        "series_seconds = 300",
        "series_memory_mb = 2048",
        "",
        "[check]",
        'cache_dir = "cache"',
        "",
        "[answers]",
        'outbox = "outbox"',
        "",
    ]
    if args.smtp:
        host, _, port = args.smtp.rpartition(":")
        if not host or not port.isdigit():
            raise InputError("--smtp", f"'{args.smtp}' is not HOST:PORT")
        lines += ["[answers.smtp]", f"host = {_toml(host)}", f"port = {int(port)}", ""]
    lines += ["[answers.files]", 'dir = "public"', "", "[[list]]",
              f"name = {_toml(args.list_name)}"]
    if args.address:
        lines.append(f"address = {_toml(args.address)}")
    lines.append(f"{source[0]} = {_toml(str(Path(source[1]).resolve()))}")
    if args.tree:
        lines.append(f"tree = {_toml(str(Path(args.tree).resolve()))}")
    else:
        lines += [f"git = {_toml(str(Path(args.git).resolve()))}", f"branch = {_toml(args.branch)}"]
    text = "\n".join(lines) + "\n"
    config = parse_config(text, path.resolve())  # refuse to write what would not load
    write_atomic(path, encode(text))
    # The state exists from now on: status answers before the first run ends.
    from patchaudit.bot.state import State

    State(config.state).close()
    stdout.write(f"wrote {path}; start the bot with: patchaudit bot watch -c {path}\n")
    return ExitCode.CLEAN


def _run(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.bot.config import load_config, with_replay_list
    from patchaudit.bot.log import Log
    from patchaudit.bot.service import Bot, list_sources
    from patchaudit.bot.sources import Source, replay_source

    config = load_config(Path(args.config))
    sources: list[Source]
    if args.bot_command == "replay":
        entry = with_replay_list(config, args.list_name)
        sources = [replay_source(Path(args.path), entry.name)]
    else:
        sources = list_sources(config)
    log = Log(config.log_file if not args.dry_run else None)
    bot = Bot(config, sources, log, dry_run=args.dry_run)
    try:
        replay = args.bot_command == "replay"
        return bot.run(args.bot_command, until_idle=replay or args.once, final_at_end=replay)
    finally:
        bot.close()
        log.close()


def _status(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.bot.config import load_config
    from patchaudit.bot.status import status

    config = load_config(Path(args.config))
    if not config.state.exists():
        raise InputError(str(config.state), "no state yet: the bot has not run")
    stdout.write(status(config, as_json=args.json))
    return ExitCode.CLEAN


def run_command(args: argparse.Namespace, stdout: TextIO) -> int:
    handlers = {"init": _init, "watch": _run, "replay": _run, "status": _status}
    if args.bot_command is None:
        raise InputError("bot", "name an action: init, watch, replay or status (see --help)")
    return handlers[args.bot_command](args, stdout)
