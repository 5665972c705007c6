"""Rules stage: rule files in rules/, their schema, the kinds and where each rule applies."""

from __future__ import annotations

from patchaudit.ruleset.loader import RuleSet, load_rules, parse_rule
from patchaudit.ruleset.model import Rule, RuleSource

__all__ = ["Rule", "RuleSet", "RuleSource", "load_rules", "parse_rule"]
