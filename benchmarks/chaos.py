"""Chaos run: `medallion pipeline` killed at random moments, servers killed now and then, then every layer
compared with MongoDB.

    python -m benchmarks.chaos --rounds 20          # what `make chaos` runs (ROUNDS=N)
    python -m benchmarks.chaos --rounds 2 --server-every 2 --documents 2000 --changes 60   # the short one, in tests

On its own embedded services (free ports, state under `.medallion/chaos` or --home, its own DAGSTER_HOME):
seed, one clean run, one timed normal run after a small change; then each round changes the source (new,
re-priced and deleted listings), starts `medallion pipeline --no-services` and kills it with SIGKILL at a
random moment (seeded), every third round (--server-every) killing one server too and bringing the set
back. After the last round one run must finish. Then bronze, silver and gold are compared with MongoDB.
Every pipeline run has a timeout; a run that hangs counts as a failure. Results:
benchmarks/results/chaos-<timestamp>.md and .json; the exit code is non-zero on any loss, doubling, mismatch or
hang.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.run import CONFIG_VARS, PROJECT_ROOT, RESULTS, machine
from medallion_assets.dev.progress import Progress

SERVERS = ("mongo", "kafka", "snowflake")


class Chaos:
    def __init__(self, args):
        from medallion_assets.dev import services

        self.args, self.services = args, services
        self.home = Path(args.home).resolve() if args.home else PROJECT_ROOT / ".medallion" / "chaos"
        if self.home.exists():
            services.down(self.home)  # leftovers of an interrupted run
            shutil.rmtree(self.home)
        self.home.mkdir(parents=True)
        self.env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
        self.env.update(MEDALLION_HOME=str(self.home), DAGSTER_HOME=str(self.home / "dagster"), PYTHONUNBUFFERED="1")
        os.environ.update(MEDALLION_HOME=str(self.home))
        for key in CONFIG_VARS:
            os.environ.pop(key, None)
        self.ports = services.free_ports()
        self.random = random.Random(args.random_seed)
        self.runs: list[dict] = []
        self.failures: list[str] = []

    def log(self, text: str) -> None:
        print(text, flush=True)

    def pipeline(self, label: str, kill_after: float | None = None, kill_server: str | None = None) -> dict:
        """One `medallion pipeline --no-services` in its own process group; killed after `kill_after` s."""
        log_path = self.home / "logs" / f"pipeline-{len(self.runs):03d}-{label}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "medallion_assets.cli", "pipeline", "--no-services"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            deadline = kill_after if kill_after is not None else self.args.run_timeout
            try:
                code = process.wait(timeout=deadline)
                outcome = "finished" if code == 0 else f"failed ({code})"
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                outcome = "killed" if kill_after is not None else "HUNG"
                if kill_server:
                    self.kill_server(kill_server)
        run = {
            "label": label,
            "outcome": outcome,
            "seconds": round(time.monotonic() - started, 2),
            "kill_after_s": kill_after,
            "server_killed": kill_server if outcome == "killed" else None,
            "log": str(log_path),
        }
        if outcome == "HUNG":
            tail = log_path.read_text(errors="replace").splitlines()[-5:]
            self.failures.append(f"run {label} hung for {self.args.run_timeout}s (see {log_path}): {' | '.join(tail)}")
        self.runs.append(run)
        self.log(
            f"  {label:12s} {outcome:12s} {run['seconds']:7.1f} s"
            + (f"  + killed {kill_server}" if run["server_killed"] else "")
        )
        return run

    def kill_server(self, name: str) -> None:
        pid = int((self.home / "run" / f"{name}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        while self.services._alive(pid):
            time.sleep(0.05)
        subprocess.run(
            [sys.executable, "-m", "medallion_assets.cli", "services", "up"],
            cwd=PROJECT_ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def change_source(self, round_no: int) -> dict:
        from medallion_assets.defs.resources import mongo_resource, resolved
        from medallion_assets.dev import seeding

        n = self.args.changes
        with resolved(mongo_resource()).get_collection() as collection:
            return {
                "inserted": seeding.insert(collection, n, 1000 + round_no),
                "repriced": seeding.reprice(collection, n // 2, 2000 + round_no),
                "deleted": seeding.delete(collection, n // 4, 3000 + round_no),
            }

    def storm(self) -> dict:
        args = self.args
        started = time.monotonic()
        self.services.up(self.ports, self.home)
        self.log(f"chaos: services on {self.ports} under {self.home}")
        from medallion_assets.defs.resources import mongo_resource, resolved
        from medallion_assets.dev import seeding

        with resolved(mongo_resource()).get_collection() as collection:
            seeding.insert(collection, args.documents, args.random_seed)
        if self.pipeline("initial")["outcome"] != "finished":
            self.failures.append("the initial run did not finish")
            return {}
        self.change_source(0)
        normal = self.pipeline("normal")
        if normal["outcome"] != "finished":
            self.failures.append("the normal run did not finish")
            return {}
        window = max(normal["seconds"], 2.0)
        server_kills = 0
        with Progress("chaos rounds", args.rounds) as progress:
            for round_no in range(1, args.rounds + 1):
                self.change_source(round_no)
                server = self.random.choice(SERVERS) if round_no % args.server_every == 0 else None
                kill_after = self.random.uniform(0.5, window)
                run = self.pipeline(f"round-{round_no}", kill_after=kill_after, kill_server=server)
                server_kills += 1 if run["server_killed"] else 0
                progress.advance(1)
                if run["outcome"] == "HUNG":
                    break
        final = self.pipeline("after-storm") if not self.failures else None
        if final is not None and final["outcome"] != "finished":
            self.failures.append(f"the run after the storm did not finish: {final['outcome']} (see {final['log']})")
        return {
            "normal_run_s": normal["seconds"],
            "first_run_after_storm_s": final["seconds"] if final else None,
            "run_kills": sum(1 for r in self.runs if r["outcome"] == "killed"),
            "server_kills": server_kills,
            "total_seconds": round(time.monotonic() - started, 1),
        }


def compare(failures: list[str]) -> dict:
    """Every layer against MongoDB and the topic; appends to `failures`, returns the counts."""
    from medallion_assets.defs.resources import build_resources, resolved
    from medallion_assets.lib import bronze_loader, cdc, warehouse

    resources = {k: resolved(v) for k, v in build_resources().items()}
    kafka = resources["kafka"]
    with resources["mongo"].get_collection() as collection:
        documents = {cdc.document_key(d["_id"]): json.loads(cdc.document_json(d)) for d in collection.find({})}
    ends = kafka.end_offsets(kafka.partitions())
    with warehouse.connect(resources["snowflake"]) as conn:
        warehouse.apply_setup(conn)  # a restarted embedded warehouse attaches its databases on first use

        def rows(sql):
            cursor = conn.cursor().execute(sql)
            return cursor.fetchall()

        bronze = rows(
            "SELECT id AS id, kafka_partition AS p, kafka_offset AS o, raw_data::VARCHAR AS raw "
            "FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE ORDER BY kafka_partition, kafka_offset"
        )
        rejects = rows("SELECT kafka_partition AS p, kafka_offset AS o FROM RAW_DB.LANDING.BRONZE_REJECTS")
        positions = bronze_loader.stored_positions(conn, kafka.topic)
        silver = rows(
            "SELECT id AS id, kafka_partition AS p, kafka_offset AS o, price AS price, "
            "data_quality_score AS score FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE"
        )
        gold = rows("SELECT id AS id, price AS price FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES")
    loaded = [(int(p), int(o)) for _, p, o, _ in bronze] + [(int(p), int(o)) for p, o in rejects]
    messages = sum(ends.values())
    doubled_bronze = len(loaded) - len(set(loaded))
    lost_bronze = sum(1 for p, end in ends.items() for o in range(end) if (p, o) not in set(loaded))
    for p, end in ends.items():
        got = sorted(o for q, o in set(loaded) if q == p)
        if got != list(range(end)):
            failures.append(f"bronze partition {p}: offsets are not exactly 0..{end - 1} ({len(got)} loaded)")
        if positions.get(p, 0) != end:
            failures.append(f"bronze partition {p}: stored position {positions.get(p)} != end of topic {end}")
    latest: dict[str, tuple] = {}
    for id_, p, o, raw in bronze:  # ordered by partition, offset; one id stays in one partition
        latest[id_] = (int(p), int(o), json.loads(raw) if raw is not None else None)
    live = {i for i, v in latest.items() if v[2] is not None}
    if live != set(documents):
        failures.append(
            f"bronze latest versions: {len(set(documents) - live)} listings missing, {len(live - set(documents))} extra"
        )

    def price(doc):  # the fields a re-price changes, numbers compared as numbers
        value = doc.get("price")
        return (float(value) if isinstance(value, int | float) else value, doc.get("Mức giá"))

    stale = [i for i in set(documents) & live if price(latest[i][2]) != price(documents[i])]
    if stale:
        failures.append(f"bronze: {len(stale)} listings' latest version differs from MongoDB, e.g. {stale[0]}")
    silver_ids = [r[0] for r in silver]
    doubled_silver = len(silver_ids) - len(set(silver_ids))
    lost_silver = len(set(documents) - set(silver_ids))
    extra_silver = len(set(silver_ids) - set(documents))
    if doubled_silver or lost_silver or extra_silver:
        failures.append(f"silver: {lost_silver} listings lost, {extra_silver} extra, {doubled_silver} doubled")
    not_latest = [r[0] for r in silver if r[0] in latest and (int(r[1]), int(r[2])) != latest[r[0]][:2]]
    if not_latest:
        failures.append(f"silver: {len(not_latest)} listings not at their latest version, e.g. {not_latest[0]}")
    wrong_price = [
        r[0]
        for r in silver
        if isinstance(documents.get(r[0], {}).get("price"), int | float)
        and documents[r[0]]["price"] > 0
        and (r[3] is None or abs(float(r[3]) - documents[r[0]]["price"]) > 1e-6 * documents[r[0]]["price"])
    ]
    if wrong_price:
        failures.append(f"silver: {len(wrong_price)} prices differ from MongoDB, e.g. {wrong_price[0]}")
    trusted = {r[0]: r[3] for r in silver if r[4] is not None and float(r[4]) >= 0.6 and r[3] is not None and r[3] > 0}
    gold_ids = [r[0] for r in gold]
    doubled_gold = len(gold_ids) - len(set(gold_ids))
    if set(gold_ids) != set(trusted) or doubled_gold:
        failures.append(
            f"gold: {len(set(trusted) - set(gold_ids))} trusted listings missing, "
            f"{len(set(gold_ids) - set(trusted))} extra, {doubled_gold} doubled"
        )
    if any(trusted.get(i) != price for i, price in gold if i in trusted):
        failures.append("gold: prices differ from silver")
    return {
        "mongo_documents": len(documents),
        "topic_messages": messages,
        "bronze_rows_and_rejects": len(loaded),
        "silver_rows": len(silver_ids),
        "gold_rows": len(gold_ids),
        "rows_compared": len(loaded) + len(silver_ids) + len(gold_ids),
        "lost": lost_bronze + lost_silver + len(set(trusted) - set(gold_ids)),
        "doubled": doubled_bronze + doubled_silver + doubled_gold,
    }


def markdown(report: dict) -> str:
    s, c = report["storm"], report["comparison"]
    lines = [
        f"# Chaos run {report['stamp']}",
        "",
        f"{report['rounds']} rounds (random seed {report['random_seed']}, {report['documents']} documents, "
        f"{report['changes']} changes per round): {s.get('run_kills', 0)} pipeline runs killed with SIGKILL, "
        f"{s.get('server_kills', 0)} servers killed and restarted.",
        "",
        "| measure | value |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in {**c, **s}.items()],
        "",
        "**Result: " + ("PASS**" if not report["failures"] else "FAIL**"),
        "",
        *[f"- {f}" for f in report["failures"]],
        "",
        "| run | outcome | s | killed after s | server killed |",
        "|---|---|---:|---:|---|",
        *[
            f"| {r['label']} | {r['outcome']} | {r['seconds']} | "
            f"{round(r['kill_after_s'], 1) if r['kill_after_s'] else ''} | {r['server_killed'] or ''} |"
            for r in report["runs"]
        ],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--documents", type=int, default=5000, help="listings seeded before the storm")
    parser.add_argument(
        "--changes", type=int, default=200, help="new listings per round (half as many re-priced, a quarter deleted)"
    )
    parser.add_argument("--random-seed", type=int, default=7)
    parser.add_argument("--server-every", type=int, default=3, help="every Nth round also kills one server")
    parser.add_argument("--run-timeout", type=float, default=600.0, help="seconds before a pipeline run counts as hung")
    parser.add_argument("--home", default=None, help="state folder (default .medallion/chaos)")
    parser.add_argument("--results", default=str(RESULTS), help="folder for chaos-<timestamp>.md and .json")
    args = parser.parse_args(argv)
    chaos = Chaos(args)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    try:
        storm = chaos.storm()
        comparison = compare(chaos.failures) if not chaos.failures else {}
    finally:
        chaos.services.down(chaos.home)
    report = {
        "stamp": stamp,
        "rounds": args.rounds,
        "random_seed": args.random_seed,
        "documents": args.documents,
        "changes": args.changes,
        "machine": machine(),
        "storm": storm,
        "comparison": comparison,
        "runs": chaos.runs,
        "failures": chaos.failures,
    }
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    (results / f"chaos-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    (results / f"chaos-{stamp}.md").write_text(markdown(report))
    print(markdown(report))
    print(f"wrote {results / f'chaos-{stamp}.md'} and .json", flush=True)
    return 1 if chaos.failures else 0


if __name__ == "__main__":
    sys.exit(main())
