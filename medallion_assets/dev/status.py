"""`medallion status`: services, tables, failing checks, freshness, sensors and schedules on one screen.

Reads only: the services are asked one protocol call each (embedded ones on their recorded ports, real
ones through the resources' own connection methods), everything else comes from the Dagster instance at
$DAGSTER_HOME and the definitions. It never starts a server.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import threading
import time
from dataclasses import dataclass, field

import dagster as dg

from medallion_assets.lib.freshness import freshness_state, worst

PROBE_TIMEOUT_S = 5.0
# An asset that follows its upstream is stale when an upstream materialization newer than its own is this old: the
# automation starts a follow-up run within seconds, so a layer behind for longer is stuck, not on its way.
FOLLOW_GRACE_S = 600.0


@dataclass
class Report:
    services: list[tuple] = field(default_factory=list)  # (service, state, where, detail)
    tables: list[tuple] = field(default_factory=list)  # (asset, table, layer, last materialized, rows)
    failing: list[tuple] = field(default_factory=list)  # (asset, check, description)
    stale: list[tuple] = field(default_factory=list)  # (asset, why)
    freshness: list[tuple] = field(default_factory=list)  # (layer, state, detail)
    automation: list[tuple] = field(default_factory=list)  # (name, kind, state)

    @property
    def ok(self) -> bool:
        return all(row[1] == "up" for row in self.services) and not self.failing and not self.stale


def _probe_real(name: str) -> str:
    """Raise or return "" when the real service answers; via the resources' connection methods."""
    from medallion_assets.defs.resources import kafka_resource, mongo_resource, resolved, snowflake_resource
    from medallion_assets.lib import warehouse

    if name == "mongo":
        with resolved(mongo_resource()).get_collection() as collection:
            collection.database.client.admin.command("ping")
    elif name == "kafka":
        kafka = resolved(kafka_resource())
        if not kafka.admin().list_topics(timeout=PROBE_TIMEOUT_S).brokers:
            raise RuntimeError("no broker in the metadata")
    else:
        with warehouse.connect(resolved(snowflake_resource())) as conn:
            conn.cursor().execute("SELECT 1").fetchone()
    return ""


def _ask(probe, *args) -> dict:
    """Run `probe` in a daemon thread (a hung client must not keep the command from exiting)."""
    box: dict = {}

    def target():
        try:
            box["answer"] = probe(*args)
        except Exception as exc:  # the client's own words say what is wrong
            box["error"] = exc

    box["thread"] = threading.Thread(target=target, daemon=True)
    box["thread"].start()
    return box


def service_rows() -> list[tuple]:
    from medallion_assets.dev import services
    from medallion_assets.lib import settings

    embedded = settings.embedded_services()
    ports = services.Ports.configured()
    names = [n for n in services.SERVICE_NAMES if n != "s3" or "kafka" in embedded]
    local = {n for n in names if n in embedded or n == "s3"}
    asked = {n: _ask(services.answers, n, ports) if n in local else _ask(_probe_real, n) for n in names}
    deadline = time.monotonic() + PROBE_TIMEOUT_S + 1  # the clients' own timeouts first
    rows = []
    for name in names:
        box = asked[name]
        box["thread"].join(max(0.0, deadline - time.monotonic()))
        where = f"embedded, port {ports.get(name)}" if name in local else "configured"
        if box["thread"].is_alive():
            state, detail = "down", f"no answer within {PROBE_TIMEOUT_S + 1:.0f} s"
        elif "error" in box:
            state, detail = "down", " ".join(str(box["error"]).split())[:120]
        else:
            state, detail = ("up", "") if box["answer"] in (True, "") else ("down", "does not answer")
        rows.append((name, state, where, detail))
    return rows


def _value(entry) -> object:
    return getattr(entry, "value", entry)


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _latest_materialization(instance: dg.DagsterInstance, key: dg.AssetKey):
    records = instance.fetch_materializations(key, limit=1).records
    return records[0] if records else None


def _unevaluated_blocking_checks(instance, graph, key: dg.AssetKey, latest) -> list[str]:
    """Why each blocking check of `key` has no result for its latest materialization (empty: all evaluated, or
    still running). A check planned in a run that died never reports: that is the state this finds."""
    checks = sorted(k for k in graph.asset_check_keys if k.asset_key == key and graph.get_check_spec(k).blocking)
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    reasons = []
    for check_key in checks:
        record = records.get(check_key)
        if record is None:
            reasons.append(f"{check_key.name} never ran")
            continue
        if record.status.value == "PLANNED":
            run = instance.get_run_by_id(record.run_id)
            if run is not None and not run.is_finished:
                continue  # running now
            if record.run_id == latest.run_id:
                status = run.status.value if run is not None else "deleted"
                reasons.append(f"{check_key.name} not evaluated: run {record.run_id[:8]} ended {status} before it")
                continue
        evaluation = record.event.asset_check_evaluation if record.event else None
        target = evaluation.target_materialization_data if evaluation else None
        if record.run_id == latest.run_id or (target is not None and target.storage_id == latest.storage_id):
            continue
        if target is None and record.create_timestamp > latest.timestamp:
            continue
        reasons.append(f"{check_key.name} not evaluated since the latest materialization")
    return reasons


