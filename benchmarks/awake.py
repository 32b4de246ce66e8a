"""Warehouse-awake stage: how long a Snowflake warehouse would run under `make dev`, from the request log.

    python -m benchmarks.awake                                   # what `make bench` runs after the scale stages
    python -m benchmarks.awake --idle-minutes 10 --change-minutes 15 --steady-minutes 0

Starts its own services and `dagster dev` under `.medallion/bench/awake` (benchmarks/latency.Stack: the
dagster.yaml `medallion dev` writes, the sensors and the automation as defined), seeds `--seed-count` listings and
waits until every run they caused ended and none started for `--settle` seconds. Then, one workload after the
other, each a window of the embedded warehouse's request log (`$MEDALLION_HOME/logs/warehouse-requests.log`, one
line per login and statement, dev/request_log.py):

- idle: nothing changes in MongoDB;
- one change every 5 minutes: a reprice of one listing, written straight to MongoDB;
- steady: `--steady-rate` changes a minute (inserts and reprices, half each), spread evenly;

and applies Snowflake's rule to each window (benchmarks/awake_rule.py: resume on a statement, billed at least
60 s, suspended 60 s after the last one with AUTO_SUSPEND = 60): awake seconds and logins per hour. The benchmark
itself sends the warehouse nothing inside a window. Per run started inside the windows: its statements and logins
(the log between the run's start and end; a sensor tick in that span would count too).
Results: benchmarks/results/awake-<timestamp>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.awake_rule import summarize
from benchmarks.latency import DONE, Stack, _wait

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "benchmarks" / "results"
REQUEST_LOG = "warehouse-requests.log"


def _collection():
    from medallion_assets.defs.resources import mongo_resource, resolved

    return resolved(mongo_resource()).get_collection()


def _entries(stack: Stack):
    from medallion_assets.dev.request_log import read_log

    return read_log(stack.home / "logs" / REQUEST_LOG)


def settle(stack: Stack, quiet_s: float, timeout: float) -> None:
    """Until no run is in flight and none was created or ended for `quiet_s` seconds: the automation requests the
    layers after gold only once the run before them ended, so quiet since the last end counts, not since a start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = stack.runs()
        newest = max((max(r["created"], r["ended"] or 0.0) for r in runs), default=0.0)
        if all(r["status"] in DONE for r in runs) and time.time() - newest >= quiet_s:
            return
        time.sleep(2)
    raise SystemExit(f"runs did not settle within {timeout:.0f}s")


