"""What `medallion query` prints (lib/output.py) and where the local services are found (lib/settings.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

import medallion_assets
from medallion_assets.lib import settings
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.output import print_rows
from medallion_assets.lib.settings import Ports, medallion_home
from tests.helpers import PORT_VARS

COLUMNS = ["id", "name", "posted", "seen_at", "price"]
ROWS = [
    (1, "Nhà phố", dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5), None),
    (22, 'x, "y"', None, None, 1.5),
]


def printed(fmt: str, columns=COLUMNS, rows=ROWS) -> str:
    out = io.StringIO()
    print_rows(columns, rows, fmt, out=out)
    return out.getvalue()


def test_table():
    assert printed("table") == (
        "id  name     posted      seen_at              price\n"
        "--  -------  ----------  -------------------  -----\n"
        "1   Nhà phố  2024-01-02  2024-01-02T03:04:05  NULL\n"
        '22  x, "y"   NULL        NULL                 1.5\n'
        "(2 rows)\n"
    )


def test_table_tells_null_from_empty_string():
    assert printed("table", ["a", "b"], [("", None), (None, "")]) == (
        "a     b\n----  ----\n      NULL\nNULL\n(2 rows)\n"
    )


def test_table_is_the_default_format_and_an_unknown_format_falls_back_to_it():
    assert printed("table") == printed("tsv")
    out = io.StringIO()
    print_rows(COLUMNS, ROWS, out=out)
    assert out.getvalue() == printed("table")


def test_table_without_rows():
    assert printed("table", ["a", "long_name"], []) == "a  long_name\n-  ---------\n(0 rows)\n"


def test_csv():
    # \r\n line endings as csv.writer; quoting only where needed; a NULL is an empty unquoted field
    assert printed("csv") == (
        'id,name,posted,seen_at,price\r\n1,Nhà phố,2024-01-02,2024-01-02T03:04:05,\r\n22,"x, ""y""",,,1.5\r\n'
    )


def test_csv_tells_null_from_empty_string():
    text = printed("csv", ["a", "b", "c"], [("", None, "line\nbreak"), (None, "", 'q"')])
    assert text == 'a,b,c\r\n"",,"line\nbreak"\r\n,"","q"""\r\n'
    import csv

    assert list(csv.reader(io.StringIO(text, newline=""))) == [["a", "b", "c"], ["", "", "line\nbreak"], ["", "", 'q"']]


def test_json():
    text = printed("json")
    assert text == (
        "[\n"
        "  {\n"
        '    "id": 1,\n'
        '    "name": "Nhà phố",\n'
        '    "posted": "2024-01-02",\n'
        '    "seen_at": "2024-01-02T03:04:05",\n'
        '    "price": null\n'
        "  },\n"
        "  {\n"
        '    "id": 22,\n'
        '    "name": "x, \\"y\\"",\n'
        '    "posted": null,\n'
        '    "seen_at": null,\n'
        '    "price": 1.5\n'
        "  }\n"
        "]\n"
    )


def test_json_types():
    columns = ["s", "b", "dec", "whole", "nan", "inf", "t", "v", "bad_v", "not_v"]
    row = (
        "",
        True,
        Decimal("0.8"),
        Decimal("9000000000"),
        float("nan"),
        float("-inf"),
        dt.time(1, 2, 3),
        '{"a": [1, null]}',
        "not json",
        '{"a": 1}',
    )
    out = io.StringIO()
    print_rows(columns, [row, (None,) * len(columns)], "json", out=out, json_columns={"v", "bad_v", "nan"})
    assert json.loads(out.getvalue()) == [
        {
            "s": "",
            "b": True,
            "dec": 0.8,
            "whole": 9000000000,
            "nan": "NaN",  # JSON has no NaN: written as a string, so the output stays valid JSON
            "inf": "-Infinity",
            "t": "01:02:03",
            "v": {"a": [1, None]},  # VARIANT text embedded as JSON
            "bad_v": "not json",
            "not_v": '{"a": 1}',  # a VARCHAR that looks like JSON stays a string
        },
        dict.fromkeys(columns),
    ]


