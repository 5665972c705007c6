"""Every miner over one file: the contracts it states, before their locks are resolved tree-wide."""

from __future__ import annotations

from patchaudit.analyses import FileLocks
from patchaudit.cfront.ir import FileIR
from patchaudit.contracts.code import mine_code
from patchaudit.contracts.comments import mine_comments
from patchaudit.contracts.hierarchy import mine_hierarchies
from patchaudit.contracts.members import mine_members
from patchaudit.contracts.model import Contract
from patchaudit.contracts.unit import Unit


def mine_file(path: str, ir: FileIR, data: bytes, locks: FileLocks) -> tuple[Contract, ...]:
    """The contracts ``path`` states, in file order, each once."""
    unit = Unit(path, ir, data)
    found: list[Contract] = []
    found.extend(mine_comments(unit))
    found.extend(mine_code(unit, locks))
    found.extend(mine_members(unit))
    found.extend(mine_hierarchies(unit))
    unique = {(c.ident, c.line): c for c in found}
    return tuple(sorted(unique.values(), key=Contract.sort_key))