def stale_rows(instance: dg.DagsterInstance, graph, follows: set[dg.AssetKey], now: float) -> list[tuple]:
    """(asset, why) for each materialization whose blocking checks were not evaluated, and each asset that follows
    its upstream but is older than an upstream materialization made more than FOLLOW_GRACE_S ago."""
    latest = {
        key: _latest_materialization(instance, key)
        for key in graph.toposorted_asset_keys
        if graph.get(key).is_materializable and not graph.get(key).is_partitioned
    }
    rows = []
    for key, record in latest.items():
        if record is None:
            continue
        for reason in _unevaluated_blocking_checks(instance, graph, key, record):
            rows.append((key.to_user_string(), f"blocking check {reason}"))
    for key in sorted(follows, key=lambda k: k.to_user_string()):
        own = latest.get(key)
        newer = [
            (parent, latest[parent])
            for parent in sorted(graph.get(key).parent_keys, key=lambda k: k.to_user_string())
            if latest.get(parent) is not None
            and latest[parent].timestamp > (own.timestamp if own else 0.0)
            and now - latest[parent].timestamp > FOLLOW_GRACE_S
        ]
        for parent, record in newer:
            since = "never materialized" if own is None else f"last materialized {_when(own.timestamp)}"
            rows.append(
                (key.to_user_string(), f"older than {parent.to_user_string()} ({_when(record.timestamp)}); {since}")
            )
    return rows


def dagster_rows(report: Report, instance: dg.DagsterInstance, defs: dg.Definitions, now: float) -> None:
    graph = defs.resolve_asset_graph()
    layers: dict[str, list[tuple[str, str]]] = {}
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if not node.is_materializable:
            continue
        event = instance.get_latest_materialization_event(key)
        last = event.timestamp if event else None
        state = freshness_state(node.freshness_policy, last, now)
        layers.setdefault(node.group_name or "default", []).append((key.to_user_string(), state))
        table = (node.metadata or {}).get("dagster/table_name")
        if table is not None:
            metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
            rows = _value(metadata.get("dagster/row_count")) if "dagster/row_count" in metadata else None
            report.tables.append((key.to_user_string(), str(table), node.group_name, _when(last), rows))
    for layer, states in layers.items():
        state = worst([s for _, s in states])
        named = [a for a, s in states if s == state and s != "PASS"]
        detail = f"{len(states)} assets" + (f"; {state}: {', '.join(named)}" if named else "")
        report.freshness.append((layer, state, detail))
    check_keys = sorted(graph.asset_check_keys, key=lambda k: k.to_user_string())
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    for key in check_keys:
        record = latest.get(key)
        if record is not None and record.status.value == "FAILED":
            description = (graph.get_check_spec(key).description or "").strip().splitlines()
            report.failing.append((key.asset_key.to_user_string(), key.name, description[0] if description else ""))
    from medallion_assets.defs.automation import FOLLOW_UPSTREAM

    follows = {key for key in graph.materializable_asset_keys if graph.get(key).automation_condition == FOLLOW_UPSTREAM}
    report.stale.extend(stale_rows(instance, graph, follows, now))
    stored = {state.instigator_name: state.status.value for state in instance.all_instigator_state()}
    repository = defs.get_repository_def()
    for kind, definitions in (("sensor", repository.sensor_defs), ("schedule", repository.schedule_defs)):
        for definition in sorted(definitions, key=lambda d: d.name):
            default = definition.default_status.value  # RUNNING or STOPPED
            state = stored.get(definition.name)
            state = default if state in (None, "DECLARED_IN_CODE") else state
            report.automation.append((definition.name, kind, state))


def collect(now: float | None = None) -> Report:
    from medallion_assets.definitions import defs
    from medallion_assets.dev.pipeline import dagster_home

    report = Report(services=service_rows())
    dagster_home()
    with dg.DagsterInstance.get() as instance:
        dagster_rows(report, instance, defs, now if now is not None else dt.datetime.now(dt.UTC).timestamp())
    return report


SECTIONS = (
    ("Services", ("service", "state", "where", "detail"), "services"),
    ("Tables", ("asset", "table", "layer", "last materialized", "rows"), "tables"),
    ("Failing checks", ("asset", "check", "description"), "failing"),
    ("Stale", ("asset", "why"), "stale"),
    ("Freshness per layer", ("layer", "state", "detail"), "freshness"),
    ("Sensors and schedules", ("name", "kind", "state"), "automation"),
)


def render(report: Report, out=None) -> None:
    out = out or sys.stdout
    if out.isatty():
        from rich.console import Console
        from rich.table import Table

        console = Console(file=out)
        for title, columns, attribute in SECTIONS:
            table = Table(*columns, title=title, title_justify="left")
            for row in getattr(report, attribute):
                table.add_row(*("-" if v is None else f"{v:,}" if isinstance(v, int) else str(v) for v in row))
            console.print(table)
        return
    from medallion_assets.lib.output import print_rows

    buffer = io.StringIO()
    for title, columns, attribute in SECTIONS:
        buffer.write(f"\n{title}\n")
        rows = [tuple("-" if v is None else v for v in row) for row in getattr(report, attribute)]
        if rows:
            print_rows(columns, rows, out=buffer)
        else:
            buffer.write("(none)\n")
    out.write(buffer.getvalue().lstrip("\n"))


def run() -> int:
    report = collect()
    render(report)
    return 0 if report.ok else 3
