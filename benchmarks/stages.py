"""One benchmark stage, run in its own process by benchmarks.run.

    python -m benchmarks.stages STAGE PARAMS_JSON RESULT_PATH [--profile PROF_PATH]

Each stage times only its own work (imports and connections excluded), writes a JSON
result to RESULT_PATH, and exits; the parent reads the process's peak memory from
os.wait4. The services, MEDALLION_HOME and DAGSTER_HOME come from the environment the
parent sets.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _resources():
    from medallion_assets.defs.resources import build_resources

    return build_resources()


# --- source side ----------------------------------------------------------------------------------


def stage_setup(params: dict) -> dict:
    from medallion_assets.lib import warehouse

    resources = _resources()
    with warehouse.connect(resources["snowflake"]) as conn:
        started = time.perf_counter()
        warehouse.apply_setup(conn)
        return {"seconds": time.perf_counter() - started, "rows": 0}


def stage_seed(params: dict) -> dict:
    from medallion_assets.dev import seeding
    from medallion_assets.dev.progress import Progress

    with _resources()["mongo"].get_collection() as collection, Progress("seeded", params["count"]) as progress:
        started = time.perf_counter()
        inserted = seeding.insert(collection, params["count"], params.get("random_seed", 42), progress.advance)
        return {"seconds": time.perf_counter() - started, "rows": inserted}


def stage_mutate(params: dict) -> dict:
    """The incremental change set: insert `insert` new documents, reprice `reprice` existing ones."""
    from medallion_assets.dev import seeding

    with _resources()["mongo"].get_collection() as collection:
        started = time.perf_counter()
        inserted = seeding.insert(collection, params["insert"], random_seed=params.get("random_seed", 42))
        insert_seconds = time.perf_counter() - started
        repriced = seeding.reprice(collection, params["reprice"], random_seed=params.get("random_seed", 42) + 1)
        return {
            "seconds": time.perf_counter() - started,
            "rows": inserted + repriced,
            "inserted": inserted,
            "repriced": repriced,
            "insert_seconds": insert_seconds,
            "reprice_seconds": time.perf_counter() - started - insert_seconds,
        }


def stage_mongo_read(params: dict) -> dict:
    """Reading the collection alone (keyset order, as the snapshot does), no Kafka: the source's bound."""
    with _resources()["mongo"].get_collection() as collection:
        started = time.perf_counter()
        rows = sum(1 for _ in collection.find({}).sort("_id", 1).batch_size(1000))
        return {"seconds": time.perf_counter() - started, "rows": rows}


def stage_ingest(params: dict) -> dict:
    """The real `data_ingestion` asset (ChangeReader + KafkaSender), through dagster.materialize."""
    import dagster as dg

    from medallion_assets.defs.ingestion import assets as ingestion
    from medallion_assets.defs.source import assets as source

    resources = _resources()
    run_config = {
        "ops": {
            "data_ingestion": {
                "config": {
                    "batch_size": params.get("batch_size", 100),
                    "acknowledge_every": params.get("acknowledge_every", 5000),
                }
            }
        }
    }
    started = time.perf_counter()
    result = dg.materialize(
        [source.warehouse_schema, ingestion.data_ingestion], resources=resources, run_config=run_config
    )
    materialize_seconds = time.perf_counter() - started
    meta = result.asset_materializations_for_node("data_ingestion")[0].metadata
    sent, rate = int(meta["messages_sent"].value), float(meta["messages_per_second"].value)
    # the asset's own time (its metadata: sent / elapsed); materialize_seconds adds Dagster's run overhead and
    # the warehouse_schema step
    return {
        "seconds": sent / rate if rate else materialize_seconds,
        "rows": sent,
        "materialize_seconds": materialize_seconds,
        "sent_by_kind": meta["sent_by_kind"].value,
        "success": result.success,
    }


class _MemoryCursor:
    """Enough of a pymongo cursor for ChangeReader: sort/batch_size are no-ops, iteration yields documents."""

    def __init__(self, documents):
        self._documents = documents

    def sort(self, *_args, **_kwargs):
        return self

    def batch_size(self, _size):
        return self

    def limit(self, _n):
        return self

    def __iter__(self):
        return iter(self._documents)


class MemoryCollection:
    """A stand-in collection whose snapshot query yields pre-generated documents from memory."""

    def __init__(self, documents):
        self._documents = documents

    def find(self, query=None, *_args, **_kwargs):
        snapshot = not query or set(query) == {"_id"}
        return _MemoryCursor(self._documents if snapshot else [])


