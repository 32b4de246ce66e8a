"""Outside readers of the lakehouse, as docs/lakehouse.md shows them: plain pyiceberg (SqlCatalog) and DuckDB with its
extensions from their PyPI packages, in a virtual environment of their own without this project, given only what
`medallion lakehouse connect --format json` prints. Both must count the rows `medallion query` counts.

The virtual environment is built once per test session from the package registry
(docs/examples/outside-client-requirements.txt, about 100 MB of wheels; pip's cache makes later sessions quick).
DuckDB's automatic extension download is off in the snippet and the proxies point at nothing, so nothing is
fetched while the snippets run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medallion_assets.lib import lakehouse
from medallion_assets.lib.gold import FEATURES_TABLE, MARKET_TABLE, TRENDS_TABLE
from medallion_assets.lib.iceberg_catalog import embedded_lakehouse
from tests.helpers import insert_aggregates, insert_features, medallion, private_env

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PUBLISHED = {
    "gold_ml_features": FEATURES_TABLE,
    "gold_market_analytics": MARKET_TABLE,
    "gold_price_trends": TRENDS_TABLE,
}
NO_NETWORK = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost",
}


@pytest.fixture(scope="session")
def outside_python(tmp_path_factory) -> Path:
    """A virtual environment with only the outside client's requirements (built once per session)."""
    venv = tmp_path_factory.mktemp("outside-client") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(EXAMPLES / "outside-client-requirements.txt")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, f"installing the outside client failed:\n{install.stdout}\n{install.stderr}"
    probe = subprocess.run([str(python), "-c", "import medallion_assets"], capture_output=True, cwd=venv)
    assert probe.returncode != 0, "the outside client's environment must not have this project"
    return python


@pytest.fixture(scope="module")
def published(services_home, warehouse_port, tmp_path_factory):
    """A private home whose lakehouse has gold_ml_features (3,000 rows) and the two aggregates published."""
    from dagster_snowflake import SnowflakeResource

    from medallion_assets.defs.lakehouse.assets import publish_table
    from medallion_assets.dev.services import embedded_snowflake_args
    from medallion_assets.lib import warehouse

    env = private_env(services_home, warehouse_port, tmp_path_factory.mktemp("outside"))
    args = embedded_snowflake_args(warehouse_port)
    snowflake = SnowflakeResource(
        account=args.pop("account"),
        user=args.pop("user"),
        password=args.pop("password"),
        additional_snowflake_connection_args={**args, "network_timeout": 60},
    )
    with warehouse.connect(snowflake) as conn:
        warehouse.apply_setup(conn)
        for table in PUBLISHED.values():
            conn.cursor().execute(f"DELETE FROM {table}")
        insert_features(conn, 3000)
        insert_aggregates(conn)
    home = Path(env["MEDALLION_HOME"])
    s3_port = json.loads((home / "services.json").read_text())["ports"]["s3"]
    lake = embedded_lakehouse(home, s3_port)
    for name in PUBLISHED:
        publish_table(lakehouse.published(name), snowflake, lake, "outside-clients", 30)
    return env


def _counts(env: dict) -> dict[str, int]:
    """Rows of each published table in the warehouse, counted by `medallion query`."""
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {table}) AS {name}" for name, table in PUBLISHED.items())
    result = medallion(env, "query", sql, "--format", "json")
    assert result.returncode == 0, result.stderr
    return {name.lower(): count for name, count in json.loads(result.stdout)[0].items()}


@pytest.mark.timeout(1800)  # the first one builds the session's virtual environment (minutes on a loaded machine)
@pytest.mark.parametrize("snippet", ["lakehouse_pyiceberg.py", "lakehouse_duckdb.py"])
def test_an_outside_client_reads_the_row_counts_of_the_warehouse(published, outside_python, tmp_path, snippet):
    connect = medallion(published, "lakehouse", "connect", "--format", "json")
    assert connect.returncode == 0, connect.stderr
    settings = json.loads(connect.stdout)
    assert set(settings["tables"]) == {t.name for t in lakehouse.PUBLISHED}
    assert all(settings["tables"][name].endswith(".metadata.json") for name in PUBLISHED)
    assert settings["tables"]["gold_market_pulse"] is None  # not published in this home
    (tmp_path / "lakehouse.json").write_text(connect.stdout)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEDALLION_", "PYTHON", "VIRTUAL_ENV"))}
    result = subprocess.run(
        [str(outside_python), str(EXAMPLES / snippet), "lakehouse.json"],
        cwd=tmp_path,  # not the checkout: nothing of the project on sys.path
        env={**clean, **NO_NETWORK, "HOME": str(tmp_path)},  # DuckDB keeps no extension under the real home
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{snippet} failed:\n{result.stdout}\n{result.stderr}"
    counts = {line.split()[0]: int(line.split()[1]) for line in result.stdout.splitlines()}
    expected = _counts(published)
    assert expected == {"gold_ml_features": 3000, "gold_market_analytics": 80, "gold_price_trends": 60}
    assert counts == expected
