"""A NULL of every column type the project uses reads back as None through the driver, and as null
from `medallion query --format json`; values and empty strings stay what they are."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from medallion_assets import cli
from medallion_assets.lib import warehouse

# every type in sql/setup/, one column each
COLUMNS = {
    "v": "VARCHAR",
    "i": "INTEGER",
    "b": "BIGINT",
    "n": "NUMBER(3, 1)",
    "f": "FLOAT",
    "bo": "BOOLEAN",
    "d": "DATE",
    "ts": "TIMESTAMP_NTZ",
    "va": "VARIANT",
}
VALUES = {
    "v": "",
    "i": 7,
    "b": 9_000_000_000,
    "n": Decimal("0.8"),
    "f": 1.5,
    "bo": False,
    "d": dt.date(2024, 1, 2),
    "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
    "va": '{"a":[1,null],"b":"x"}',
}


@pytest.fixture
def table(stack):
    """RAW_DB.LANDING.NULLS_<random>: row 1 all NULL (inserted by omission), row 2 a value of each type."""
    name = f"RAW_DB.LANDING.NULLS_{uuid.uuid4().hex[:8].upper()}"
    with warehouse.connect(stack["snowflake"]) as conn:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE {name} (k INTEGER, {', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
        cur.execute(f"INSERT INTO {name} (k) VALUES (1)")
        cur.execute(
            f"INSERT INTO {name} SELECT 2, '', 7, 9000000000, 0.8, 1.5, FALSE, '2024-01-02'::DATE, "
            f'\'2024-01-02 03:04:05.678\'::TIMESTAMP_NTZ, PARSE_JSON(\'{{"a": [1, null], "b": "x"}}\')'
        )
        # a NULL bound as a parameter, as the project's SQL files bind their values
        cur.execute(
            f"INSERT INTO {name} (k, ts, d, v) VALUES (%(k)s, %(ts)s, %(d)s, %(v)s)",
            {"k": 3, "ts": None, "d": None, "v": None},
        )
        yield name
        cur.execute(f"DROP TABLE {name}")


def test_null_of_every_type_reads_back_as_none(stack, table):
    with warehouse.connect(stack["snowflake"]) as conn:
        cur = conn.cursor().execute(f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY k")
        rows = [dict(zip(COLUMNS, row)) for row in cur.fetchall()]
        literals = (
            conn.cursor().execute("SELECT " + ", ".join(f"NULL::{t} AS {c}" for c, t in COLUMNS.items())).fetchall()
        )
    assert rows[0] == dict.fromkeys(COLUMNS)  # a TIMESTAMP_NTZ NULL is not 1970-01-01 00:00:00
    assert rows[1] == VALUES
    assert rows[2] == dict.fromkeys(COLUMNS)
    assert literals == [(None,) * len(COLUMNS)]  # NULL::TIMESTAMP_NTZ in a session without a database


def test_query_json_writes_null_numbers_booleans_and_nested_variant(table, capsys):
    sql = f"SELECT k, {', '.join(COLUMNS)} FROM {table} WHERE k < 3 ORDER BY k"
    assert cli.main(["query", sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"K": 1, **{c.upper(): None for c in COLUMNS}},
        {
            "K": 2,
            "V": "",
            "I": 7,
            "B": 9_000_000_000,
            "N": 0.8,
            "F": 1.5,
            "BO": False,
            "D": "2024-01-02",
            "TS": "2024-01-02T03:04:05.678000",
            "VA": {"a": [1, None], "b": "x"},
        },
    ]
    assert cli.main(["query", f"SELECT k, v, ts FROM {table} WHERE k < 3 ORDER BY k", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["K,V,TS", "1,,", '2,"",2024-01-02T03:04:05.678000']
    assert cli.main(["query", f"SELECT k, v, ts FROM {table} WHERE k < 3 ORDER BY k"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "K  V     TS",
        "-  ----  " + "-" * 26,
        "1  NULL  NULL",
        "2" + " " * 8 + "2024-01-02T03:04:05.678000",  # an empty string prints as nothing
        "(2 rows)",
    ]
