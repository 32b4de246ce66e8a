"""Running the SQL files in `sql/` on Snowflake (or the embedded stand-in).

Every statement lives in its own file and takes its values as bound
parameters (``%(name)s``); table names are fixed in the files, never built
from input. The helpers here turn driver failures into messages that say what
is wrong, and keep transactions explicit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snowflake.connector import SnowflakeConnection
from snowflake.connector.errors import (
    DatabaseError,
    Error,
    OperationalError,
)

from medallion_assets.lib import settings, snowflake_auth
from medallion_assets.lib.errors import AccessRefused, MedallionError, MissingObject, ServiceUnavailable
from medallion_assets.lib.session import (
    Session,
    SessionSnowflakeResource,
    connection_lost,
    login_failed_during,
    refused_before_running,
    safe_to_repeat,
    unreachable,
)

if TYPE_CHECKING:
    from dagster_snowflake import SnowflakeResource

# The repository's top-level sql/ folder, shipped inside the package as `medallion_assets.sql`
# (see [tool.setuptools] in pyproject.toml); found through the import system, never by path walking.
SQL_PACKAGE = "medallion_assets.sql"
OBJECT_DOES_NOT_EXIST = 2003  # Snowflake's errno for "Object ... does not exist or not authorized"
INSUFFICIENT_PRIVILEGES = (3001,)  # "SQL access control error: Insufficient privileges to operate on ..."


def sql_root():
    return resources.files(SQL_PACKAGE)


# A line `-- @include fragments/<name>` stands for the text of sql/fragments/<name>.sql: one definition of a part
# that two statements share (how a document becomes typed values: silver and the listing history).
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*@include[ \t]+(fragments/[a-z0-9_]+)[ \t]*$", re.MULTILINE)


def _read_sql(name: str) -> str:
    path = sql_root().joinpath(*f"{name}.sql".split("/"))
    if not path.is_file():
        raise MedallionError(f"SQL file sql/{name}.sql does not exist in the installed package")
    return path.read_text(encoding="utf-8")


def expand_includes(text: str) -> str:
    """`text` with every `-- @include fragments/<name>` line replaced by that fragment (fragments include none)."""
    return _INCLUDE.sub(lambda m: _read_sql(m.group(1)).strip(), text)


@cache
def load_sql(name: str) -> str:
    """The statement in ``sql/<name>.sql`` (e.g. ``bronze/copy_rows``), fragments included."""
    return expand_includes(_read_sql(name)).strip().rstrip(";")


def setup_statements() -> list[tuple[str, str]]:
    """(file name, statement) for every DDL file, in file-name order."""
    files = sorted(f.name for f in sql_root().joinpath("setup").iterdir() if f.name.endswith(".sql"))
    return [(name, load_sql(f"setup/{name[:-4]}")) for name in files]


@contextmanager
def connect(snowflake: SnowflakeResource, schema: str | None = None) -> Iterator[Session]:
    """An autocommit connection; use `transaction` for atomic groups of statements.

    Inside a run (`SessionSnowflakeResource`, lib/session.py) every block shares the run's one session, which
    stays open after the block; a block that failed because the warehouse went away drops it, so the next one
    logs in again. Elsewhere (a plain SnowflakeResource) the block opens a session and closes it at its end.
    `schema` ("DB.SCHEMA", one of ours) becomes the session's current schema: MERGE and
    COPY with a transformation need a current database on the embedded warehouse.
    """
    snowflake_auth.check_resource(snowflake)  # a bad key or passphrase: one line naming its variable
    shared = isinstance(snowflake, SessionSnowflakeResource)
    conn = snowflake.run_session() if shared else Session(snowflake)
    try:
        conn.raw  # noqa: B018 - the sign-in, if this session has none yet
    except Error as exc:
        conn.discard()
        raise snowflake_auth.login_error(snowflake, exc) from None
    if schema is not None:
        try:
            execute_text(conn, _with_names("USE SCHEMA {schema}", {"schema": schema}), f"USE SCHEMA {schema}")
        except MedallionError:
            conn.discard()
            raise
    try:
        yield conn
    except BaseException as exc:
        if shared:
            if isinstance(exc, (ServiceUnavailable, Error)) or getattr(conn, "_medallion_transaction", False):
                conn.discard()  # dead, or in an unknown state: the next block logs in again
        else:
            conn.discard()
        raise
    else:
        if not shared:
            try:
                conn.close()  # COMMIT and close
            except OperationalError as exc:
                raise unreachable(conn, "the final COMMIT", exc) from None


def _close_quietly(context) -> None:
    try:
        context.__exit__(None, None, None)
    except Error:
        pass  # the error that made us close is the one to report


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def _with_names(statement: str, names: Mapping[str, str] | None) -> str:
    """Fill ``{placeholders}`` with names this code generated (file names), after validating them."""
    if not names:
        return statement
    for key, value in names.items():
        if not _SAFE_NAME.match(value):
            raise MedallionError(f"refusing unsafe name {value!r} for {{{key}}} in SQL")
    return statement.format(**names)


def execute(
    conn: SnowflakeConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
):
    """Run ``sql/<name>.sql`` with bound parameters; returns the cursor."""
    return execute_text(conn, _with_names(load_sql(name), names), f"sql/{name}.sql", params)


def execute_text(conn, statement: str, what: str, params: Mapping[str, Any] | None = None):
    """Run one statement; when its session died (the warehouse restarted, the session expired, the connection
    was reset) log in again and send it once more where that is safe: the server refused it unrun (401,
    390114), or it changes nothing. Inside a transaction nothing is repeated (the transaction died with the
    session): the failure is an outage, and the step is rerun."""
    in_transaction = getattr(conn, "_medallion_transaction", False)
    try:
        cursor = conn.cursor().execute(statement, params or None)
    except Error as exc:
        unrun, lost = refused_before_running(exc), connection_lost(exc)
        # In a transaction that already holds a statement, the transaction died with the session: not repeatable.
        if not (unrun or lost) or not isinstance(conn, Session) or (in_transaction and conn.__dict__.get("_tx_ran")):
            raise _failed(conn, what, exc) from None
    else:
        if in_transaction:
            conn._tx_ran = True
        return cursor
    if not (unrun or safe_to_repeat(statement)):
        conn.discard()  # the next block logs in again
        raise ServiceUnavailable(
            f"{conn.server} lost the connection during {what}, which may have run and is not safe to repeat; "
            "rerun the step",
            service="Snowflake",
        )
    try:
        conn.reopen()
        if in_transaction:  # its BEGIN died with the old session, before anything ran in it
            conn.cursor().execute("BEGIN")
            conn._medallion_transaction = True
    except Error as exc:
        conn.discard()
        raise login_failed_during(conn, what, exc) from None
    try:
        cursor = conn.cursor().execute(statement, params or None)
    except Error as exc:
        raise _failed(conn, what, exc) from None
    if in_transaction:
        conn._tx_ran = True
    return cursor


def _failed(conn, what: str, exc: Error) -> MedallionError:
    if isinstance(exc, OperationalError) or refused_before_running(exc) or connection_lost(exc):
        return unreachable(conn, what, exc)  # the server went away (or the network): not a fault of the SQL
    if exc.errno in INSUFFICIENT_PRIVILEGES or exc.sqlstate == "42501":
        return AccessRefused(
            f"SQL {what} was refused: {snowflake_auth.first_line(exc)}; grant the pipeline's role what the statement "
            "needs (see docs: the grants `medallion doctor` checks)",
            service="Snowflake",
        )
    kind = MissingObject if exc.errno == OBJECT_DOES_NOT_EXIST else MedallionError
    error = kind(f"SQL {what} failed: {exc.msg}")
    error.__cause__ = exc
    return error


def fetch_all(
    conn: SnowflakeConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[dict]:
    """Rows of ``sql/<name>.sql`` as dicts with lower-case column names."""
    cursor = execute(conn, name, params, names)
    columns = [c[0].lower() for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def fetch_one(conn: SnowflakeConnection, name: str, params: Mapping[str, Any] | None = None) -> dict:
    rows = fetch_all(conn, name, params)
    return rows[0] if rows else {}


def dml_counts(cursor) -> dict[str, int]:
    """Snowflake answers a MERGE/UPDATE with one row: a 'number of rows <op>' column per kind of change."""
    row = cursor.fetchone() or ()
    counts = {"inserted": 0, "updated": 0, "deleted": 0}
    for column, value in zip((c[0].lower() for c in cursor.description or ()), row):
        for op in counts:
            if column == f"number of rows {op}":
                counts[op] = int(value or 0)
    return counts


@contextmanager
def transaction(conn: SnowflakeConnection) -> Iterator[SnowflakeConnection]:
    """BEGIN ... COMMIT, or ROLLBACK when the block raises (or the process dies). Inside another
    `transaction` on the same connection it joins that one (Snowflake has no nested transactions)."""
    if getattr(conn, "_medallion_transaction", False):
        yield conn
        return
    execute_text(conn, "BEGIN", "BEGIN")  # on a new session when the run's one had died: nothing is lost yet
    conn._medallion_transaction, conn._tx_ran = True, False
    try:
        yield conn
    except ServiceUnavailable:
        conn._medallion_transaction = False
        raise  # nobody to roll back with; the server drops an uncommitted transaction by itself
    except BaseException:
        conn._medallion_transaction = False
        try:
            conn.cursor().execute("ROLLBACK")
        except Error:
            pass  # keep the error that made us roll back; an unfinished transaction never commits
        raise
    conn._medallion_transaction = False
    _control(conn, conn.cursor(), "COMMIT")


def _control(conn: SnowflakeConnection, cursor, statement: str) -> None:
    try:
        cursor.execute(statement)
    except Error as exc:
        if isinstance(exc, OperationalError) or refused_before_running(exc) or connection_lost(exc):
            raise unreachable(conn, statement, exc) from None
        raise


def merge_in_transaction() -> bool:
    """The one place the engines differ in how we write: Snowflake runs MERGE inside BEGIN ... COMMIT;
    the embedded warehouse (fakesnow) answers such a MERGE with HTTP 500, so there each statement of a
    group runs on its own (every step is safe to repeat, see lib/silver.py and lib/gold.py)."""
    return "snowflake" not in settings.embedded_services()


@contextmanager
def atomic(conn: SnowflakeConnection) -> Iterator[SnowflakeConnection]:
    """A group of changes that includes MERGE: one transaction where the warehouse can (Snowflake), the
    statements one by one where it cannot (the embedded warehouse)."""
    if merge_in_transaction():
        with transaction(conn):
            yield conn
    else:
        yield conn


def apply_setup(conn: SnowflakeConnection) -> list[str]:
    """Create databases, schemas, tables and stages that do not exist yet, and add to existing tables the
    columns their DDL declares that they lack (lib/tables.add_missing_columns); idempotent. Returns the files
    applied and an "ADD COLUMN TABLE.column" per column added."""
    from medallion_assets.lib import tables

    applied = []
    for file_name, statement in setup_statements():
        try:
            conn.cursor().execute(statement)
        except DatabaseError as exc:
            raise MedallionError(f"DDL sql/setup/{file_name} failed: {exc.msg}") from exc
        applied.append(file_name)
    return applied + [f"ADD COLUMN {column}" for column in tables.add_missing_columns(conn)]


def put_file(conn: SnowflakeConnection, local_path: Path, stage: str) -> None:
    """Upload a local file to a named stage (PUT takes no bind parameters; the path is ours)."""
    try:
        conn.cursor().execute(f"PUT 'file://{local_path.as_posix()}' @{stage} AUTO_COMPRESS=FALSE OVERWRITE=TRUE")
    except DatabaseError as exc:
        raise MedallionError(f"PUT of {local_path.name} to @{stage} failed: {exc.msg}") from exc


def stage_parquet(conn: SnowflakeConnection, table, stage: str, workdir: Path, prefix: str) -> str:
    """Write an Arrow table as one Parquet file, PUT it to `stage`, and return the staged file name.

    The bulk path on Snowflake and the embedded warehouse alike (write_pandas fails on the latter);
    COPY INTO ... FROM @stage/<name> then loads it.
    """
    import pyarrow.parquet as pq

    path = workdir / f"{prefix}_{uuid.uuid4().hex}.parquet"
    pq.write_table(table, path, compression="zstd")
    try:
        put_file(conn, path, stage)
    finally:
        path.unlink(missing_ok=True)
    return path.name
