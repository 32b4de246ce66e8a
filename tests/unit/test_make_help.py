"""`make help` (and a bare `make`) lists every target of the Makefile with its one-line description."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def targets() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    return [t for t in re.findall(r"^([a-z][a-z-]*):", text, re.MULTILINE)]


@pytest.mark.parametrize("argv", [["make", "help"], ["make"]], ids=["make help", "bare make"])
def test_help_lists_every_target_once_with_a_description(argv):
    result = subprocess.run([*argv, "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    listed = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"  make (\S+) +(\S.*)", line)
        assert match, f"not a 'make TARGET  description' line: {line!r}"
        assert match.group(1) not in listed, f"{match.group(1)} listed twice"
        listed[match.group(1)] = match.group(2)
    assert sorted(listed) == sorted(targets())
    assert all(len(description) > 10 for description in listed.values())
