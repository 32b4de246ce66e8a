"""Helpers shared by the test modules (the fixtures are in tests/conftest.py).

Test modules import from here, never from each other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from medallion_assets.lib.settings import DEFAULT_PORTS, SERVICE_VARIABLES

CONFIG_VARS = SERVICE_VARIABLES  # cleared while the embedded servers run
PORT_VARS = [f"MEDALLION_{name.upper()}_PORT" for name in DEFAULT_PORTS]

BRONZE_TOPIC = "listings"  # the topic of the rows add_bronze writes

_offsets: dict[int, int] = {}


def reset_offsets() -> None:
    """Start add_bronze's offsets at 0 again in every partition (after bronze was emptied)."""
    _offsets.clear()


def next_offset(partition: int) -> int:
    """The offset add_bronze gives the next message of `partition`."""
    return _offsets.get(partition, 0)


def add_bronze(conn, messages: list[tuple], partition: int = 0, *, ingested_at: str | None = None) -> None:
    """Append messages to one bronze partition, in order, at the next offsets of that partition.

    A message is (id, document or None for a tombstone[, op[, kafka time]]): op defaults to 'd' for a
    tombstone and 'c' otherwise, the Kafka time and `ingested_at` to the current time.
    """
    selects, params = [], {}
    for i, message in enumerate(messages):
        key, document = message[0], message[1]
        op = message[2] if len(message) > 2 and message[2] is not None else ("d" if document is None else "c")
        kafka_time = message[3] if len(message) > 3 else None
        offset = _offsets.get(partition, 0)
        _offsets[partition] = offset + 1
        params.update(
            {
                f"id{i}": key,
                # "$date" spelled \u0024date: the embedded warehouse reads a $name in the statement as a variable
                f"doc{i}": None
                if document is None
                else json.dumps({"_id": key, **document}, ensure_ascii=False).replace('"$', '"\\u0024'),
                f"op{i}": op,
                f"p{i}": partition,
                f"o{i}": offset,
                f"k{i}": kafka_time,
                f"a{i}": ingested_at,
            }
        )
        kafka_timestamp = "CURRENT_TIMESTAMP()" if kafka_time is None else f"TO_TIMESTAMP_NTZ(%(k{i})s)"
        ingested = "CURRENT_TIMESTAMP()" if ingested_at is None else f"TO_TIMESTAMP_NTZ(%(a{i})s)"
        selects.append(
            f"SELECT %(id{i})s AS id, PARSE_JSON(%(doc{i})s) AS raw_data, %(op{i})s AS op, "
            f"{ingested} AS ingested_at, 'test' AS source, '{BRONZE_TOPIC}' AS kafka_topic, "
            f"%(p{i})s AS kafka_partition, %(o{i})s AS kafka_offset, {kafka_timestamp} AS kafka_timestamp, "
            f"'test' AS load_id"
        )
    conn.cursor().execute(
        "INSERT INTO RAW_DB.LANDING.BRONZE_REAL_ESTATE (id, raw_data, op, ingested_at, source, kafka_topic, "
        "kafka_partition, kafka_offset, kafka_timestamp, load_id) " + " UNION ALL ".join(selects),
        params,
    )


def good(price: float, **extra) -> dict:
    """A structured document that scores 1.0."""
    return {
        "property_type": "Nhà",
        "price": price,
        "area": 80,
        "bedrooms": 2,
        "bathrooms": 1,
        "location": "1 Kim Mã",
        "city": "Hà Nội",
        "district": "Ba Đình",
        "posted_date": "2025-05-05",
        **extra,
    }


# --- the session's servers, through a test's `stack` of resources ------------------------------------------


def query(stack, sql: str, params: dict | None = None) -> list[tuple]:
    """Rows of one statement on the stack's warehouse."""
    from medallion_assets.lib import warehouse

    with warehouse.connect(stack["snowflake"]) as conn:
        return conn.cursor().execute(sql, params).fetchall()


def seed(stack, count: int, random_seed: int = 7) -> int:
    """Insert `count` synthetic listings into the stack's collection; returns how many were inserted."""
    from medallion_assets.dev import seeding

    with stack["mongo"].get_collection() as collection:
        return seeding.insert(collection, count, random_seed)


def mongo_ids(stack) -> set[str]:
    """The message keys of the documents in the stack's collection."""
    from medallion_assets.lib.documents import document_key

    with stack["mongo"].get_collection() as collection:
        return {document_key(d["_id"]) for d in collection.find({}, {"_id": 1})}


def ingest(stack, *defs, config: dict | None = None) -> dg.ExecuteInProcessResult:
    """Materialize the ingestion assets up to bronze (and any assets or checks given) with this test's resources."""
    from medallion_assets.defs.bronze import assets as bronze_assets
    from medallion_assets.defs.ingestion import assets as ingestion
    from medallion_assets.defs.source import assets as source

    return dg.materialize(
        [source.warehouse_schema, ingestion.data_ingestion, bronze_assets.bronze_real_estate, *defs],
        resources=stack,
        run_config={"ops": config or {}},
        raise_on_error=False,
    )


# --- `medallion` in a subprocess, with a MEDALLION_HOME of a test's own ---------------------------------------


def private_env(services_home: Path, warehouse_port: int, tmp_path: Path) -> dict:
    """The session's Mongo and Kafka (a fresh collection and topic from `stack`), the module's own warehouse
    (`warehouse_port`) and a DAGSTER_HOME and model folder of the test's own."""
    home = tmp_path / "home"
    home.mkdir()
    ports = json.loads((services_home / "services.json").read_text())["ports"]
    (home / "services.json").write_text(json.dumps({"ports": {**ports, "snowflake": warehouse_port}}))
    return {**os.environ, "MEDALLION_HOME": str(home), "DAGSTER_HOME": str(tmp_path / "dagster")}


def medallion(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "medallion_assets.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
