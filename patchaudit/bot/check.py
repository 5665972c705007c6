"""Checking one series, exactly as ``patchaudit check`` does: a plain function of (series, base, config).

``check_one`` takes and returns plain picklable values, so it runs in a child
process with limits (bot/runner.py) or anywhere else a series may be sent.
The base is chosen as ``check --git`` reads one: the ``base-commit:`` of the
series when the list's git repository has that commit, else the list's
branch (or plain tree), and the report says which and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from patchaudit.bot.config import CheckConfig
from patchaudit.errors import InputError
from patchaudit.model import RunReport
from patchaudit.ruleset import RuleSet
from patchaudit.series.assemble import assemble
from patchaudit.series.forms import patches_from_bytes
from patchaudit.series.model import Patch, Series
from patchaudit.tree.base import BaseTree

# Per process, by (shipped rules wanted, extra directories): loading costs 0.3 s,
# and the runner's fork server loads the shipped ones once for every child.
_RULES: dict[tuple[bool, tuple[str, ...]], RuleSet] = {}


@dataclass(frozen=True)
class BaseSpec:
    """Where a list's series are checked: a git repository and branch, or a plain directory."""

    git: str = ""
    branch: str = ""
    tree: str = ""


@dataclass(frozen=True)
class CheckOutcome:
    report: RunReport | None  # None when the series could not be checked at all
    base: str  # the base as reports name it
    base_note: str  # why base-commit: was not used, when it was given
    error: str  # why there is no report


def series_from_mail(mails: Sequence[tuple[str, bytes]], source: str) -> tuple[Series, tuple[str, ...]]:
    """Assemble the mail of a series with the series stage; unreadable mail is listed, not fatal."""
    patches: list[Patch] = []
    unreadable: list[str] = []
    for message_id, data in mails:
        try:
            patches.extend(patches_from_bytes(data, f"<{message_id}>"))
        except InputError as exc:
            unreadable.append(f"<{message_id}> could not be read: {exc.problem}")
    return assemble(patches, source), tuple(unreadable)


def rules_for(config: CheckConfig) -> RuleSet:
    key = (config.default_rules, config.rule_dirs)
    rules = _RULES.get(key)
    if rules is None:
        from patchaudit.resources import rules_dir
        from patchaudit.ruleset import load_rules

        directories = ([rules_dir()] if config.default_rules else []) + [
            Path(d) for d in config.rule_dirs]
        if not directories:
            raise InputError("[check]", "no rules to run: set rules or default_rules = true")
        rules = _RULES[key] = load_rules(directories)
    return rules


def choose_base(series: Series, spec: BaseSpec) -> tuple[BaseTree, str, str]:
    """(tree, its name for reports, why base-commit: was not used when the series gives one)."""
    from patchaudit.tree.git import GitTree

    wanted = next((p.base_commit for p in (series.cover, *series.patches)
                   if p is not None and p.base_commit), "")
    note = ""
    tree: BaseTree
    if wanted and spec.git:
        try:
            found = GitTree(Path(spec.git), wanted)
            return found, f"{Path(spec.git).name} at {found.commit[:12]} (base-commit)", ""
        except InputError:
            note = f"base-commit {wanted} is not in {Path(spec.git).name}"
    elif wanted:
        note = f"base-commit {wanted} not looked up: the list has no git repository"
    if spec.git and spec.branch:
        branch = GitTree(Path(spec.git), spec.branch)
        tree, label = branch, f"{Path(spec.git).name} {spec.branch} at {branch.commit[:12]}"
    else:
        tree = BaseTree(Path(spec.tree))
        label = Path(spec.tree).name or spec.tree
    return tree, f"{label}; {note}" if note else label, note


def check_one(series: Series, base: BaseSpec, config: CheckConfig) -> CheckOutcome:
    """Check a series against its base; input errors become an outcome, never an exception."""
    from patchaudit.cfront.cache import ParseCache
    from patchaudit.engine import Options, check_series

    try:
        tree, label, note = choose_base(series, base)
    except InputError as exc:
        return CheckOutcome(None, "", "", f"no base to check against: {exc}")
    try:
        cache = ParseCache(Path(config.cache_dir)) if config.cache_dir else None
        report = check_series(series, tree, rules_for(config), Options(config.all_rules, cache, label))
    except InputError as exc:
        return CheckOutcome(None, label, note, str(exc))
    return CheckOutcome(report, label, note, "")
