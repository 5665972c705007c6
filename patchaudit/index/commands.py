"""``patchaudit index`` and ``patchaudit contracts``: build a tree's index, list what it states.

The index is an SQLite file in the cache directory (one per tree, named by
the tree's real path) unless ``--index FILE`` names one; ``check`` and
``scan`` read the same file when it exists, for the contract rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from patchaudit.errors import ExitCode, InputError

CONTRACTS_SCHEMA = "patchaudit-contracts/1"
_FORMATS = ("text", "json")


def add_index_options(parser: argparse.ArgumentParser) -> None:
    """--index and --no-index, for every command that may read or build an index."""
    parser.add_argument(
        "--index", metavar="FILE",
        help="the tree index to use (default: the one 'patchaudit index' keeps for the tree "
        "in the cache directory)",
    )  # fmt: skip


def add_commands(commands: Any, parser_class: type, cores: int) -> None:
    index = commands.add_parser(
        "index",
        help="build or update the tree index the contract rules read",
        description=(
            "Summarise every function of the .c and .h files under PATHs of DIR (the whole "
            "tree when none): the locks each call is made under, what each function takes, "
            "the members it writes, and every contract the tree states (kernel-doc Context: "
            "lines, 'must be called with X held' comments, lockdep assertions, member "
            "comments, lock hierarchies). A second run summarises only changed files."
        ),
    )
    index.add_argument("tree", metavar="DIR")
    index.add_argument("paths", metavar="PATH", nargs="*", help="files or directories in DIR")
    index.add_argument("-j", "--jobs", type=int, default=cores,
                       help="worker processes (default: the number of cores, here %(default)s)")
    index.add_argument("--cache-dir", metavar="DIR", help="cache directory (parse cache, index)")
    add_index_options(index)

    contracts = commands.add_parser(
        "contracts",
        help="list the contracts a tree's index holds",
        description=(
            "Print the contracts of DIR's index (build it first with 'patchaudit index DIR'): "
            "one per line with where it is stated and the lock it was resolved to, or JSON "
            f"(schema '{CONTRACTS_SCHEMA}')."
        ),
    )
    contracts.add_argument("tree", metavar="DIR")
    contracts.add_argument("--format", "-f", choices=_FORMATS, default="text")
    contracts.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE")
    contracts.add_argument("--kind", action="append", default=[], metavar="KIND",
                           help="only contracts of this kind (must-hold, must-not-hold, acquires, "
                           "releases, takes, context, protected-by, lock-order); may be repeated")
    contracts.add_argument("--function", metavar="NAME",
                           help="only the contracts of one function or struct.member")
    contracts.add_argument("--cache-dir", metavar="DIR", help="cache directory (parse cache, index)")
    add_index_options(contracts)


def _cache_dir(args: argparse.Namespace) -> Path:
    from patchaudit.cfront.cache import default_cache_dir

    return Path(args.cache_dir) if getattr(args, "cache_dir", None) else default_cache_dir()


def index_file(args: argparse.Namespace, root: Path) -> Path:
    """The index a command uses for the tree at ``root``."""
    from patchaudit.index.store import index_path

    if getattr(args, "index", None):
        return Path(args.index)
    return index_path(_cache_dir(args), root)


def existing_index(args: argparse.Namespace, root: Path) -> str | None:
    """The index check and scan read: the named one (which must exist), else the default if built."""
    path = index_file(args, root)
    if getattr(args, "index", None) and not path.is_file():
        raise InputError(args.index, "no such index: build it with 'patchaudit index DIR --index FILE'")
    return str(path) if path.is_file() else None


def _tree(text: str) -> Path:
    root = Path(text)
    if not root.is_dir():
        raise InputError(text, "not a directory")
    return root


def cmd_index(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.cfront.cache import default_cache_dir
    from patchaudit.engine.indexing import update_index
    from patchaudit.tree.base import BaseTree

    if args.jobs < 1:
        raise InputError("--jobs", "must be at least 1")
    root = _tree(args.tree)
    database = index_file(args, root)
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    report = update_index(BaseTree(root), args.paths, database, jobs=args.jobs,
                          parse_cache=cache)
    for issue in report.skipped:
        sys.stderr.write(f"patchaudit: skipped {issue.file}: {issue.message}\n")
    stdout.write(
        f"{report.files} files in the index ({report.summarised} summaries computed in "
        f"{report.rounds} round{'s' if report.rounds != 1 else ''}, {report.removed} removed, "
        f"{len(report.skipped)} skipped); {report.contracts} contracts, {report.resolved} "
        f"resolved; {report.seconds:.1f} s; {report.database}\n")
    return ExitCode.CLEAN


def cmd_contracts(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.contracts.model import ContractKind
    from patchaudit.index.store import IndexStore
    from patchaudit.index.view import TreeView
    from patchaudit.output import write_atomic

    root = _tree(args.tree)
    database = index_file(args, root)
    if not database.is_file():
        raise InputError(args.tree, "has no index yet: run 'patchaudit index "
                                    f"{args.tree}' first")
    kinds = []
    for text in args.kind:
        try:
            kinds.append(ContractKind(text))
        except ValueError:
            raise InputError("--kind", f"'{text}' is not a contract kind") from None
    store = IndexStore(database, readonly=True)
    try:
        found = TreeView(store).contracts(args.function, tuple(kinds))
    finally:
        store.close()
    found.sort(key=lambda c: c.sort_key())
    if args.format == "json":
        text = _json(found, str(root))
    else:
        text = "".join(_line(c) + "\n" for c in found)
    if args.output:
        write_atomic(Path(args.output), text)
    else:
        stdout.write(text)
    return ExitCode.CLEAN


def _line(contract: Any) -> str:
    target = contract.describe_lock() if contract.resolved else (
        f"unresolved '{contract.lock_text}'" + (f" ({contract.unresolved})"
                                                if contract.unresolved else ""))
    if contract.kind.value == "lock-order":
        target = (f"{contract.lock or contract.lock_text} before "
                  f"{contract.inner or contract.inner_text}")
    flags = " [conditional]" if contract.conditional else ""
    subject = f" {contract.subject}" if contract.subject else ""
    return (f"{contract.file}:{contract.line}: {contract.kind.value}{subject}: {target}{flags} "
            f"({contract.origin.value}) \"{contract.text}\"")


def _json(contracts: list[Any], tree: str) -> str:
    by_kind = Counter(c.kind.value for c in contracts)
    document = {
        "schema": CONTRACTS_SCHEMA,
        "tree": tree,
        "counts": {
            "contracts": len(contracts),
            "resolved": sum(1 for c in contracts if c.resolved),
            "checkable": sum(1 for c in contracts if c.checkable),
            "by_kind": dict(sorted(by_kind.items())),
        },
        "contracts": [
            {
                "kind": c.kind.value,
                "origin": c.origin.value,
                "subject": c.subject,
                "file": c.file,
                "line": c.line,
                "text": c.text,
                "lock_text": c.lock_text,
                "lock": c.lock,
                "arg": c.arg,
                "context": c.context.value if c.context is not None else None,
                "inner_text": c.inner_text,
                "inner": c.inner,
                "reads": c.reads,
                "conditional": c.conditional,
                "unresolved": c.unresolved,
                "id": c.ident,
            }
            for c in contracts
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
