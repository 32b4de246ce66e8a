"""The column schemas the assets declare (`dagster/column_schema`) against the tables and views the warehouse
actually has after the DDL of sql/setup/ and the semantic views: same column names in the same order, and
types of the same family. A column added to a DDL or view file without declaring it fails here."""

import re

import pytest
import snowflake.connector

from medallion_assets.definitions import defs
from medallion_assets.dev.services import embedded_snowflake_args
from medallion_assets.lib import history, metadata, semantic, warehouse

# Assets with a table but no declared column schema, with the reason; empty while every table asset declares one.
NOT_DECLARED: dict[str, str] = {}

# Type names, as declared or as INFORMATION_SCHEMA.COLUMNS reports them (Snowflake and fakesnow alike report
# TEXT, NUMBER, FLOAT, ...), by family. Precision and scale are not compared: fakesnow reports NUMBER without them.
FAMILIES = {
    "text": {"VARCHAR", "TEXT", "STRING", "CHAR", "CHARACTER", "NVARCHAR", "NCHAR"},
    "fixed": {"NUMBER", "NUMERIC", "DECIMAL", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"},
    "float": {"FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"},
    "boolean": {"BOOLEAN"},
    "date": {"DATE"},
    "timestamp_ntz": {"TIMESTAMP_NTZ", "DATETIME", "TIMESTAMP"},
    "variant": {"VARIANT"},
}


def family(type_name: str) -> str:
    base = re.sub(r"\(.*\)", "", type_name).strip().upper()
    for name, members in FAMILIES.items():
        if base in members:
            return name
    raise AssertionError(f"unknown column type {type_name!r}: add it to FAMILIES")


def table_assets() -> dict[str, dict]:
    """Every asset with a `dagster/table_name`: its table and its declared schema (or None)."""
    found = {}
    for node in defs.resolve_asset_graph().asset_nodes:
        table = node.metadata.get("dagster/table_name")
        if table is not None:
            found[node.key.to_user_string()] = {
                "table": str(table),
                "schema": node.metadata.get("dagster/column_schema"),
            }
    return found


TABLE_ASSETS = table_assets()
DECLARED = sorted(key for key, asset in TABLE_ASSETS.items() if asset["schema"] is not None)


@pytest.fixture(scope="module")
def warehouse_conn(warehouse_port):
    conn = snowflake.connector.connect(**embedded_snowflake_args(warehouse_port), network_timeout=30)
    warehouse.apply_setup(conn)
    semantic.refresh_views(conn)
    history.refresh_views(conn)
    yield conn
    conn.close()


def test_every_table_asset_declares_its_columns_or_is_listed():
    undeclared = {key for key, asset in TABLE_ASSETS.items() if asset["schema"] is None}
    assert undeclared == set(NOT_DECLARED)
    # the tables and views of every layer are covered, the semantic views included
    assert {"bronze_real_estate", "silver_real_estate", "data_quality_log", "gold_ml_features"} <= set(DECLARED)
    assert set(semantic.VIEWS) <= set(DECLARED)
    assert {"gold_listing_history", *history.HISTORY_VIEWS} <= set(DECLARED)


def test_declared_types_are_known():
    for key in DECLARED:
        for column in TABLE_ASSETS[key]["schema"].columns:
            family(column.type)


@pytest.mark.parametrize("asset_key", DECLARED)
def test_declared_schema_matches_the_warehouse(warehouse_conn, asset_key):
    table, declared = TABLE_ASSETS[asset_key]["table"], TABLE_ASSETS[asset_key]["schema"]
    actual = metadata.table_schema(warehouse_conn, table)
    assert actual.columns, f"{table} does not exist after sql/setup/ and the semantic views"
    assert [c.name for c in declared.columns] == [c.name for c in actual.columns], table
    assert [(c.name, family(c.type)) for c in declared.columns] == [(c.name, family(c.type)) for c in actual.columns], (
        table
    )
