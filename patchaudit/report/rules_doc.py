"""``patchaudit rules list`` and ``rules show``: rule documentation generated from the rule files."""

from __future__ import annotations

import textwrap

from patchaudit.ruleset import Rule, RuleSet


def format_rule_list(rules: RuleSet) -> str:
    """One line a rule: name, severity, kind, era (the wording of the text it quotes), title."""
    width = max((len(rule.name) for rule in rules), default=10)
    kinds = max((len(rule.kind) for rule in rules), default=14)
    eras = max((len(_era(rule)) for rule in rules), default=3)
    lines = [
        f"{rule.name:<{width}}  {rule.severity.label:<7}  {rule.kind:<{kinds}}  "
        f"{_era(rule):<{eras}}  {rule.title}"
        for rule in rules
    ]
    return "\n".join(lines) + "\n"


def _era(rule: Rule) -> str:
    return rule.source.era or "-"


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
            f"Documentation it enforces ({' or '.join(rule.source.files)}, {rule.source.symbol}, "
            f"{rule.source.version}; era {_era(rule)})",
            rule.source.text,
        ),
        _section("Known false positives", rule.false_positives),
    ]
    if rule.params_text:
        parts.append(_section("Parameters (as in the rule file's [params])", rule.params_text))
    return "\n".join(parts)
