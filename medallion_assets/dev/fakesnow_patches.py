"""Where the embedded warehouse (fakesnow's server) answers differently from Snowflake, and the fixes.

Applied by `fakesnow_server.main` before the server starts; local only, never in production code.
Each fix keeps the stand-in following Snowflake's documented behaviour, so the project's SQL and
the driver see what they would see on Snowflake:

- `null_timestamps`: fakesnow sends a TIMESTAMP_* column in the Arrow layout the connector expects
  (a struct of epoch seconds and fraction per row), but builds the struct without a validity bitmap,
  so a NULL timestamp arrives as a valid struct whose children are null and the connector reads it
  as epoch 0: `1970-01-01 00:00:00`. The fix gives the struct the column's own nulls.
- `session_macros`: fakesnow rewrites every cast to TIMESTAMP_NTZ (``x::TIMESTAMP_NTZ``,
  ``TO_TIMESTAMP_NTZ(x)``) into a DuckDB macro it creates inside each database; in a session without
  a current database (the CLI, the sensors, `warehouse.connect` without a schema) the macro is not on
  the search path and even ``NULL::TIMESTAMP_NTZ`` fails with "_fs_to_timestamp does not exist".
  The fix creates the same macros in the server's default catalog, which is on every session's path.
- `column_comments`: fakesnow drops the ``COMMENT '...'`` of a column in CREATE TABLE and of a view's column
  list, so INFORMATION_SCHEMA.COLUMNS.COMMENT is NULL where Snowflake shows the description. The fix
  records them as DuckDB column comments (which fakesnow's INFORMATION_SCHEMA reads) after the statement,
  and, as on Snowflake, leaves an existing table's alone under CREATE TABLE IF NOT EXISTS.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_applied: set[str] = set()


def null_timestamps() -> None:
    import fakesnow.arrow

    if "null_timestamps" in _applied:
        return
    original = fakesnow.arrow.timestamp_to_sf_struct

    def timestamp_to_sf_struct(ts: pa.Array | pa.ChunkedArray) -> pa.Array:
        struct = original(ts)
        if isinstance(ts, pa.ChunkedArray):
            ts = ts.combine_chunks()
        if ts.null_count == 0:
            return struct
        # the children are declared non-nullable: give them a value, and the struct the nulls
        children = [pc.fill_null(struct.field(i), 0) for i in range(struct.type.num_fields)]
        fields = [struct.type.field(i) for i in range(struct.type.num_fields)]
        return pa.StructArray.from_arrays(children, fields=fields, mask=ts.is_null())

    fakesnow.arrow.timestamp_to_sf_struct = timestamp_to_sf_struct
    _applied.add("null_timestamps")


def _column_comments(expression) -> tuple[object, list[tuple[str, str]]]:
    """(the table or view, [(column, comment)]) declared by a CREATE statement; (None, []) for anything else."""
    from sqlglot import exp

    if not isinstance(expression, exp.Create) or expression.kind not in ("TABLE", "VIEW"):
        return None, []
    schema = expression.this if isinstance(expression.this, exp.Schema) else None
    if schema is None:
        return None, []
    found = []
    for column in schema.expressions:
        comment = column.find(exp.CommentColumnConstraint) if isinstance(column, exp.ColumnDef) else None
        if comment is not None:
            found.append((column.name, comment.this.name))
    return schema.this, found


def column_comments() -> None:
    import fakesnow.cursor

    if "column_comments" in _applied:
        return
    original = fakesnow.cursor.FakeSnowflakeCursor._execute

    def _execute(self, transformed, params=None):
        table, comments = _column_comments(transformed)
        if not comments:
            return original(self, transformed, params)
        catalog = (table.catalog or self._conn.database or "").upper()
        schema = (table.db or self._conn.schema or "").upper()
        name = table.name.upper()
        existed = bool(
            self._duck_conn.execute(
                "SELECT 1 FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
                [catalog, schema, name],
            ).fetchall()
        )
        result = original(self, transformed, params)
        if not (existed and transformed.args.get("exists")):
            for column, comment in comments:
                self._duck_conn.execute(
                    f'COMMENT ON COLUMN "{catalog}"."{schema}"."{name}"."{column.upper()}" IS '
                    + "'"
                    + comment.replace("'", "''")
                    + "'"
                )
        return result

    fakesnow.cursor.FakeSnowflakeCursor._execute = _execute
    _applied.add("column_comments")


def session_macros(fs) -> None:
    """Create fakesnow's SQL macros in the default catalog of `fs` (a `fakesnow.instance.FakeSnow`)."""
    import fakesnow.macros

    catalog = fs.duck_conn.execute("SELECT current_database()").fetchone()[0]
    fs.duck_conn.execute(fakesnow.macros.creation_sql(catalog))


def apply(fs) -> None:
    """Every fix, for the server whose shared instance is `fs`."""
    null_timestamps()
    column_comments()
    session_macros(fs)
