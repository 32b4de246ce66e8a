"""Every table's and view's columns, stated once: in its SQL, read here with sqlglot.

A table's declaration is its DDL in ``sql/setup/`` (``CREATE TABLE ... (name TYPE COMMENT '...', ...)``); a
view's is its statement in ``sql/semantic/v_*.sql`` (``CREATE OR REPLACE VIEW ... (name COMMENT '...', ...)``).
The COMMENTs are what analysts read in the warehouse (``DESCRIBE TABLE``, ``INFORMATION_SCHEMA.COLUMNS``);
the same text becomes each column's description in the asset's ``dagster/column_schema`` and the Iceberg
field's doc. A view column's type is derived from the tables it reads (sqlglot's type annotation over the
table declarations); an expression whose type cannot be derived is cast in the view's SQL.

Adding a column to a table is therefore one edit of its DDL (plus the statements that fill it): the asset's
column schema, the lakehouse publication's field docs and the schema test follow, and a warehouse whose table
predates the column gets it from `add_missing_columns` (run by `warehouse.apply_setup`) with the same definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import dagster as dg

from medallion_assets.lib import warehouse
from medallion_assets.lib.errors import MedallionError

# sqlglot's canonical type names -> the names the DDL uses (Snowflake's), so a declared type reads as declared.
_SNOWFLAKE_TYPES = {
    "INT": "INTEGER",
    "DOUBLE": "FLOAT",
    "TIMESTAMPNTZ": "TIMESTAMP_NTZ",
    "TIMESTAMPTZ": "TIMESTAMP_TZ",
    "TIMESTAMPLTZ": "TIMESTAMP_LTZ",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "DECIMAL": "NUMBER",
    "TEXT": "VARCHAR",
}
VIEW_FOLDER = "semantic"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    definition: str = ""  # as the DDL states it, e.g. "avg_price FLOAT COMMENT 'VND'" (for ADD COLUMN)


@dataclass(frozen=True)
class Table:
    name: str  # DB.SCHEMA.NAME, upper case as in the SQL
    kind: str  # "table" or "view"
    source: str  # the SQL file that declares it, e.g. setup/300_gold_ml_features
    columns: tuple[Column, ...]

    def schema(self) -> dg.TableSchema:
        """The columns as a Dagster TableSchema (asset metadata `dagster/column_schema`)."""
        return dg.TableSchema(
            columns=[dg.TableColumn(c.name, c.type, description=c.description or None) for c in self.columns]
        )

    def descriptions(self) -> dict[str, str]:
        return {c.name: c.description for c in self.columns}


def _type_name(kind) -> str:
    from sqlglot import exp

    base = _SNOWFLAKE_TYPES.get(kind.this.name, kind.this.name)
    params = [p.sql("snowflake") for p in kind.expressions if isinstance(p, exp.DataTypeParam)]
    return f"{base}({','.join(params)})" if params else base


def _comment(column_def) -> str:
    from sqlglot import exp

    found = column_def.find(exp.CommentColumnConstraint)
    return found.this.name if found is not None else ""


def _parse(source: str):
    import sqlglot
    from sqlglot.errors import ParseError

    try:
        return sqlglot.parse_one(warehouse.load_sql(source), read="snowflake")
    except ParseError as exc:
        raise MedallionError(f"sql/{source}.sql cannot be read as Snowflake SQL: {str(exc).splitlines()[0]}") from None


def _table_name(create) -> str:
    from sqlglot import exp

    found = create.find(exp.Table)
    return ".".join(part.name for part in found.parts).upper()


def _files(folder: str, prefix: str = "") -> list[str]:
    root = warehouse.sql_root().joinpath(folder)
    return sorted(
        f"{folder}/{f.name[:-4]}" for f in root.iterdir() if f.name.endswith(".sql") and f.name.startswith(prefix)
    )


@cache
def _tables() -> dict[str, Table]:
    from sqlglot import exp

    found: dict[str, Table] = {}
    for source in _files("setup"):
        create = _parse(source)
        if not isinstance(create, exp.Create) or create.kind != "TABLE":
            continue
        columns = tuple(
            Column(d.name.lower(), _type_name(d.args["kind"]), _comment(d), d.sql("snowflake"))
            for d in create.find_all(exp.ColumnDef)
        )
        found[_table_name(create)] = Table(_table_name(create), "table", source, columns)
    return found


def _view_types(select, tables: dict[str, Table]) -> list[str]:
    """The type of each column a view's SELECT produces, derived from the table declarations."""
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    schema: dict = {}
    for name, table in tables.items():
        database, schema_name, table_name = name.split(".")
        schema.setdefault(database, {}).setdefault(schema_name, {})[table_name] = {
            c.name.upper(): c.type for c in table.columns
        }
    typed = annotate_types(
        qualify(select.copy(), schema=schema, dialect="snowflake"), schema=schema, dialect="snowflake"
    )
    return [_type_name(projection.type) for projection in typed.selects]


