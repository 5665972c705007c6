"""Field ids of the tree-sitter-c grammar, resolved once for the lowering.

``node.child_by_field_name("body")`` looks the name up among the grammar's
field names (a string comparison with each) on every call; the lowering
makes half a million such calls for mm/, so it asks by id:
``node.child_by_field_id(BODY)``.
"""

from __future__ import annotations

from patchaudit.cfront.parser import c_language


def _field(name: str) -> int:
    found = c_language().field_id_for_name(name)
    if found is None:  # a grammar release that renamed a field: fail at import, not later
        raise ImportError(f"tree-sitter-c has no field {name!r}")
    return found


ALTERNATIVE = _field("alternative")
ARGUMENT = _field("argument")
ARGUMENTS = _field("arguments")
BODY = _field("body")
CONDITION = _field("condition")
CONSEQUENCE = _field("consequence")
DECLARATOR = _field("declarator")
DESIGNATOR = _field("designator")
FIELD = _field("field")
FUNCTION = _field("function")
INDEX = _field("index")
INITIALIZER = _field("initializer")
LABEL = _field("label")
LEFT = _field("left")
MEMBER = _field("member")
NAME = _field("name")
OPERATOR = _field("operator")
PARAMETERS = _field("parameters")
RIGHT = _field("right")
TYPE = _field("type")
UPDATE = _field("update")
VALUE = _field("value")
