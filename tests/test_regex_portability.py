"""patchaudit's regular expressions mean the same on every Python it supports.

Python 3.11.0 to 3.11.4 (Debian 12's python3 is 3.11.2, the one the README's
quick start uses) match a possessive repeat of a group that backtracks
inside, ``(?:...)*+``, wrongly (CPython gh-106052): the C tokenizer's
pattern lost every comment there, and 87 tests failed. An atomic group,
``(?>(?:...)*)``, is what the possessive form means, and every Python since
3.11 matches it right; a possessive quantifier on a single character or
class (``\\s*+``, ``[^x]++``) has nothing to backtrack into and is safe.
tests/test_quickstart.py runs part of the suite on Debian's python3 itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patchaudit.analyses.docs.stretches import holding_patterns
from patchaudit.cfront.lower_text import scan_text

PACKAGE = Path(__file__).resolve().parents[1] / "patchaudit"
# A quantifier, then "+", right after a group's closing parenthesis (not
# after "()", which is a character class's two parentheses: "[()*+;]").
POSSESSIVE_GROUP = re.compile(r"(?<!\()\)(?:[*+?]|\{\d*(?:,\d*)?\})\+")


def test_no_source_repeats_a_group_possessively() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if POSSESSIVE_GROUP.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []


def test_the_check_finds_the_form_that_failed() -> None:
    assert POSSESSIVE_GROUP.search(r"""(?:[^/"'.\w$\#]++ | /(?![*/]) | \.(?!\d))*+""")
    assert POSSESSIVE_GROUP.search(r"(?:\s+int)++") and POSSESSIVE_GROUP.search(r"(?:ab?c){2,}+")
    assert not POSSESSIVE_GROUP.search(r"(?>(?:[^()]|\([^()]*\))*)\s*+[^x]++")
    assert not POSSESSIVE_GROUP.search(r"^[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]+$")


@pytest.mark.parametrize("text", ["a(p) /* was b() */ c // d\n", "#define m(p)\tf(p)\t/* old */\n"])
def test_the_tokenizer_sees_comments(text: str) -> None:
    facts = scan_text(text)
    assert [c.text for c in facts.comments] == [
        part for part in ("/* was b() */", "// d", "/* old */") if part in text
    ]
    assert "was" not in [i.name for i in facts.identifiers]
    assert [m.body for m in facts.macros] in ([], ["f(p)"])


def test_the_comment_stretch_patterns_find_a_needle_and_only_inside_comments() -> None:
    block, line = (re.compile(source) for source in holding_patterns(("lock", "held")))
    assert block.search("x /* the lock is */") and not block.search("lock /* none */")
    assert line.search("y // must be held\n") and not line.search("held // no\n")