@cache
def _views() -> dict[str, Table]:
    from sqlglot import exp

    tables = _tables()
    found: dict[str, Table] = {}
    for source in _files(VIEW_FOLDER, prefix="v_"):
        create = _parse(source)
        if not isinstance(create, exp.Create) or create.kind != "VIEW":
            continue
        name = _table_name(create)
        declared = [(d.name.lower(), _comment(d)) for d in create.this.expressions if isinstance(d, exp.ColumnDef)]
        select = create.expression
        produced = [p.alias_or_name.lower() for p in select.selects]
        if [n for n, _ in declared] != produced:
            raise MedallionError(
                f"sql/{source}.sql: the view's column list {[n for n, _ in declared]} differs from what its "
                f"SELECT produces {produced}"
            )
        types = _view_types(select, tables)
        unknown = [n for (n, _), t in zip(declared, types) if t in ("UNKNOWN", "NULL")]
        if unknown:
            raise MedallionError(f"sql/{source}.sql: cast {unknown} to a type (it cannot be derived)")
        columns = tuple(Column(n, t, d) for (n, d), t in zip(declared, types))
        found[name] = Table(name, "view", source, columns)
    return found


def declared(name: str) -> Table:
    """The declaration of a table or view (DB.SCHEMA.NAME, any case)."""
    key = name.upper()
    found = _tables().get(key) or _views().get(key)
    if found is None:
        raise MedallionError(f"{name} is declared in no sql/setup/ or sql/{VIEW_FOLDER}/v_*.sql file")
    return found


def all_declared() -> dict[str, Table]:
    return {**_tables(), **_views()}


def column_schema(name: str) -> dg.TableSchema:
    """The declared columns of a table or view, for `dagster/column_schema`."""
    return declared(name).schema()


def add_missing_columns(conn) -> list[str]:
    """Add to each declared table the declared columns the warehouse's table lacks (a table created before a
    column was added to its DDL: CREATE TABLE IF NOT EXISTS leaves it as it was), with their type and COMMENT
    as declared; returns them as TABLE.column. One INFORMATION_SCHEMA query per database; nothing else when
    nothing is missing. Snowflake appends an added column after the others."""
    by_database: dict[str, list[Table]] = {}
    for table in _tables().values():
        by_database.setdefault(table.name.split(".")[0], []).append(table)
    added = []
    for database, declared_tables in sorted(by_database.items()):
        existing: dict[str, set[str]] = {}
        for row in warehouse.fetch_all(conn, "common/database_columns", names={"database": database}):
            existing.setdefault(f"{database}.{row['table_schema']}.{row['table_name']}".upper(), set()).add(
                row["column_name"].lower()
            )
        for table in declared_tables:
            if table.name not in existing:
                continue  # not created (its DDL failed, or is not ours to create): apply_setup said so
            for column in table.columns:
                if column.name not in existing[table.name]:
                    warehouse.execute_text(
                        conn,
                        f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {column.definition}",
                        f"sql/{table.source}.sql (adding {column.name} to the existing table)",
                    )
                    added.append(f"{table.name}.{column.name}")
    return added
