"""The fuzz tier's harness: mutators, a time budget, and the inputs fuzzing ever broke us with.

A campaign runs mutations of seed inputs until its budget is spent
(PATCHAUDIT_FUZZ_SECONDS, default 4 s a campaign) from a seed
(PATCHAUDIT_FUZZ_SEED, default a fixed one so that CI is reproducible; "random"
picks one and prints it). An input that breaks a property is written to
PATCHAUDIT_FUZZ_SAVE (default: the test's temporary directory) and named in
the failure: copy it into tests/fixtures/fuzz/ to keep it as a regression.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REGRESSIONS = Path(__file__).parent / "fixtures" / "fuzz"

# What hostile mail and hostile C put where a parser least expects it.
TOKENS = [
    b"\x00", b"\x1b[2J", b"\x07", b"\xc2\x9b", b"\xff\xfe", b"\xed\xa0\x80", b"\r", b"\r\n",
    b"\xe2\x80\xae", b" " * 5000, b"9" * 400, b"-1", b"0", b"4294967296",
    b"@@ -1,999999999 +1,999999999 @@", b"@@ -0,0 +0,0 @@", b"\\ No newline at end of file",
    b"diff --git a/" + b" " * 2000 + b"b/x.c", b"--- /dev/null", b"+++ b/../../etc/passwd",
    b"+++ b//abs.c", b"rename from a.c", b"new file mode 100644", b"Binary files differ",
    b"Subject: =?utf-7?q?+2D3cAQ-?=", b"Content-Type: text/plain; charset=unicode_escape",
    b"Content-Transfer-Encoding: base64", b"From nobody Mon Sep 17 00:00:00 2001",
    b"[PATCH 99999/1]", b"[PATCH v-3 1/2]", b"<script>alert(1)</script>", b"]]>", b"{{ 7*7 }}",
    b"/*", b"*/", b"#if 0", b"#endif", b"{" * 300, b"(" * 300, b"\\\n", b"spin_lock(&l);",
]

Mutator = Callable[[random.Random, bytes], bytes]


def _flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    at = rng.randrange(len(data))
    return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1 :]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _drop_line(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def _repeat_line(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines))
    lines[at:at] = [lines[at]] * rng.choice([1, 2, 50])
    return b"\n".join(lines)


def _swap_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _insert_token(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(TOKENS) + data[at:]


def _token_line(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    prefix = rng.choice([b"", b"+", b"-", b" ", b"+\t"])
    lines.insert(rng.randrange(len(lines) + 1), prefix + rng.choice(TOKENS))
    return b"\n".join(lines)


def _splice(rng: random.Random, data: bytes) -> bytes:
    if len(data) < 2:
        return data
    i, j = sorted(rng.randrange(len(data)) for _ in range(2))
    return data[:j] + data[i:j] + data[j:]


MUTATORS: list[Mutator] = [
    _flip, _truncate, _drop_line, _repeat_line, _swap_lines, _insert_token, _token_line, _splice,
]


def mutate(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.choice([1, 1, 2, 3, 5])):
        data = rng.choice(MUTATORS)(rng, data)
    return data


def seed() -> int:
    value = os.environ.get("PATCHAUDIT_FUZZ_SEED", "15")
    if value == "random":
        chosen = random.SystemRandom().randrange(1 << 32)
        print(f"PATCHAUDIT_FUZZ_SEED={chosen}")
        return chosen
    return int(value)


def budget() -> float:
    return float(os.environ.get("PATCHAUDIT_FUZZ_SECONDS", "4"))


def campaign(seeds: list[bytes], name: str) -> Iterator[tuple[int, bytes]]:
    """(case number, mutated input) until the budget is spent; at least 20 cases."""
    rng = random.Random(f"{name}-{seed()}")
    stop = time.monotonic() + budget()
    case = 0
    while case < 20 or time.monotonic() < stop:
        yield case, mutate(rng, rng.choice(seeds))
        case += 1


def save(data: bytes, name: str, case: int, fallback: Path) -> Path:
    directory = Path(os.environ.get("PATCHAUDIT_FUZZ_SAVE", str(fallback)))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{seed()}-{case}"
    path.write_bytes(data)
    return path


def regressions(suffix: str) -> list[Path]:
    return sorted(REGRESSIONS.glob(f"*{suffix}"))
