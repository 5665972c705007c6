"""samples/ is what it claims: the series applies, the planted violations sit where EXPECTED.md says."""

from __future__ import annotations

import email.message
import mailbox
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SERIES = SAMPLES / "series.mbox"
RAW = SAMPLES / "series-raw.mbox"

SUBJECTS = [
    "[PATCH v2 0/8] mm: mark pages that are logically offline",
    "[PATCH v2 1/8] mm: balloon: bring the rules about isolation and migration up to date",
    "[PATCH v2 2/8] mm: convert PG_balloon to PG_offline",
    "[PATCH v2 3/8] crash_info: export PAGE_OFFLINE_MAPCOUNT_VALUE",
    "[PATCH v2 4/8] misc: hyp_balloon: mark inflated pages PG_offline",
    "[PATCH v2 5/8] virtio: toy_balloon: mark hinted pages PG_offline",
    "[PATCH v2 6/8] PM: snapshot_lite: skip PageOffline() pages",
    "[PATCH v2 7/8] misc: resv_balloon: mark released pages PG_offline",
    "[PATCH v2 8/8] misc: coop_balloon: use the balloon compaction core",
]
PATCHES = len(SUBJECTS) - 1
RULE_OF = {
    "PageBalloon": "PA1001",
    "__SetPageBalloon": "PA1002",
    "__ClearPageBalloon": "PA1003",
    "PG_balloon": "PA1004",
    "PAGE_BALLOON_MAPCOUNT_VALUE": "PA1005",
}
# The locking and PG_offline rules planted once each, and the call each finding
# points at. PA2005 (balloon_page_finalize, 6.x) and PA2007 (the one VMCOREINFO
# site exports the old name, which PA1005 reports) cannot fire on this tree.
LOCK_RULE_OF = {
    "lock_page": "PA2001",
    "list_move_tail": "PA2002",
    "balloon_page_insert": "PA2003",
    "balloon_page_delete": "PA2004",
    "__SetPageOffline": "PA2006",
}
OLD_NAME = re.compile(r"\b(" + "|".join(RULE_OF) + r")\b")
# Comments and string literals, so that only code is searched for old names;
# blanked with their newlines kept so that line numbers survive.
COMMENT_OR_STRING = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.DOTALL)
RULE_I = (
    "i. when updating a balloon's page ->mapping element, strictly do it under the "
    "following lock order, independently of the far superior locking scheme "
    "(lru_lock, balloon_lock): +-page_lock(page); "
    "+--spin_lock_irq(&b_dev_info->pages_lock); ... page->mapping updates here ..."
)
RULE_II = (
    "ii. isolation or dequeueing procedure must remove the page from balloon device "
    "page list under b_dev_info->pages_lock."
)
OFFLINE_DOC = (
    "PageOffline() indicates that the page is logically offline although the "
    "containing section is online. (e.g. inflated in a balloon driver or not onlined when "
    "onlining the section)."
)
CONTRACT = (
    "Caller must ensure the page is locked and the spin_lock protecting balloon "
    "pages list is held before {} the balloon device."
)
VMCOREINFO_DOC = "PAGE_BUDDY_MAPCOUNT_VALUE(~PG_buddy)|PAGE_OFFLINE_MAPCOUNT_VALUE(~PG_offline)"


@dataclass(frozen=True)
class Planted:
    patch: int
    path: str
    line: int
    name: str
    rule: str


