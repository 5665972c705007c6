"""The README's quick start, as written, in a fresh clone with Debian's own python3.

Debian's and Ubuntu's system Python refuse ``pip install`` outside a
virtual environment (PEP 668), so the first command makes one. This test
runs the README's two commands verbatim with /usr/bin/python3 first on
PATH (CI installs python3 and python3-venv with apt-get), with an empty
parse cache as on a fresh machine (a cache another Python filled would
hide a difference: it hid gh-106052, see tests/test_regex_portability.py).
The second command runs the suite itself; here it runs the tests that
check the sample series' every finding, each rule's fixtures and the C
front end (what a difference between Pythons would change), then collects
the rest, which proves the test extra installed and every module imports.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import IN_CI, _missing

REPO = Path(__file__).resolve().parents[1]
DEBIAN_PYTHON = Path("/usr/bin/python3")
# What the second command runs on Debian's python3 here: the sample series
# through every format (golden files), each rule's fixtures, the C front end
# and the patterns whose meaning once depended on the Python version.
ON_DEBIAN = (
    "-p", "no:cacheprovider", "tests/test_golden.py", "tests/test_rule_fixtures.py",
    "tests/test_cfront_lower.py", "tests/test_regex_portability.py",
)


def quick_start_commands() -> list[str]:
    """The indented command lines of the README's "Quick start" section, in order."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [line[4:] for line in section.splitlines() if line.startswith("    ")]


def test_the_readme_quick_start_is_two_commands_and_the_first_makes_a_venv() -> None:
    first, second = quick_start_commands()
    assert first.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install . && ")
    assert first.endswith("patchaudit check samples/series.mbox --tree samples/tree --html report.html")
    assert second == (". .venv/bin/activate && pip install '.[test,cluster]' && "
                      "python -m pytest -q -rs")
    # .ci/run runs the second command verbatim.
    assert second in (REPO / ".ci" / "run").read_text()


def test_the_quick_start_works_on_debians_python_in_a_fresh_clone(tmp_path: Path) -> None:
    if not DEBIAN_PYTHON.is_file() or subprocess.run(
        [str(DEBIAN_PYTHON), "-c", "import venv, ensurepip"], capture_output=True
    ).returncode:
        _missing("Debian's python3 with venv (apt-get install python3 python3-venv)")
    if shutil.which("git") is None or not (REPO / ".git").exists():
        _missing("a git checkout to clone")
    clone = tmp_path / "patchaudit"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    # Debian's python3 first, and nothing of the caller's Python environment.
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "PYENV", "PIP_REQUIRE"))
    }  # fmt: skip
    env["PATH"] = f"{DEBIAN_PYTHON.parent}:/usr/local/bin:/bin"
    env.pop("PATCHAUDIT_CACHE_DIR", None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    first, second = quick_start_commands()
    run = subprocess.run(["bash", "-c", first], cwd=clone, env=env, capture_output=True,
                         text=True, timeout=900)  # fmt: skip
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.splitlines()[-1] == (
        "total: 10 errors, 0 warnings, 3 notes, 2 fixed "
        "(8 patches, 10 C files analysed, 25 of 40 rules applied)"
    )
    assert (clone / "report.html").read_text().startswith("<!DOCTYPE html>")
    version = (clone / ".venv" / "bin" / "python").resolve()
    assert version.parent == DEBIAN_PYTHON.resolve().parent, version
    tests = subprocess.run(["bash", "-c", second], cwd=clone, capture_output=True, text=True,
                           env={**env, "PYTEST_ADDOPTS": " ".join(ON_DEBIAN)}, timeout=900)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
    passed = re.search(r"(\d+) passed", tests.stdout)
    assert passed is not None and int(passed.group(1)) > 100, tests.stdout[-2000:]
    assert " failed" not in tests.stdout, tests.stdout[-2000:]
    # Outside CI a test whose prerequisite is missing (no kernel tree named) is
    # skipped, as conftest.py says; in CI nothing may be.
    assert not IN_CI or " skipped" not in tests.stdout, tests.stdout[-2000:]
    collect = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "--collect-only",
         "-p", "no:cacheprovider"],
        cwd=clone, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert collect.returncode == 0, collect.stdout[-3000:] + collect.stderr[-3000:]
    collected = re.search(r"(\d+) tests? collected", collect.stdout)
    assert collected is not None and int(collected.group(1)) > 900, collect.stdout[-2000:]
