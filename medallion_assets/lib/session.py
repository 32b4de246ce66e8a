"""One warehouse session per run, re-opened when it died.

A Snowflake login costs cloud-services time and counts against the login rate limits, so a run opens one
session and every step and check of that run uses it (`SessionSnowflakeResource`: dagster_snowflake's
SnowflakeResource, which Dagster builds once per run with the in-process executor and tears down at the
run's end, closing the session). Outside a run (the CLI, a sensor's helper) a `connect` block opens its
own session and closes it at the end, as before.

A session dies when the warehouse restarts (it forgets the session: HTTP 401), when it expires (390114), or
when the connection is reset. `Session.reopen` logs in again; lib/warehouse.execute then repeats the
statement once where that is provably safe (see `refused_before_running` and `safe_to_repeat`).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from typing import Any

from medallion_assets.lib.lazy_imports import defer_snowpark

defer_snowpark()  # before dagster_snowflake: Snowpark and snowflake.core only when used (lib/lazy_imports.py)

from dagster_snowflake import SnowflakeResource  # noqa: E402
from pydantic import PrivateAttr  # noqa: E402
from snowflake.connector.errors import Error  # noqa: E402

from medallion_assets.lib.errors import MedallionError, ServiceUnavailable  # noqa: E402
from medallion_assets.lib.snowflake_auth import timed_out, timeout_s  # noqa: E402

# Snowflake's codes for a session the server no longer knows: expired, or its token not valid (a restarted server).
SESSION_GONE_ERRNOS = (390111, 390112, 390114, 290401)
_log = logging.getLogger(__name__)


class Session:
    """A warehouse connection that can be replaced under its users: `conn.cursor()`, `conn.host` and every
    other attribute go to the current connection, opened on first use."""

    def __init__(self, resource: SnowflakeResource):
        self._resource = resource
        self._context: AbstractContextManager | None = None
        self._conn = None
        self.logins = 0  # connections this session opened (1, plus one per re-open)
        extra = resource.additional_snowflake_connection_args or {}
        self.server = f"Snowflake at {extra['host']}:{extra['port']}" if "port" in extra else "Snowflake"
        self.timeout_s = timeout_s(resource)

    @property
    def raw(self):
        if self._conn is None:
            context = SnowflakeResource.get_connection(self._resource)
            self._conn = context.__enter__()
            self._context = context
            self.server = f"Snowflake at {self._conn.host}:{self._conn.port}"
            self.logins += 1
        return self._conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def discard(self) -> None:
        """Forget the current connection (closing it quietly: it may be dead); the next use logs in again."""
        conn, self._conn, self._context = self._conn, None, None
        self.__dict__.pop("_medallion_transaction", None)
        self.__dict__.pop("_tx_ran", None)
        if conn is not None:
            try:
                conn.close()
            except Exception as exc:  # a dead server cannot be told goodbye
                _log.debug("closing a dead warehouse session: %s", exc)

    def reopen(self):
        """A new login in place of a dead session; returns the new connection."""
        self.discard()
        return self.raw

    def close(self) -> None:
        """COMMIT (when not in autocommit) and close, as SnowflakeResource.get_connection does at its end."""
        context, self._context = self._context, None
        if context is not None:
            self._conn = None
            context.__exit__(None, None, None)


class SessionSnowflakeResource(SnowflakeResource):
    """dagster_snowflake's SnowflakeResource with one session per run (per resource instance): the steps and
    checks of a run share it through lib/warehouse.connect; Dagster closes it when the run ends."""

    _session: Session | None = PrivateAttr(default=None)

    def run_session(self) -> Session:
        if self._session is None:
            self._session = Session(self)
        return self._session

    def teardown_after_execution(self, context) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            try:
                session.close()
            except Exception as exc:  # the run's work is committed; a dead server at goodbye is not a failure
                _log.warning("closing the run's warehouse session failed: %s", exc)


def run_scoped(resource: SnowflakeResource) -> SessionSnowflakeResource:
    """The same resource (same settings, secrets still `dg.EnvVar`) with one session per run."""
    return SessionSnowflakeResource(**resource._get_non_default_public_field_values())


def outside_a_run(resource):
    """A resource to initialize outside a run (its session per `connect` block): the plain SnowflakeResource for
    a run-scoped one, which only Dagster's run lifecycle may set up and tear down; any other resource as it is."""
    if isinstance(resource, SessionSnowflakeResource):
        return SnowflakeResource(**resource._get_non_default_public_field_values())
    return resource


def refused_before_running(exc: BaseException) -> bool:
    """The server answered that it does not know the session (restarted, expired): it ran nothing of the
    request, so any statement outside a transaction may be sent again on a new session."""
    return getattr(exc, "errno", None) in SESSION_GONE_ERRNOS


def connection_lost(exc: BaseException) -> bool:
    """The connection broke (reset, refused) without an answer: whether the statement ran is unknown."""
    text = str(getattr(exc, "msg", "") or exc)
    return any(
        s in text for s in ("Connection reset", "Connection aborted", "RemoteDisconnected", "Connection refused")
    )


_READ_ONLY = ("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "USE", "EXPLAIN")


def safe_to_repeat(statement: str) -> bool:
    """A statement that changes nothing (a read, USE): repeating it after a lost answer cannot double anything."""
    lines = [line for line in statement.strip().splitlines() if not line.strip().startswith("--")]
    words = " ".join(lines).split(None, 1)
    return bool(words) and words[0].upper() in _READ_ONLY


def server_name(conn) -> str:
    """The warehouse as a person knows it (host and port, never credentials)."""
    if isinstance(conn, Session):
        return conn.server  # without logging in again
    return f"Snowflake at {conn.host}:{conn.port}"


def unreachable(conn, what: str, exc: Error) -> MedallionError:
    """A lost or refused connection in the middle of a step, as one line that names the server."""
    if timed_out(exc):
        return ServiceUnavailable(
            f"{server_name(conn)} timed out after {getattr(conn, 'timeout_s', 60)} s during {what} (running but "
            "not answering: frozen or overloaded); statements already committed stay, rerun the step once it answers",
            service="Snowflake",
        )
    detail = (exc.msg or str(exc)).splitlines()[0]
    if "Connection refused" in detail:
        detail = "connection refused"
    elif len(detail) > 200:
        detail = detail[:200] + "..."
    return ServiceUnavailable(
        f"{server_name(conn)} stopped answering during {what} ({detail}); statements already committed stay, "
        "rerun the step once it answers",
        service="Snowflake",
    )


def login_failed_during(conn: Session, what: str, exc: Error) -> ServiceUnavailable:
    if timed_out(exc):
        detail = f"timed out after {conn.timeout_s} s"
    elif refused_before_running(exc):
        detail = "connection refused"
    else:
        detail = (exc.msg or str(exc)).splitlines()[0][:200]
    return ServiceUnavailable(
        f"{conn.server} stopped answering during {what} and a new login failed ({detail}); statements already "
        "committed stay, rerun the step once it answers",
        service="Snowflake",
    )
