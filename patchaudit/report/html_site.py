"""``scan --html-dir DIR``: a whole tree's report as a small directory of pages.

One page of a whole-tree scan (29,000 findings in 6,000 files) is tens of
megabytes that a browser takes many seconds to open, and its first screen
is a list of file names. The directory form has an index (the summary by
severity, rule and MAINTAINERS entry above the fold, then every entry with
a filter by severity and rule that works offline, in CSS alone) and one
page per MAINTAINERS entry that owns findings (per rule in a tree without
MAINTAINERS), each cut into pages of at most PAGE_SIZE findings so that any
page opens at once. rules.html documents the rules. Every tag is written by
the templates (templates/site_*.html.j2).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from patchaudit.model import Finding, MaintainerEntry, RuleInfo, RunReport
from patchaudit.report.html import Counts, environment, quote_groups, render_context

PAGE_SIZE = 2000  # findings a page: a few hundred kilobytes, rendered in well under a second
TOP = 10  # entries listed in the summary


@dataclass(frozen=True)
class Group:
    """The findings one page set shows: a MAINTAINERS entry's, or a rule's."""

    key: str  # the file name stem: entry-0042, rule-PA3002
    title: str
    entry: MaintainerEntry | None
    rule: RuleInfo | None
    findings: tuple[Finding, ...]
    counts: Counts
    rules: tuple[tuple[RuleInfo, int], ...]  # the rules of its findings, with their counts

    @property
    def pages(self) -> tuple[str, ...]:
        count = max(1, -(-len(self.findings) // PAGE_SIZE))
        return tuple(self.page(n) for n in range(1, count + 1))

    def page(self, number: int) -> str:
        return f"{self.key}.html" if number == 1 else f"{self.key}-{number}.html"

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule, _ in self.rules)


def _rules_of(findings: Sequence[Finding], report: RunReport) -> tuple[tuple[RuleInfo, int], ...]:
    counted = Counter(f.rule_id for f in findings)
    return tuple((rule, counted[rule.id]) for rule in report.rules if counted[rule.id])


def groups(report: RunReport) -> list[Group]:
    """Pages by MAINTAINERS entry when the report knows the owners, else by rule."""
    ownership = report.ownership
    if ownership is None:
        by_rule: dict[str, list[Finding]] = {}
        for finding in report.findings:
            by_rule.setdefault(finding.rule_id, []).append(finding)
        # In rule order; a finding of a rule the report does not describe still gets its page.
        order = [r.id for r in report.rules if r.id in by_rule] + sorted(
            set(by_rule) - {r.id for r in report.rules}
        )
        return [
            Group(f"rule-{rule_id}", info.name if info else rule_id, None, info,
                  tuple(by_rule[rule_id]), Counts.of(by_rule[rule_id]),
                  _rules_of(by_rule[rule_id], report))
            for rule_id in order
            for info in [report.rule(rule_id)]
        ]  # fmt: skip
    owned: list[list[Finding]] = [[] for _ in ownership.entries]
    unowned: list[Finding] = []
    for finding in report.findings:
        indexes = ownership.owners.get(finding.file, ())
        for index in indexes:
            owned[index].append(finding)
        if not indexes:
            unowned.append(finding)
    result = [
        Group(f"entry-{n:04d}", entry.name, entry, None, tuple(found), Counts.of(found),
              _rules_of(found, report))
        for n, (entry, found) in enumerate(zip(ownership.entries, owned), start=1)
        if found
    ]  # fmt: skip
    if unowned:
        result.append(Group("entry-none", "(no MAINTAINERS entry)", None, None, tuple(unowned),
                            Counts.of(unowned), _rules_of(unowned, report)))
    return result


def _rank(group: Group) -> tuple[int, int, int, str]:
    counts = group.counts
    return (-counts.errors, -counts.warnings, -counts.notes, group.title)


def format_html_site(report: RunReport) -> dict[str, str]:
    """The pages of the directory: file name -> HTML (index.html, rules.html, one set a group)."""
    env = environment()
    context = render_context(report)
    found = groups(report)
    rules_present = [rule for rule in report.rules if any(f.rule_id == rule.id for f in report.findings)]
    by_rule = Counter(f.rule_id for f in report.findings if f.suppressed is None)
    entries_of_rule = Counter(rule_id for group in found for rule_id in group.rule_ids)
    common = {
        **context,
        "groups": found,
        "by_entry": report.ownership is not None,
        "rules_present": rules_present,
    }
    pages = {
        "index.html": env.get_template("site_index.html.j2").render(
            **common,
            top=sorted(found, key=_rank)[:TOP],
            by_rule=by_rule,
            entries_of_rule=entries_of_rule,
            counts=Counts.of(report.findings),
        ),
        "rules.html": env.get_template("site_rules.html.j2").render(
            **common, quote_groups=quote_groups(report.rules)
        ),
    }
    group_page = env.get_template("site_group.html.j2")
    for group in found:
        names = group.pages
        for number, name in enumerate(names, start=1):
            start = (number - 1) * PAGE_SIZE
            pages[name] = group_page.render(
                **common, group=group, number=number, names=names,
                findings=group.findings[start : start + PAGE_SIZE],
            )  # fmt: skip
    return pages
