"""Scale benchmark: every stage of the pipeline at one or more sizes, against the naive loader and the floor.

    python -m benchmarks.run --sizes 100000,1000000      # what `make bench` runs
    python -m benchmarks.run --sizes 20000               # a quick run (~2 minutes)
    python -m benchmarks.run --sizes 100000 --profile bronze

Per size it starts its own embedded services on free ports with their state under
`.medallion/bench/<size>` (never a developer's running services), runs each stage in its own
process (benchmarks/stages.py) and reads that process's peak RSS from os.wait4, then stops the
services. Results: benchmarks/results/<timestamp>-<size>.json and benchmarks/results/latest.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.history import HISTORY_STAGES, run_history_stages
from benchmarks.report import at_least, at_most, dev_latency, markdown, times_x
from medallion_assets.dev.progress import Progress
from medallion_assets.lib.settings import SERVICE_VARIABLES

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "benchmarks" / "results"
CONFIG_VARS = SERVICE_VARIABLES  # cleared while the embedded servers run
SERVERS = ("mongo", "kafka", "snowflake", "s3")
GIB = 1024**3
STAGES_PER_SIZE = 21 + HISTORY_STAGES  # the bench.run calls in bench_size, for the progress line


def machine() -> dict:
    meminfo = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, value = line.split(":", 1)
            meminfo[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "memory_total_gib": round(meminfo.get("MemTotal", 0) / GIB, 1),
        "memory_available_gib": round(meminfo.get("MemAvailable", 0) / GIB, 1),
        "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _server_peaks(home: Path) -> dict[str, float]:
    """Peak RSS (VmHWM, MiB) of each embedded server since it started."""
    peaks = {}
    for name in SERVERS:
        try:
            pid = int((home / "run" / f"{name}.pid").read_text().strip())
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[name] = round(int(line.split()[1]) / 1024, 1)
        except (OSError, ValueError):
            pass
    return peaks


def _server_cpu(home: Path) -> dict[str, float]:
    """CPU seconds (user + system) each embedded server has used since it started."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for name in SERVERS:
        try:
            pid = int((home / "run" / f"{name}.pid").read_text().strip())
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, ValueError, IndexError):
            pass
    return used


class Bench:
    """Runs stages as child processes against one set of embedded services."""

    def __init__(self, size: int, home: Path, env: dict, profile: str | None, profile_size: int | None, log):
        self.size, self.home, self.env, self.log = size, home, env, log
        self.profile, self.profile_size = profile, profile_size
        self.stages: dict[str, dict] = {}
        self.on_stage_done = lambda: None  # dev/progress.Progress over the stages of this size

    def run(self, name: str, stage: str, params: dict | None = None) -> dict:
        result_path = self.home / f"result-{name}.json"
        command = [sys.executable, "-m", "benchmarks.stages", stage, json.dumps(params or {}), str(result_path)]
        profile_path = None
        if self.profile == name and self.size == self.profile_size:
            profile_path = RESULTS / f"profile-{name}-{self.size}.prof"
            command += ["--profile", str(profile_path)]
        servers_before = _server_cpu(self.home)
        started = time.perf_counter()
        log_path = self.home / "logs" / f"stage-{name}.log"
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if process.returncode != 0:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-25:])
            raise SystemExit(
                f"{tail}\nbenchmark stage {name} ({stage}) failed with exit code "
                f"{process.returncode}; its log: {log_path}"
            )
        result = json.loads(result_path.read_text())
        seconds, rows = result["seconds"], result.get("rows") or 0
        result.update(
            rows_per_s=round(rows / seconds, 1) if seconds else None,
            peak_rss_mib=round(usage.ru_maxrss / 1024, 1),  # KiB on Linux: this child alone
            # CPU, not wall: what a shared machine does not inflate (imports included for the stage process)
            process_cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
            server_cpu_seconds={n: round(v - servers_before.get(n, 0.0), 2) for n, v in _server_cpu(self.home).items()},
            process_wall_seconds=round(wall, 2),
            server_peak_rss_mib=_server_peaks(self.home),
            load_average_1min=round(os.getloadavg()[0], 2),  # > cores: something else shared the machine
        )
        if profile_path:
            result["profile"] = str(profile_path.relative_to(PROJECT_ROOT))
            _write_profile_text(profile_path)
        self.stages[name] = result
        self.on_stage_done()
        self.log(
            f"  {name:22s} {rows:>9,} rows  {seconds:8.2f} s  "
            f"{result['rows_per_s'] or 0:>11,.0f} rows/s  peak {result['peak_rss_mib']:>7,.0f} MiB"
        )
        return result


