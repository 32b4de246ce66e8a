"""What a materialization shows in the UI: column schemas and small preview tables."""

import datetime as dt
from decimal import Decimal

import dagster as dg

from medallion_assets.lib import tables, warehouse

PREVIEW_CELL_CHARS = 60


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    elif isinstance(value, Decimal):
        text = f"{value:,}"
    elif isinstance(value, (dt.date, dt.datetime)):
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    else:
        text = " ".join(str(value).split())
    if len(text) > PREVIEW_CELL_CHARS:
        text = text[: PREVIEW_CELL_CHARS - 1] + "…"
    return text.replace("|", "\\|")


def md_table(rows: list[dict]) -> str:
    """Rows as a Markdown table (long cells cut short), for `dg.MetadataValue.md`."""
    if not rows:
        return "_(no rows)_"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def table_schema(conn, table: str) -> dg.TableSchema:
    """The columns of one of our tables or views, as the warehouse describes them (the schema test compares
    them with the declarations)."""
    database, schema, name = table.split(".")
    rows = warehouse.fetch_all(conn, "common/columns", {"schema": schema, "table": name}, names={"database": database})
    return dg.TableSchema(
        columns=[dg.TableColumn(r["name"].lower(), r["type"], description=r.get("description")) for r in rows]
    )


def preview(conn, table: str, limit: int = 5) -> str:
    """The first rows of a table as Markdown."""
    return md_table(warehouse.fetch_all(conn, "common/preview", {"limit": limit}, names={"table": table}))


def describe(conn, table: str, limit: int = 5) -> dict:
    """Schema and preview metadata for a materialization of `table`: the declared columns (lib/tables.py, with
    their types as declared and their descriptions, not the warehouse's own type names) and the first rows."""
    return {
        "dagster/column_schema": tables.column_schema(table),
        "preview": dg.MetadataValue.md(preview(conn, table, limit)),
    }


def skipped_check(reason: str, **metadata) -> dg.AssetCheckResult:
    """A check with nothing to judge yet (too little data, no model): it passes and says it was skipped and
    why, in the UI (description, metadata `skipped`/`reason`) and in `medallion pipeline`'s Skipped section."""
    return dg.AssetCheckResult(
        passed=True,
        description=f"skipped: {reason}",
        metadata={"skipped": dg.MetadataValue.bool(True), "reason": dg.MetadataValue.text(reason), **metadata},
    )


def skipped_observation(asset_key: str, reason: str, **metadata) -> dg.AssetObservation:
    """What an asset that had nothing to do yields instead of a materialization: the reason, in its Events."""
    return dg.AssetObservation(
        asset_key=asset_key,
        metadata={"skipped": dg.MetadataValue.bool(True), "reason": dg.MetadataValue.text(reason), **metadata},
    )
