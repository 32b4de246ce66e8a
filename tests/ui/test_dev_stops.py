"""`medallion dev` stops on Ctrl-C (SIGINT to its process group, as a terminal sends it) and on SIGTERM to its pid
(as a service manager sends it) within about 15 s, with every process it started gone (dagster dev, the webserver,
the daemon, the code servers) and the embedded servers left running as they were.

Timing-sensitive under load: the bound is the supervisor's grace (dev/dagster_dev.STOP_GRACE_S) plus Python's exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medallion_assets.dev import dagster_dev, services
from medallion_assets.lib.settings import SERVICE_VARIABLES
from tests.ui.dagster_dev import WORKSPACE_QUERY, graphql, wait_for

STOP_BOUND_S = 15.0


def _loaded(url: str, process: subprocess.Popen, log: Path) -> bool:
    import requests

    if process.poll() is not None:
        raise AssertionError(f"medallion dev exited with {process.returncode}: see {log}")
    try:
        entries = graphql(url, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    except (requests.RequestException, AssertionError):
        return False
    return bool(entries) and entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation"


@pytest.mark.parametrize(
    ("signum", "to_group"), [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "term"]
)
def test_medallion_dev_stops_with_its_whole_tree(services_home, tmp_path, signum, to_group):
    server_pids = {p.stem: int(p.read_text()) for p in (services_home / "run").glob("*.pid")}
    port = services.free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(MEDALLION_HOME=str(services_home), DAGSTER_HOME=str(tmp_path / "dagster"))
    log = tmp_path / "dev.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "medallion"), "dev", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a shell job in a terminal
            cwd=tmp_path,
        )
    try:
        wait_for(lambda: _loaded(f"http://127.0.0.1:{port}", process, log), 180, what=f"medallion dev ({log})")
        tree = dagster_dev.descendants(process.pid)
        names = " ".join(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in tree)
        for part in ("dagster dev", "dagster_webserver", "dagster._daemon", "code-server"):
            assert part in names, f"{part} is not in the tree of medallion dev: {names}"
        started = time.monotonic()
        if to_group:
            os.killpg(process.pid, signum)
        else:
            os.kill(process.pid, signum)
        process.wait(STOP_BOUND_S + 10)
        while any(dagster_dev._alive(pid) for pid in tree) and time.monotonic() - started < STOP_BOUND_S + 10:
            time.sleep(0.1)
        took = time.monotonic() - started
        left = [pid for pid in tree if dagster_dev._alive(pid)]
        assert not left, f"still running after {took:.1f}s: {left}"
        print(f"\nmedallion dev stopped on {signal.Signals(signum).name} in {took:.1f}s; {log.read_text()[-200:]}")
        assert took < STOP_BOUND_S, f"medallion dev took {took:.1f}s to stop"
        assert process.returncode == (130 if signum == signal.SIGINT else 128 + signum)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for name, pid in server_pids.items():
        assert dagster_dev._alive(pid), f"the embedded {name} (pid {pid}) was stopped"
    ports = services.Ports.configured()
    assert all(services.answers(name, ports) for name in services.SERVICE_NAMES)
