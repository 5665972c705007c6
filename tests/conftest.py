"""Shared test setup: an isolated parse cache, and the real-kernel / browser markers.

Tests marked ``kernel`` read Linux 6.12 from $PATCHAUDIT_KERNEL_TREE and tests
marked ``browser`` need headless Chromium. Outside CI they are skipped when
those are missing; in CI (CI=true) a missing prerequisite is a failure, so they
can never silently skip there.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = os.environ.get("PATCHAUDIT_CACHE_DIR")
    os.environ["PATCHAUDIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("parse-cache"))
    yield
    if previous is None:
        os.environ.pop("PATCHAUDIT_CACHE_DIR", None)
    else:
        os.environ["PATCHAUDIT_CACHE_DIR"] = previous


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI must provide it (see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def kernel_tree() -> Path:
    """The root of an extracted Linux 6.12 source tree."""
    value = os.environ.get("PATCHAUDIT_KERNEL_TREE", "")
    path = Path(value) if value else None
    if path is None or not (path / "include" / "linux" / "balloon_compaction.h").is_file():
        _missing("PATCHAUDIT_KERNEL_TREE does not name an extracted Linux 6.12 tree")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium binary."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    _missing("no chromium binary on PATH")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def public_inbox() -> None:
    """Debian's public-inbox tools (public-inbox-init, -mda, -watch) are on PATH."""
    for tool in ("public-inbox-init", "public-inbox-mda", "public-inbox-watch"):
        if shutil.which(tool) is None:
            _missing(f"{tool} is not on PATH (apt-get install public-inbox)")


@pytest.fixture(scope="session")
def smtp_server_module() -> None:
    """aiosmtpd, the SMTP server the bot's replies go to in tests (the 'test' extra)."""
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        _missing("aiosmtpd is not installed (pip install '.[test]')")


@pytest.fixture(scope="session")
def b4() -> str:
    """b4 from PyPI (the 'test' extra): the program that runs patchaudit as its check hook."""
    beside = Path(sys.executable).parent / "b4"
    found = str(beside) if beside.is_file() else shutil.which("b4")
    if found is None:
        _missing("b4 is not installed (pip install '.[test]')")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def dask_command() -> str:
    """Path of Dask's command line (``dask scheduler``, ``dask worker``): the cluster extra."""
    beside = Path(sys.executable).parent / "dask"
    found = str(beside) if beside.is_file() else shutil.which("dask")
    try:
        import distributed  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        _missing("Dask distributed is not installed (pip install '.[cluster]')")
    assert found is not None
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A kernel-marked test that forgot to ask for the tree would silently test
    # nothing: make the fixture part of the marker's contract.
    for item in items:
        if item.get_closest_marker("kernel") and "kernel_tree" not in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.usefixtures("kernel_tree"))
