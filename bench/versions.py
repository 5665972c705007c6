"""For benchmarks that compare this checkout with another copy of the package (--compare-with OLD).

OLD is a tree holding a patchaudit package, such as one made with
``git archive REV patchaudit | tar -x -C OLD``. The benchmark runs itself
again in a child process on OLD's package (``--package OLD``), and the
child writes what it measured to the file named by ``--dump-to``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def import_from(root: Path) -> None:
    """Import patchaudit from ``root``, not from an installed or neighbouring copy."""
    sys.path.insert(0, str(root))


@contextmanager
def dumped_by(script: str, root: Path, args: Sequence[str]) -> Iterator[Path]:
    """Run ``script`` with ``args`` on the package under ``root``; yield the file it dumped to."""
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / "dump"
        subprocess.run(
            [sys.executable, script, *args, "--package", str(root), "--dump-to", str(dump)],
            check=True,
        )
        yield dump


def parser(description: str) -> argparse.ArgumentParser:
    """The arguments these benchmarks share: the tree, directories in it, --package, --compare-with."""
    found = argparse.ArgumentParser(description=description)
    found.add_argument("tree", type=Path)
    found.add_argument("dirs", nargs="*")
    found.add_argument("--package", type=Path, default=REPO, help="measure the package under this root")
    found.add_argument("--compare-with", type=Path, help="also run the package under this root")
    found.add_argument("--dump-to", type=Path, help=argparse.SUPPRESS)
    return found


def parse(found: argparse.ArgumentParser) -> argparse.Namespace:
    """The parsed arguments, with patchaudit now importable from --package."""
    options = found.parse_args()
    import_from(options.package)
    return options
