"""`medallion`: embedded services, synthetic source data, warehouse queries, the whole pipeline."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.output import print_rows

DEFAULT_SEED_COUNT = 10_000
# Snowflake's result type codes (snowflake.connector.constants.FIELD_NAME_TO_ID) of VARIANT, OBJECT, ARRAY
JSON_TYPE_CODES = (5, 9, 10)
# Set (to anything) to see the traceback of an unexpected error instead of its one line.
TRACEBACK_VARIABLE = "MEDALLION_TRACEBACK"


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
    """Signs in with the connector directly (lib/snowflake_auth.sign_in: the runs' sign-in fields), importing
    neither Dagster nor dagster-snowflake: about a second less per command."""
    from medallion_assets.lib import snowflake_auth

    if not args.sql.strip().rstrip(";").strip():
        raise MedallionError("the SQL is empty: give one statement, e.g. medallion query 'SELECT 1 AS one'")
    with snowflake_auth.sign_in() as conn:
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

    if args.action == "connect":
        return _lakehouse_connect(args)
    if args.table is None:
        raise MedallionError(f"lakehouse {args.action} needs a table: {', '.join(t.name for t in lakehouse.PUBLISHED)}")
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


def _lakehouse_connect(args: argparse.Namespace) -> int:
    """What an outside client needs to read the lakehouse (see docs/examples/)."""
    import json

    from medallion_assets.defs.resources import resolved
    from medallion_assets.lib import lakehouse
    from medallion_assets.lib.iceberg_catalog import lakehouse_resource, outside_client_settings

    names = [t.name for t in lakehouse.PUBLISHED] if args.table is None else [lakehouse.published(args.table).name]
    settings = outside_client_settings(resolved(lakehouse_resource()), names)
    if args.format == "json":
        print(json.dumps(settings, indent=2))
        return 0
    tables = settings.pop("tables")
    rows = [(key, value) for key, value in settings.items()]
    rows += [(f"table {name}", location or "not published yet") for name, location in tables.items()]
    print_rows(["setting", "value"], rows, args.format)
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
    """Dagster UI and daemon (`dagster dev`) against the configured or embedded services, until Ctrl-C/SIGTERM."""
    from medallion_assets.dev import dagster_dev

    return dagster_dev.run(args.host, args.port)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake said in one line (argparse prints the whole usage first)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
    parser = _Parser(prog="medallion", description=__doc__)
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
    lake.add_argument(
        "action",
        choices=["show", "snapshots", "connect"],
        help="show: rows; snapshots: the table's history; connect: what an outside client needs to read the tables",
    )
    lake.add_argument("table", nargs="?", help="gold_ml_features, gold_market_analytics, gold_price_trends, ...")
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


def error_line(exc: BaseException) -> str:
    """One line for a failed command: the MedallionError inside `exc` (Dagster wraps what loading the definitions
    raised, e.g. in ComponentTreeException), else the exception's type and first line, marked as unexpected."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, MedallionError):
            return _first_line(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return (
        f"unexpected {type(exc).__name__}: {_first_line(exc)} "
        f"(set {TRACEBACK_VARIABLE}=1 and run it again for the traceback)"
    )


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:400] if lines else type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Every failure ends as one line on stderr and a non-zero exit: 2 for a usage mistake, 1 otherwise."""
    args = build_parser().parse_args(argv)
    for flag in ("count", "reprice", "delete"):
        value = getattr(args, flag, None)
        if value is not None and value < 0:
            print(f"medallion: --{flag} must not be negative, got {value}", file=sys.stderr)
            return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"medallion {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        print(f"medallion: {error_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
