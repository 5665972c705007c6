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
_FORMATS = ("text", "json", "html")


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
                       help="worker processes of the local executor (default: the number of "
                       "cores, here %(default)s)")
    index.add_argument("--cache-dir", metavar="DIR", help="cache directory (parse cache, index)")
    add_index_options(index)
    # The command line's own helper (patchaudit.cli builds this parser): the same
    # --executor/--scheduler as scan.
    from patchaudit.cli import add_executor_options

    add_executor_options(index)

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
    contracts.add_argument("--compliance", action="store_true",
                           help="judge every call site or write of the tree against each "
                           "contract: followed / violated / unknown (slower)")
    contracts.add_argument("--cache-dir", metavar="DIR", help="cache directory (parse cache, index)")
    add_index_options(contracts)

    explain = commands.add_parser(
        "explain",
        help="what the index knows of one function",
        description=(
            "Print what DIR's index knows of FUNCTION: its definitions, its contracts with "
            "their sources, what it holds on entry for each lock they name, what it acquires "
            "and releases for its callers, why it may sleep, and who calls it."
        ),
    )
    explain.add_argument("tree", metavar="DIR")
    explain.add_argument("function", metavar="FUNCTION")
    explain.add_argument("--cache-dir", metavar="DIR", help="cache directory (parse cache, index)")
    add_index_options(explain)


def _cache_dir(args: argparse.Namespace) -> Path:
    from patchaudit.cfront.cache import default_cache_dir

    if getattr(args, "cache_dir", None):
        return Path(args.cache_dir)
    found = default_cache_dir()
    if found is None:
        raise InputError("--cache-dir", "no cache directory (HOME is not set): give --cache-dir "
                                        "DIR or --index FILE")
    return found


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


def _built_index(args: argparse.Namespace, root: Path) -> Path:
    """The index the read-only commands use, which ``patchaudit index`` must have built."""
    database = index_file(args, root)
    if not database.is_file():
        raise InputError(args.tree, f"has no index yet: run 'patchaudit index {args.tree}' first")
    return database


def _tree(text: str) -> Path:
    root = Path(text)
    if not root.is_dir():
        raise InputError(text, "not a directory")
    return root


