"""The deployed Dagster instance: deploy/dagster.yaml on a real PostgreSQL server.

Starts PostgreSQL 15 (Debian package `postgresql`; `make test` installs it where it can) on a free
port with a password, copies deploy/dagster.yaml into a fresh DAGSTER_HOME with the DAGSTER_PG_*
variables pointing at that server, runs `dagster dev` (webserver + daemon, run workers as
subprocesses) against the embedded services, launches warehouse_schema + data_ingestion +
bronze_real_estate (with bronze's checks) through GraphQL, and then reads PostgreSQL itself: the
run, its materializations and its check results must be in Dagster's tables there.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from medallion_assets.dev import seeding, services
from tests.ui.dagster_dev import ASSET_JOB, dagster_dev, graphql, launch, wait_for_run

DEPLOY_YAML = services.PROJECT_ROOT / "deploy" / "dagster.yaml"
LISTINGS = 300
BRONZE_CHECKS = {"bronze_offsets_unique", "bronze_offsets_contiguous", "bronze_covers_source", "bronze_reject_rate"}


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


pytestmark = pytest.mark.skipif(
    postgres_bin() is None,
    reason="PostgreSQL is not installed (Debian package `postgresql`; `make test` installs it when run as root)",
)


@contextlib.contextmanager
def postgres_server(user: str, password: str, database: str) -> Iterator[int]:
    """A throw-away PostgreSQL server on 127.0.0.1:<free port> (password auth over TCP); yields the port.

    As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root), so its folder is a
    fresh directory under the system temp folder owned by that user; sockets stay inside it."""
    import psycopg2

    bindir = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="medallion-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, pwfile = folder / "data", folder / "pwfile"
    pwfile.write_text(password + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres", "postgres")
    port = services.free_port()

    def run(*args: str) -> None:
        result = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{args[0]} failed: {result.stdout}{result.stderr}"

    run(str(bindir / "initdb"), "-D", str(data), "-U", user, f"--pwfile={pwfile}", "--auth=scram-sha-256")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "start")
    try:
        with contextlib.closing(
            psycopg2.connect(host="127.0.0.1", port=port, user=user, password=password, dbname="postgres")
        ) as conn:
            conn.autocommit = True
            conn.cursor().execute(f'CREATE DATABASE "{database}"')
        yield port
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


SENSORS_QUERY = """
query($selector: RepositorySelector!) {
  sensorsOrError(repositorySelector: $selector) {
    ... on Sensors { results { name jobOriginId sensorState { id selectorId status } } }
  }
}
"""

STOP_SENSOR = """
mutation($id: String, $origin: String, $selectorId: String) {
  stopSensor(id: $id, jobOriginId: $origin, jobSelectorId: $selectorId) {
    __typename
    ... on StopSensorMutationResult { instigationState { status } }
  }
}
"""


def stop_sensors(url: str) -> None:
    """Stop every sensor, so that the only run touching this test's collection and topic is the test's own."""
    selector = {"repositoryLocationName": ASSET_JOB["repositoryLocationName"], "repositoryName": "__repository__"}
    for sensor in graphql(url, SENSORS_QUERY, {"selector": selector})["sensorsOrError"]["results"]:
        state = sensor["sensorState"]
        stopped = graphql(
            url, STOP_SENSOR, {"id": state["id"], "origin": sensor["jobOriginId"], "selectorId": state["selectorId"]}
        )["stopSensor"]
        assert stopped["instigationState"]["status"] == "STOPPED", (sensor["name"], stopped)


@pytest.fixture(scope="module")
def deployment(services_home, tmp_path_factory):
    """PostgreSQL + `dagster dev` on deploy/dagster.yaml; a collection and topic of this module's own."""
    pg = {"user": "dagster", "password": f"pw-{uuid.uuid4().hex[:12]}", "database": "dagster"}
    with postgres_server(pg["user"], pg["password"], pg["database"]) as port:
        home = tmp_path_factory.mktemp("dagster-pg-home")
        shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
        suffix = uuid.uuid4().hex[:8]
        # step logs go to the bucket deploy/dagster.yaml names, on the embedded S3
        bucket = yaml.safe_load(DEPLOY_YAML.read_text())["compute_logs"]["config"]["bucket"]
        (services_home / "s3" / bucket).mkdir(parents=True, exist_ok=True)
        env = {
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{services.Ports.configured().s3}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(port),
            "DAGSTER_PG_USER": pg["user"],
            "DAGSTER_PG_PASSWORD": pg["password"],
            "DAGSTER_PG_DB": pg["database"],
            "MONGO_COLLECTION": f"details_pg_{suffix}",
            "KAFKA_TOPIC": f"data_ingestion_pg_{suffix}",
        }
        with dagster_dev(home, env) as url:
            stop_sensors(url)
            yield {"url": url, "env": env, "pg": {**pg, "port": port}}