def stage_ingest_memory(params: dict) -> dict:
    """ChangeReader + KafkaSender fed by an in-memory collection, to a topic of its own: the ingestion
    code's own speed, without the Mongo stand-in."""
    from bson import ObjectId

    from medallion_assets.dev import synthetic
    from medallion_assets.lib.cdc import ChangeReader, Cursor, KafkaSender

    kafka = _resources()["kafka"].model_copy(update={"topic": params["topic"]})
    started = time.perf_counter()
    documents = [{"_id": ObjectId(), **d} for d in synthetic.generate_listings(params["count"], random_seed=7)]
    generate_seconds = time.perf_counter() - started
    kafka.partitions(create=True)
    producer = kafka.producer()
    reader = ChangeReader(MemoryCollection(documents), params.get("batch_size", 100), cdc_mode="watermark")
    sender = KafkaSender(producer, kafka.topic, 60.0)
    started = time.perf_counter()
    sent = 0
    for batch in reader.batches(Cursor(phase="snapshot")):
        sender.send(batch.changes)
        sent += len(batch.changes)
        if sender.unconfirmed >= params.get("acknowledge_every", 5000):
            sender.acknowledge()
    sender.acknowledge()
    seconds = time.perf_counter() - started
    # the same documents serialized only (no Kafka): the Python cost of the ingestion code
    started = time.perf_counter()
    for _batch in ChangeReader(MemoryCollection(documents), 100, cdc_mode="watermark").batches(
        Cursor(phase="snapshot")
    ):
        pass
    serialize_seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": sent,
        "generate_seconds": generate_seconds,
        "serialize_only_seconds": serialize_seconds,
    }


# --- warehouse side ---------------------------------------------------------------------------------


def stage_bronze(params: dict) -> dict:
    """The real bronze loader. Two thin wrappers, both outside the timed code's logic: one sums the time
    spent in `publish` (PUT + COPY + commit), one hard-links each staged Parquet file into `keep_dir`
    so the floor reads exactly the rows bronze loaded."""
    import shutil

    from medallion_assets.lib import bronze_loader as bronze
    from medallion_assets.lib import warehouse

    resources = _resources()
    keep = Path(params["keep_dir"]) if params.get("keep_dir") else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    publish_time = [0.0]
    original_publish, original_put = bronze.publish, warehouse.put_file

    def timed_publish(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original_publish(*args, **kwargs)
        finally:
            publish_time[0] += time.perf_counter() - t

    def keeping_put(conn, local_path, stage):
        if keep and local_path.name.startswith("rows_"):  # bronze stages rows_<id>.parquet, rejects_<id>.parquet
            try:
                os.link(local_path, keep / local_path.name)
            except OSError:
                shutil.copy(local_path, keep / local_path.name)
        return original_put(conn, local_path, stage)

    bronze.publish, warehouse.put_file = timed_publish, keeping_put
    config = bronze.BronzeConfig(batch_size=params.get("batch_size", 50_000))
    with warehouse.connect(resources["snowflake"], schema="RAW_DB.LANDING") as conn:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = bronze.load_topic(conn, resources["kafka"], resources["mongo"].source_name, config)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "seconds": seconds,
        "rows": report.rows + report.rejects,
        "rejects": report.rejects,
        "batches": report.batches,
        # publishing (Parquet + PUT + COPY + commit) runs on its own thread, overlapped with reading: these are
        # that thread's time, and the reading thread's waits for the broker and for the publisher
        "publish_seconds": publish_time[0],
        "cpu_seconds": cpu,  # this process, both threads (librdkafka's included)
        "read_wait_seconds": report.read_wait_s,
        "publish_wait_seconds": report.publish_wait_s,
        "read_and_classify_seconds": seconds - report.read_wait_s - report.publish_wait_s,
    }


def stage_kafka_consume(params: dict) -> dict:
    from benchmarks.bare import bare_consume

    return bare_consume(_resources()["kafka"])


def stage_naive(params: dict) -> dict:
    from benchmarks.naive_loader import run_naive

    return run_naive(_resources(), params["sample"])


