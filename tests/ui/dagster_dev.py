"""Helpers shared by the UI tests: start `dagster dev` on a free port, talk GraphQL to it, wait."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests

from medallion_assets.dev import runs, services

LOCATION = "medallion_assets"
ASSET_JOB = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": "__ASSET_JOB"}


def unpartitioned_selector() -> dict:
    """`__ASSET_JOB` with every asset and check but the daily-partitioned market pulse and what reads it (a run of
    the whole graph without a partition; the UI's "Materialize all" launches the pulse's days as a backfill)."""
    from medallion_assets.definitions import defs
    from medallion_assets.dev.pulse_runs import main_selection

    assets, checks = (sorted(keys, key=lambda k: k.to_user_string()) for keys in main_selection(defs))
    return {
        **ASSET_JOB,
        "assetSelection": [{"path": key.path} for key in assets],
        "assetCheckSelection": [{"assetKey": {"path": c.asset_key.path}, "name": c.name} for c in checks],
    }


LAUNCH_MUTATION = """
mutation($selector: JobOrPipelineSelector!) {
  launchPipelineExecution(executionParams: {selector: $selector, mode: "default"}) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN_QUERY = """
query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }
"""

WORKSPACE_QUERY = (
    "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }"
)


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def wait_for(predicate, timeout: float, interval: float = 1.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def run_status(url: str, run_id: str) -> str:
    return graphql(url, RUN_QUERY, {"runId": run_id})["runOrError"]["status"]


def launch(url: str, selector: Mapping) -> str:
    """Launch a run through GraphQL `launchPipelineExecution`; returns its run id."""
    launched = graphql(url, LAUNCH_MUTATION, {"selector": dict(selector)})["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def wait_for_run(url: str, run_id: str, timeout: float) -> str:
    """The run's final status (SUCCESS, FAILURE or CANCELED)."""
    return wait_for(
        lambda: (s := run_status(url, run_id)) in ("SUCCESS", "FAILURE", "CANCELED") and s,
        timeout,
        what=f"run {run_id}",
    )


def _stop(pid: int) -> None:
    """SIGSTOP `pid` and return once it is stopped (or gone): it runs no further instruction until SIGCONT."""
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return
    for _ in range(1000):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state in ("T", "t", "Z", "X"):
            return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} did not stop within 1 s of SIGSTOP")


def kill_run_after_materialization(instance, run_id: str, asset_key, timeout: float, slice_s: float = 0.02) -> list:
    """SIGKILL a run's worker process (the pid its RUN_START event recorded) right after the run stored the
    materialization of `asset_key`, and return the run's event log as the kill left it.

    Until the asset's step starts the run goes freely; from then on the worker runs in slices of `slice_s`: between
    two slices it is stopped (SIGSTOP) and its event log read, so it is killed at most one slice after the
    materialization was stored. What a step does next (a check's STEP_START, its warehouse query, its evaluation
    event) takes longer than a slice, but the caller must still assert on the returned log what the run did not
    reach: the race is tight by nature, and only the log can tell it was won."""
    from dagster._core.events import DagsterEventType

    step_key = asset_key.path[-1]
    recorded = wait_for(lambda: runs.run_process(instance, run_id), timeout, 0.2, f"run {run_id}'s worker pid")
    pid, since = recorded

    def step_started():
        for event in instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.RUN_FAILURE}):
            if event.dagster_event_type == DagsterEventType.RUN_FAILURE:
                raise AssertionError(f"run {run_id} failed before {step_key} started")
            if event.step_key == step_key:
                return True
        return False

    wait_for(step_started, timeout, 0.1, f"run {run_id} to start {step_key}")

    def materialized() -> bool:  # in the asset index, which Dagster writes after the run's own log
        records = instance.fetch_materializations(asset_key, limit=1).records
        return bool(records) and records[0].run_id == run_id

    def read_while_stopped() -> bool | None:
        """materialized() with the worker stopped; None when the read waits on a lock the stopped worker holds
        (SQLite's busy timeout is 30 s): the worker then goes on until the read returns, so read again."""
        future = reader.submit(materialized)
        try:
            return future.result(timeout=0.5)
        except concurrent.futures.TimeoutError:
            os.kill(pid, signal.SIGCONT)
            future.result()
            return None

    deadline = time.monotonic() + timeout
    reader = concurrent.futures.ThreadPoolExecutor(1)
    try:
        while True:
            _stop(pid)
            if read_while_stopped():
                os.kill(pid, signal.SIGKILL)
                break
            if instance.get_run_by_id(run_id).is_finished:
                raise AssertionError(f"run {run_id} ended without materializing {asset_key.to_user_string()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} did not materialize {asset_key.to_user_string()} in {timeout:.0f}s")
            os.kill(pid, signal.SIGCONT)
            time.sleep(slice_s)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)  # a killed process dies; one left stopped by a failure goes on
        reader.shutdown()
    wait_for(lambda: runs.process_gone(pid, since), 30, 0.1, f"run worker {pid} to die")
    return instance.all_logs(run_id)


@contextlib.contextmanager
def dagster_dev(home: Path, env: Mapping[str, str] | None = None, timeout: float = 120) -> Iterator[str]:
    """`dagster dev` (webserver + daemon) with DAGSTER_HOME=home on a free port; yields its URL once the
    code location has loaded, and stops the whole process group afterwards. Output goes to home/dagster-dev.log."""
    port = services.free_port()
    log_path = home / "dagster-dev.log"
    log = open(log_path, "wb")  # noqa: SIM115 (the server writes to it until the context ends)
    dagster = str(Path(sys.executable).parent / "dagster")
    process = subprocess.Popen(
        [dagster, "dev", "-w", str(services.PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=services.PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **(env or {}), "DAGSTER_HOME": str(home)},
    )
    url = f"http://127.0.0.1:{port}"

    def loaded():
        if process.poll() is not None:
            raise AssertionError(f"dagster dev exited with {process.returncode}: see {log_path}")
        try:
            entries = graphql(url, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
        except (requests.RequestException, AssertionError):
            return False
        return entries and entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation"

    try:
        wait_for(loaded, timeout, what=f"dagster dev on {url} (log: {log_path})")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
