"""Claims as rules: field X of struct Y is written only through Z, with values of type T."""

from __future__ import annotations

from textwrap import dedent
from typing import Any

import pytest

from patchaudit.analyses.docs import FieldClaim, ViolationKind, claim_violations
from patchaudit.analyses.docs.exprtypes import normalise
from patchaudit.cfront import parse_c
from patchaudit.errors import InputError
from patchaudit.ruleset.kinds.field_claim import FieldClaimKind

PRIVATE = FieldClaim(
    struct_name="page",
    field="private",
    writers=("set_page_private",),
    value_args=(("set_page_private", 2),),
    value_types=("struct balloon_dev_info *",),
    allow_null=True,
    other_writers=("attach_page_private",),
)


def _violations(source: str, claim: FieldClaim = PRIVATE) -> list[tuple[int, ViolationKind, str]]:
    ir = parse_c(dedent(source).lstrip("\n").encode(), "t.c")
    return [(v.line, v.kind, v.function) for v in claim_violations(ir, claim)]


@pytest.mark.parametrize(
    ("type_text", "normal"),
    [
        ("const struct page*", "struct page *"),
        ("struct  balloon_dev_info  * const", "struct balloon_dev_info *"),
        ("struct page **", "struct page **"),
        ("volatile unsigned long", "unsigned long"),
    ],
)
def test_types_are_compared_without_qualifiers(type_text: str, normal: str) -> None:
    assert normalise(type_text) == normal


def test_values_are_judged_through_casts_members_and_address_of() -> None:
    source = """
        struct holder {
        	struct balloon_dev_info info;
        	struct list_head list;
        };

        static void store(struct holder *h, struct page *page, struct balloon_dev_info *b)
        {
        	struct balloon_dev_info *copy = b;

        	set_page_private(page, (unsigned long)b);
        	set_page_private(page, (unsigned long)copy);
        	set_page_private(page, (unsigned long)&h->info);
        	set_page_private(page, 0UL);
        	set_page_private(page, (unsigned long)&h->list);
        	set_page_private(page, (unsigned long)h);
        }
    """
    assert _violations(source) == [
        (14, ViolationKind.WRONG_VALUE, "store"),
        (15, ViolationKind.WRONG_VALUE, "store"),
    ]


def test_direct_and_other_writes_of_the_field_of_that_struct_only() -> None:
    source = """
        static void poke(struct page *page, struct seq_file *m, void *cookie)
        {
        	page->private = 0;
        	page->private++;
        	m->private = cookie;
        	attach_page_private(page, cookie);
        	unknown->private = cookie;
        }
    """
    assert _violations(source) == [
        (3, ViolationKind.DIRECT_WRITE, "poke"),
        (4, ViolationKind.DIRECT_WRITE, "poke"),
        (6, ViolationKind.OTHER_WRITER, "poke"),
    ]


def test_clearing_can_be_forbidden() -> None:
    mapping = FieldClaim(
        struct_name="page",
        field="mapping",
        writers=("__SetPageMovable", "__ClearPageMovable"),
        value_args=(("__SetPageMovable", 2),),
        value_types=("struct movable_operations *",),
        allow_null=False,
    )
    source = """
        static const struct movable_operations ops;

        static void mark(struct page *page)
        {
        	__SetPageMovable(page, &ops);
        	__SetPageMovable(page, NULL);
        	__ClearPageMovable(page);
        }
    """
    assert _violations(source, mapping) == [(6, ViolationKind.WRONG_VALUE, "mark")]


# ------------------------------------------------------------------ rule parameters

GOOD: dict[str, Any] = {
    "struct": "page",
    "field": "private",
    "writers": ["set_page_private"],
    "value_args": {"set_page_private": 2},
    "value_types": ["struct balloon_dev_info *"],
    "files_using": ["balloon_dev_info"],
}


def test_parameters_become_a_claim() -> None:
    params = FieldClaimKind().parse_params(GOOD, "rules/X.toml")
    assert params.claim == FieldClaim(
        "page", "private", ("set_page_private",), (("set_page_private", 2),),
        ("struct balloon_dev_info *",), True,
    )
    assert params.files_using == ("balloon_dev_info",)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"value_args": {"set_page_private": 0}},
         "field 'params.value_args': must map writer names to argument numbers (1-based)"),
        ({"value_args": {"attach_page_private": 2}},
         "field 'params.value_args': 'attach_page_private' is not a writer"),
        ({"value_types": None}, "field 'params.value_types': needed with value_args"),
        ({"allow_null": "yes"}, "field 'params.allow_null': must be true or false"),
        ({"files_using": []}, "field 'params.files_using': must be a non-empty list of strings"),
        ({"typo": 1}, "field 'params.typo': unknown parameter"),
    ],
)
def test_bad_parameters_name_the_field(change: dict[str, Any], problem: str) -> None:
    raw = {**GOOD, **change}
    raw = {key: value for key, value in raw.items() if value is not None}
    with pytest.raises(InputError) as caught:
        FieldClaimKind().parse_params(raw, "rules/X.toml")
    assert (caught.value.source, caught.value.problem) == ("rules/X.toml", problem)