def cmd_index(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.cli import chosen_executor
    from patchaudit.engine.indexing import update_index
    from patchaudit.tree.base import BaseTree

    if args.jobs < 1:
        raise InputError("--jobs", "must be at least 1")
    root = _tree(args.tree)
    database = index_file(args, root)
    cache = _cache_dir(args)
    with chosen_executor(args) as executor:
        report = update_index(BaseTree(root), args.paths, database, jobs=args.jobs,
                              parse_cache=cache, executor=executor)
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
    from patchaudit.output import write_output

    root = _tree(args.tree)
    database = _built_index(args, root)
    kinds = []
    for text in args.kind:
        try:
            kinds.append(ContractKind(text))
        except ValueError:
            raise InputError("--kind", f"'{text}' is not a contract kind") from None
    store = IndexStore(database, readonly=True)
    try:
        view = TreeView(store)
        found = view.contracts(args.function, tuple(kinds))
        found.sort(key=lambda c: c.sort_key())
        counts: dict[str, Counter[str]] = {}
        if args.compliance:
            from patchaudit.interproc.judge import Judge

            judge = Judge(view)
            for contract in found:
                counts[contract.ident] = Counter(
                    j.verdict.value for j in judge.compliance(contract))
    finally:
        store.close()
    if args.format == "json":
        text = _json(found, str(root), counts if args.compliance else None)
    elif args.format == "html":
        text = _html(found, args.tree, counts if args.compliance else None)
    else:
        text = "".join(_line(c) + _counts(counts.get(c.ident)) + "\n" for c in found)
    if args.output:
        write_output(args.output, text, tree=root)
    else:
        stdout.write(text)
    return ExitCode.CLEAN


def _target(contract: Any) -> str:
    """What a contract names: its class or context, an order, or the unresolved words."""
    if contract.kind.value == "lock-order":
        return (f"{contract.lock or contract.lock_text} before "
                f"{contract.inner or contract.inner_text}")
    if contract.resolved:
        return str(contract.describe_lock())
    return f"unresolved '{contract.lock_text}'"


def _line(contract: Any) -> str:
    target = _target(contract)
    if not contract.resolved and contract.unresolved and contract.kind.value != "lock-order":
        target += f" ({contract.unresolved})"
    flags = " [conditional]" if contract.conditional else ""
    subject = f" {contract.subject}" if contract.subject else ""
    text = " / ".join(line.strip() for line in contract.text.splitlines() if line.strip())
    return (f"{contract.file}:{contract.line}: {contract.kind.value}{subject}: {target}{flags} "
            f"({contract.origin.value}) \"{text}\"")


def _counts(counts: Counter[str] | None) -> str:
    if counts is None:
        return ""
    return (f" [followed {counts['followed']}, violated {counts['violated']}, "
            f"unknown {counts['unknown']}]")


def _html(contracts: list[Any], tree: str, compliance: dict[str, Counter[str]] | None) -> str:
    """One self-contained page: the catalogue as a table (templates/contracts.html.j2)."""
    from patchaudit.report.html import environment

    rows = []
    for c in contracts:
        counts = (compliance or {}).get(c.ident, Counter())
        rows.append({
            "id": c.ident, "file": c.file, "line": c.line, "kind": c.kind.value,
            "conditional": c.conditional, "subject": c.subject or "(order)",
            "target": _target(c), "why": "" if c.resolved else c.unresolved,
            "resolved": c.resolved, "origin": c.origin.value, "text": c.text,
            "followed": counts["followed"], "violated": counts["violated"],
            "unknown": counts["unknown"],
        })
    page = {
        "tree": tree, "total": len(contracts), "resolved": sum(1 for c in contracts if c.resolved),
        "kinds": sorted(Counter(c.kind.value for c in contracts).items()),
        "compliance": compliance is not None, "rows": rows,
    }
    return environment().get_template("contracts.html.j2").render(page=page)


def _json(contracts: list[Any], tree: str,
          compliance: dict[str, Counter[str]] | None = None) -> str:
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
                **({"compliance": {v: compliance.get(c.ident, Counter())[v]
                                   for v in ("followed", "violated", "unknown")}}
                   if compliance is not None else {}),
            }
            for c in contracts
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def cmd_explain(args: argparse.Namespace, stdout: TextIO) -> int:
    from patchaudit.contracts.model import ContractKind
    from patchaudit.index.store import IndexStore
    from patchaudit.index.view import TreeView
    from patchaudit.interproc.entry import EntryStates
    from patchaudit.interproc.sleep import Sleepers

    root = _tree(args.tree)
    store = IndexStore(_built_index(args, root), readonly=True)
    try:
        view = TreeView(store)
        definitions = view.functions(args.function)
        contracts = sorted(view.contracts(args.function), key=lambda c: c.sort_key())
        if not definitions and not contracts:
            raise InputError(args.function, "is neither defined nor documented in the index")
        out: list[str] = []
        entries, sleepers = EntryStates(view), Sleepers(view)
        locks = sorted({c.lock for c in contracts if c.checkable and c.kind in (
            ContractKind.MUST_HOLD, ContractKind.MUST_NOT_HOLD) and c.lock != "page"})
        for ref in definitions:
            flags = [word for word, on in (("static", ref.static), ("exported", ref.exported),
                                           ("address taken", ref.address_taken),
                                           ("in a header", ref.header)) if on]
            out.append(f"{ref.file}:{ref.line}: {ref.name}({', '.join(n for n, _ in ref.params)})"
                       + (f" [{', '.join(flags)}]" if flags else ""))
            effect = ref.effect
            for cls, page, _ in effect.acquires:
                out.append(f"  returns with {cls}{' of ' + page if page else ''} held")
            for cls, page in effect.releases:
                out.append(f"  returns with {cls}{' of ' + page if page else ''} released")
            for cls, page, _, nonzero in effect.cond:
                result = "a nonzero result (no error pointer)" if nonzero else "a zero result"
                out.append(f"  returns with {cls}{' of ' + page if page else ''} held"
                           f" after {result}")
            for cls in locks:
                state = entries.state(ref, cls)
                out.append(f"  on entry, {cls}: {state.holding.value}")
                out.extend(f"    {why}" for why in state.why)
            chain = sleepers.function_sleeps(ref, 0, frozenset())
            if chain is not None:
                out.append("  may sleep:")
                out.extend(f"    {step}" for step in chain.steps)
            callers = view.calls_to(ref.name)
            out.append(f"  called from {len(callers)} place{'s' if len(callers) != 1 else ''}"
                       + (":" if callers else ""))
            out.extend(f"    {caller.file}:{call.line} {caller.name}()"
                       for caller, call in callers[:_SHOWN_CALLERS])
            if len(callers) > _SHOWN_CALLERS:
                out.append(f"    ... and {len(callers) - _SHOWN_CALLERS} more")
        out.append("contracts:" if contracts else "contracts: none")
        out.extend("  " + _line(c) for c in contracts)
    finally:
        store.close()
    stdout.write("\n".join(out) + "\n")
    return ExitCode.CLEAN


_SHOWN_CALLERS = 10
