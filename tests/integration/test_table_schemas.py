"""The column schemas the assets declare (`dagster/column_schema`, read by lib/tables.py from the SQL) against
what the warehouse and the Iceberg catalog actually hold after the DDL of sql/setup/, the semantic views and a
publication: same column names in the same order, types of the same family, and every column's description
equal to the warehouse's COMMENT and to the Iceberg field's doc. A column added to a DDL or view file without a
COMMENT, or a view whose column list differs from its SELECT, fails here."""

import re

import pytest
import snowflake.connector

from medallion_assets.definitions import defs
from medallion_assets.dev.services import embedded_snowflake_args
from medallion_assets.lib import history, lakehouse, metadata, semantic, tables, warehouse
from medallion_assets.lib.iceberg_catalog import LakehouseResource

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


def assets_with(metadata_key: str) -> dict[str, dict]:
    """Every asset with `metadata_key` in its metadata: that value and its declared schema (or None)."""
    found = {}
    for node in defs.resolve_asset_graph().asset_nodes:
        value = node.metadata.get(metadata_key)
        if value is not None:
            found[node.key.to_user_string()] = {
                "table": str(value),
                "schema": node.metadata.get("dagster/column_schema"),
            }
    return found


TABLE_ASSETS = assets_with("dagster/table_name")
LAKEHOUSE_ASSETS = assets_with("iceberg/table")
DECLARED = sorted(TABLE_ASSETS)


@pytest.fixture(scope="module")
def warehouse_conn(warehouse_port):
    conn = snowflake.connector.connect(**embedded_snowflake_args(warehouse_port), network_timeout=30)
    warehouse.apply_setup(conn)
    semantic.refresh_views(conn)
    history.refresh_views(conn)
    yield conn
    conn.close()


def test_every_table_view_and_lakehouse_asset_declares_described_columns():
    # the tables and views of every layer, and every published lakehouse table, are covered
    assert {"bronze_real_estate", "silver_real_estate", "data_quality_log", "gold_ml_features"} <= set(DECLARED)
    assert set(semantic.VIEWS) | {"gold_listing_history", *history.HISTORY_VIEWS} <= set(DECLARED)
    assert set(LAKEHOUSE_ASSETS) == {spec.asset_key for spec in lakehouse.PUBLISHED}
    assert {"lakehouse_gold_ml_features", "lakehouse_gold_market_analytics", "lakehouse_gold_price_trends"} <= set(
        LAKEHOUSE_ASSETS
    )
    for key, asset in {**TABLE_ASSETS, **LAKEHOUSE_ASSETS}.items():
        assert asset["schema"] is not None, f"{key} declares no column schema"
        undescribed = [c.name for c in asset["schema"].columns if not c.description]
        assert not undescribed, f"{key}: no COMMENT for {undescribed} in its SQL"


def test_declared_types_are_known_and_as_written_in_the_sql():
    for key in DECLARED:
        for column in TABLE_ASSETS[key]["schema"].columns:
            family(column.type)
    # types read as the DDL writes them (not sqlglot's DOUBLE / INT / TIMESTAMPNTZ / DECIMAL)
    features = {c.name: c.type for c in TABLE_ASSETS["gold_ml_features"]["schema"].columns}
    assert (features["price"], features["bedrooms"], features["processed_at"]) == ("FLOAT", "INTEGER", "TIMESTAMP_NTZ")
    listings = {c.name: c.type for c in TABLE_ASSETS["v_property_listings"]["schema"].columns}
    assert (listings["data_quality_score"], listings["price"], listings["posted_date"]) == (
        "NUMBER(3,1)",
        "FLOAT",
        "DATE",
    )
    assert TABLE_ASSETS["gold_ml_features"]["schema"].columns[2].description == "VND"


@pytest.mark.parametrize("asset_key", DECLARED)
def test_declared_schema_matches_the_warehouse(warehouse_conn, asset_key):
    table, declared = TABLE_ASSETS[asset_key]["table"], TABLE_ASSETS[asset_key]["schema"]
    actual = metadata.table_schema(warehouse_conn, table)
    assert actual.columns, f"{table} does not exist after sql/setup/ and the semantic views"
    assert [c.name for c in declared.columns] == [c.name for c in actual.columns], table
    assert [(c.name, family(c.type)) for c in declared.columns] == [(c.name, family(c.type)) for c in actual.columns], (
        table
    )
    # analysts read the same descriptions in the warehouse (the COMMENTs)
    assert [(c.name, c.description) for c in declared.columns] == [(c.name, c.description) for c in actual.columns]


