"""`medallion doctor`: is this environment set up for the pipeline? What `dbt debug` is to dbt.

One line per check, from the current environment (the same settings and resources the pipeline uses): ✓ when it
holds, ✗ with the fix when it does not, – when the server cannot tell (the embedded stand-ins lack some of what
MongoDB, Kafka and Snowflake report; the line says what is not known rather than pretend). Any ✗ makes the command
exit non-zero. Runs in production: nothing here starts or imports an embedded server.

What it changes: one Kafka tombstone for the key `medallion-doctor` (the produce check, with the pipeline's own
producer settings: acks=all, idempotent), which bronze records as a delete of a listing that never existed. The
grant checks run statements that match no row (INSERT ... SELECT ... WHERE 1 = 0, DELETE ... WHERE 1 = 0).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from medallion_assets.lib import settings, snowflake_auth, warehouse
from medallion_assets.lib.errors import MedallionError, MissingObject

OK, FAIL, UNKNOWN = "✓", "✗", "–"
MIN_OPLOG_HOURS = 24  # the change stream must outlast the longest pause between ingestion runs
DOCTOR_KEY = b"medallion-doctor"


@dataclass(frozen=True)
class Line:
    mark: str
    text: str

    def __str__(self) -> str:
        return f"{self.mark} {self.text}"


def ok(text: str) -> Line:
    return Line(OK, text)


def fail(text: str, fix: str | None = None) -> Line:
    """A failed check; `fix` when the text does not already say what to do."""
    return Line(FAIL, f"{text} — fix: {fix}" if fix else text)


def unknown(text: str) -> Line:
    return Line(UNKNOWN, text)


def run(out: Callable[[str], None] = print) -> int:
    """Print every check; 1 when any failed, else 0."""
    failed = False
    for line in checks():
        out(str(line))
        failed = failed or line.mark == FAIL
    return 1 if failed else 0


def checks() -> Iterator[Line]:
    from medallion_assets.defs.resources import build_resources, resolved  # the pipeline's own resources
    from medallion_assets.lib.iceberg_catalog import lakehouse_resource

    try:
        embedded = settings.embedded_services()
        resources = {name: resolved(resource) for name, resource in build_resources().items()}
    except MedallionError as exc:
        yield fail(f"configuration: {exc}", "set the variables named (see docs/configuration.md)")
        return
    where = ", ".join(sorted(embedded)) or "none"
    yield ok(f"configuration: MEDALLION_ENV={settings.environment()}, embedded services: {where}")
    yield from mongo_checks(resources["mongo"], "mongo" in embedded)
    yield from kafka_checks(resources["kafka"], "kafka" in embedded)
    yield from snowflake_checks(resources["snowflake"], "snowflake" in embedded)
    yield from lakehouse_checks(lakehouse_resource)


def _one_line(exc: BaseException) -> str:
    text = " ".join(line.strip() for line in str(exc).strip().splitlines())
    return text[:300] if text else type(exc).__name__


# --- MongoDB ---------------------------------------------------------------------------------------------------


def mongo_checks(mongo, embedded: bool) -> Iterator[Line]:
    from pymongo.errors import PyMongoError

    from medallion_assets.lib.mongo import redact_uri

    where = f"MongoDB at {redact_uri(mongo.uri)}"
    try:
        with mongo.get_collection() as collection:
            yield ok(f"{where}: reachable and signed in ({mongo.source_name})")
            client = collection.database.client
            hello = client.admin.command("hello")
            if hello.get("setName"):
                yield ok(f"{where}: replica set {hello['setName']!r}")
            elif embedded:
                yield unknown(f"{where}: the embedded server names no replica set (nx-27017 has none; see next line)")
            else:
                yield fail(f"{where}: not a replica set member", "change streams need a replica set (rs.initiate())")
            try:
                with collection.watch(max_await_time_ms=100):
                    pass
                yield ok(f"{where}: change streams open on {mongo.database}.{mongo.collection}")
            except PyMongoError as exc:
                yield fail(f"{where}: change streams refused ({_one_line(exc)})", "use a replica set; grant find and "
                           "changeStream on the collection")  # fmt: skip
            yield oplog_line(client, where, embedded)
    except MedallionError as exc:
        yield fail(f"{where}: {exc}")


def oplog_line(client, where: str, embedded: bool) -> Line:
    from pymongo.errors import PyMongoError

    try:
        oplog = client["local"]["oplog.rs"]
        first = next(iter(oplog.find({}, {"ts": 1}).sort("$natural", 1).limit(1)), None)
        last = next(iter(oplog.find({}, {"ts": 1}).sort("$natural", -1).limit(1)), None)
    except PyMongoError as exc:
        first = last = None
        reason = _one_line(exc)
    else:
        reason = "local.oplog.rs is empty"
    if first is None or last is None or not hasattr(first.get("ts"), "time"):
        if embedded:
            return unknown(f"{where}: oplog window cannot be told ({reason}; nx-27017 keeps its change log elsewhere)")
        return fail(f"{where}: oplog window cannot be read ({reason})", "grant the MONGO_URI user read on `local`")
    hours = (last["ts"].time - first["ts"].time) / 3600
    text = f"{where}: oplog window {hours:.1f} hours"
    if hours < MIN_OPLOG_HOURS:
        return fail(text, f"enlarge the oplog (replSetResizeOplog, minRetentionHours) to at least {MIN_OPLOG_HOURS} h")
    return ok(text)


# --- Kafka -----------------------------------------------------------------------------------------------------


def kafka_checks(kafka, embedded: bool) -> Iterator[Line]:
    where = f"Kafka at {kafka.bootstrap_servers}"
    try:
        present = kafka.partitions()
    except MedallionError as exc:
        yield fail(f"{where}: {exc}")
        return
    yield ok(f"{where}: reachable and signed in ({kafka.security_protocol})")
    if not present:
        if kafka.create_topic:
            yield ok(f"{where}: topic {kafka.topic!r} does not exist yet; the first ingestion run creates it "
                     f"({kafka.num_partitions} partitions, replication {kafka.replication_factor})")  # fmt: skip
            return
        yield fail(f"{where}: topic {kafka.topic!r} does not exist",
                   f"create it ({kafka.num_partitions} partitions, replication {kafka.replication_factor}), "
                   "or set KAFKA_CREATE_TOPIC=true")  # fmt: skip
        return
    topic = kafka.admin().list_topics(topic=kafka.topic, timeout=kafka.timeout_s).topics[kafka.topic]
    replicas = {len(p.replicas) for p in topic.partitions.values()}
    lagging = sorted(pid for pid, p in topic.partitions.items() if len(p.isrs) < len(p.replicas))
    replication = "/".join(map(str, sorted(replicas)))
    text = f"{where}: topic {kafka.topic!r}, {len(topic.partitions)} partitions, replication {replication}"
    if lagging:
        yield fail(f"{text}, partitions {lagging} under-replicated", "ask the cluster's owners; acks=all waits on them")
    else:
        yield ok(text)
    yield produce_line(kafka, where)


def produce_line(kafka, where: str) -> Line:
    producer = kafka.producer(**{"linger.ms": 0})
    results = []
    producer.produce(kafka.topic, key=DOCTOR_KEY, value=None, on_delivery=lambda err, msg: results.append(err))
    producer.flush(kafka.timeout_s * 3)
    acks = "all (idempotent)"
    if not results:
        return fail(f"{where}: a produce with acks={acks} got no acknowledgement", "check the brokers' health")
    if results[0] is not None:
        return fail(f"{where}: a produce with acks={acks} failed ({results[0].name()}: {results[0].str()})",
                    "min.insync.replicas must not exceed the in-sync replicas; grant Write on the topic")  # fmt: skip
    return ok(f"{where}: a produce with acks={acks} was acknowledged")


# --- Snowflake -------------------------------------------------------------------------------------------------

_DATABASE = re.compile(r"^CREATE DATABASE IF NOT EXISTS (\w+)", re.I)
_SCHEMA = re.compile(r"^CREATE SCHEMA IF NOT EXISTS (\w+)\.(\w+)", re.I)
_TABLE = re.compile(r"^CREATE (?:TRANSIENT )?TABLE IF NOT EXISTS (\w+)\.(\w+)\.(\w+)", re.I)
_STAGE = re.compile(r"^CREATE STAGE IF NOT EXISTS (\w+\.\w+\.\w+)", re.I)


def expected_objects() -> dict:
    """Databases, schemas, tables and stages the pipeline needs: what sql/setup/ creates (stated once, there)."""
    found: dict = {"databases": [], "schemas": [], "tables": [], "stages": []}
    for _, statement in warehouse.setup_statements():
        text = re.sub(r"^\s*--.*$", "", statement, flags=re.M).strip()
        for key, pattern in (("databases", _DATABASE), ("schemas", _SCHEMA), ("tables", _TABLE), ("stages", _STAGE)):
            if m := pattern.match(text):
                found[key].append(m.group(1) if len(m.groups()) == 1 else m.groups())
    return found


def snowflake_checks(snowflake, embedded: bool) -> Iterator[Line]:
    where = "the embedded warehouse" if embedded else f"Snowflake account {snowflake.account}"
    how = {"key_path": "a key pair", "key": "a key pair", "password": "a password"}.get(
        "key_path" if snowflake.private_key_path else "key" if snowflake.private_key else "password"
    )
    try:
        with warehouse.connect(snowflake) as conn:
            (role,) = warehouse.execute(conn, "doctor/current_role").fetchone()
            yield ok(f"{where}: signed in as {snowflake.user} with {how} "
                     f"({snowflake_auth.credential_variable(snowflake)}), role {role}")  # fmt: skip
            yield warehouse_line(conn, snowflake, where, embedded)
            yield from object_lines(conn, where, role)
    except MedallionError as exc:
        yield fail(f"{where}: {exc}")


def warehouse_line(conn, snowflake, where: str, embedded: bool) -> Line:
    if embedded:
        return unknown(f"{where}: no virtual warehouse to check (the stand-in computes locally)")
    (name,) = warehouse.execute(conn, "doctor/current_warehouse").fetchone()
    if not name:
        return fail(f"{where}: no warehouse in use", "set SNOWFLAKE_WAREHOUSE and GRANT USAGE ON WAREHOUSE <name> "
                    "TO ROLE <role>")  # fmt: skip
    return ok(f"{where}: warehouse {name} in use")


def object_lines(conn, where: str, role: str) -> Iterator[Line]:
    expected = expected_objects()
    for database in expected["databases"]:
        schemas = [s for d, s in expected["schemas"] if d == database]
        try:
            rows = warehouse.fetch_all(conn, "doctor/schemata", names={"database": database})
        except MissingObject:
            yield fail(
                f"{where}: database {database} does not exist or role {role} cannot use it (002003)",
                f"materialize warehouse_schema, or GRANT USAGE ON DATABASE {database} TO ROLE {role}",
            )
            continue
        present = {r["schema_name"].upper() for r in rows}
        missing = [s for s in schemas if s not in present]
        if missing:
            yield fail(f"{where}: {database} lacks schemas {', '.join(missing)}",
                       f"materialize warehouse_schema, or GRANT USAGE ON SCHEMA ... TO ROLE {role}")  # fmt: skip
            continue
        yield ok(f"{where}: database {database}, schemas {', '.join(schemas)}")
        tables = [(s, t) for d, s, t in expected["tables"] if d == database]
        listed = {(r["table_schema"].upper(), r["table_name"].upper())
                  for r in warehouse.fetch_all(conn, "doctor/tables", names={"database": database})}  # fmt: skip
        absent = [f"{s}.{t}" for s, t in tables if (s, t) not in listed]
        if absent:
            yield fail(f"{where}: {database} lacks tables {', '.join(absent)}", "materialize warehouse_schema")
        yield grant_line(conn, where, role, database, [(s, t) for s, t in tables if (s, t) in listed])
    for stage in expected["stages"]:
        try:
            warehouse.execute(conn, "doctor/list_stage", names={"stage": stage})
            yield ok(f"{where}: stage @{stage} readable")
        except MedallionError as exc:
            yield fail(
                f"{where}: stage @{stage}: {_one_line(exc)}",
                f"materialize warehouse_schema, or GRANT READ, WRITE ON STAGE {stage} TO ROLE {role}",
            )


def grant_line(conn, where: str, role: str, database: str, tables: list[tuple[str, str]]) -> Line:
    refused = []
    for schema, table in tables:
        name = f"{database}.{schema}.{table}"
        for check, privilege in (("doctor/can_insert", "SELECT, INSERT"), ("doctor/can_delete", "DELETE")):
            try:
                warehouse.execute(conn, check, names={"table": name})
            except MedallionError as exc:
                refused.append(f"{privilege} on {name} ({_one_line(exc)[:80]})")
    if refused:
        return fail(f"{where}: role {role} may not {'; '.join(refused[:3])}" + (" ..." if len(refused) > 3 else ""),
                    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN DATABASE {database} TO ROLE {role} "
                    "(and ON FUTURE TABLES)")  # fmt: skip
    return ok(f"{where}: role {role} may select, insert and delete in {len(tables)} tables of {database}")


# --- Iceberg ---------------------------------------------------------------------------------------------------


def lakehouse_checks(lakehouse_resource) -> Iterator[Line]:
    from medallion_assets.defs.resources import resolved
    from medallion_assets.lib.iceberg_catalog import _redacted

    try:
        resource = resolved(lakehouse_resource())
        where = f"Iceberg catalog at {_redacted(resource.catalog_uri)}"
    except MedallionError as exc:
        yield fail(f"Iceberg catalog: {exc}", "set MEDALLION_ICEBERG_CATALOG_URI and MEDALLION_ICEBERG_WAREHOUSE")
        return
    try:
        tables = resource.catalog().list_tables(resource.namespace)
    except Exception as exc:  # the catalog's own errors (connection, auth) as well as ours
        yield fail(f"{where}: {_one_line(exc)}", "check the catalog URI, its credentials and that it runs")
        return
    yield ok(f"{where}: answers; namespace {resource.namespace!r} has {len(tables)} tables")
