"""``patchaudit rules list`` and ``rules show``: rule documentation generated from the rule files."""

from __future__ import annotations

import textwrap

from patchaudit.ruleset import Rule, RuleSet


def format_rule_list(rules: RuleSet) -> str:
    width = max((len(rule.name) for rule in rules), default=10)
    lines = [
        f"{rule.name:<{width}}  {rule.severity.label:<7}  {rule.kind:<14}  {rule.title}"
        for rule in rules
    ]
    return "\n".join(lines) + "\n"


def _section(title: str, body: str) -> str:
    return f"{title}:\n{textwrap.indent(body.strip(), '    ')}\n"


def format_rule(rule: Rule) -> str:
    parts = [
        f"{rule.name}: {rule.title}\n",
        f"kind {rule.kind}, severity {rule.severity.label}, confidence {rule.confidence.label}\n",
        f"defined in {rule.path}\n",
        _section("Summary", rule.summary),
        _section("Why it matters", rule.why),
        _section(
            f"Documentation it enforces ({rule.source.file}, {rule.source.symbol}, "
            f"{rule.source.version})",
            rule.source.text,
        ),
        _section("Known false positives", rule.false_positives),
    ]
    if rule.params_text:
        parts.append(_section("Parameters (as in the rule file's [params])", rule.params_text))
    return "\n".join(parts)