def stage_floor(params: dict) -> dict:
    """DuckDB in this process reading the Parquet files bronze staged, into a table: the floor."""
    import duckdb

    files = sorted(str(p) for p in Path(params["keep_dir"]).glob("*.parquet"))
    con = duckdb.connect()  # in memory
    out = {}
    for name, select in (
        ("copy", "SELECT * FROM read_parquet($files)"),
        (
            "parse_json",
            "SELECT message_key AS id, raw_text::JSON AS raw_data, op, current_timestamp AS ingested_at, "
            "kafka_topic, kafka_partition, kafka_offset, epoch_ms(kafka_timestamp) AS kafka_timestamp "
            "FROM read_parquet($files)",
        ),
    ):
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TABLE floor_{name} AS {select}", {"files": files})
        out[f"{name}_seconds"] = time.perf_counter() - started
        out[f"{name}_rows"] = con.execute(f"SELECT COUNT(*) FROM floor_{name}").fetchone()[0]
    # the headline floor is the like-for-like one: the JSON text parsed into a JSON column
    return {"seconds": out["parse_json_seconds"], "rows": out["parse_json_rows"], "files": len(files), **out}


def stage_silver(params: dict) -> dict:
    from medallion_assets.lib import silver, warehouse

    with warehouse.connect(_resources()["snowflake"]) as conn:
        started = time.perf_counter()
        result = silver.refresh_silver(conn, run_id=params.get("run_id", "bench"))
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": result["rows_in"],
        "silver_rows": result["silver_rows"],
        "inserted": result["rows_inserted"],
        "updated": result["rows_updated"],
    }


def stage_gold(params: dict) -> dict:
    from medallion_assets.lib import gold, warehouse

    with warehouse.connect(_resources()["snowflake"]) as conn:
        started = time.perf_counter()
        result = gold.refresh_gold(conn)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": result["population"], "tables": result["tables"]}


def stage_history(params: dict) -> dict:
    """gold_listing_history: the versions of every bronze message above the history's positions."""
    from medallion_assets.lib import history, warehouse

    with warehouse.connect(_resources()["snowflake"]) as conn:
        started = time.perf_counter()
        result = history.refresh_history(conn)
        seconds = time.perf_counter() - started
    keys = ("versions_added", "versions_closed", "history_rows", "listings", "current_versions", "repriced")
    return {"seconds": seconds, "rows": result["messages_in"], **{key: result[key] for key in keys}}


def stage_ml_anomalies(params: dict) -> dict:
    from medallion_assets.lib import anomalies, ml_tables, warehouse

    with warehouse.connect(_resources()["snowflake"], schema=ml_tables.SCHEMA) as conn:
        started = time.perf_counter()
        result = anomalies.detect_anomalies(conn, anomalies.AnomalyConfig())
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": result["isolation_forest"].get("rows", 0),
        "detected": result["detected"],
        "isolation_forest_seconds": result["isolation_forest"].get("seconds"),
    }


def stage_ml_training(params: dict) -> dict:
    from medallion_assets.lib import ml_tables, registry, warehouse

    config = registry.PriceModelConfig(**params.get("config", {}))
    with warehouse.connect(_resources()["snowflake"], schema=ml_tables.SCHEMA) as conn:
        started = time.perf_counter()
        report = registry.train_price_model(conn, config)
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": report.training_rows,
        "gold_rows": report.gold_rows,
        "holdout_rows": report.holdout_rows,
        "sampled": report.sampled,
        "max_training_rows": config.max_training_rows,
        "winner": report.candidate,
        "candidates": {
            k: {"fit_seconds": v["fit_seconds"], "mae": v["mae"], "r2_log": v.get("r2_log")}
            for k, v in report.candidates.items()
        },
    }


def stage_ml_predictions(params: dict) -> dict:
    from medallion_assets.lib import ml_tables, predictions, warehouse

    with warehouse.connect(_resources()["snowflake"], schema=ml_tables.SCHEMA) as conn:
        started = time.perf_counter()
        result = predictions.write_predictions(conn)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": result["current_predictions"] + result["holdout_predictions"]}


from benchmarks.lakehouse import stage_lakehouse  # noqa: E402,F401  (the lakehouse publication, after gold)
from benchmarks.pulse_stage import stage_pulse  # noqa: E402, F401 (registered below as `pulse`)

STAGES = {name[len("stage_") :]: fn for name, fn in dict(globals()).items() if name.startswith("stage_")}


def main(argv: list[str]) -> int:
    stage, params, result_path = argv[0], json.loads(argv[1]), Path(argv[2])
    profile_path = argv[4] if len(argv) > 4 and argv[3] == "--profile" else None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        result = STAGES[stage](params)
        profiler.disable()
        profiler.dump_stats(profile_path)
    else:
        result = STAGES[stage](params)
    result_path.write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
