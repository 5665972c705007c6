"""Whole-tree benchmark: patchaudit scan against spatch (rule ii) and grep -rl of the packs' tokens.

    python bench/scan_tree.py KERNEL_TREE [--jobs 2] [--quick]

Runs, side by side and in this order, on a page cache warmed by one
unmeasured read of every .c/.h file:

- grep -rlF over every .c and .h for the tokens of the balloon packs, then
  of all shipped packs (the I/O floor of a prefiltered scan);
- the first pass of an all-packs scan done by grep alone, in one process:
  grep -rlF of the rare anchors (and NUL), then grep -rlzP of the rules'
  patterns (a kernel-doc opening, "->" in a comment, ...): what the scan's
  first pass costs before any Python work;
- spatch with bench/rule-ii.cocci (list_del(&P->lru) not under ->pages_lock);
- patchaudit scan with the balloon packs (PA1xxx, PA2xxx): no cache at all,
  then warm, then cold again with --no-grep (no grep first pass), then with
  a warm parse cache but no result cache (what a rule change costs);
- patchaudit scan with every shipped pack: no cache, then warm (skipped
  with --quick);
- with --index FILE (a tree index of KERNEL_TREE, ``patchaudit index``):
  patchaudit scan with the contract rules (PA4xxx) over that index, no
  cache, then warm.

Prints a Markdown table (docs/benchmarks.md) and checks the balloon packs'
zero-findings target. Caches live in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from measure import HEADER, Measured, machine, run, snapshot

if TYPE_CHECKING:
    from patchaudit.engine.prefilter import TokenFilter

REPO = Path(__file__).resolve().parents[1]
BALLOON = ("PA1", "PA2")


def _filter(prefixes: tuple[str, ...] | None) -> TokenFilter:
    """The prefilter of a scan with the shipped file rules whose ids start with ``prefixes``."""
    sys.path.insert(0, str(REPO))
    from patchaudit.engine.prefilter import build_filter
    from patchaudit.resources import rules_dir
    from patchaudit.ruleset import load_rules
    from patchaudit.ruleset.kinds import KINDS, Scope

    rules = [r for r in load_rules([rules_dir()]) if KINDS[r.kind].scope is Scope.FILE]
    if prefixes is not None:
        rules = [r for r in rules if r.id.startswith(prefixes)]
    return build_filter(rules)


def _tokens(prefixes: tuple[str, ...] | None) -> list[str]:
    """The tokens the selected packs declare (what grep has to look for)."""
    found = _filter(prefixes)
    return sorted({t.decode() for e in found.rules if e.tokens for t in e.tokens})


def _first_pass() -> tuple[list[str], str]:
    """The rare anchors and the pattern an all-packs scan gives grep (engine/work.py)."""
    found = _filter(None)
    pattern = found.first_pass_pattern
    if pattern is None:
        raise SystemExit("the shipped packs have no first-pass pattern")
    return [a.decode() for a in found.rare_anchors], pattern.decode()


def _grep_first_pass(tree: str) -> tuple[Measured, str]:
    anchors, pattern = _first_pass()
    script = (
        'grep -rlF --include="*.[ch]" -f "$ANCHORS" . > "$OUT.f"; '
        'grep -rlzP --include="*.[ch]" -e "$PATTERN" . > "$OUT.p"; '
        'sort -u "$OUT.f" "$OUT.p" | wc -l'
    )
    with tempfile.TemporaryDirectory() as scratch:
        listed = Path(scratch) / "anchors"
        listed.write_bytes("\n".join(anchors).encode() + b"\n\0")  # NUL: see engine/work.py
        env = dict(os.environ, LC_ALL="C", ANCHORS=str(listed), PATTERN=pattern,
                   OUT=str(Path(scratch) / "out"))
        measured = run("grep -rlF rare anchors, then grep -rlzP patterns, all packs (first pass)",
                       ["bash", "-c", script], cwd=tree, env=env)
    return measured, f"{int(measured.stdout.strip() or 0):,} files"


def _grep(label: str, tree: str, tokens: list[str]) -> tuple[Measured, str]:
    patterns = [arg for token in tokens for arg in ("-e", token)]
    measured = run(label, ["grep", "-rlF", "--include=*.c", "--include=*.h", *patterns, "."],
                   cwd=tree, env=dict(os.environ, LC_ALL="C"))
    return measured, f"{len(measured.stdout.splitlines()):,} files"


def _scan(label: str, code: Path, tree: str, cache: Path, jobs: int,
          rules: Path | None, output: str = "json", extra: tuple[str, ...] = ()) -> tuple[Measured, str]:
    command = [sys.executable, "-m", "patchaudit", "scan", tree, "-j", str(jobs), "-f", output,
               "--cache-dir", str(cache), *extra]
    if rules is not None:
        command += ["--no-default-rules", "--rules", str(rules)]
    measured = run(label, command, cwd=str(code))
    if measured.status not in (0, 1):
        raise SystemExit(f"{label} failed:\n{measured.stderr}")
    if output == "terse":
        found = [line for line in measured.stdout.splitlines() if not line.startswith("total:")]
        return measured, f"{len(found):,} findings (-f terse)"
    report = json.loads(measured.stdout)
    per_pack: dict[str, int] = {}
    for finding in report["findings"]:
        pack = finding["rule_id"][:3] + "x"
        per_pack[pack] = per_pack.get(pack, 0) + 1
    packs = ", ".join(f"{pack}: {count:,}" for pack, count in sorted(per_pack.items()))
    summary = report["summary"]
    return measured, (
        f"{summary['files_analysed']:,} files analysed, {len(report['findings']):,} findings"
        f"{' (' + packs + ')' if packs else ''}, {len(report['file_issues'])} skipped"
    )


def _spatch(tree: str, jobs: int) -> tuple[Measured, str]:
    if shutil.which("spatch") is None:
        raise SystemExit("spatch not found: apt-get install coccinelle")
    measured = run(
        f"spatch -j {jobs}, rule ii (bench/rule-ii.cocci)",
        ["spatch", "--sp-file", str(REPO / "bench/rule-ii.cocci"), "--dir", ".", "-j", str(jobs),
         "--no-includes", "--include-headers", "--very-quiet"],
        cwd=tree,
    )
    reports = [line for line in measured.stdout.splitlines() if "not under ->pages_lock" in line]
    return measured, f"{len(reports)} places reported"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="skip the all-packs cold scan")
    parser.add_argument("--index", metavar="FILE",
                        help="also scan with the contract rules over this tree index")
    parser.add_argument("--no-spatch", action="store_true",
                        help="leave out spatch (where coccinelle is not installed)")
    parser.add_argument("--cold-warm-only", action="store_true",
                        help="balloon packs: only the cold and the warm scan")
    parser.add_argument("--findings", metavar="FILE",
                        help="write the contract scan's JSON report here (with --index)")
    args = parser.parse_args()
    tree = str(Path(args.tree).resolve())
    print(f"machine: {machine()}")
    # Warm the page cache so that every contender reads from memory.
    subprocess.run(["grep", "-rlF", "--include=*.c", "--include=*.h", "-e", "\x01\x02", "."],
                   cwd=tree, stdout=subprocess.DEVNULL, check=False)
    rows: list[str] = []

    def record(item: tuple[Measured, str]) -> Measured:
        measured, result = item
        rows.append(measured.row(result))
        print(rows[-1], flush=True)
        return measured

    with tempfile.TemporaryDirectory(prefix="patchaudit-bench-") as scratch:
        work = Path(scratch)
        code = snapshot(REPO, work)
        balloon_rules = work / "balloon-rules"
        balloon_rules.mkdir()
        for path in sorted((code / "rules").glob("*.toml")):
            if path.name.startswith(BALLOON):
                shutil.copy(path, balloon_rules / path.name)
        print(HEADER)
        # The contract scans first: their findings are what a triage waits for.
        if args.index:
            contract_rules = work / "contract-rules"
            contract_rules.mkdir()
            for path in sorted((code / "rules").glob("PA4*.toml")):
                shutil.copy(path, contract_rules / path.name)
            cache = work / "cache-contracts"
            index = ("--index", str(Path(args.index).resolve()))
            record(_scan(f"patchaudit scan -j {args.jobs}, contract rules over the index, no cache",
                         code, tree, cache, args.jobs, contract_rules, extra=index))
            warm = record(_scan(f"patchaudit scan -j {args.jobs}, contract rules over the index, "
                                f"warm", code, tree, cache, args.jobs, contract_rules, extra=index))
            if args.findings:
                Path(args.findings).write_text(warm.stdout)
        record(_grep("grep -rlF, balloon packs' tokens", tree, _tokens(BALLOON)))
        record(_grep("grep -rlF, all packs' tokens", tree, _tokens(None)))
        record(_grep_first_pass(tree))
        if not args.no_spatch:
            record(_spatch(tree, args.jobs))
        cache = work / "cache-balloon"
        cold = record(_scan(f"patchaudit scan -j {args.jobs}, balloon packs, no cache", code,
                            tree, cache, args.jobs, balloon_rules))
        record(_scan(f"patchaudit scan -j {args.jobs}, balloon packs, warm", code, tree, cache,
                     args.jobs, balloon_rules))
        if not args.cold_warm_only:
            # The same cold scan with every file searched in Python: what grep's first pass saves.
            record(_scan(f"patchaudit scan -j {args.jobs} --no-grep, balloon packs, no cache",
                         code, tree, work / "cache-balloon-nogrep", args.jobs, balloon_rules,
                         extra=("--no-grep",)))
            shutil.rmtree(cache / "results")
            shutil.rmtree(cache / "scan-index")
            record(_scan(f"patchaudit scan -j {args.jobs}, balloon packs, parse cache only", code,
                         tree, cache, args.jobs, balloon_rules))
        if json.loads(cold.stdout)["findings"]:
            print("TARGET MISSED: the balloon packs report findings on the unmodified tree")
        if not args.quick:
            cache = work / "cache-all"
            record(_scan(f"patchaudit scan -j {args.jobs}, all packs, no cache", code, tree, cache,
                         args.jobs, None))
            record(_scan(f"patchaudit scan -j {args.jobs}, all packs, warm", code, tree, cache,
                         args.jobs, None))
            # Formatting 29,000 findings as JSON is a second of its own.
            record(_scan(f"patchaudit scan -j {args.jobs}, all packs, warm, -f terse", code, tree,
                         cache, args.jobs, None, "terse"))
            size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
            print(f"cache after the all-packs scan: {size / 1e6:.0f} MB")
    print("\n" + HEADER + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
