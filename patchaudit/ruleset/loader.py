"""Load rule files (TOML, one rule a file) and validate them against the rule schema."""

from __future__ import annotations

import json
import re
import stat
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchaudit.errors import InputError
from patchaudit.model import Confidence, Severity
from patchaudit.ruleset.model import Rule, RuleSource

# Codes are stable: two capital letters and four digits; slugs are kebab-case.
_ID_RE = re.compile(r"^PA\d{4}$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_RULE_FILE = 256 * 1024

_TOP_FIELDS = {
    "id", "slug", "title", "kind", "severity", "confidence", "summary", "why",
    "false_positives", "source", "params",
}
_SOURCE_FIELDS = {"file", "symbol", "text", "version", "era", "also_in"}


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def find(self, ref: str) -> Rule | None:
        for rule in self.rules:
            if rule.matches_ref(ref):
                return rule
        return None

    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}


def _text(table: Mapping[str, Any], key: str, where: str, prefix: str = "") -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(where, f"field '{prefix}{key}': missing or not a non-empty string")
    return value.strip()


def _choice(table: Mapping[str, Any], key: str, where: str, names: Iterable[str]) -> str:
    value = _text(table, key, where)
    allowed = list(names)
    if value not in allowed:
        raise InputError(where, f"field '{key}': must be one of {', '.join(allowed)}")
    return value


def _paths(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(where, f"field 'source.{key}': must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def toml_value(value: Any) -> str:
    """A value as TOML writes it inline: strings quoted, arrays in [], tables in { }."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string is JSON's string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(key)} = {toml_value(item)}" for key, item in value.items())
        return "{ " + items + " }" if items else "{}"
    return json.dumps(str(value), ensure_ascii=False)  # dates and times: not in rule files


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_table(table: Mapping[str, Any]) -> str:
    return "\n".join(f"{_toml_key(key)} = {toml_value(value)}" for key, value in table.items())


def parse_rule(data: bytes, where: str) -> Rule:
    """Validate one rule file's bytes; every error names the file and the field."""
    # The kinds bring in the C front end and the analyses: imported when a rule
    # is validated, not when a module wants the Rule and RuleSet types.
    from patchaudit.ruleset.kinds import KINDS

    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(where, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, f"not valid TOML: {exc}") from None
    unknown = sorted(set(table) - _TOP_FIELDS)
    if unknown:
        raise InputError(where, f"field '{unknown[0]}': unknown field")
    rule_id = _text(table, "id", where)
    if not _ID_RE.match(rule_id):
        raise InputError(where, "field 'id': must look like PA1234")
    slug = _text(table, "slug", where)
    if not _SLUG_RE.match(slug):
        raise InputError(where, "field 'slug': must be lower-case words joined by '-'")
    kind_name = _choice(table, "kind", where, sorted(KINDS))
    severity = Severity.parse(_choice(table, "severity", where, ("error", "warning", "note")))
    confidence = Confidence.parse(_choice(table, "confidence", where, ("high", "medium", "low")))
    source_table = table.get("source")
    if not isinstance(source_table, dict):
        raise InputError(where, "field 'source': missing table [source]")
    unknown = sorted(set(source_table) - _SOURCE_FIELDS)
    if unknown:
        raise InputError(where, f"field 'source.{unknown[0]}': unknown field")
    source = RuleSource(
        file=_text(source_table, "file", where, "source."),
        symbol=_text(source_table, "symbol", where, "source."),
        text=_text(source_table, "text", where, "source."),
        version=_text(source_table, "version", where, "source."),
        era=_text(source_table, "era", where, "source.") if "era" in source_table else "",
        also_in=_paths(source_table, "also_in", where),
    )
    raw_params = table.get("params", {})
    if not isinstance(raw_params, dict):
        raise InputError(where, "field 'params': must be a table")
    params = KINDS[kind_name].parse_params(raw_params, where)
    return Rule(
        id=rule_id,
        slug=slug,
        title=_text(table, "title", where),
        kind=kind_name,
        severity=severity,
        confidence=confidence,
        summary=_text(table, "summary", where),
        why=_text(table, "why", where),
        false_positives=_text(table, "false_positives", where),
        source=source,
        params=params,
        path=where,
        params_text=toml_table(raw_params),
    )


def _read_rule_file(path: Path, where: str) -> bytes:
    """A rule file's bytes: a regular file within _MAX_RULE_FILE (a FIFO would block the run,
    a link to a device would be read without end), else one-line InputError."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(where, "rule file is not a regular file")
        if info.st_size > _MAX_RULE_FILE:
            raise InputError(where, "rule file is too large")
        with path.open("rb") as handle:
            data = handle.read(_MAX_RULE_FILE + 1)
    except OSError as exc:
        raise InputError(where, f"cannot read the rule file: {exc.strerror or exc}") from None
    if len(data) > _MAX_RULE_FILE:
        raise InputError(where, "rule file is too large")
    return data


def load_rules(directories: Sequence[Path]) -> RuleSet:
    """Load every ``*.toml`` of the directories; ids and slugs must be unique across them."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for directory in directories:
        if not directory.is_dir():
            raise InputError(str(directory), "rules directory does not exist")
        files = sorted(directory.glob("*.toml"))
        if not files:
            raise InputError(str(directory), "no rule files (*.toml) in the rules directory")
        for path in files:
            where = str(path)
            rule = parse_rule(_read_rule_file(path, where), where)
            for key in (rule.id, rule.slug):
                if key in seen:
                    raise InputError(where, f"field 'id': '{key}' is also defined in {seen[key]}")
                seen[key] = where
            rules.append(rule)
    rules.sort(key=lambda rule: rule.id)
    return RuleSet(tuple(rules))