def git_env(home: Path) -> dict[str, str]:
    """An environment in which no user or system git configuration applies."""
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.org",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.org",
    )
    return env


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """samples/tree with series.mbox applied by `git am`."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("applied")
    env = git_env(tmp_path_factory.mktemp("home"))
    shutil.copytree(SAMPLES / "tree", repo, dirs_exist_ok=True)

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    # The cover letter carries no diff: drop it as b4 and git am users do.
    git("am", "-q", "--empty=drop", str(SERIES))
    log = git("log", "--format=%s", "--reverse", f"HEAD~{PATCHES}..HEAD").splitlines()
    assert log == [re.sub(r"^\[[^]]*\] ", "", s) for s in SUBJECTS[1:]]
    return repo


def expected_rows() -> list[Planted]:
    text = (SAMPLES / "EXPECTED.md").read_text()
    table = text.split("<!-- planted-violations: the test reads this table -->", 1)[1]
    rows = []
    for line in table.strip().splitlines()[2:]:
        if not line.startswith("|"):
            break
        patch, path, number, name, rule = (c.strip() for c in line.strip("|").split("|"))
        rows.append(Planted(int(patch), path, int(number), name, rule))
    return rows


def removed_name_rows() -> list[Planted]:
    return [r for r in expected_rows() if r.rule.startswith("PA1")]


def lock_rule_rows() -> list[Planted]:
    return [r for r in expected_rows() if r.rule.startswith("PA2")]


def c_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.[ch]") if ".git" not in p.parts)


def old_names(root: Path, *, code_only: bool) -> set[tuple[str, int, str]]:
    found = set()
    for path in c_files(root):
        text = path.read_text()
        if code_only:
            text = COMMENT_OR_STRING.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        for number, line in enumerate(text.splitlines(), 1):
            for match in OLD_NAME.finditer(line):
                found.add((path.relative_to(root).as_posix(), number, match.group(1)))
    return found


def series_messages(path: Path) -> list[email.message.Message]:
    return list(mailbox.mbox(path, create=False))


def parts_of(msg: email.message.Message) -> list[email.message.Message]:
    """The parts of a multipart mail; the mail itself otherwise."""
    if not msg.is_multipart():
        return [msg]
    parts = msg.get_payload()
    assert isinstance(parts, list)
    return [p for p in parts if isinstance(p, email.message.Message)]


def body_of(msg: email.message.Message) -> str:
    """The decoded text of a mail; the parts of a multipart mail, joined."""
    parts = parts_of(msg)
    texts = []
    for part in parts:
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        texts.append(payload.decode("utf-8"))
    return "".join(texts)


def added_lines(body: str) -> set[tuple[str, int]]:
    """(path, line in the post-patch file) of every line a patch adds."""
    added = set()
    path, new = "", 0
    for line in body.split("\n-- \n", 1)[0].splitlines():
        if line.startswith("+++ "):
            path = line[len("+++ b/") :]
        elif m := re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@", line):
            new = int(m.group(1))
        elif line.startswith("+") and path:
            added.add((path, new))
            new += 1
        elif line.startswith(" "):
            new += 1
    return added


def comment_text(path: Path) -> str:
    """All comment text of a C file, leaders stripped, white space collapsed."""
    comments = re.findall(r"/\*(.*?)\*/", path.read_text(), re.DOTALL)
    words = re.sub(r"^\s*\*", " ", "\n".join(comments), flags=re.MULTILINE)
    return " ".join(words.split())


def test_expected_md_lists_one_violation_per_removed_name() -> None:
    rows = removed_name_rows()
    assert sorted((r.name, r.rule) for r in rows) == sorted(RULE_OF.items())
    assert [r.patch for r in rows] == [2, 3, 4, 5, 6]
    assert len({r.path for r in rows}) == 5


def test_expected_md_lists_one_violation_per_lock_and_offline_rule() -> None:
    rows = lock_rule_rows()
    assert sorted((r.name, r.rule) for r in rows) == sorted(LOCK_RULE_OF.items())
    assert [(r.patch, r.path) for r in rows] == [
        (7, "drivers/misc/resv_balloon.c"),
        (8, "drivers/misc/coop_balloon.c"),
        (8, "drivers/misc/coop_balloon.c"),
        (8, "drivers/misc/coop_balloon.c"),
        (8, "drivers/misc/coop_balloon.c"),
    ]
    assert [r.rule.startswith("PA1") for r in expected_rows()] == [True] * 5 + [False] * 5


def test_each_planted_file_is_changed_by_its_patch_only() -> None:
    changed: dict[str, list[int]] = {}
    for step in sorted((SAMPLES / "series-src").glob("0*/tree")):
        for path in step.rglob("*"):
            if path.is_file():
                changed.setdefault(path.relative_to(step).as_posix(), []).append(int(step.parent.name))
    for row in expected_rows():
        assert changed[row.path] == [row.patch], row


def test_each_lock_rule_plant_is_the_named_call_on_its_line(applied: Path) -> None:
    for row in lock_rule_rows():
        line = (applied / row.path).read_text().splitlines()[row.line - 1]
        assert re.match(rf"^\t+{re.escape(row.name)}\(", line), (row, line)


def test_series_applies_and_ends_in_the_series_src_files(applied: Path) -> None:
    last: dict[str, Path] = {}
    for step in sorted((SAMPLES / "series-src").glob("0*/tree")):
        for path in step.rglob("*"):
            if path.is_file():
                last[path.relative_to(step).as_posix()] = path
    assert sorted(last) == [
        "Documentation/admin-guide/kdump/vmcoreinfo.rst",
        "drivers/misc/coop_balloon.c",
        "drivers/misc/hyp_balloon.c",
        "drivers/misc/resv_balloon.c",
        "drivers/virtio/toy_balloon.c",
        "fs/proc/pagetypes.c",
        "include/linux/balloon_compaction.h",
        "include/linux/page-flags.h",
        "kernel/crash_info.c",
        "kernel/power/snapshot_lite.c",
    ]
    for rel, source in last.items():
        assert (applied / rel).read_text() == source.read_text(), rel


def test_old_names_in_code_after_the_series_are_exactly_the_planted_ones(applied: Path) -> None:
    planted = {(r.path, r.line, r.name) for r in removed_name_rows()}
    assert old_names(applied, code_only=True) == planted
    # The one mention in a comment is the near miss EXPECTED.md lists.
    assert old_names(applied, code_only=False) == planted | {
        ("include/linux/page-flags.h", 107, "PageBalloon")
    }


def test_each_planted_line_is_added_by_its_patch() -> None:
    messages = series_messages(SERIES)
    for row in expected_rows():
        assert (row.path, row.line) in added_lines(body_of(messages[row.patch])), row
    near_miss = ("include/linux/page-flags.h", 107)
    assert near_miss in added_lines(body_of(messages[2]))


def test_the_base_tree_uses_old_names_but_no_new_ones() -> None:
    base = SAMPLES / "tree"
    assert {name for _, _, name in old_names(base, code_only=True)} == set(RULE_OF)
    for path in c_files(base):
        assert not re.search(r"PageOffline|PG_offline|PAGE_OFFLINE", path.read_text()), path


def test_rule_text_is_the_50_form_before_and_the_51_form_after(applied: Path) -> None:
    header = "include/linux/balloon_compaction.h"
    before = comment_text(SAMPLES / "tree" / header)
    after = comment_text(applied / header)
    assert "these four rules" in before and RULE_I not in before and RULE_II not in before
    assert "these two rules" in after and RULE_I in after and RULE_II in after
    # The 5.x kernel-doc contracts that PA2003 and PA2004 quote, throughout.
    for verb in ("inserting a page into", "deleting a page from"):
        contract = CONTRACT.format(verb)
        assert before.count(contract) == after.count(contract) == 1
    assert OFFLINE_DOC in comment_text(applied / "include/linux/page-flags.h")


def test_rules_that_cannot_fire_have_their_reason(applied: Path) -> None:
    # PA2005: no balloon_page_finalize() (Linux 6.x) anywhere in the tree.
    for root in (SAMPLES / "tree", applied):
        assert not [p for p in c_files(root) if "balloon_page_finalize" in p.read_text()]
    # PA2007: patch 3 adds the documented entry, and the one export site names
    # the old value (the PA1005 plant), which PA2007 accepts.
    doc = "Documentation/admin-guide/kdump/vmcoreinfo.rst"
    assert VMCOREINFO_DOC not in (SAMPLES / "tree" / doc).read_text()
    assert (applied / doc).read_text().splitlines()[33] == VMCOREINFO_DOC
    exports = [
        (p.relative_to(applied).as_posix(), m.group(1))
        for p in c_files(applied)
        for m in re.finditer(r"^\tVMCOREINFO_NUMBER\((\w+)\);$", p.read_text(), re.MULTILINE)
    ]
    assert [name for path, name in exports if "MAPCOUNT" in name] == [
        "PAGE_BUDDY_MAPCOUNT_VALUE", "PAGE_TABLE_MAPCOUNT_VALUE", "PAGE_BALLOON_MAPCOUNT_VALUE",
    ]
    assert {path for path, _ in exports} == {"kernel/crash_info.c"}


def test_make_series_regenerates_series_mbox_byte_for_byte(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    out = tmp_path / "series.mbox"
    subprocess.run(["sh", str(SAMPLES / "make-series.sh"), str(out)], check=True)
    assert out.read_bytes() == SERIES.read_bytes()


def test_cover_letter_is_filled_in_and_subjects_are_in_order() -> None:
    messages = series_messages(SERIES)
    subjects = [re.sub(r"\n(?=[ \t])", "", str(m["Subject"])) for m in messages]
    assert subjects == SUBJECTS
    cover = body_of(messages[0])
    assert "***" not in cover
    assert "base-commit: " in cover
    for msg in messages[1:]:
        assert "Signed-off-by: Dana Example <dana@example.org>" in body_of(msg)


def test_raw_mbox_threads_under_the_cover_letter() -> None:
    raw = series_messages(RAW)
    cover_id = "<20181119101600.4711-1-dana@example.org>"
    assert [m["Message-Id"] for m in raw] == [
        f"<20181119101600.4711-{i}-dana@example.org>" for i in range(1, PATCHES + 2)
    ]
    assert raw[0]["In-Reply-To"] is None
    assert all(m["In-Reply-To"] == cover_id == m["References"] for m in raw[1:])
    assert all(m["List-Id"] == "<linux-mm.lists.example.org>" for m in raw)
    assert all(len(m.get_all("Received", [])) == 2 for m in raw)


def test_raw_mbox_encodings_and_decoded_bodies() -> None:
    plain = series_messages(SERIES)
    raw = series_messages(RAW)
    assert [re.sub(r"\n(?=[ \t])", "", str(m["Subject"])) for m in raw] == SUBJECTS
    encodings = [str(m["Content-Transfer-Encoding"]) for m in raw]
    assert encodings == ["8bit", "8bit", "quoted-printable", "base64", "None", "8bit", "8bit", "8bit", "8bit"]
    attached = raw[4]
    assert attached.get_content_type() == "multipart/mixed"
    parts = parts_of(attached)
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/x-patch"]
    assert parts[1].get_content_disposition() == "attachment"
    assert body_of(parts[1]).startswith("---\n") and "diff --git" in body_of(parts[1])
    for mine, theirs in zip(raw, plain, strict=True):
        assert body_of(mine) == body_of(theirs)
    # Real encoding, not a label: "=" escaped, long lines broken softly.
    qp = raw[2].get_payload(decode=False)
    assert isinstance(qp, str)
    assert "=3D" in qp and "=\n" in qp and "diff --git" in qp
    b64 = raw[3].get_payload(decode=False)
    assert isinstance(b64, str) and "diff --git" not in b64


def test_make_raw_mail_regenerates_the_raw_mbox_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "raw.mbox"
    script = SAMPLES / "make-raw-mail.py"
    subprocess.run([sys.executable, str(script), str(SERIES), str(out)], check=True)
    assert out.read_bytes() == RAW.read_bytes()
