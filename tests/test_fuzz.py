"""The fuzz tier: mutated series, mutated real C, hostile strings in every format; bounded time.

Each campaign runs for PATCHAUDIT_FUZZ_SECONDS (tests/fuzzing.py) from a fixed
seed, so CI is reproducible and bounded; PATCHAUDIT_FUZZ_SEED=random and a
larger budget make a longer hunt. Inputs that ever broke a property live in
tests/fixtures/fuzz/ and are replayed first, every run.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from fuzzing import campaign, regressions, save
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchaudit.cfront import parse_c
from patchaudit.cfront.cache import ParseCache
from patchaudit.engine import Options, check_series
from patchaudit.engine.limits import ScanLimits
from patchaudit.errors import InputError
from patchaudit.model import Finding, RunReport, TraceStep
from patchaudit.report import FORMATTERS
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.textbytes import to_utf8
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
RULES = load_rules([rules_dir()])
TREE = BaseTree(SAMPLES / "tree")
LIMITS = ScanLimits(seconds_per_file=5.0)
IN_CI = bool(os.environ.get("CI"))  # the same examples every CI run


def _formatted_everywhere(report: RunReport) -> dict[str, str]:
    """Every format of ``report``; each must be text that encodes and, where JSON, parses."""
    outputs = {}
    for name, formatter in sorted(FORMATTERS.items()):
        text = formatter(report)
        assert isinstance(text, str)
        to_utf8(text)
        if name in ("json", "sarif", "patchwork"):
            json.loads(to_utf8(text))
        outputs[name] = text
    return outputs


def _series_case(data: bytes, where: Path) -> None:
    """One series input: refused with InputError, or checked and rendered in every format."""
    path = where / "case.mbox"
    path.write_bytes(data)
    try:
        series = load_series(str(path))
    except InputError as exc:
        assert "\n" not in str(exc).strip()
        return
    try:
        report = check_series(series, TREE, RULES, Options(tree_label="samples/tree"),
                              limits=LIMITS)
    except InputError as exc:
        # A series whose files are (almost) all absent is refused as checked against the
        # wrong tree: one line, as any refusal.
        assert "does not look like the tree the series applies to" in str(exc)
        assert "\n" not in str(exc).strip()
        return
    _formatted_everywhere(report)


SERIES_SEEDS = [
    (SAMPLES / "series.mbox").read_bytes(),
    (SAMPLES / "series-raw.mbox").read_bytes(),
    *(p.read_bytes() for p in sorted((REPO / "tests/fixtures/series").glob("*.*")) if p.is_file()),
]


@pytest.mark.parametrize("kept", regressions(".mbox"), ids=lambda p: p.name)
def test_series_regressions(kept: Path, tmp_path: Path) -> None:
    _series_case(kept.read_bytes(), tmp_path)


def test_mutated_series_are_refused_or_checked_never_a_crash(tmp_path: Path) -> None:
    cases = 0
    for case, data in campaign(SERIES_SEEDS, "series"):
        try:
            _series_case(data, tmp_path)
        except Exception as exc:
            kept = save(data, "series", case, tmp_path)
            raise AssertionError(f"{type(exc).__name__}: {exc} (input kept in {kept})") from exc
        cases += 1
    assert cases >= 20


def _c_case(data: bytes, cache: ParseCache) -> None:
    """parse_c is total, and its IR survives the cache unchanged."""
    fir = parse_c(data, "fuzz.c")
    cache.put(fir.digest, fir)
    assert cache.get(fir.digest, path="fuzz.c") == fir


@pytest.mark.parametrize("kept", regressions(".c"), ids=lambda p: p.name)
def test_c_regressions(kept: Path, tmp_path: Path) -> None:
    _c_case(kept.read_bytes(), ParseCache(tmp_path))


# Real 6.12 files of different kinds: locking-heavy code, a header, macros, a driver.
KERNEL_SEEDS = [
    "mm/balloon_compaction.c",
    "include/linux/balloon_compaction.h",
    "kernel/locking/mutex.c",
    "drivers/virtio/virtio_balloon.c",
    "include/linux/list.h",
]


@pytest.mark.kernel
def test_mutated_kernel_files_parse_and_cache_never_a_crash(
    kernel_tree: Path, tmp_path: Path
) -> None:
    seeds = [(kernel_tree / rel).read_bytes() for rel in KERNEL_SEEDS]
    cache = ParseCache(tmp_path / "cache")
    for case, data in campaign(seeds, "cfront"):
        try:
            _c_case(data, cache)
        except Exception as exc:
            kept = save(data, "cfront", case, tmp_path)
            raise AssertionError(f"{type(exc).__name__}: {exc} (input kept in {kept})") from exc


# ------------------------------------------------------------ hostile strings, every format

HOSTILE = [
    "\udcff", "\ud800", "\x00", "\x1b[2J", "\x07", "\x85", "\x9b", "\u202e", "\u2028", "\r\n",
    "\nBcc: victim@example.org", "<script>alert(1)</script>", "]]>", "{{ 7*7 }}", "&amp;",
    "=?utf-8?b?PHNjcmlwdD4=?=", '"', "'", "`", "\\", "%s%n", "x" * 3000, "From nobody",
]
hostile_text = st.lists(
    st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE)), max_size=6
).map("".join)


@pytest.fixture(scope="module")
def sample_report() -> RunReport:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return check_series(load_series("samples/series-raw.mbox"), TREE, RULES,
                            Options(tree_label="samples/tree"))  # fmt: skip
    finally:
        os.chdir(cwd)


def _email_heads(text: str) -> list[str]:
    messages = re.split(r"^From patchaudit .*\n", text, flags=re.MULTILINE)
    return [m.split("\n\n", 1)[0] for m in messages if m.strip()]


@settings(max_examples=60, deadline=None, derandomize=IN_CI,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(subject=hostile_text, author=hostile_text, message=hostile_text, code=hostile_text,
       path=hostile_text, tree=hostile_text, msgid=hostile_text)  # fmt: skip
def test_every_format_is_total_over_hostile_strings(
    sample_report: RunReport, subject: str, author: str, message: str, code: str, path: str,
    tree: str, msgid: str,
) -> None:
    patch = replace(sample_report.patches[1], raw_subject=subject, subject=subject, author=author,
                    message_id=msgid)  # fmt: skip
    finding: Finding = replace(
        sample_report.findings[0], message=message, code=code, file=path or "x.c", function=code,
        patch=replace(sample_report.findings[0].patch, index=2, subject=subject)  # type: ignore[arg-type]
        if sample_report.findings[0].patch is not None else None,
        trace=(TraceStep(path, 3, message),),
    )  # fmt: skip
    patches = (sample_report.patches[0], patch, *sample_report.patches[2:])
    report = replace(sample_report, tree=tree, patches=patches, findings=(finding,))
    outputs = _formatted_everywhere(report)
    html = outputs["html"]
    assert "<script>alert" not in html  # escaped, never markup (Jinja does not evaluate data)
    for head in _email_heads(outputs["email"]):
        assert head.isascii()
        assert all(len(line) <= 78 for line in head.splitlines())
        parsed = email.message_from_string(head + "\n\n", policy=email.policy.compat32)
        assert set(parsed.keys()) <= {
            "From", "To", "Subject", "In-Reply-To", "References", "MIME-Version",
            "Content-Type", "Content-Transfer-Encoding",
        }
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", outputs["email"])
