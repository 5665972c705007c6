"""The bot's TOML configuration and ``patchaudit bot init``: what loads, and one line for what does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from patchaudit.bot.config import load_config, parse_config
from patchaudit.errors import InputError
from patchaudit.model import Severity

REPO = Path(__file__).resolve().parents[1]

MINIMAL = """\
[answers]
outbox = "outbox"

[[list]]
name = "linux-mm"
archive = "lore/linux-mm"
tree = "/srv/linux"
"""


def test_a_minimal_configuration_takes_the_defaults_and_resolves_paths(tmp_path: Path) -> None:
    config = parse_config(MINIMAL, tmp_path / "bot.toml")
    assert config.state == tmp_path / "state.sqlite"
    assert config.work == tmp_path / "state.sqlite.work"
    [entry] = config.lists
    assert (entry.name, entry.archive, entry.tree, entry.git, entry.maildir) == (
        "linux-mm", tmp_path / "lore/linux-mm", Path("/srv/linux"), None, None)
    assert config.answers.outbox == tmp_path / "outbox"
    assert config.answers.smtp is None and config.answers.files is None
    assert config.answers.mail_min_severity is Severity.WARNING
    assert (config.jobs, config.poll_seconds, config.series_seconds, config.series_memory_mb) == (
        2, 60.0, 300.0, 2048)
    assert config.incomplete_after_seconds == 6 * 3600


def test_every_section_is_read(tmp_path: Path) -> None:
    config = parse_config("""\
[bot]
state = "var/bot.sqlite"
jobs = 3
poll_seconds = 5
log_file = "bot.log"
[limits]
series_seconds = 30
series_memory_mb = 512
[check]
rules = ["my-rules"]
all_rules = true
cache_dir = "cache"
[answers]
from = "Review Bot <bot@example.org>"
mail_min_severity = "error"
repeat_findings = true
cc = ["archive@example.org"]
[answers.smtp]
host = "mail.example.org"
port = 587
per_minute = 10
[answers.files]
dir = "public"
formats = ["html", "json"]
url = "https://bot.example.org/pa"
[[list]]
name = "netdev"
address = "netdev@vger.kernel.org"
maildir = "Maildir/netdev"
git = "linux.git"
branch = "net-next"
skip_history = true
""", tmp_path / "bot.toml")
    assert config.state == tmp_path / "var/bot.sqlite"
    assert config.log_file == tmp_path / "bot.log"
    assert config.check.rule_dirs == (str(tmp_path / "my-rules"),)
    assert config.check.all_rules and config.check.cache_dir == str(tmp_path / "cache")
    assert config.answers.sender == "Review Bot <bot@example.org>"
    assert config.answers.mail_min_severity is Severity.ERROR
    assert config.answers.smtp is not None and config.answers.smtp.port == 587
    assert config.answers.files is not None
    assert config.answers.files.formats == ("html", "json")
    assert config.answers.files.url == "https://bot.example.org/pa/"
    [entry] = config.lists
    assert (entry.git, entry.branch, entry.skip_history) == (tmp_path / "linux.git", "net-next", True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[answers]\noutbox = 'o'\n", "[[list]]: at least one list is needed ([[list]] tables)"),
        (MINIMAL + "[bot]\njbos = 2\n", "[bot] jbos: unknown key"),
        (MINIMAL + "[bot]\njobs = 'two'\n", "[bot] jobs: must be an integer"),
        (MINIMAL + "[bot]\njobs = 0\n", "[bot] jobs: must be at least 1"),
        (MINIMAL + "[limits]\nseries_memory_mb = 8\n", "[limits] series_memory_mb: must be at least 64"),
        ("[answers]\noutbox = 'o'\n[[list]]\nname = 'x'\ntree = '/t'\n",
         "[list] archive: a list needs an 'archive' (public-inbox v2) or a 'maildir'"),
        ("[answers]\noutbox = 'o'\n[[list]]\nname = 'x'\narchive = 'a'\ngit = 'g'\n",
         "[list] tree: a list needs a base: 'tree' (a directory) or 'git' and 'branch'"),
        ("[answers]\noutbox = 'o'\n[[list]]\nname = '../x'\narchive = 'a'\ntree = 't'\n",
         "[list] name: missing, or not a short name of letters, digits, '.', '_', '-'"),
        (MINIMAL.replace('outbox = "outbox"', 'from = "bot@"'),
         "[answers] from: 'bot@' is not a mail address ('Name <addr@host>' or 'addr@host')"),
        (MINIMAL.replace('outbox = "outbox"', 'outbox = "o"\n[answers.files]\ndir = "p"\n'
                         'formats = ["pdf"]'),
         "[answers.files] formats: 'pdf' is not one of json, sarif, html, patchwork"),
        (MINIMAL.replace('outbox = "outbox"', 'cc = ["list@x\\r\\nBcc: v@x"]'),
         "[answers] cc: 'list@x\\r\\nBcc: v@x' is not a plain mail address (addr@host)"),
        (MINIMAL.replace('outbox = "outbox"', 'cc_list = false'),
         "[answers]: nothing to answer with: set outbox, [answers.smtp] or [answers.files]"),
        ("[[list]\n", ("not valid TOML: Expected ']]' at the end of an array declaration "
                        "(at line 1, column 7)")),
    ],
)
def test_a_bad_configuration_is_one_message_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_config(text, tmp_path / "bot.toml")
    assert str(caught.value) == f"{tmp_path / 'bot.toml'}: {message}"


def _patchaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "patchaudit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_cli_reports_a_missing_or_broken_configuration_in_one_line(tmp_path: Path) -> None:
    done = _patchaudit("bot", "watch", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("patchaudit: bot.toml: no such configuration file "
                           "(see 'patchaudit bot init')\n")
    (tmp_path / "bot.toml").write_text(MINIMAL + "[bot]\nstate = 1\n")
    done = _patchaudit("bot", "status", "-c", "bot.toml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"patchaudit: {tmp_path / 'bot.toml'}: [bot] state: must be a string\n"
    done = _patchaudit("bot", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2, "patchaudit: bot: name an action: init, watch, replay or status (see --help)\n")


def test_init_writes_a_configuration_that_loads_and_never_overwrites_one(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    done = _patchaudit("bot", "init", "--archive", "archive", "--tree", "/srv/linux",
                       "--list", "demo", "--address", "demo@example.org",
                       "--smtp", "localhost:2525", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "wrote bot.toml; start the bot with: patchaudit bot watch -c bot.toml\n"
    config = load_config(tmp_path / "bot.toml")
    [entry] = config.lists
    assert (entry.name, entry.address, entry.archive, entry.tree) == (
        "demo", "demo@example.org", archive, Path("/srv/linux"))
    assert config.answers.outbox == tmp_path / "outbox"
    assert config.answers.smtp is not None
    assert (config.answers.smtp.host, config.answers.smtp.port) == ("localhost", 2525)
    assert config.log_file == tmp_path / "bot.log"
    again = _patchaudit("bot", "init", "--archive", "archive", "--tree", "/srv/linux", cwd=tmp_path)
    assert (again.returncode, again.stderr) == (
        2, "patchaudit: bot.toml: exists already (--force overwrites it)\n")
    git = _patchaudit("bot", "init", "-c", "other.toml", "--maildir", "md", "--git", "linux",
                      cwd=tmp_path)
    assert (git.returncode, git.stderr) == (
        2, "patchaudit: --git: needs --branch: the base when a series names no base-commit\n")