def workload(stack: Stack, name: str, seconds: float, change_every: float | None, per_change: int = 1) -> dict:
    """One window: a change (`per_change` documents) every `change_every` seconds, or none; then its summary."""
    from medallion_assets.dev import seeding

    start = time.time()
    changes = 0
    next_change = start if change_every else None
    with _collection() as collection:
        while time.time() < start + seconds:
            if next_change is not None and time.time() >= next_change:
                half = max(1, per_change // 2)
                seeding.reprice(collection, half, random_seed=changes)
                if per_change > 1:
                    seeding.insert(collection, per_change - half, random_seed=10_000 + changes)
                changes += per_change
                next_change += change_every
            time.sleep(min(1.0, max(0.05, (next_change - time.time()) if next_change else 1.0)))
    end = time.time()
    summary = summarize(_entries(stack), start, end)
    runs = [r for r in stack.runs() if start <= r["created"] < end]
    print(
        f"{name}: {summary['awake_seconds_per_hour']} awake s/h, {summary['logins_per_hour']} logins/h, "
        f"{summary['statements']} statements, {len(runs)} runs, {changes} changes",
        flush=True,
    )
    return {"name": name, "start": start, "end": end, "changes": changes, "runs": len(runs), **summary}


def per_run(stack: Stack, since: float) -> list[dict]:
    """Statements and logins the log holds between each ended run's start and end."""
    entries = _entries(stack)
    rows = []
    for run in stack.runs():
        if run["created"] < since or not run["started"] or not run["ended"]:
            continue
        inside = [e for e in entries if run["started"] <= e[0] <= run["ended"]]
        rows.append(
            {
                "job": run["job"],
                "status": run["status"],
                "seconds": round(run["ended"] - run["started"], 1),
                "statements": sum(1 for e in inside if e[1] == "query"),
                "logins": sum(1 for e in inside if e[1] == "login"),
            }
        )
    return rows


def markdown(report: dict) -> str:
    lines = [
        f"# Warehouse awake time under `make dev` ({report['date']}, {report['label']})",
        "",
        "Snowflake's rule applied to the embedded warehouse's request log: a statement resumes the warehouse, "
        "billed at least 60 s, suspended 60 s after the last statement (AUTO_SUSPEND = 60).",
        "",
        "| workload | window | changes | runs | statements | logins | awake s/h | awake share | logins/h |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in report["workloads"]:
        lines.append(
            f"| {w['name']} | {w['window_seconds']:.0f} s | {w['changes']} | {w['runs']} | {w['statements']} | "
            f"{w['logins']} | {w['awake_seconds_per_hour']} | {w['awake_share']:.0%} | {w['logins_per_hour']} |"
        )
    lines += ["", "| job | runs | median s | statements (median) | logins (median) |", "|---|---:|---:|---:|---:|"]
    by_job: dict[str, list[dict]] = {}
    for run in report["runs"]:
        by_job.setdefault(run["job"], []).append(run)
    for job, runs in sorted(by_job.items()):
        lines.append(
            f"| {job} | {len(runs)} | {statistics.median(r['seconds'] for r in runs)} | "
            f"{statistics.median(r['statements'] for r in runs)} | {statistics.median(r['logins'] for r in runs)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-count", type=int, default=1000)
    parser.add_argument("--idle-minutes", type=float, default=10)
    parser.add_argument("--change-minutes", type=float, default=15, help="one change every --change-every s")
    parser.add_argument("--change-every", type=float, default=300)
    parser.add_argument("--steady-minutes", type=float, default=5, help="0 skips the steady workload")
    parser.add_argument("--steady-rate", type=int, default=1000, help="changes a minute")
    parser.add_argument("--settle", type=float, default=90, help="quiet seconds that count as caught up")
    parser.add_argument("--label", default="this checkout")
    parser.add_argument(
        "--stop-sensor", action="append", default=[], help="a sensor to stop first, to measure without it (repeatable)"
    )
    parser.add_argument("--home", type=Path, default=PROJECT_ROOT / ".medallion" / "bench" / "awake")
    args = parser.parse_args(argv)
    stack = Stack(args.home)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    report = {"label": args.label, "seed_count": args.seed_count, "workloads": [], "runs": []}
    stack.start()
    try:
        for name in args.stop_sensor:
            dagster = str(Path(sys.executable).parent / "dagster")
            workspace = str(PROJECT_ROOT / "workspace.yaml")
            subprocess.run([dagster, "sensor", "stop", name, "-w", workspace], cwd=PROJECT_ROOT, check=True)
        report["stopped_sensors"] = args.stop_sensor
        with _collection() as collection:
            from medallion_assets.dev import seeding

            seeding.insert(collection, args.seed_count, 42)
        _wait(lambda: any(r["job"] != "observe_source_job" for r in stack.runs()), 300, "the first run", 2)
        settle(stack, args.settle, 1200)
        print("caught up; measuring", flush=True)
        since = time.time()
        plan = [("idle", args.idle_minutes, None, 1)]
        if args.change_minutes:
            plan.append((f"one change every {args.change_every:.0f} s", args.change_minutes, args.change_every, 1))
        if args.steady_minutes:
            # a batch of ten changes every 0.6 s at 1,000 a minute
            plan.append((f"steady {args.steady_rate}/min", args.steady_minutes, 600 / args.steady_rate, 10))
        for name, minutes, every, per_change in plan:
            report["workloads"].append(workload(stack, name, minutes * 60, every, per_change))
            report["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
            _write(stamp, report)
        settle(stack, 30, 900)
        report["runs"] = per_run(stack, since)
        report["load_average_1_5_15min"] = [round(x, 2) for x in os.getloadavg()]
        _write(stamp, report)
    finally:
        stack.stop()
    print(markdown(report))
    return 0


def _write(stamp: str, report: dict) -> None:
    report.setdefault("date", dt.datetime.now().astimezone().isoformat(timespec="seconds"))
    path = RESULTS / f"awake-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    path.with_suffix(".md").write_text(markdown(report))


if __name__ == "__main__":
    sys.exit(main())
