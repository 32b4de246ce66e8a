"""The one engine difference in how we write: MERGE inside a transaction on Snowflake, one by one on the
embedded warehouse; and transactions that join an open one instead of nesting."""

from __future__ import annotations

import pytest

from medallion_assets.lib import warehouse


class RecordingConnection:
    def __init__(self):
        self.statements: list[str] = []

    def cursor(self):
        return self

    def execute(self, statement, params=None):
        self.statements.append(statement)
        return self


@pytest.fixture
def real_snowflake(monkeypatch):
    monkeypatch.setenv("MEDALLION_EMBEDDED", "mongo,kafka")
    for name, value in {"SNOWFLAKE_ACCOUNT": "acme", "SNOWFLAKE_USER": "u", "SNOWFLAKE_PASSWORD": "p"}.items():
        monkeypatch.setenv(name, value)
    for name in ("MEDALLION_ENV", "MONGO_URI", "KAFKA_BOOTSTRAP_SERVERS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def embedded_snowflake(monkeypatch):
    for name in ("MEDALLION_ENV", "MEDALLION_EMBEDDED", "MONGO_URI", "KAFKA_BOOTSTRAP_SERVERS", "SNOWFLAKE_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)


def test_atomic_is_one_transaction_on_snowflake(real_snowflake):
    conn = RecordingConnection()
    assert warehouse.merge_in_transaction()
    with warehouse.atomic(conn):
        conn.execute("MERGE 1")
        with warehouse.transaction(conn):  # joins the open transaction
            conn.execute("UPDATE 2")
        conn.execute("DELETE 3")
    assert conn.statements == ["BEGIN", "MERGE 1", "UPDATE 2", "DELETE 3", "COMMIT"]


def test_atomic_runs_statements_one_by_one_on_the_embedded_warehouse(embedded_snowflake):
    conn = RecordingConnection()
    assert not warehouse.merge_in_transaction()
    with warehouse.atomic(conn):
        conn.execute("MERGE 1")
        with warehouse.transaction(conn):
            conn.execute("UPDATE 2")
    assert conn.statements == ["MERGE 1", "BEGIN", "UPDATE 2", "COMMIT"]


def test_a_failure_rolls_back_the_whole_group(real_snowflake):
    conn = RecordingConnection()
    with pytest.raises(RuntimeError), warehouse.atomic(conn):
        conn.execute("MERGE 1")
        raise RuntimeError("boom")
    assert conn.statements == ["BEGIN", "MERGE 1", "ROLLBACK"]
    with warehouse.transaction(conn):  # the connection is usable again, with a transaction of its own
        conn.execute("UPDATE 2")
    assert conn.statements[-3:] == ["BEGIN", "UPDATE 2", "COMMIT"]