def seed(env: dict[str, str]) -> None:
    from medallion_assets.defs.resources import mongo_resource, resolved

    previous = os.environ.get("MONGO_COLLECTION")
    os.environ["MONGO_COLLECTION"] = env["MONGO_COLLECTION"]
    try:
        with resolved(mongo_resource()).get_collection() as collection:
            assert seeding.insert(collection, LISTINGS, random_seed=21) == LISTINGS
    finally:
        if previous is None:
            os.environ.pop("MONGO_COLLECTION")
        else:
            os.environ["MONGO_COLLECTION"] = previous


def test_a_run_on_the_deployed_instance_lands_in_postgres(deployment):
    import psycopg2

    seed(deployment["env"])
    selector = {
        **ASSET_JOB,
        "assetSelection": [
            {"path": ["warehouse_schema"]},
            {"path": ["data_ingestion"]},
            {"path": ["bronze_real_estate"]},
        ],
        "assetCheckSelection": [
            {"assetKey": {"path": ["bronze_real_estate"]}, "name": n} for n in sorted(BRONZE_CHECKS)
        ],
    }
    run_id = launch(deployment["url"], selector)
    assert wait_for_run(deployment["url"], run_id, 150) == "SUCCESS"

    pg = deployment["pg"]
    with contextlib.closing(
        psycopg2.connect(
            host="127.0.0.1", port=pg["port"], user=pg["user"], password=pg["password"], dbname=pg["database"]
        )
    ) as conn:
        cur = conn.cursor()
        cur.execute("SELECT status FROM runs WHERE run_id = %s", (run_id,))
        assert cur.fetchall() == [("SUCCESS",)]
        cur.execute(
            "SELECT asset_key, event FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'"
            " ORDER BY id",
            (run_id,),
        )
        rows = cur.fetchall()
        assert sorted(json.loads(key)[0] for key, _ in rows) == [
            "bronze_real_estate",
            "data_ingestion",
            "warehouse_schema",
        ]
        materialized = {json.loads(key)[0]: event for key, event in rows}
        cur.execute(
            "SELECT check_name, execution_status FROM asset_check_executions WHERE run_id = %s AND asset_key = %s",
            (run_id, json.dumps(["bronze_real_estate"])),
        )
        assert dict(cur.fetchall()) == dict.fromkeys(BRONZE_CHECKS, "SUCCEEDED")
        # The deployment's sensors are RUNNING: mongo_changes_sensor may start change_to_gold_job on the same new
        # documents and load bronze first. Wait until no run is in flight, then every message is loaded exactly once
        # over all runs, and bronze_loader's pool (in PostgreSQL too: one slot) is free again.
        deadline = time.monotonic() + 240
        while True:
            cur.execute("SELECT count(*) FROM runs WHERE status IN ('QUEUED', 'NOT_STARTED', 'STARTING', 'STARTED')")
            if cur.fetchone()[0] == 0 or time.monotonic() > deadline:
                break
            time.sleep(2)
        cur.execute(
            "SELECT event FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' AND asset_key = %s",
            (json.dumps(["bronze_real_estate"]),),
        )
        every_bronze = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT run_id FROM concurrency_slots WHERE concurrency_key = 'bronze_loader' AND NOT deleted",
        )
        assert cur.fetchall() == [(None,)]

    from dagster._serdes import deserialize_value

    bronze = deserialize_value(materialized["bronze_real_estate"]).dagster_event.event_specific_data.materialization
    assert bronze.metadata["dagster/row_count"].value == LISTINGS
    loaded = [
        deserialize_value(event).dagster_event.event_specific_data.materialization.metadata["rows_loaded"].value
        for event in every_bronze
    ]
    assert sum(loaded) == LISTINGS, loaded  # exactly once, whichever run loaded them
