"""Every mistake a new user makes with `medallion` ends in one line on stderr (what is wrong, where, what to do) and
a non-zero exit, never a traceback. Each case runs the installed console script in a subprocess, as a person would.

The table below is the acceptance table of issue 23: the command, what is wrong around it, and a fragment of the
one line it must print. `pytest -s` prints each case's line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medallion_assets.dev import services
from medallion_assets.lib import lakehouse
from medallion_assets.lib.iceberg_catalog import embedded_lakehouse
from medallion_assets.lib.settings import DEFAULT_PORTS, SERVICE_VARIABLES
from tests.helpers import insert_aggregates

MEDALLION = str(Path(sys.executable).parent / "medallion")
PORT_VARIABLES = [f"MEDALLION_{name.upper()}_PORT" for name in DEFAULT_PORTS]
PRODUCTION_VARIABLES = {
    "MONGO_URI": "mongodb://127.0.0.1:1",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
    "SNOWFLAKE_ACCOUNT": "acme",
    "SNOWFLAKE_USER": "loader",
    "SNOWFLAKE_PASSWORD": "secret",
}

# (case id, home, arguments, extra environment, fragment of the one line printed on stderr)
# home: "up" = the session's running servers (+ this module's warehouse and a published lakehouse table),
#       "down" = a home whose servers are not running (every port a free one), "store-down" = the "up" home with the
#       object store's port pointing at nothing.
CASES = [
    ("no command", "up", [], {}, "the following arguments are required: command"),
    ("unknown command", "up", ["frobnicate"], {}, "invalid choice: 'frobnicate'"),
    ("query without SQL", "up", ["query"], {}, "the following arguments are required: sql"),
    ("empty SQL", "up", ["query", "  ;"], {}, "the SQL is empty"),
    ("bad SQL", "up", ["query", "SELEC 1"], {}, "query failed:"),
    ("unknown table in SQL", "up", ["query", "SELECT * FROM NO_SUCH_DB.NOPE.NADA"], {}, "query failed:"),
    ("bad output format", "up", ["query", "SELECT 1", "--format", "xml"], {}, "invalid choice: 'xml'"),
    ("unknown lakehouse table", "up", ["lakehouse", "show", "gold_nope"], {}, "no lakehouse table 'gold_nope'"),
    ("lakehouse without table", "up", ["lakehouse", "show"], {}, "lakehouse show needs a table"),
    ("table not published", "up", ["lakehouse", "show", "gold_price_trends"], {}, "is not published yet"),
    (
        "unknown snapshot",
        "up",
        ["lakehouse", "show", "gold_market_analytics", "--snapshot", "12"],
        {},
        "no snapshot 12",
    ),
    ("negative limit", "up", ["lakehouse", "show", "gold_market_analytics", "--limit", "-1"], {}, "--limit must not"),
    ("not a number", "up", ["seed", "--count", "many"], {}, "invalid int value: 'many'"),
    ("negative count", "up", ["seed", "--count", "-1"], {}, "--count must not be negative"),
    ("missing seed file", "up", ["seed", "--file", "/no/such/file.jsonl"], {}, "no such file: /no/such/file.jsonl"),
    ("malformed port variable", "up", ["status"], {"MEDALLION_S3_PORT": "39k"}, "MEDALLION_S3_PORT must be a port"),
    ("port out of range", "up", ["query", "SELECT 1"], {"MEDALLION_MONGO_PORT": "70000"}, "must be a port number"),
    ("port variable vs running server", "up", ["query", "SELECT 1"], {"MEDALLION_KAFKA_PORT": "free"}, "services down"),
    ("unknown environment", "up", ["query", "SELECT 1"], {"MEDALLION_ENV": "staging"}, "MEDALLION_ENV must be local"),
    ("unknown embedded name", "up", ["status"], {"MEDALLION_EMBEDDED": "postgres"}, "MEDALLION_EMBEDDED names unknown"),
    ("half configured", "up", ["query", "SELECT 1"], {"MONGO_URI": "mongodb://x"}, "MONGO_URI set but"),
    ("production, no variables: status", "up", ["status"], {"MEDALLION_ENV": "production"}, "production needs MONGO"),
    (
        "production, no variables: query",
        "up",
        ["query", "SELECT 1"],
        {"MEDALLION_ENV": "production"},
        "needs MONGO_URI",
    ),
    ("production, no variables: dev", "up", ["dev"], {"MEDALLION_ENV": "production"}, "production needs MONGO_URI"),
    ("production, no variables: lake", "up", ["lakehouse", "connect"], {"MEDALLION_ENV": "production"}, "needs MEDALL"),
    ("production: services up", "up", ["services", "up"], {"MEDALLION_ENV": "production"}, "never starts the embedded"),
    (
        "production: pipeline",
        "up",
        ["pipeline"],
        {"MEDALLION_ENV": "production", **PRODUCTION_VARIABLES, "SNOWFLAKE_ACCOUNT": ""},
        "needs SNOWFLAKE_ACCOUNT",
    ),
    (
        "catalog without warehouse",
        "up",
        ["lakehouse", "connect"],
        {"MEDALLION_ICEBERG_CATALOG_URI": "sqlite:///x"},
        "WAREHOUSE must",
    ),
    ("warehouse down: query", "down", ["query", "SELECT 1"], {}, "Snowflake is unreachable"),
    ("mongo down: seed", "down", ["seed", "--count", "3"], {}, "MongoDB"),
    ("services down: pipeline", "down", ["pipeline", "--no-services"], {}, "MongoDB"),
    ("store down: lakehouse show", "store-down", ["lakehouse", "show", "gold_market_analytics"], {}, "cannot be read"),
    ("store down: snapshots", "store-down", ["lakehouse", "snapshots", "gold_market_analytics"], {}, "cannot be read"),
    ("store down: connect", "store-down", ["lakehouse", "connect"], {}, "object store at http://127.0.0.1:"),
]


@pytest.fixture(scope="module")
def homes(services_home, warehouse_port, snowflake_resource_module, tmp_path_factory) -> dict[str, dict]:
    """Environments for the three kinds of home, each with its own MEDALLION_HOME and DAGSTER_HOME."""
    from medallion_assets.defs.lakehouse.assets import publish_table
    from medallion_assets.lib import warehouse

    base = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES and k not in PORT_VARIABLES}
    base.pop("MEDALLION_TRACEBACK", None)
    up = tmp_path_factory.mktemp("cli-up")
    ports = json.loads((services_home / "services.json").read_text())["ports"]
    (up / "services.json").write_text(json.dumps({"ports": {**ports, "snowflake": warehouse_port}}))
    (up / "run").mkdir()
    # the session's Kafka broker counts as this home's, so a port variable that differs from it must be refused
    (up / "run" / "kafka.pid").write_text((services_home / "run" / "kafka.pid").read_text())
    with warehouse.connect(snowflake_resource_module) as conn:
        warehouse.apply_setup(conn)
        insert_aggregates(conn)
    lake = embedded_lakehouse(up, ports["s3"])
    publish_table(lakehouse.published("gold_market_analytics"), snowflake_resource_module, lake, "cli-errors", 30)
    down = tmp_path_factory.mktemp("cli-down")
    down_ports = {f"MEDALLION_{name.upper()}_PORT": str(services.free_port()) for name in DEFAULT_PORTS}
    return {
        "up": {**base, "MEDALLION_HOME": str(up), "DAGSTER_HOME": str(up / "dagster")},
        "down": {**base, **down_ports, "MEDALLION_HOME": str(down), "DAGSTER_HOME": str(down / "dagster")},
        "store-down": {
            **base,
            "MEDALLION_HOME": str(up),
            "DAGSTER_HOME": str(up / "dagster"),
            "MEDALLION_S3_PORT": str(services.free_port()),
        },
    }


@pytest.fixture(scope="module")
def snowflake_resource_module(warehouse_port):
    from dagster_snowflake import SnowflakeResource

    from medallion_assets.dev.services import embedded_snowflake_args

    args = embedded_snowflake_args(warehouse_port)
    return SnowflakeResource(
        account=args.pop("account"),
        user=args.pop("user"),
        password=args.pop("password"),
        additional_snowflake_connection_args={**args, "network_timeout": 60},
    )


@pytest.mark.parametrize(("home", "argv", "env", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_mistake_is_one_line_and_a_non_zero_exit(homes, home, argv, env, expected):
    env = {k: (str(services.free_port()) if v == "free" else v) for k, v in env.items()}
    result = subprocess.run(
        [MEDALLION, *argv], env={**homes[home], **env}, capture_output=True, text=True, timeout=180, cwd="/"
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode != 0, output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{result.stderr}"
    assert expected in lines[0], lines[0]
    assert lines[0].startswith("medallion"), lines[0]
    print(f"\n{' '.join(['medallion', *argv])} -> exit {result.returncode}: {lines[0]}")


def test_the_unexpected_is_one_line_too_and_names_the_variable_for_its_traceback(homes, monkeypatch, capsys):
    """A bug (not a MedallionError) still ends in one line, which says how to see the traceback."""
    from medallion_assets import cli

    def broken(_args):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "_status", broken)  # build_parser looks it up on each main()
    assert cli.main(["status"]) == 1
    err = capsys.readouterr().err
    assert (
        err == "medallion: unexpected KeyError: 'boom' (set MEDALLION_TRACEBACK=1 and run it again for the traceback)\n"
    )
    monkeypatch.setenv("MEDALLION_TRACEBACK", "1")
    with pytest.raises(KeyError):
        cli.main(["status"])
