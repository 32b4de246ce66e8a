"""Helpers shared by the test modules (the fixtures are in tests/conftest.py).

Test modules import from here, never from each other.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import dagster as dg

from medallion_assets.lib.gold import FEATURES_TABLE, MARKET_TABLE, TRENDS_TABLE
from medallion_assets.lib.settings import DEFAULT_PORTS, SERVICE_VARIABLES

CONFIG_VARS = SERVICE_VARIABLES  # cleared while the embedded servers run
# A production environment's service settings, with no Snowflake credential (each test adds the one it tests)
PRODUCTION_ENV = {
    "MEDALLION_ENV": "production",
    "MONGO_URI": "mongodb://mongo.example.com:27017",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka.example.com:9092",
    "SNOWFLAKE_ACCOUNT": "acme-xy12345",
    "SNOWFLAKE_USER": "MEDALLION_SVC",
}
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


def ingest(stack, *defs, config: dict | None = None, instance: dg.DagsterInstance | None = None):
    """Materialize the ingestion assets up to bronze (and any assets or checks given) with this test's resources."""
    from medallion_assets.defs.bronze import assets as bronze_assets
    from medallion_assets.defs.ingestion import assets as ingestion
    from medallion_assets.defs.source import assets as source

    return dg.materialize(
        [source.warehouse_schema, ingestion.data_ingestion, bronze_assets.bronze_real_estate, *defs],
        resources=stack,
        run_config={"ops": config or {}},
        raise_on_error=False,
        instance=instance,  # the sensors read the cursor mirror from the instance the run recorded it in
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


# --- gold rows for the lakehouse tests (test_lakehouse, test_outside_clients, test_cli_errors) ---------------

CITIES = ["Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Cần Thơ", None]


def insert_features(conn, count: int, seed: int = 1, start: int = 0) -> None:
    rng = random.Random(seed)
    rows = []
    for i in range(start, start + count):
        area = None if i % 17 == 0 else round(rng.uniform(20, 300), 1)
        price = round(rng.uniform(5e8, 2e10), 0)
        rows.append(
            {
                "id": f"L{i:06d}",
                "property_type": rng.choice(["Căn hộ", "Nhà", "Đất", None]),
                "price": price,
                "price_per_sqm": None if area is None else price / area,
                "area": area,
                "bedrooms": None if i % 11 == 0 else rng.randint(0, 6),
                "bathrooms": rng.randint(0, 4),
                "rooms_total": rng.randint(0, 10),
                "city": CITIES[i % len(CITIES)],
                "district": "" if i % 13 == 0 else f'Quận {i % 12}, "x"',
                "latitude": rng.uniform(8, 23),
                "longitude": rng.uniform(102, 110),
                "posted_date": None if i % 7 == 0 else dt.date(2024, 1, 1) + dt.timedelta(days=i % 700),
                "is_high_value": None if i % 19 == 0 else price > 1e10,
                "price_category": rng.choice(["Budget", "Standard", "Premium", "Luxury"]),
                "area_category": "Unknown" if area is None else "Medium",
                "processed_at": dt.datetime(2026, 11, 30, 12, 0, 0) + dt.timedelta(microseconds=i * 1001),
            }
        )
    insert_rows(conn, FEATURES_TABLE, rows)


def insert_rows(conn, table: str, rows: list[dict], chunk: int = 400) -> None:
    columns = list(rows[0])
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        values, params = [], {}
        for i, row in enumerate(part):
            values.append("(" + ", ".join(f"%(c{i}_{j})s" for j in range(len(columns))) + ")")
            params.update({f"c{i}_{j}": row[c] for j, c in enumerate(columns)})
        conn.cursor().execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(values)}", params)


def insert_aggregates(conn) -> None:
    market = [
        {
            "city": city or "Unknown",
            "district": f"D{d}",
            "property_type": kind,
            "avg_price": 1.5e9 * (d + 1),
            "median_price": 1.25e9,
            "min_price": 1e9,
            "max_price": 2e9 + d,
            "avg_price_per_sqm": 3.3e7 / (d + 1),
            "total_listings": d * 3 + 1,
            "avg_area": 80.25,
            "avg_bedrooms": None if d == 0 else 2.5,
            "updated_at": dt.datetime(2026, 11, 30, 1, 2, 3, 456789),
        }
        for city in CITIES
        for d in range(8)
        for kind in ("Căn hộ", "Nhà")
    ]
    insert_rows(conn, MARKET_TABLE, market)
    trends = [
        {
            "city": city or "Unknown",
            "year_month": f"2025-{m:02d}",
            "avg_price": 2e9 + m,
            "avg_price_per_sqm": 4e7,
            "listing_count": m,
            "updated_at": dt.datetime(2026, 11, 30, 1, 2, 3),
        }
        for city in CITIES
        for m in range(1, 13)
    ]
    insert_rows(conn, TRENDS_TABLE, trends)


def materialized(result) -> set[str]:
    """The asset keys an in-process run materialized."""
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def skip_reasons(result) -> dict[str, str]:
    """{asset key: reason} of every asset that recorded a skip (an observation with `skipped`) in the run."""
    out = {}
    for event in result.get_asset_observation_events():
        observation = event.event_specific_data.asset_observation
        if "skipped" in observation.metadata:
            out[observation.asset_key.to_user_string()] = observation.metadata["reason"].value
    return out
