"""The benchmark's report: latest.md's tables, and the goals' helpers (benchmarks.run writes both)."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


DEV_LATENCY_GLOB = "latency-2*.json"  # written by `python -m benchmarks.latency` (the make-dev measurement)


def dev_latency() -> dict | None:
    """The newest make-dev latency result (a source change -> the view over gold), if one was committed by
    `python -m benchmarks.latency` (benchmarks/results/latency-<stamp>.json); `make bench` does not measure it.
    The goal holds for every change, so the slowest one measured is the value."""
    for path in sorted(RESULTS.glob(DEV_LATENCY_GLOB), reverse=True):
        try:
            summary = json.loads(path.read_text())["summary"]
            seconds, median = float(summary["max_to_view"]), float(summary["median_to_view"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        return {"seconds": seconds, "median": median, "file": path.name}
    return None


def times_x(value) -> str:
    return "–" if value is None else f"{value:,.1f}×"


def at_least(value, bound):
    return None if value is None else value >= bound


def at_most(value, bound):
    return None if value is None else value <= bound


STAGE_ROWS = [
    ("seed", "seed into MongoDB (nx-27017)", "insert_many, 1,000 per call"),
    ("mongo_read", "MongoDB read alone", "keyset find, no Kafka: the source's own bound"),
    ("ingest", "MongoDB -> Kafka (data_ingestion)", "the asset via dagster.materialize"),
    ("ingest_memory", "in-memory documents -> Kafka", "same ChangeReader/KafkaSender, no Mongo"),
    ("kafka_consume", "Kafka read alone", "a consumer per partition, nothing else: the broker's own bound"),
    ("bronze", "Kafka -> bronze", "consume, classify, Parquet, PUT, COPY INTO"),
    ("silver", "bronze -> silver", "parse, dedupe, score, MERGE"),
    ("gold", "silver -> gold (3 tables)", "MERGE + DELETE each"),
    ("history", "bronze -> listing history", "rows = bronze messages (10% repriced); from an empty history"),
    ("history_rerun", "listing history, rerun", "nothing new: positions read, nothing written"),
    ("pulse", "history -> market pulse", "rows = history versions; late changes, stale days, every day rebuilt"),
    ("lakehouse", "gold -> lakehouse (Iceberg, 5 tables)", "rows = all five tables; one snapshot each"),
    ("ml_anomalies", "ML: anomalies", "z-scores in SQL + Isolation Forest"),
    ("ml_training", "ML: price model training", "rows = training rows"),
    ("ml_predictions", "ML: predictions", "holdout + every gold row"),
]


def _f(value, digits=1):
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(reports: list[dict]) -> str:
    m = reports[0]["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"{m['date']} · {m['cpu_count']} cores · {m['memory_total_gib']} GiB RAM · Python {m['python']} · "
        f"{m['platform']}",
        "",
        "Embedded stand-ins (nx-27017, tansu on localbucket S3, fakesnow/DuckDB) on the same machine as the "
        "pipeline. Each stage runs in its own process; *peak* is that process's max RSS (the servers' peaks "
        "are in the JSON). `python -m benchmarks.run` wrote this file.",
        "",
    ]
    for r in reports:
        s, c, inc, e = r["stages"], r["comparisons"], r["incremental"], r["end_to_end"]
        loads = [st.get("load_average_1min") for st in s.values() if st.get("load_average_1min") is not None]
        lines += [f"## {r['size']:,} documents", ""]
        if loads:
            lines += [
                f"1-minute load average after the stages: {min(loads):.1f} to {max(loads):.1f} on "
                f"{m['cpu_count']} cores (above {m['cpu_count']} means other work shared the machine).",
                "",
            ]
        lines += ["| stage | rows | seconds | rows/s | peak MiB | note |", "|---|---:|---:|---:|---:|---|"]
        for key, label, note in STAGE_ROWS:
            if key not in s:  # the ML stages under --skip-ml
                continue
            st = s[key]
            if key == "ml_training":
                note = f"{st['rows']:,} of {st['gold_rows']:,} gold rows" + (
                    f" (id-hash sample, max_training_rows={st['max_training_rows']:,})" if st["sampled"] else ""
                )
            lines.append(
                f"| {label} | {st['rows']:,} | {_f(st['seconds'], 2)} | {_f(st['rows_per_s'], 0)} | "
                f"{_f(st['peak_rss_mib'], 0)} | {note} |"
            )
        lines += [
            f"| **Kafka -> gold** (bronze + silver + gold) | {r['size']:,} | **{_f(e['kafka_to_gold_seconds'], 2)}** | "
            f"{_f(e['kafka_to_gold_rows_per_s'], 0)} | | sum of the three stages |",
            f"| MongoDB -> gold | {r['size']:,} | {_f(e['mongo_to_gold_seconds'], 2)} | | | ingest + the above |",
            "",
            "| bronze compared with | seconds | rows/s | bronze is |",
            "|---|---:|---:|---|",
            f"| row-at-a-time `executemany` INSERT, batches of 100 (measured on {c['naive_sample_rows']:,} rows, "
            f"extrapolated) | {_f(c['naive_extrapolated_seconds'])} | {_f(c['naive_rows_per_s'], 0)} | "
            f"**{_f(c['bronze_vs_naive_x'])}× faster** |",
            f"| floor: DuckDB in-process, same rows from local Parquet, JSON parsed | {_f(c['floor_seconds'], 2)} | "
            f"{_f(c['floor_rows_per_s'], 0)} | **{_f(c['bronze_vs_floor_x'])}× slower** end to end; its publish "
            f"step (Parquet + PUT + COPY + commit, {_f(c['bronze_publish_seconds'], 2)} s on its own thread, "
            f"overlapped with reading) is {_f(c['bronze_publish_vs_floor_x'])}× |",
            f"| the broker's bare consume: a consumer per partition reading the topic, nothing else "
            f"(one consumer for all partitions: {_f(c['bare_consume_one_consumer_seconds'], 2)} s) | "
            f"{_f(c['bare_consume_seconds'], 2)} | {_f(c['bare_consume_rows_per_s'], 0)} | "
            f"**{_f(c['bronze_vs_bare_consume_x'], 2)}× its time** |",
            "",
            f"Bronze's reading thread: {_f(c['bronze_read_and_classify_seconds'], 2)} s reading and classifying, "
            f"{_f(c['bronze_read_wait_seconds'], 2)} s waiting for the broker, "
            f"{_f(c['bronze_publish_wait_seconds'], 2)} s waiting for the publisher; "
            f"CPU {_f(s['bronze'].get('cpu_seconds'), 2)} s in the loader's process, "
            + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(s["bronze"].get("server_cpu_seconds", {}).items()))
            + " in the servers.",
            "",
            f"Ingestion: {_f(c['ingest_vs_source_read_x'], 2)}× the source's own read. MongoDB read alone "
            f"{_f(c['mongo_read_only_rows_per_s'], 0)} docs/s, "
            f"Mongo -> Kafka {_f(c['ingest_mongo_rows_per_s'], 0)} docs/s, the same code from memory "
            f"{_f(c['ingest_memory_rows_per_s'], 0)} docs/s ({s['ingest_memory']['rows']:,} docs; serialization "
            f"alone {_f(c['ingest_memory_serialize_only_rows_per_s'], 0)} docs/s).",
            "",
            f"Incremental: {inc['changes']['inserted']:,} new + {inc['changes']['repriced']:,} repriced documents "
            f"({inc['messages']:,} messages) to gold in **{_f(inc['seconds'], 2)} s**, "
            f"{_f(100 * inc['share_of_full'])}% of the full run's {_f(inc['full_seconds'], 2)} s "
            f"(ingest {inc['by_stage']['ingest']} s, bronze {inc['by_stage']['bronze']} s, silver "
            f"{inc['by_stage']['silver']} s, gold {inc['by_stage']['gold']} s).",
            "",
            "| goal | target | measured | met |",
            "|---|---|---|:-:|",
        ]
        for name, (target, measured, met) in r["goals"].items():
            mark = "✅" if met else "❌" if met is not None else "–"
            lines.append(f"| {name} | {target} | {measured} | {mark} |")
        lines += [
            "",
            f"Highest process peak: {r['peak_stage']['stage']} {_f(r['peak_stage']['peak_rss_mib'], 0)} MiB.",
            "",
        ]
    return "\n".join(lines)