def _write_profile_text(path: Path) -> None:
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    out.write("== by own time ==\n")
    stats.sort_stats("tottime").print_stats(30)
    out.write("== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(40)
    path.with_suffix(".txt").write_text(out.getvalue())


def fresh_home(home: Path) -> dict[str, str]:
    """Empty `home` (stopping what an interrupted run left running there), point this process at it, and return
    the environment for the stage subprocesses: the embedded services under `home`, none of the caller's."""
    from medallion_assets.dev import services

    if home.exists():
        services.down(home)  # leftovers of an interrupted run
        shutil.rmtree(home)
    (home / "dagster").mkdir(parents=True)
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env.update(MEDALLION_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), PYTHONUNBUFFERED="1")
    os.environ.update(MEDALLION_HOME=str(home))
    for key in CONFIG_VARS:
        os.environ.pop(key, None)
    return env


def bench_size(size: int, args, stamp: str, log) -> dict:
    from medallion_assets.dev import services

    home = PROJECT_ROOT / ".medallion" / "bench" / str(size)
    env = fresh_home(home)
    ports = services.free_ports()
    log(f"size {size:,}: services on {ports} under {home}")
    started = time.perf_counter()
    services.up(ports, home)
    services_seconds = time.perf_counter() - started
    bench = Bench(size, home, env, args.profile, args.profile_size, log)
    keep = home / "bronze-parquet"
    with Progress(f"size {size:,}: stages", STAGES_PER_SIZE - (3 if args.skip_ml else 0)) as progress:
        bench.on_stage_done = lambda: progress.advance(1)
        try:
            bench.run("setup", "setup")
            bench.run("seed", "seed", {"count": size})
            bench.run("mongo_read", "mongo_read")
            bench.run("ingest", "ingest")
            bench.run("kafka_consume", "kafka_consume")
            bench.run("bronze", "bronze", {"keep_dir": str(keep)})
            bench.run("naive_loader", "naive", {"sample": min(args.naive_sample, size)})
            bench.run("floor", "floor", {"keep_dir": str(keep)})
            bench.run("silver", "silver", {"run_id": "bench-full"})
            bench.run("gold", "gold")
            if not args.skip_ml:
                bench.run("ml_anomalies", "ml_anomalies")
                bench.run(
                    "ml_training",
                    "ml_training",
                    {"config": {"max_training_rows": args.max_training_rows}},
                )
                bench.run("ml_predictions", "ml_predictions")
            bench.run(
                "ingest_memory", "ingest_memory", {"count": min(size, args.memory_docs), "topic": "bench_ingest_memory"}
            )
            shutil.rmtree(keep, ignore_errors=True)
            changes = max(1, size // 100)
            bench.run("incr_mutate", "mutate", {"insert": changes, "reprice": changes, "random_seed": 43})
            bench.run("incr_ingest", "ingest")
            bench.run("incr_bronze", "bronze")
            bench.run("incr_silver", "silver", {"run_id": "bench-incremental"})
            bench.run("incr_gold", "gold")
            run_history_stages(bench, size)  # stages history_* and history (benchmarks/history.py)
            bench.run("pulse", "pulse", {"repriced_share": 0.1, "days": 7})  # over it: benchmarks/pulse_stage.py
            bench.run("lakehouse", "lakehouse")  # every published table: benchmarks/lakehouse.py
        finally:
            services.down(home)
    return summarize(size, bench.stages, services_seconds, args)


def summarize(size: int, s: dict, services_seconds: float, args) -> dict:
    def sec(*names):
        return round(sum(s[n]["seconds"] for n in names), 2)

    kafka_to_gold = sec("bronze", "silver", "gold")
    full = sec("ingest", "bronze", "silver", "gold")
    incremental = sec("incr_ingest", "incr_bronze", "incr_silver", "incr_gold")
    naive_rate = s["naive_loader"]["rows_per_s"]
    bronze_rate = s["bronze"]["rows_per_s"]
    floor_seconds = s["floor"]["seconds"]
    pipeline_stages = [n for n in s if n not in ("setup",)]
    peak_name = max(pipeline_stages, key=lambda n: s[n]["peak_rss_mib"])
    comparisons = {
        "naive_sample_rows": s["naive_loader"]["rows"],
        "naive_rows_per_s": naive_rate,
        "naive_extrapolated_seconds": round(size / naive_rate, 1) if naive_rate else None,
        "bronze_rows_per_s": bronze_rate,
        "bronze_vs_naive_x": round(bronze_rate / naive_rate, 1) if naive_rate else None,
        "floor_seconds": round(floor_seconds, 3),
        "floor_rows_per_s": s["floor"]["rows_per_s"],
        "floor_copy_only_seconds": round(s["floor"]["copy_seconds"], 3),
        "bronze_vs_floor_x": round(s["bronze"]["seconds"] / floor_seconds, 1) if floor_seconds else None,
        "bronze_publish_seconds": round(s["bronze"]["publish_seconds"], 2),
        "bronze_publish_vs_floor_x": round(s["bronze"]["publish_seconds"] / floor_seconds, 1)
        if floor_seconds
        else None,
        "bronze_read_and_classify_seconds": round(s["bronze"]["read_and_classify_seconds"], 2),
        "bronze_publish_wait_seconds": round(s["bronze"]["publish_wait_seconds"], 2),
        "bronze_read_wait_seconds": round(s["bronze"]["read_wait_seconds"], 2),
        "bare_consume_seconds": round(s["kafka_consume"]["seconds"], 2),
        "bare_consume_rows_per_s": s["kafka_consume"]["rows_per_s"],
        "bare_consume_one_consumer_seconds": round(s["kafka_consume"]["one_consumer_seconds"], 2),
        "bronze_vs_bare_consume_x": round(s["bronze"]["seconds"] / s["kafka_consume"]["seconds"], 2)
        if s["kafka_consume"]["seconds"]
        else None,
        "ingest_vs_source_read_x": round(s["ingest"]["seconds"] / s["mongo_read"]["seconds"], 2)
        if s["mongo_read"]["seconds"]
        else None,
        "ingest_mongo_rows_per_s": s["ingest"]["rows_per_s"],
        "ingest_memory_rows_per_s": s["ingest_memory"]["rows_per_s"],
        "ingest_memory_serialize_only_rows_per_s": round(
            s["ingest_memory"]["rows"] / s["ingest_memory"]["serialize_only_seconds"], 1
        ),
        "mongo_read_only_rows_per_s": s["mongo_read"]["rows_per_s"],
    }
    incremental_summary = {
        "changes": {"inserted": s["incr_mutate"]["inserted"], "repriced": s["incr_mutate"]["repriced"]},
        "messages": s["incr_ingest"]["rows"],
        "seconds": incremental,
        "full_seconds": full,
        "share_of_full": round(incremental / full, 3) if full else None,
        "by_stage": {n: round(s[f"incr_{n}"]["seconds"], 2) for n in ("ingest", "bronze", "silver", "gold")},
    }
    dev = dev_latency()
    # (target, measured, met); met None: not measured at this size
    goals = {
        "bronze_100x_naive": (
            "≥ 100×",
            times_x(comparisons["bronze_vs_naive_x"]),
            at_least(comparisons["bronze_vs_naive_x"], 100),
        ),
        "bronze_within_3x_floor": (
            "≤ 3× slower",
            times_x(comparisons["bronze_vs_floor_x"]),
            at_most(comparisons["bronze_vs_floor_x"], 3),
        ),
        "kafka_to_gold_under_60s": (
            "< 60 s at 1,000,000",
            f"{kafka_to_gold:,.1f} s",
            kafka_to_gold < 60 if size >= 1_000_000 else None,
        ),
        "kafka_to_gold_under_90s": (
            "< 90 s at 1,000,000",
            f"{kafka_to_gold:,.1f} s",
            kafka_to_gold < 90 if size >= 1_000_000 else None,
        ),
        "ingest_within_1_3x_source_read": (
            "≤ 1.3× the source's own read",
            times_x(comparisons["ingest_vs_source_read_x"]),
            at_most(comparisons["ingest_vs_source_read_x"], 1.3),
        ),
        "incremental_at_most_10pct": (
            "≤ 10% of the full run",
            f"{100 * (incremental_summary['share_of_full'] or 0):.1f}%",
            at_most(incremental_summary["share_of_full"], 0.10),
        ),
        "training_under_120s": (
            "< 120 s at 1,000,000",
            f"{s['ml_training']['seconds']:,.1f} s" if "ml_training" in s else "not run (--skip-ml)",
            s["ml_training"]["seconds"] < 120 if size >= 1_000_000 and "ml_training" in s else None,
        ),
        "peak_memory_under_2gib": (
            "< 2 GiB per process",
            f"{s[peak_name]['peak_rss_mib']:,.0f} MiB ({peak_name})",
            s[peak_name]["peak_rss_mib"] < 2048,
        ),
        "dev_change_to_gold_under_30s": (
            "< 30 s (make dev)",
            f"{dev['seconds']:.1f} s slowest, {dev['median']:.1f} s median ({dev['file']})"
            if dev
            else "not measured by make bench",
            dev["seconds"] < 30 if dev else None,
        ),
    }
    return {
        "size": size,
        "machine": machine(),
        "services_start_seconds": round(services_seconds, 2),
        "stages": s,
        "end_to_end": {
            "kafka_to_gold_seconds": kafka_to_gold,
            "kafka_to_gold_rows_per_s": round(size / kafka_to_gold, 1) if kafka_to_gold else None,
            "mongo_to_gold_seconds": full,
            "ml_seconds": sec("ml_anomalies", "ml_training", "ml_predictions") if "ml_training" in s else None,
        },
        "comparisons": comparisons,
        "incremental": incremental_summary,
        "peak_stage": {"stage": peak_name, "peak_rss_mib": s[peak_name]["peak_rss_mib"]},
        "goals": goals,
        "settings": {
            "naive_sample": args.naive_sample,
            "memory_docs": args.memory_docs,
            "max_training_rows": args.max_training_rows,
            "bronze_batch_size": 50_000,
            "ingestion": {"batch_size": 100, "acknowledge_every": 5000},
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated document counts")
    parser.add_argument("--naive-sample", type=int, default=5000, help="rows the row-at-a-time loader inserts")
    parser.add_argument(
        "--memory-docs", type=int, default=100_000, help="documents (at most) for the in-memory ingestion run"
    )
    parser.add_argument("--max-training-rows", type=int, default=200_000, help="PriceModelConfig.max_training_rows")
    parser.add_argument(
        "--skip-ml", action="store_true", help="leave out the three ML stages (a shorter run for the load path alone)"
    )
    parser.add_argument("--profile", default=None, help="cProfile this stage (e.g. bronze, silver, ml_training)")
    parser.add_argument(
        "--profile-size",
        type=int,
        default=None,
        help="the size at which --profile applies (default: the first size; the profiler slows the "
        "stage, so its time at that size is not comparable)",
    )
    args = parser.parse_args(argv)
    sizes = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    if args.profile and args.profile_size is None:
        args.profile_size = sizes[0]
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    reports = []
    for size in sizes:
        report = bench_size(size, args, stamp, lambda text: print(text, flush=True))
        path = RESULTS / f"{stamp}-{size}.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        reports.append(report)
        (RESULTS / "latest.md").write_text(markdown(reports))  # after each size: a partial run still reports
        print(f"wrote {path.relative_to(PROJECT_ROOT)} and benchmarks/results/latest.md", flush=True)
    print(markdown(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
