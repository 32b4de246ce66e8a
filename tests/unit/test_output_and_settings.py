"""What `medallion query` prints (lib/output.py) and where the local services are found (lib/settings.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

import medallion_assets
from medallion_assets.lib import settings
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.output import print_rows
from medallion_assets.lib.settings import DEFAULT_PORTS, Ports, medallion_home

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
        "1   Nhà phố  2024-01-02  2024-01-02T03:04:05\n"  # trailing blanks of a NULL at the end are cut
        '22  x, "y"                                    1.5\n'
        "(2 rows)\n"
    )


def test_table_is_the_default_format_and_an_unknown_format_falls_back_to_it():
    assert printed("table") == printed("tsv")
    out = io.StringIO()
    print_rows(COLUMNS, ROWS, out=out)
    assert out.getvalue() == printed("table")


def test_table_without_rows():
    assert printed("table", ["a", "long_name"], []) == "a  long_name\n-  ---------\n(0 rows)\n"


def test_csv():
    # csv.writer's own line ending is \r\n; quoting only where needed
    assert printed("csv") == (
        'id,name,posted,seen_at,price\r\n1,Nhà phố,2024-01-02,2024-01-02T03:04:05,\r\n22,"x, ""y""",,,1.5\r\n'
    )
    # NOTE (left alone): NULL and the empty string both print as an empty field, so they cannot be told apart


def test_json():
    text = printed("json")
    assert text == (
        "[\n"
        "  {\n"
        '    "id": "1",\n'
        '    "name": "Nhà phố",\n'
        '    "posted": "2024-01-02",\n'
        '    "seen_at": "2024-01-02T03:04:05",\n'
        '    "price": ""\n'
        "  },\n"
        "  {\n"
        '    "id": "22",\n'
        '    "name": "x, \\"y\\"",\n'
        '    "posted": "",\n'
        '    "seen_at": "",\n'
        '    "price": "1.5"\n'
        "  }\n"
        "]\n"
    )
    # NOTE (left alone, looks wrong): every value is written as text, so in JSON a NULL becomes "" rather
    # than null and numbers become strings ("1.5", not 1.5); a reader of the JSON cannot tell NULL from ""
    assert json.loads(text)[0]["price"] == "" and json.loads(text)[1]["price"] == "1.5"


def test_print_rows_writes_to_stdout_by_default(capsys):
    print_rows(["a"], [(None,)], "csv")
    # a row of one empty field is written as "" (csv's way to tell it from a blank line)
    assert capsys.readouterr().out == 'a\r\n""\r\n'


# --- settings -----------------------------------------------------------------------------------------

PORT_VARS = [f"MEDALLION_{name.upper()}_PORT" for name in DEFAULT_PORTS]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No port variables, and MEDALLION_HOME at an empty folder."""
    for name in PORT_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path))
    return tmp_path


def test_ports_default(clean_env):
    assert Ports.configured() == Ports(mongo=37017, s3=39000, kafka=39092, snowflake=38080)


def test_ports_from_variables(clean_env, monkeypatch):
    monkeypatch.setenv("MEDALLION_KAFKA_PORT", "40001")
    monkeypatch.setenv("MEDALLION_SNOWFLAKE_PORT", "40002")
    ports = Ports.configured()
    assert ports == Ports(mongo=37017, s3=39000, kafka=40001, snowflake=40002)
    assert ports.get("kafka") == 40001 and ports.get("mongo") == 37017


def test_services_json_wins_over_variables(clean_env, monkeypatch):
    monkeypatch.setenv("MEDALLION_KAFKA_PORT", "40001")
    (clean_env / "services.json").write_text(
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
