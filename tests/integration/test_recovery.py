"""Day two: the local stack recovers by itself from a services restart and from a killed run.

Each test runs its own embedded servers on free ports with its own MEDALLION_HOME (and
DAGSTER_HOME), so restarting or killing things here touches nobody else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medallion_assets.dev import services
from tests.helpers import CONFIG_VARS

MEDALLION = str(Path(sys.executable).parent / "medallion")


def own_ports() -> services.Ports:
    return services.free_ports()


def cli_env(home: Path, dagster_home: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env.update(MEDALLION_HOME=str(home), PYTHONUNBUFFERED="1")
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


@pytest.fixture
def own_services(tmp_path):
    home = tmp_path / "medallion"
    ports = services.up(own_ports(), home)
    try:
        yield home, ports
    finally:
        services.down(home)


WRITES = [
    "INSERT INTO RAW_DB.LANDING.KAFKA_OFFSETS (consumer_name, kafka_topic, kafka_partition, next_offset) "
    "VALUES ('restart', 't', 0, 7), ('restart', 't', 1, 9)",
    "INSERT INTO STAGING_DB.CLEANED.SILVER_WATERMARK (kafka_topic, kafka_partition, processed_offset) "
    "VALUES ('t', 0, 6), ('t', 1, 8), ('t', 2, 3)",
    "INSERT INTO ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS (city, year_month, listing_count) VALUES ('Hà Nội', '2024-05', 12)",
]
# one query over all three databases, each part returning what was written before the restart
READ_ALL = (
    "SELECT 'raw' AS db, COUNT(*)::VARCHAR AS v FROM RAW_DB.LANDING.KAFKA_OFFSETS WHERE next_offset IN (7, 9) "
    "UNION ALL SELECT 'staging' AS db, COUNT(*)::VARCHAR AS v FROM STAGING_DB.CLEANED.SILVER_WATERMARK "
    "WHERE processed_offset IN (6, 8, 3) "
    "UNION ALL SELECT 'analytics' AS db, city || ' ' || year_month || ' ' || listing_count AS v "
    "FROM ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS ORDER BY db"
)


def test_every_database_answers_after_services_down_and_up(own_services):
    import snowflake.connector

    from medallion_assets.lib import warehouse

    home, ports = own_services
    with snowflake.connector.connect(**services.embedded_snowflake_args(ports.snowflake)) as conn:
        warehouse.apply_setup(conn)
        for statement in WRITES:
            conn.cursor().execute(statement)

    assert services.down(home) == ["snowflake", "kafka", "s3", "mongo"]
    assert services.up(ports, home) == ports

    # what a person types, in a fresh process, with no setup run since the restart
    done = subprocess.run(
        [MEDALLION, "query", READ_ALL, "--format", "csv"],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["DB,V", "analytics,Hà Nội 2024-05 12", "raw,2", "staging,3"]


def bronze_slot_holders(instance) -> set[str]:
    info = instance.event_log_storage.get_concurrency_info("bronze_loader")
    return {status.run_id for status in info.claimed_slots}


def test_a_pipeline_killed_while_bronze_holds_its_pool_does_not_block_the_next(own_services, tmp_path):
    import dagster as dg
    from dagster._core.events import DagsterEventType

    home, _ = own_services
    dagster_home = tmp_path / "dagster"
    env = cli_env(home, dagster_home)
    command = [MEDALLION, "pipeline", "--count", "3000"]
    first = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        # Open the instance only once the pipeline's first run has its folder (its compute logs): by then the
        # pipeline has created the SQLite storage. Two processes creating it at once can stamp its schema twice
        # ("alembic_version has more than one head"), which broke the second pipeline once on a slow machine.
        storage = dagster_home / "storage"
        while not (storage.is_dir() and any(p.is_dir() for p in storage.iterdir())):
            assert time.monotonic() < deadline and first.poll() is None, "the pipeline never started a run"
            time.sleep(0.1)
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            killed_run = None
            while killed_run is None:
                assert time.monotonic() < deadline and first.poll() is None, "bronze never started"
                for run in instance.get_runs():
                    starts = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)
                    if any(e.step_key == "bronze_real_estate" for e in starts) and bronze_slot_holders(instance):
                        killed_run = run.run_id
                time.sleep(0.05)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            assert bronze_slot_holders(instance) == {killed_run}  # killed while holding the pool slot
            assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.STARTED

            started = time.monotonic()
            second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=150)
            took = time.monotonic() - started
            assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
            assert f"run {killed_run} had lost its process: marked failed" in second.stdout
            assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.FAILURE
            assert bronze_slot_holders(instance) == set()
            # the second pipeline's runs (the graph, then one per pulse day and what reads the pulse) all succeeded
            others = [r for r in instance.get_runs() if r.run_id != killed_run]
            assert others and {r.status for r in others} == {dg.DagsterRunStatus.SUCCESS}
            print(f"\n[recovery] second pipeline after the kill: {took:.1f}s")
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
