"""What a run with nothing new reads instead of writing: fingerprints of the declared setup and of the
incremental layers' positions, and cheap reads that confirm the warehouse holds what they describe.

The Dagster instance remembers the fingerprints (as data versions, defs/unchanged.py); the warehouse stays the
source of truth: a step skips its writes only when one read of the warehouse agrees. A wiped warehouse (or
a Dagster instance that remembers more than the warehouse holds) therefore gets its tables, views and rows
back on the next run; a Dagster instance that remembers less costs one run of reads and a materialization.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from medallion_assets.lib import tables, warehouse
from medallion_assets.lib.errors import MedallionError


def fingerprint(kind: str, parts: Iterable[str]) -> str:
    """A short stable name for `parts` (in order): '<kind>-<16 hex digits of SHA-256>'."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{kind}-{digest}"


def setup_fingerprint() -> str:
    """The rendered DDL of sql/setup/ (every file, in order): changes when any declared object changes."""
    return fingerprint("ddl", (f"{name}\n{statement}" for name, statement in warehouse.setup_statements()))


def folder_fingerprint(folder: str) -> str:
    """Every statement in sql/<folder>/ (fragments included): a recomputing step reruns when its SQL changed."""
    root = warehouse.sql_root().joinpath(folder)
    names = sorted(f.name[:-4] for f in root.iterdir() if f.name.endswith(".sql"))
    return fingerprint(folder, (f"{name}\n{warehouse.load_sql(f'{folder}/{name}')}" for name in names))


def declared_tables() -> set[str]:
    return {name for name, table in tables.all_declared().items() if table.kind == "table"}


def missing_tables(conn) -> list[str]:
    """The tables sql/setup/ declares that the warehouse lacks (one read); all of them when a database is gone."""
    try:
        present = {str(row["name"]).upper() for row in warehouse.fetch_all(conn, "common/existing_tables")}
    except MedallionError:  # e.g. a database that does not exist: its INFORMATION_SCHEMA cannot be read
        present = set()
    return sorted(declared_tables() - present)


def views_fingerprint(view_sources: Iterable[str]) -> str:
    """The statements of the given view files (e.g. 'semantic/v_price_changes'), in order."""
    return fingerprint("views", (f"{source}\n{warehouse.load_sql(source)}" for source in view_sources))


def missing_views(conn, names: Iterable[str]) -> list[str]:
    """The views among `names` (DB.SCHEMA.NAME) the warehouse lacks (one read)."""
    try:
        present = {str(row["name"]).upper() for row in warehouse.fetch_all(conn, "semantic/existing_views")}
    except MedallionError:
        present = set()
    return sorted({n.upper() for n in names} - present)


@dataclass(frozen=True)
class Positions:
    """An incremental layer against its upstream, per partition: whether it has work, and its data version."""

    pending: list[str]  # partitions whose upstream offset is above the layer's position (or never seen)
    version: str  # the layer's positions and when they moved: changes whenever the layer wrote anything

    @property
    def caught_up(self) -> bool:
        return not self.pending


def positions(conn, sql_name: str, kind: str) -> Positions:
    """Read `sql_name` (rows: kafka_topic, kafka_partition, upstream_offset, processed_offset, updated_at)."""
    rows = warehouse.fetch_all(conn, sql_name)
    pending = [
        f"{r['kafka_topic']}/{r['kafka_partition']}"
        for r in rows
        if r["upstream_offset"] is not None
        and (r["processed_offset"] is None or int(r["upstream_offset"]) > int(r["processed_offset"]))
    ]
    version = fingerprint(
        kind,
        (f"{r['kafka_topic']}/{r['kafka_partition']}:{r['processed_offset']}@{r['updated_at']}" for r in rows),
    )
    return Positions(pending=pending, version=version)


def silver_positions(conn) -> Positions:
    """Silver's marks against bronze's newest offsets."""
    return positions(conn, "silver/positions", "silver")


def history_positions(conn) -> Positions:
    """The listing history's positions against silver's marks."""
    return positions(conn, "gold/history_positions", "history")


def bronze_version(partition_offsets: dict[int, int], topic: str) -> str:
    """Bronze's data version: the topic's committed next offset per partition (moves exactly when rows land)."""
    return fingerprint("bronze", [topic, *(f"{p}:{o}" for p, o in sorted(partition_offsets.items()))])
