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
- `stage_get`: fakesnow answers PUT and LIST on internal stages but not GET (the parser rejects it), so a
  file PUT to a stage cannot be read back, as model artifacts are (lib/artifacts.py). The fix answers
  ``GET @stage[/path] 'file:///dir/'`` as Snowflake does: a DOWNLOAD command listing every staged file whose
  path starts with `path` (none: the connector's "file does not exist", as on Snowflake), each with a URL
  on this server that the connector fetches as it fetches a presigned GCS URL; files are read from where
  fakesnow's PUT stored them.
- `persistent_stages`: fakesnow keeps internal stages' files in a temporary folder of its process, so a
  restart loses every staged file while the tables (and a model registry pointing at staged artifacts)
  persist. The fix keeps them in ``<db-path>/stages``, next to the databases, as Snowflake keeps them.
- `persistent_global`: fakesnow keeps what spans databases (stages, file formats, table and column comments,
  users) in an in-memory database, so a restart forgets every stage while the tables persist, and the next PUT
  fails with "Stage ... does not exist" although no one dropped it. The fix keeps that database in
  ``<db-path>/fakesnow-global.duckdb`` (not a ``*.db`` file, which would be taken for a database), so
  stages and comments survive a restart as they do on Snowflake.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from urllib.parse import quote

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
    """(the table or view, [(column, comment)]) declared by a CREATE statement or added by ALTER TABLE ... ADD
    COLUMN; (None, []) for anything else."""
    from sqlglot import exp

    if isinstance(expression, exp.Alter) and expression.args.get("kind") == "TABLE":
        table, columns = (
            expression.this,
            [a for a in expression.args.get("actions") or [] if isinstance(a, exp.ColumnDef)],
        )
    elif isinstance(expression, exp.Create) and expression.kind in ("TABLE", "VIEW"):
        if not isinstance(expression.this, exp.Schema):
            return None, []
        table, columns = expression.this.this, [c for c in expression.this.expressions if isinstance(c, exp.ColumnDef)]
    else:
        return None, []
    found = []
    for column in columns:
        comment = column.find(exp.CommentColumnConstraint)
        if comment is not None:
            found.append((column.name, comment.this.name))
    return table, found


def column_comments() -> None:
    """Column COMMENTs of CREATE TABLE / VIEW and ALTER TABLE ... ADD COLUMN, which fakesnow drops, kept as
    DuckDB comments (INFORMATION_SCHEMA.COLUMNS.COMMENT reads them). As on Snowflake, an IF NOT EXISTS that
    finds the table (or the column) changes no comment."""
    import fakesnow.cursor
    from sqlglot import exp

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
        before = {
            row[0].upper()
            for row in self._duck_conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
                "AND table_name = ?",
                [catalog, schema, name],
            ).fetchall()
        }
        result = original(self, transformed, params)
        if isinstance(transformed, exp.Create) and before and transformed.args.get("exists"):
            return result  # CREATE ... IF NOT EXISTS on an existing table
        for column, comment in comments:
            if isinstance(transformed, exp.Alter) and column.upper() in before:
                continue  # ADD COLUMN IF NOT EXISTS of a column the table has
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


_GET = re.compile(
    r"^\s*GET\s+'?@(?P<stage>[^\s/']+)(?:/(?P<path>[^\s']*))?'?\s+'?file://(?P<local>[^\s']+)'?", re.IGNORECASE
)


def _download_command(request, conn, match: re.Match) -> dict:
    from fakesnow.transforms import stage

    catalog, schema, name = stage.parts_from_var(match["stage"], conn.database, conn.schema)
    root = stage.internal_dir(f"{catalog}.{schema}.{name}")
    prefix = match["path"] or ""
    found = []
    for folder, _dirs, files in os.walk(root):
        for file_name in files:
            relative = os.path.relpath(os.path.join(folder, file_name), root).replace(os.sep, "/")
            if relative.startswith(prefix):
                found.append(relative)
    found.sort()
    bucket_root = os.path.relpath(root, stage.LOCAL_BUCKET_PATH)
    base = f"{request.url.scheme}://{request.url.netloc}/fs_bucket/"
    return {
        "command": "DOWNLOAD",
        "src_locations": found,
        "localLocation": match["local"],
        "parallel": 4,
        "stageInfo": {"locationType": "GCS", "location": f"{catalog}.{schema}.{name}/", "creds": {}},
        "presignedUrls": [base + quote(f"{bucket_root}/{relative}") for relative in found],
    }


def stage_get() -> None:
    """Answer GET on internal stages (see the module's docstring)."""
    import fakesnow.server as server
    from fakesnow.transforms import stage
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    if "stage_get" in _applied:
        return
    original = server.query_request

    async def query_request(request):
        body = await request.body()  # Starlette caches it: the original handler reads it again
        raw = gzip.decompress(body) if request.headers.get("Content-Encoding") == "gzip" else body
        match = _GET.match(json.loads(raw).get("sqlText", ""))
        if not match:
            return await original(request)
        try:
            conn = server.to_conn(server.to_token(request))
        except server.ServerError as exc:
            return JSONResponse({"data": None, "code": exc.code, "message": exc.message, "success": False}, 401)
        return JSONResponse({"data": _download_command(request, conn, match), "success": True})

    async def bucket_download(request):
        target = os.path.normpath(os.path.join(stage.LOCAL_BUCKET_PATH, request.path_params["path"]))
        if not target.startswith(stage.LOCAL_BUCKET_PATH + os.sep) or not os.path.isfile(target):
            return Response(status_code=404)
        with open(target, "rb") as handle:
            return Response(handle.read(), media_type="application/octet-stream")

    server.app.router.routes.insert(0, Route("/queries/v1/query-request", query_request, methods=["POST"]))
    server.app.router.routes.insert(0, Route("/fs_bucket/{path:path}", bucket_download, methods=["GET"]))
    _applied.add("stage_get")


def persistent_stages(db_path) -> None:
    """Keep internal stages' files under ``<db_path>/stages`` (see the module's docstring)."""
    from fakesnow.transforms import stage

    folder = os.path.realpath(os.path.join(db_path, "stages"))
    os.makedirs(folder, exist_ok=True)
    stage.LOCAL_BUCKET_PATH = folder


def persistent_global(fs, db_path) -> None:
    """Keep fakesnow's cross-database objects in ``<db_path>/fakesnow-global.duckdb`` (see the module's docstring)."""
    from fakesnow import info_schema
    from fakesnow.instance import GLOBAL_DATABASE_NAME
    from fakesnow.transforms import show

    path = os.path.realpath(os.path.join(db_path, "fakesnow-global.duckdb"))
    fs.duck_conn.execute(f"DETACH {GLOBAL_DATABASE_NAME}")
    fs.duck_conn.execute(f"ATTACH '{path}' AS {GLOBAL_DATABASE_NAME}")
    fs.duck_conn.execute(info_schema.fs_global_creation_sql())  # every statement IF NOT EXISTS
    fs.duck_conn.execute(show.fs_global_creation_sql())


def apply(fs, db_path=None) -> None:
    """Every fix, for the server whose shared instance is `fs` (its databases under `db_path`)."""
    null_timestamps()
    column_comments()
    session_macros(fs)
    stage_get()
    if db_path is not None:
        persistent_stages(db_path)
        persistent_global(fs, db_path)
