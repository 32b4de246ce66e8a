"""dev/dagster_dev.py stops a process tree: SIGINT first, SIGKILL for whatever ignores it past the grace."""

from __future__ import annotations

import subprocess
import sys
import time

from medallion_assets.dev import dagster_dev

# A parent with a child and a grandchild, all in the parent's session; `ignore` makes each ignore SIGINT.
TREE = """
import signal, subprocess, sys, time
if {ignore}:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
depth = int(sys.argv[1])
if depth:
    subprocess.Popen([sys.executable, "-c", sys.argv[2], str(depth - 1), sys.argv[2]])
try:
    time.sleep(300)
except KeyboardInterrupt:
    sys.exit(0)
"""


def _tree(ignore: bool) -> tuple[subprocess.Popen, set[int]]:
    code = TREE.format(ignore=ignore)
    process = subprocess.Popen([sys.executable, "-c", code, "2", code], start_new_session=True)
    deadline = time.monotonic() + 30
    while len(dagster_dev.descendants(process.pid)) < 2:
        assert time.monotonic() < deadline, "the test tree did not start"
        time.sleep(0.05)
    return process, dagster_dev.descendants(process.pid)


def test_a_tree_that_stops_on_sigint_is_not_killed():
    process, tree = _tree(ignore=False)
    took, killed = dagster_dev.stop_tree(process, set())
    assert killed == 0 and took < dagster_dev.STOP_GRACE_S
    assert process.returncode == 0
    assert not any(dagster_dev._alive(pid) for pid in tree)


def test_a_tree_that_ignores_sigint_is_killed_after_the_grace(monkeypatch):
    monkeypatch.setattr(dagster_dev, "STOP_GRACE_S", 1.0)
    process, tree = _tree(ignore=True)
    took, killed = dagster_dev.stop_tree(process, set())
    assert killed == 3  # the parent, its child and its grandchild
    assert 1.0 <= took < 1.0 + dagster_dev.KILL_WAIT_S
    assert process.returncode == -9
    assert not any(dagster_dev._alive(pid) for pid in tree)


def test_descendants_of_a_process_without_children_is_empty():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert dagster_dev.descendants(process.pid) == set()
        assert process.pid in dagster_dev.descendants(__import__("os").getpid())
    finally:
        process.kill()
        process.wait()
