"""One line per request the embedded warehouse receives: what a Snowflake bill would be made of.

`fakesnow_server` wraps fakesnow's app in `RequestLog` (local only). Each login and each statement
appends a line to ``$MEDALLION_HOME/logs/warehouse-requests.log``:

    2026-12-03T10:15:02.125Z<TAB>login<TAB>
    2026-12-03T10:15:02.310Z<TAB>query<TAB>SELECT cursor_state FROM RAW_DB

(UTC time with milliseconds, ``login`` or ``query``, the statement's first words after its leading comments, so
the first word is what the statement does). benchmarks/awake.py reads it back (`read_log`) and applies
Snowflake's billing rule to it; tests count writes by that first word (`verb`).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import threading
from pathlib import Path

LOGIN_PATH = "/session/v1/login-request"
QUERY_PATH = "/queries/v1/query-request"
FIRST_WORDS = 6


_LEADING_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)+", re.DOTALL)


def first_words(sql: str, count: int = FIRST_WORDS) -> str:
    """The statement's first `count` words on one line, after its leading comments (line breaks collapse)."""
    return " ".join(_LEADING_COMMENTS.sub("", sql).split()[:count])


def verb(text: str) -> str:
    """The first word of a logged statement, upper case: SELECT, INSERT, CREATE, ... ('' for a login)."""
    words = text.split(None, 1)
    return words[0].upper() if words else ""


def format_line(when: dt.datetime, kind: str, text: str = "") -> str:
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return f"{stamp}\t{kind}\t{text}\n"


def parse_line(line: str) -> tuple[float, str, str] | None:
    """(epoch seconds, kind, first words) of one log line; None for a blank or torn line."""
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 2 or parts[1] not in ("login", "query"):
        return None
    try:
        when = dt.datetime.strptime(parts[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return when.timestamp(), parts[1], parts[2] if len(parts) > 2 else ""


def read_log(path: str | Path, since: float | None = None, until: float | None = None) -> list[tuple[float, str, str]]:
    """The log's requests, in order, within [since, until) when given."""
    path = Path(path)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        entry = parse_line(line)
        if entry is None:
            continue
        if (since is None or entry[0] >= since) and (until is None or entry[0] < until):
            entries.append(entry)
    return entries


class RequestLog:
    """ASGI middleware: logs each login and statement, then hands the request on unchanged."""

    def __init__(self, app, path: str | Path):
        self.app, self.path = app, Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, kind: str, text: str = "") -> None:
        line = format_line(dt.datetime.now(dt.UTC), kind, text)
        with self._lock, open(self.path, "a") as log:
            log.write(line)

    async def __call__(self, scope, receive, send):
        path = scope.get("path") if scope.get("type") == "http" else None
        if path == LOGIN_PATH:
            self.write("login")
        elif path == QUERY_PATH:
            messages, body = [], b""
            while True:  # read the whole body, then replay it to the app
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            self.write("query", _statement(body, scope))
            replay = iter(messages)

            async def receive_again():
                try:
                    return next(replay)
                except StopIteration:
                    return await receive()

            return await self.app(scope, receive_again, send)
        return await self.app(scope, receive, send)


def _statement(body: bytes, scope) -> str:
    headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
    try:
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return first_words(json.loads(body).get("sqlText", ""))
    except (OSError, ValueError, AttributeError):
        return "(unreadable)"
