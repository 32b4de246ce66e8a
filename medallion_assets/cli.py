"""`medallion`: embedded services, synthetic source data, warehouse queries, the whole pipeline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.output import print_rows

DEFAULT_SEED_COUNT = 10_000
# Snowflake's result type codes (snowflake.connector.constants.FIELD_NAME_TO_ID) of VARIANT, OBJECT, ARRAY
JSON_TYPE_CODES = (5, 9, 10)


def _services(args: argparse.Namespace) -> int:
    from medallion_assets.dev import services

    if args.action == "up":
        ports = services.up()
        print(f"embedded services up under {services.medallion_home()}: {ports}")
    elif args.action == "down":
        stopped = services.down()
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    else:
        rows = services.status()
        for name, info in rows.items():
            state = "up" if info["answers"] else "down"
            print(f"{name:10} {state:5} port {info['port']:<6} pid {info['pid'] or '-':<8} log {info['log']}")
        return 0 if all(info["answers"] for info in rows.values()) else 3
    return 0


def _seed(args: argparse.Namespace) -> int:
    from medallion_assets.defs.resources import mongo_resource, resolved
    from medallion_assets.dev import seeding
    from medallion_assets.dev.progress import Progress

    mongo = resolved(mongo_resource())
    with mongo.get_collection() as collection:
        if args.file:
            with Progress("loaded", 0) as progress:
                loaded, errors = seeding.load_file(collection, args.file, progress.advance, progress.set_total)
            for line, reason in errors:
                print(f"{args.file}:{line}: skipped: {reason}", file=sys.stderr)
            print(f"loaded {loaded} documents from {args.file} into {mongo.source_name}; {len(errors)} bad lines")
            return 0 if loaded or not errors else 1
        if args.reprice:
            with Progress("repriced", args.reprice) as progress:
                changed = seeding.reprice(collection, args.reprice, args.random_seed, progress.advance)
            print(f"repriced {changed} documents in {mongo.source_name}")
        elif args.delete:
            with Progress("deleted", args.delete) as progress:
                deleted = seeding.delete(collection, args.delete, args.random_seed, progress.advance)
            print(f"deleted {deleted} documents from {mongo.source_name}")
        else:
            with Progress("seeded", max(args.count, 0)) as progress:
                inserted = seeding.insert(collection, args.count, args.random_seed, progress.advance)
            print(f"inserted {inserted} synthetic listings into {mongo.source_name}")
    return 0


def _query(args: argparse.Namespace) -> int:
    from medallion_assets.defs.resources import resolved, snowflake_resource
    from medallion_assets.lib import warehouse

    with warehouse.connect(resolved(snowflake_resource())) as conn:
        try:
            cursor = conn.cursor().execute(args.sql)
        except Exception as exc:  # the driver's own message is the useful part here
            raise MedallionError(f"query failed: {getattr(exc, 'msg', exc)}") from None
        columns = [c[0] for c in cursor.description or []]
        # the driver hands VARIANT, OBJECT and ARRAY values over as JSON text; --format json embeds them
        json_columns = {c.name for c in cursor.description or [] if c.type_code in JSON_TYPE_CODES}
        rows = cursor.fetchall() if columns else []
    print_rows(columns, rows, args.format, json_columns=json_columns)
    return 0


def _lakehouse(args: argparse.Namespace) -> int:
    """Read the Iceberg tables through pyiceberg: rows of the current or an earlier snapshot, or the snapshots."""
    from medallion_assets.defs.resources import resolved
    from medallion_assets.lib import lakehouse
    from medallion_assets.lib.iceberg_catalog import lakehouse_resource

    if args.limit is not None and args.limit < 0:
        raise MedallionError(f"--limit must not be negative, got {args.limit}")
    resource = resolved(lakehouse_resource())  # secrets (dg.EnvVar) read now
    table = lakehouse.load(resource.catalog(), resource.namespace, lakehouse.published(args.table))
    if args.action == "snapshots":
        current = table.current_snapshot()
        rows = [
            (
                s.snapshot_id,
                s.parent_snapshot_id,
                lakehouse.utc_text(s.timestamp_ms),
                s.summary.operation.value if s.summary else None,
                int(s.summary.additional_properties.get("total-records", 0)) if s.summary else None,
                s.schema_id,
                "current" if current and s.snapshot_id == current.snapshot_id else None,
            )
            for s in table.snapshots()
        ]
        print_rows(
            ["snapshot_id", "parent_id", "committed_at", "operation", "rows", "schema_id", "state"], rows, args.format
        )
        return 0
    data = lakehouse.scan(table, args.snapshot, args.limit)
    print_rows(data.column_names, [tuple(r.values()) for r in data.to_pylist()], args.format)
    return 0


def _pipeline(args: argparse.Namespace) -> int:
    from medallion_assets.dev import pipeline

    return pipeline.run(
        seed_count=args.count,
        random_seed=args.random_seed,
        start_services=not args.no_services,
        verbose=args.verbose,
    )


def _status(args: argparse.Namespace) -> int:
    from medallion_assets.dev import status

    return status.run()


def _dev(args: argparse.Namespace) -> int:
    """Dagster UI and daemon (`dagster dev`) against the configured or embedded services."""
    import os
    import shutil

    from medallion_assets.dev import pipeline, services

    if pipeline.embedded_needed():
        services.up()
    home = pipeline.dagster_home()
    import dagster as dg

    from medallion_assets.dev import runs

    with dg.DagsterInstance.get() as instance:  # runs killed in an earlier session would hold pool slots
        for run_id in runs.fail_dead_runs(instance):
            print(f"run {run_id} had lost its process: marked failed, its pool slots freed")
    dagster = shutil.which("dagster", path=os.path.dirname(sys.executable)) or "dagster"
    command = [
        dagster,
        "dev",
        "-w",
        str(services.PROJECT_ROOT / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={home})", flush=True)
    os.execv(dagster, command)
    return 0  # not reached


def _dashboard(args: argparse.Namespace) -> int:
    """The analysts' dashboard (Streamlit) on the configured or embedded warehouse and the Dagster instance. It only
    reads, so it starts no server: a warehouse that does not answer is named on the page."""
    import os
    from importlib.util import find_spec
    from pathlib import Path

    from medallion_assets.dev import pipeline

    if find_spec("streamlit") is None:
        raise MedallionError("the dashboard needs the `dashboard` extra: pip install 'medallion-assets[dashboard]'")
    pipeline.dagster_home()
    app = Path(__file__).parent / "dashboard" / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", args.host]
    command += ["--server.port", str(args.port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--client.toolbarMode", "viewer"]  # no "Deploy" button: this app is run, not edited, here
    print(f"dashboard on http://{args.host}:{args.port}", flush=True)
    os.execv(sys.executable, command)
    return 0  # not reached


def _doctor(args: argparse.Namespace) -> int:
    from medallion_assets.lib import doctor

    return doctor.run(lambda line: print(line, flush=True))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medallion", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    services = sub.add_parser("services", help="start, stop or inspect the embedded MongoDB, Kafka and Snowflake")
    services.add_argument("action", choices=["up", "down", "status"])
    services.set_defaults(func=_services)

    seed = sub.add_parser("seed", help="write synthetic or file documents into the configured collection")
    mode = seed.add_mutually_exclusive_group()
    mode.add_argument("--count", type=int, default=DEFAULT_SEED_COUNT, help="insert N synthetic listings")
    mode.add_argument("--reprice", type=int, metavar="N", help="change the price of N existing listings")
    mode.add_argument("--delete", type=int, metavar="N", help="delete N existing listings")
    mode.add_argument("--file", metavar="PATH", help="load a JSON Lines file of documents as they are")
    seed.add_argument("--random-seed", type=int, default=42)
    seed.set_defaults(func=_seed)

    query = sub.add_parser("query", help="run SQL on the configured warehouse and print the rows")
    query.add_argument("sql")
    query.add_argument("--format", choices=["table", "csv", "json"], default="table")
    query.set_defaults(func=_query)

    lake = sub.add_parser("lakehouse", help="read the gold tables published as Apache Iceberg tables")
    lake.add_argument("action", choices=["show", "snapshots"], help="show: rows; snapshots: the table's history")
    lake.add_argument("table", help="gold_ml_features, gold_market_analytics, gold_price_trends, ...")
    lake.add_argument("--snapshot", type=int, metavar="ID", help="read this earlier snapshot (time travel)")
    lake.add_argument("--limit", type=int, metavar="N", help="at most N rows")
    lake.add_argument("--format", choices=["table", "csv", "json"], default="table")
    lake.set_defaults(func=_lakehouse)

    run = sub.add_parser("pipeline", help="services up, seed when empty, materialize everything, print a summary")
    run.add_argument("--count", type=int, default=DEFAULT_SEED_COUNT, help="listings to seed into an empty source")
    run.add_argument("--random-seed", type=int, default=42)
    run.add_argument("--no-services", action="store_true", help="use the configured services as they are")
    run.add_argument("--verbose", action="store_true", help="also print Dagster's event log (DEBUG lines) as it runs")
    run.set_defaults(func=_pipeline)
    status = sub.add_parser("status", help="services, tables, failing checks, freshness, sensors and schedules")
    status.set_defaults(func=_status)
    doctor = sub.add_parser("doctor", help="check this environment's services, credentials, objects and grants")
    doctor.set_defaults(func=_doctor)
    dev = sub.add_parser("dev", help="the Dagster UI and daemon on http://127.0.0.1:3000")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=_dev)
    dash = sub.add_parser("dashboard", help="the analysts' dashboard (Streamlit) on http://127.0.0.1:8501")
    dash.add_argument("--host", default="127.0.0.1")
    dash.add_argument("--port", type=int, default=8501)
    dash.set_defaults(func=_dashboard)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for flag in ("count", "reprice", "delete"):
        value = getattr(args, flag, None)
        if value is not None and value < 0:
            print(f"medallion: --{flag} must not be negative, got {value}", file=sys.stderr)
            return 2
    try:
        return args.func(args)
    except MedallionError as exc:
        print(f"medallion: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