def test_print_rows_writes_to_stdout_by_default(capsys):
    print_rows(["a"], [(None,), ("",)], "csv")
    assert capsys.readouterr().out == 'a\r\n\r\n""\r\n'


# --- settings -----------------------------------------------------------------------------------------


def test_ports_default(clean_env):
    assert Ports.configured() == Ports(mongo=37017, s3=39000, kafka=39092, snowflake=38080)


def test_ports_from_variables(clean_env, monkeypatch):
    monkeypatch.setenv("MEDALLION_KAFKA_PORT", "40001")
    monkeypatch.setenv("MEDALLION_SNOWFLAKE_PORT", "40002")
    ports = Ports.configured()
    assert ports == Ports(mongo=37017, s3=39000, kafka=40001, snowflake=40002)
    assert ports.get("kafka") == 40001 and ports.get("mongo") == 37017


def test_services_json_wins_over_variables(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("MEDALLION_KAFKA_PORT", "40001")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "services.json").write_text(
        json.dumps({"ports": {"mongo": 1001, "s3": 1002, "kafka": 1003, "snowflake": 1004}, "pids": {}})
    )
    assert Ports.configured() == Ports(mongo=1001, s3=1002, kafka=1003, snowflake=1004)


# "²" passes str.isdigit() but not int(): it raised a bare ValueError before settings.py used isdecimal()
@pytest.mark.parametrize("raw", ["abc", "", " 4000", "-1", "40.5", "²"])
def test_a_port_that_is_not_a_number_names_the_variable(clean_env, monkeypatch, raw):
    monkeypatch.setenv("MEDALLION_S3_PORT", raw)
    with pytest.raises(MedallionError) as excinfo:
        Ports.configured()
    assert str(excinfo.value) == f"MEDALLION_S3_PORT must be a port number, got {raw!r}"


def test_medallion_home_from_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path / "state"))
    assert medallion_home() == (tmp_path / "state").resolve()
    # a relative path is resolved against the working directory
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDALLION_HOME", "rel/home")
    assert medallion_home() == tmp_path.resolve() / "rel" / "home"


def test_medallion_home_defaults_to_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv("MEDALLION_HOME", raising=False)
    checkout = Path(medallion_assets.__file__).resolve().parents[1]
    assert (checkout / "pyproject.toml").exists()
    assert medallion_home() == checkout / ".medallion"
    monkeypatch.setenv("MEDALLION_HOME", "")  # empty counts as unset
    assert medallion_home() == checkout / ".medallion"


def test_medallion_home_outside_a_checkout_is_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("MEDALLION_HOME", raising=False)
    monkeypatch.setattr(settings, "_CHECKOUT", tmp_path / "site-packages")  # an installed wheel: no pyproject
    monkeypatch.chdir(tmp_path)
    assert medallion_home() == tmp_path.resolve() / ".medallion"


def test_ports_read_services_json_from_the_default_home(monkeypatch, tmp_path):
    monkeypatch.delenv("MEDALLION_HOME", raising=False)
    for name in PORT_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings, "_CHECKOUT", tmp_path / "wheel")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".medallion").mkdir()
    (tmp_path / ".medallion" / "services.json").write_text(
        json.dumps({"ports": {"mongo": 1, "s3": 2, "kafka": 3, "snowflake": 4}})
    )
    assert Ports.configured() == Ports(mongo=1, s3=2, kafka=3, snowflake=4)


def test_min_quality_score_default_value_and_bad_values(monkeypatch):
    monkeypatch.delenv("MEDALLION_MIN_QUALITY_SCORE", raising=False)
    assert settings.min_quality_score() == 0.6
    monkeypatch.setenv("MEDALLION_MIN_QUALITY_SCORE", " 0.8 ")
    assert settings.min_quality_score() == 0.8
    for raw in ("1.2", "-0.1", "high", "nan"):
        monkeypatch.setenv("MEDALLION_MIN_QUALITY_SCORE", raw)
        with pytest.raises(
            MedallionError, match=rf"^MEDALLION_MIN_QUALITY_SCORE must be a number from 0.0 to 1.0, got '{raw}'$"
        ):
            settings.min_quality_score()
