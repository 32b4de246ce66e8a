"""`medallion dev`: `dagster dev` (UI, daemon, code servers, run workers) until Ctrl-C or SIGTERM, then nothing left.

`dagster dev` runs as a child in a session of its own, so a Ctrl-C in the terminal reaches only this process,
which then stops the child's whole tree in order:

1. SIGINT to the child's process group (what a Ctrl-C would send it: dagster dev stops the webserver, the daemon
   and the code servers, and run workers stop their runs);
2. after ``STOP_GRACE_S``, SIGKILL to every process of the tree still there (`dagster dev` may wait on a child
   that does not stop; a person pressing Ctrl-C or a service manager expects it gone in seconds).

The tree is every process descended from the child, seen while it ran (a process whose parent exited is
re-parented to init, so the tree is collected all along, not only at the end). The embedded servers are
started by this process before the child, never by the child, so they are not in the tree and stay as they were.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_GRACE_S = 8.0
KILL_WAIT_S = 5.0
POLL_S = 0.5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process (Linux /proc)."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`."""
    tree = _children()
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in tree.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal(pids, signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def stop_tree(process: subprocess.Popen, known: set[int]) -> tuple[float, int]:
    """Stop `process` and every process of its tree; returns (seconds taken, processes killed with SIGKILL)."""
    started = time.monotonic()
    known |= descendants(process.pid)
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    _signal(known, signal.SIGINT)  # any that left the group (a new session of its own)
    deadline = started + STOP_GRACE_S
    while time.monotonic() < deadline:
        if process.poll() is None:
            known |= descendants(process.pid)
        if process.poll() is not None and not any(_alive(pid) for pid in known):
            return time.monotonic() - started, 0
        time.sleep(0.1)
    if process.poll() is None:
        known |= descendants(process.pid)
    left = {pid for pid in known | {process.pid} if _alive(pid)}
    _signal(left, signal.SIGKILL)
    try:
        process.wait(KILL_WAIT_S)
    except subprocess.TimeoutExpired:
        pass
    kill_deadline = time.monotonic() + KILL_WAIT_S
    while any(_alive(pid) for pid in left) and time.monotonic() < kill_deadline:
        time.sleep(0.05)
    return time.monotonic() - started, len(left)


def supervise(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run `command` in its own session until it exits or this process gets SIGINT/SIGTERM/SIGHUP."""
    received: list[int] = []

    def on_signal(signum, _frame):
        received.append(signum)

    previous = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    try:
        process = subprocess.Popen(command, start_new_session=True, env=env)
        known: set[int] = set()
        while process.poll() is None and not received:
            known |= descendants(process.pid)
            time.sleep(POLL_S)
        if not received:  # dagster dev ended by itself: whatever it left behind goes too
            if any(_alive(pid) for pid in known):
                stop_tree(process, known)
            return process.returncode
        name = signal.Signals(received[0]).name
        print(f"medallion dev: {name} received, stopping dagster dev and its processes", file=sys.stderr, flush=True)
        took, killed = stop_tree(process, known)
        how = f", {killed} of them with SIGKILL" if killed else ""
        print(f"medallion dev: stopped in {took:.1f}s{how}", file=sys.stderr, flush=True)
        return 128 + received[0] if received[0] != signal.SIGINT else 130
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run(host: str, port: int) -> int:
    """Services (embedded ones when needed), the Dagster home, then `dagster dev` on host:port until stopped."""
    import dagster as dg

    from medallion_assets.dev import pipeline, runs, services

    if pipeline.embedded_needed():
        services.up()
    home = pipeline.dagster_home()
    from medallion_assets.definitions import defs

    with dg.DagsterInstance.get() as instance:  # runs killed in an earlier session would hold pool slots
        for run_id in runs.fail_dead_runs(instance):
            print(f"run {run_id} had lost its process: marked failed, its pool slots freed")
        pipeline.create_pools(instance, defs)
    dagster = shutil.which("dagster", path=os.path.dirname(sys.executable)) or "dagster"
    workspace = str(services.PROJECT_ROOT / "workspace.yaml")
    command = [dagster, "dev", "-w", workspace, "-h", host, "-p", str(port)]
    print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={home}); Ctrl-C stops it", flush=True)
    return supervise(command)
