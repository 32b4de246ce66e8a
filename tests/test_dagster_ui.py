"""The Dagster UI as people use it: webserver + daemon against the embedded services.

Launches "materialize all" through the GraphQL API, reads every check result back through
GraphQL, then lets the sensors and declarative automation carry new documents to the last
layer with no request from us. Finally a headless Chromium opens the asset graph and a
checks page, and screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from medallion_assets.local import pipeline, seeding, services
from medallion_assets.resources import mongo_resource

ARTIFACTS = services.PROJECT_ROOT / "test-artifacts"
LOCATION = "medallion_assets"

CHECKS_QUERY = """
query {
  assetNodes {
    assetKey { path }
    groupName
    assetChecksOrError {
      ... on AssetChecks {
        checks { name }
      }
    }
  }
}
"""

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

EXECUTIONS_QUERY = """
query($assetKey: AssetKeyInput!, $checkName: String!) {
  assetCheckExecutions(assetKey: $assetKey, checkName: $checkName, limit: 25) {
    runId status evaluation { success }
  }
}
"""

RUN_QUERY = """
query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }
"""

RUNS_QUERY = """
query { runsOrError(limit: 50) { ... on Runs { results { runId status tags { key value } } } } }
"""


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


@pytest.fixture(scope="module")
def dagster_ui(services_home, tmp_path_factory):
    """`dagster dev` (webserver + daemon) with a fresh instance, and 400 listings in the default collection."""
    with resolved_collection() as collection:
        collection.delete_many({})
        seeding.insert(collection, 400, random_seed=11)
    home = tmp_path_factory.mktemp("dagster-ui-home")
    os.environ["DAGSTER_HOME"] = str(home)
    pipeline.dagster_home()  # writes dagster.yaml (no pop-up, pools)
    port = services.free_port()
    log = open(home / "dagster-dev.log", "wb")
    dagster = str(Path(sys.executable).parent / "dagster")
    process = subprocess.Popen(
        [dagster, "dev", "-w", str(services.PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=services.PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "DAGSTER_HOME": str(home)},
    )
    url = f"http://127.0.0.1:{port}"

    def loaded():
        try:
            data = graphql(url, "{ workspaceOrError { ... on Workspace { locationEntries { name "
                                "locationOrLoadError { __typename } } } } }")
        except (requests.RequestException, AssertionError):
            return False
        entries = data["workspaceOrError"]["locationEntries"]
        return entries and entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation"

    try:
        wait_for(loaded, 120, what=f"dagster dev on {url} (log: {home / 'dagster-dev.log'})")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def resolved_collection():
    from medallion_assets.resources import resolved

    return resolved(mongo_resource()).get_collection()


def run_status(url: str, run_id: str) -> str:
    return graphql(url, RUN_QUERY, {"runId": run_id})["runOrError"]["status"]


def check_results(url: str, run_id: str) -> dict[str, dict[str, str]]:
    """{asset: {check: status}} of every check as evaluated in one run, read through GraphQL."""
    results: dict[str, dict[str, str]] = {}
    for node in graphql(url, CHECKS_QUERY)["assetNodes"]:
        path = node["assetKey"]["path"]
        for check in (node["assetChecksOrError"] or {}).get("checks") or []:
            executions = graphql(url, EXECUTIONS_QUERY, {"assetKey": {"path": path}, "checkName": check["name"]})
            mine = [e for e in executions["assetCheckExecutions"] if e["runId"] == run_id]
            results.setdefault("/".join(path), {})[check["name"]] = mine[0]["status"] if mine else "NOT RUN"
    return results


def test_materialize_all_through_graphql_and_every_check_passes(dagster_ui):
    selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": "__ASSET_JOB"}
    launched = graphql(dagster_ui, LAUNCH_MUTATION, {"selector": selector})["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status = wait_for(
        lambda: (s := run_status(dagster_ui, run_id)) in ("SUCCESS", "FAILURE", "CANCELED") and s,
        300, what=f"run {run_id}",
    )
    assert status == "SUCCESS"
    results = check_results(dagster_ui, run_id)
    assert set(results["bronze_real_estate"]) == {
        "bronze_offsets_unique", "bronze_offsets_contiguous", "bronze_covers_source", "bronze_reject_rate"
    }
    not_passed = {f"{a}.{c}": s for a, checks in results.items() for c, s in checks.items() if s != "SUCCEEDED"}
    assert not not_passed, f"checks not passing after materialize all: {not_passed}"


def test_sensors_carry_new_documents_to_the_last_layer_without_a_click(dagster_ui):
    from medallion_assets import warehouse
    from medallion_assets.resources import resolved, snowflake_resource

    with resolved_collection() as collection:
        seeding.insert(collection, 100, random_seed=12)
        new_ids = [str(d["_id"]) for d in collection.find({}, {"_id": 1}).sort("_id", -1).limit(100)]
    started = time.monotonic()

    def arrived() -> bool:
        with warehouse.connect(resolved(snowflake_resource())) as conn:
            table = LAST_LAYER_TABLE
            count = conn.cursor().execute(
                f"SELECT COUNT(DISTINCT id) AS n FROM {table} WHERE id IN ({','.join(['%s'] * len(new_ids))})",
                new_ids,
            ).fetchone()[0]
        return count >= EXPECTED_SHARE * len(new_ids)

    wait_for(arrived, 240, interval=3, what=f"sensor-driven runs to bring 100 new listings into {LAST_LAYER_TABLE}")
    delay = time.monotonic() - started
    print(f"\n[delay] insert -> {LAST_LAYER_TABLE}: {delay:.1f}s")
    runs = graphql(dagster_ui, RUNS_QUERY)["runsOrError"]["results"]
    triggered = {t["value"] for r in runs for t in r["tags"] if t["key"] == "medallion/trigger"}
    assert "mongo_changes_sensor" in triggered


LAST_LAYER_TABLE = "RAW_DB.LANDING.BRONZE_REAL_ESTATE"
EXPECTED_SHARE = 1.0
