"""README.md and docs/ name only what exists: relative links, file paths in code spans, and `make` targets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]

_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`\n]+)`")
# A code span that is a path into the repository: it starts with one of its folders (lib/, defs/ and dev/ are
# short for medallion_assets/...), has no placeholder and no spaces.
_PATH = re.compile(r"^(?:medallion_assets|sql|tests|deploy|benchmarks|docs|lib|defs|dev)/[\w./-]*$")
# `make x` in a code span, or a line of a code block that starts with it.
_MAKE = re.compile(r"(?:`|^\$? ?)make ([a-z][a-z-]*)", re.MULTILINE)


def _targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))


def _exists(path: str) -> bool:
    path = path.rstrip("/")
    # `lib/warehouse.atomic` names a function in a module: the module must exist.
    candidates = [path, re.sub(r"\.(\w+)$", r".py", path) if not path.endswith((".py", ".sql", ".md")) else path]
    for candidate in candidates:
        for base in (ROOT, ROOT / "medallion_assets"):
            if (base / candidate).exists() or (base / f"{candidate}.py").exists():
                return True
    return False


def _heading_anchors(text: str) -> set[str]:
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).strip().replace(" ", "-")
        anchors.add(slug)
    return anchors


def _prose(text: str) -> str:
    """The text without fenced code blocks (commands and output shown as examples)."""
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path):
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in _LINK.findall(_prose(text)):
        if re.match(r"^[a-z]+:", target):
            continue  # http(s):, mailto:
        file, _, anchor = target.partition("#")
        path = (doc.parent / file) if file else doc
        anchors = _heading_anchors(path.read_text(encoding="utf-8")) if path.suffix == ".md" and path.exists() else None
        if not path.exists() or (anchor and anchors is not None and anchor not in anchors):
            broken.append(target)
    assert not broken, f"{doc.name} links to what does not exist: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_path_named_exists(doc: Path):
    text = _prose(doc.read_text(encoding="utf-8"))
    missing = [span for span in _CODE.findall(text) if _PATH.match(span) and not _exists(span)]
    assert not missing, f"{doc.name} names files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_make_target_named_exists(doc: Path):
    targets = _targets()
    named = set(_MAKE.findall(doc.read_text(encoding="utf-8")))
    assert named <= targets, f"{doc.name} names make targets the Makefile lacks: {sorted(named - targets)}"


def test_the_checker_finds_what_is_missing(tmp_path):
    """The rules above catch a broken link, a missing file and an unknown target (so they can fail)."""
    assert not _exists("lib/no_such_module.py")
    assert _exists("lib/warehouse.atomic")
    assert _exists("sql/setup/")
    assert "late-changes-and-backfills-of-the-market-pulse" in _heading_anchors(
        "## Late changes and backfills of the market pulse"
    )
    assert "teleport" not in _targets()
    assert _MAKE.findall("run `make tiny` to make files\n$ make pipeline") == ["tiny", "pipeline"]
    assert _PATH.match("tests/unit/test_docs.py") and not _PATH.match("$MEDALLION_HOME/logs/x.log")


_CONFLICT = re.compile(r"^(?:<{7}|>{7})(?: |$)|^={7}$", re.MULTILINE)


def conflict_markers(text: str) -> list[int]:
    """Line numbers of git merge-conflict markers left in a text."""
    return [text.count("\n", 0, m.start()) + 1 for m in _CONFLICT.finditer(text)]


def test_no_tracked_text_file_holds_a_merge_conflict_marker():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found = {}
    for name in tracked.splitlines():
        if not name.endswith(
            (".md", ".py", ".sql", ".toml", ".yaml", ".yml", ".txt", ".lock", ".cfg")
        ) and name not in (
            "Makefile",
            ".ci/run",
        ):
            continue
        path = ROOT / name
        if path.is_file() and (lines := conflict_markers(path.read_text(encoding="utf-8", errors="replace"))):
            found[name] = lines
    assert found == {}


def test_the_marker_finder_sees_each_marker_and_nothing_else():
    text = "a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> main\n======== not one\n| === |\n"
    assert conflict_markers(text) == [2, 4, 6]
