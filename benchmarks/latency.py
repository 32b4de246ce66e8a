"""Latency under `make dev`: a change in MongoDB until the semantic view over gold shows it.

    python -m benchmarks.latency                  # 2,000 seeded listings, 3 reprices and 3 inserts
    python -m benchmarks.latency --changes 5 --seed-count 5000
    python -m benchmarks.latency --stream         # a steady stream instead: benchmarks/latency_stream.py

Starts its own embedded services on free ports under `.medallion/bench/latency` (never a developer's
running ones; the `MONGO_*`, `KAFKA_*`, `SNOWFLAKE_*` variables are cleared), writes the dagster.yaml
`medallion dev` writes, runs `dagster dev` (webserver + daemon, the sensors and the automation sensor as
defined), seeds the source and waits until the first snapshot reached gold and every run ended. Then, one
at a time: reprice a listing that is in gold (wait until ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS shows
the new price) and insert a copy of a gold listing under a new `_id` (wait until the view has that id).
Each change's latency is split by the runs it caused (created, started, ended, read from the instance).
Result: benchmarks/results/latency-<timestamp>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from medallion_assets.lib.settings import SERVICE_VARIABLES

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "benchmarks" / "results"
VIEW = "ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS"
DONE = ("SUCCESS", "FAILURE", "CANCELED")


def _wait(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


class Stack:
    """The services, `dagster dev` and the clients the measurement uses."""

    def __init__(self, home: Path):
        self.home = home
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from medallion_assets.dev import pipeline, services

        if self.home.exists():
            services.down(self.home)
            shutil.rmtree(self.home)
        (self.home / "dagster").mkdir(parents=True)
        os.environ["MEDALLION_HOME"] = str(self.home)
        os.environ["DAGSTER_HOME"] = str(self.home / "dagster")
        for key in SERVICE_VARIABLES:
            os.environ.pop(key, None)
        ports = services.free_ports()
        services.up(ports, self.home)
        pipeline.write_dagster_yaml(self.home / "dagster" / "dagster.yaml")  # what `medallion dev` writes
        import dagster as dg

        # create the instance's SQLite storage before `dagster dev` does: two processes creating it at once can
        # both stamp its schema version, and every later open then fails ("more than one head")
        from medallion_assets.definitions import defs

        with dg.DagsterInstance.get() as instance:
            pipeline.create_pools(instance, defs)  # as `medallion dev` does
        dagster = str(Path(sys.executable).parent / "dagster")
        self.log = open(self.home / "dagster-dev.log", "wb")  # noqa: SIM115 (written until stop)
        self.process = subprocess.Popen(
            [
                dagster,
                "dev",
                "-w",
                str(PROJECT_ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(services.free_port()),
            ],
            cwd=PROJECT_ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(os.environ),
        )

    def stop(self) -> None:
        from medallion_assets.dev import services

        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.log.close()
        services.down(self.home)

    def view_rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        from medallion_assets.defs.resources import snowflake_resource
        from medallion_assets.lib.errors import MedallionError

        try:
            with snowflake_resource().get_connection() as conn:
                return conn.cursor().execute(sql, params or {}).fetchall()
        except MedallionError:
            return []
        except Exception as exc:  # the view does not exist before the first semantic run
            if "does not exist" in str(exc) or "not found" in str(exc).lower():
                return []
            raise

    def runs(self) -> list[dict]:
        import dagster as dg

        with dg.DagsterInstance.get() as instance:
            records = instance.get_run_records(limit=500)
        return [
            {
                "job": r.dagster_run.job_name,
                "status": r.dagster_run.status.value,
                "trigger": r.dagster_run.tags.get("dagster/sensor_name")
                or r.dagster_run.tags.get("dagster/schedule_name"),
                "created": r.create_timestamp.timestamp(),
                "started": r.start_time,
                "ended": r.end_time,
            }
            for r in records
        ]

    def runs_since(self, since: float) -> list[dict]:
        """The runs created at or after `since` (epoch seconds), oldest first."""
        return sorted((r for r in self.runs() if r["created"] >= since), key=lambda r: r["created"])

    def idle(self) -> bool:
        return not any(r["status"] not in DONE for r in self.runs())


def _collection():
    from medallion_assets.defs.resources import mongo_resource, resolved

    return resolved(mongo_resource()).get_collection()


def write_reprice(collection, listing_id: str, factor: float) -> float:
    """Reprice one listing in MongoDB by `factor` (reprice_document: the price field always changes); returns when
    it was written."""
    from bson import ObjectId

    from medallion_assets.dev.synthetic.edits import reprice_document

    document = collection.find_one({"_id": ObjectId(listing_id)})
    new_fields = reprice_document(document, factor)["$set"]
    written = time.time()
    collection.replace_one({"_id": document["_id"]}, {**document, **new_fields})
    return written


def write_copy(collection, listing_id: str) -> tuple[str, float]:
    """Insert a copy of one listing under a new `_id`; returns the new id and when it was written."""
    from bson import ObjectId

    document = collection.find_one({"_id": ObjectId(listing_id)})
    new_id = ObjectId()
    written = time.time()
    collection.insert_one({**document, "_id": new_id})
    return str(new_id), written


def _reprice(stack: Stack) -> tuple[str, float, callable]:
    """Reprice one listing the view shows; returns (id, when written, 'is it visible' predicate)."""
    (listing_id, old_price) = stack.view_rows(f"SELECT id, price FROM {VIEW} WHERE price > 0 ORDER BY id LIMIT 1")[0]
    with _collection() as collection:
        written = write_reprice(collection, listing_id, 1.25)

    def visible():
        rows = stack.view_rows(f"SELECT price FROM {VIEW} WHERE id = %(id)s", {"id": listing_id})
        return bool(rows) and rows[0][0] != old_price

    return listing_id, written, visible


def _insert(stack: Stack) -> tuple[str, float, callable]:
    """Insert a copy of a listing the view shows under a new `_id`."""
    (listing_id,) = stack.view_rows(f"SELECT id FROM {VIEW} ORDER BY id DESC LIMIT 1")[0]
    with _collection() as collection:
        new_id, written = write_copy(collection, listing_id)

    def visible():
        return bool(stack.view_rows(f"SELECT 1 FROM {VIEW} WHERE id = %(id)s", {"id": new_id}))

    return new_id, written, visible


def measure(stack: Stack, kind: str, timeout: float) -> dict:
    change = _reprice if kind == "reprice" else _insert
    listing_id, written, visible = change(stack)
    _wait(visible, timeout, f"{kind} of {listing_id} in {VIEW}")
    seen = time.time()
    _wait(stack.idle, timeout, "every run the change caused to end", interval=0.5)
    quiet = time.time()
    caused = stack.runs_since(written)
    return {
        "kind": kind,
        "id": listing_id,
        "seconds_to_view": round(seen - written, 2),
        "seconds_until_all_runs_ended": round(quiet - written, 2),
        "runs": [
            {
                "job": r["job"],
                "trigger": r["trigger"],
                "created_after_s": round(r["created"] - written, 2),
                "started_after_s": round(r["started"] - written, 2) if r["started"] else None,
                "ended_after_s": round(r["ended"] - written, 2) if r["ended"] else None,
                "status": r["status"],
            }
            for r in caused
        ],
    }


def markdown(report: dict) -> str:
    lines = [
        f"# Latency under `make dev` ({report['date']})",
        "",
        f"{report['seed_count']:,} listings seeded; first snapshot to the view in {report['initial_seconds']} s. "
        "Each change alone, after every run ended. Seconds from the write in MongoDB.",
        "",
        "| change | to the view | all runs ended | load (1 min) | runs (job: created / started / ended) |",
        "|---|---:|---:|---:|---|",
    ]
    for m in report["changes"]:
        runs = "; ".join(
            f"{r['job']}: {r['created_after_s']} / {r['started_after_s']} / {r['ended_after_s']}" for r in m["runs"]
        )
        lines.append(
            f"| {m['kind']} | {m['seconds_to_view']} | {m['seconds_until_all_runs_ended']} | "
            f"{m.get('load_average_1min', '–')} | {runs} |"
        )
    s = report["summary"]
    lines += [
        "",
        f"To the view: median {s['median_to_view']} s, max {s['max_to_view']} s (goal < 30 s: "
        f"{'✅' if s['max_to_view'] < 30 else '❌'}).",
        "",
    ]
    return "\n".join(lines)


def latest_summary() -> dict | None:
    """The newest result's summary (`median_to_view`, `max_to_view`, ...) with its file name, for the goals
    table of benchmarks/run.py; None when this benchmark has not run here."""
    paths = sorted(RESULTS.glob("latency-2*.json"))
    if not paths:
        return None
    report = json.loads(paths[-1].read_text())
    return {**report["summary"], "file": paths[-1].name, "date": report["date"]}


def seed_and_catch_up(stack: Stack, seed_count: int) -> float:
    """Seed the source and wait until the first snapshot is in the view and every run ended; returns the seconds
    from the seeding to the view."""
    from medallion_assets.dev import seeding

    started = time.time()
    with _collection() as collection:
        seeding.insert(collection, seed_count, 42)

    def view_count() -> int:
        rows = stack.view_rows(f"SELECT COUNT(*) FROM {VIEW}")
        return rows[0][0] if rows else 0

    _wait(view_count, 600, "the first snapshot in the view", 1.0)
    initial = round(time.time() - started, 1)
    _wait(stack.idle, 600, "the first snapshot's runs to end", 1.0)
    print(f"first snapshot in the view after {initial} s", flush=True)
    return initial


def main(argv: list[str] | None = None) -> int:
    from benchmarks import latency_stream

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-count", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=3, help="reprices, and as many inserts")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="seconds a change may take to reach the view (--stream: after the last)",
    )
    latency_stream.add_arguments(parser)
    args = parser.parse_args(argv)
    stack = Stack(PROJECT_ROOT / ".medallion" / "bench" / "latency")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    stack.start()
    try:
        initial = seed_and_catch_up(stack, args.seed_count)
        if args.stream:
            report = latency_stream.run(stack, args, initial, stamp)
            print(latency_stream.markdown(report))
            return 0 if report["summary"]["never_seen"] == 0 else 1
        changes = []
        for _ in range(args.changes):
            for kind in ("reprice", "insert"):
                result = measure(stack, kind, args.timeout)
                print(
                    f"{kind}: view after {result['seconds_to_view']} s, runs ended after "
                    f"{result['seconds_until_all_runs_ended']} s",
                    flush=True,
                )
                result["load_average_1min"] = round(os.getloadavg()[0], 2)
                changes.append(result)
                write_result(stamp, _report(args, initial, changes))  # a partial run still reports
    finally:
        stack.stop()
    report = _report(args, initial, changes)
    write_result(stamp, report)
    print(markdown(report))
    return 0


def write_result(name: str, report: dict, render=markdown) -> None:
    """benchmarks/results/latency-<name>.json and .md (the table `render` makes of the report)."""
    path = RESULTS / f"latency-{name}.json"
    path.write_text(json.dumps(report, indent=2))
    path.with_suffix(".md").write_text(render(report))


def _report(args, initial: float, changes: list[dict]) -> dict:
    to_view = [c["seconds_to_view"] for c in changes]
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seed_count": args.seed_count,
        "initial_seconds": initial,
        "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()],
        "changes": changes,
        "summary": {
            "median_to_view": round(statistics.median(to_view), 2),
            "max_to_view": round(max(to_view), 2),
            "median_until_all_runs_ended": round(
                statistics.median(c["seconds_until_all_runs_ended"] for c in changes), 2
            ),
        },
    }


if __name__ == "__main__":
    sys.exit(main())