def test_materialization_metadata_keeps_the_declared_types(warehouse_conn):
    described = metadata.describe(warehouse_conn, "ANALYTICS_DB.SEMANTIC.V_PRICE_TRENDS")["dagster/column_schema"]
    assert described == tables.column_schema("ANALYTICS_DB.SEMANTIC.V_PRICE_TRENDS")
    assert [c.type for c in described.columns][:3] == ["VARCHAR", "VARCHAR", "INTEGER"]
    # what the warehouse itself calls them, which the UI showed before
    reported = metadata.table_schema(warehouse_conn, "ANALYTICS_DB.SEMANTIC.V_PRICE_TRENDS")
    assert [c.type for c in reported.columns][:3] == ["TEXT", "TEXT", "NUMBER"]


def test_a_view_whose_column_list_differs_from_its_select_is_refused(monkeypatch):
    from medallion_assets.lib.errors import MedallionError

    real = warehouse.load_sql
    text = real("semantic/v_price_trends").replace("    updated_at COMMENT", "    refreshed_at COMMENT")
    monkeypatch.setattr(warehouse, "load_sql", lambda name: text if name == "semantic/v_price_trends" else real(name))
    tables._views.cache_clear()
    try:
        with pytest.raises(MedallionError, match=r"v_price_trends.sql: the view's column list .*refreshed_at"):
            tables._views()
    finally:
        monkeypatch.undo()
        tables._views.cache_clear()


@pytest.mark.parametrize("spec", lakehouse.PUBLISHED, ids=lambda s: s.asset_key)
def test_lakehouse_schema_matches_the_iceberg_table(warehouse_conn, tmp_path, spec):
    lake = LakehouseResource(catalog_uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=f"file://{tmp_path}/lake")
    data = lakehouse.read_gold(warehouse_conn, spec.warehouse_table)  # the empty table: the schema is what counts
    table = lakehouse.publish(lake.catalog(), lake.namespace, spec, data, {})
    actual = [(f.name, str(f.field_type), f.doc) for f in table.schema().fields]
    declared = LAKEHOUSE_ASSETS[spec.asset_key]["schema"]
    assert actual == [(c.name, c.type, c.description) for c in declared.columns]
    # the warehouse table's declaration is where the Iceberg docs come from
    assert [f[2] for f in actual] == [c.description for c in tables.declared(spec.warehouse_table).columns]


def test_column_comments_behave_as_on_snowflake(warehouse_conn):
    """The stand-in keeps column COMMENTs (dev/fakesnow_patches.column_comments); CREATE TABLE IF NOT EXISTS on
    an existing table changes nothing, its comments included, as on Snowflake."""
    cur = warehouse_conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.T_COMMENTS (a VARCHAR COMMENT 'it''s a', b INTEGER)")
    cur.execute("CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.T_COMMENTS (a VARCHAR COMMENT 'changed', b INTEGER)")
    try:
        schema = metadata.table_schema(warehouse_conn, "ANALYTICS_DB.DWH.T_COMMENTS")
        assert [(c.name, c.description) for c in schema.columns] == [("a", "it's a"), ("b", None)]
    finally:
        cur.execute("DROP TABLE ANALYTICS_DB.DWH.T_COMMENTS")


def test_a_column_added_to_a_ddl_reaches_a_table_created_before_it(warehouse_conn, monkeypatch):
    """CREATE TABLE IF NOT EXISTS leaves an existing table as it was: apply_setup adds the declared columns it
    lacks, with their type and COMMENT, and nothing on the next call (so no ALTER file repeats the column)."""
    trends = "ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS"
    real = warehouse.load_sql
    text = real("setup/302_gold_price_trends").replace(
        "    updated_at TIMESTAMP_NTZ",
        "    median_price NUMBER(18,2) COMMENT 'VND, the month''s median',\n    updated_at TIMESTAMP_NTZ",
    )
    assert "median_price" in text
    monkeypatch.setattr(
        warehouse, "load_sql", lambda name: text if name == "setup/302_gold_price_trends" else real(name)
    )
    tables._tables.cache_clear()
    try:
        assert [a for a in warehouse.apply_setup(warehouse_conn) if a.startswith("ADD")] == [
            f"ADD COLUMN {trends}.median_price"
        ]
        actual = metadata.table_schema(warehouse_conn, trends)
        assert [(c.name, family(c.type), c.description) for c in actual.columns][-1] == (
            "median_price",
            "fixed",
            "VND, the month's median",
        )
        assert [a for a in warehouse.apply_setup(warehouse_conn) if a.startswith("ADD")] == []
    finally:
        monkeypatch.undo()
        tables._tables.cache_clear()
        warehouse_conn.cursor().execute(f"ALTER TABLE {trends} DROP COLUMN IF EXISTS median_price")
    assert [a for a in warehouse.apply_setup(warehouse_conn) if a.startswith("ADD")] == []
