"""`medallion status` after a pipeline run, and after a check was broken on purpose."""

from __future__ import annotations

import subprocess
import sys

from medallion_assets.definitions import defs
from tests.helpers import medallion, private_env

SILVER = "STAGING_DB.CLEANED.SILVER_REAL_ESTATE"
# The one check, through the whole graph's job, on the instance at $DAGSTER_HOME (as the UI's "execute check").
RUN_CHECK = """
import dagster as dg
from medallion_assets.definitions import defs
key = dg.AssetCheckKey(dg.AssetKey("silver_real_estate"), "silver_ids_unique")
job = defs.get_implicit_global_asset_job_def().get_subset(asset_selection=set(), asset_check_selection={key})
result = job.execute_in_process(instance=dg.DagsterInstance.get(), raise_on_error=False)
print("passed", [e.passed for e in result.get_asset_check_evaluations()] == [True])
"""


def _section(out: str, title: str) -> list[list[str]]:
    """The rows of one plain-text section, split on runs of two or more spaces."""
    import re

    block = out.split(f"{title}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [re.split(r"\s{2,}", line.strip()) for line in block[2:-1]]


def test_status_lists_tables_with_row_counts_then_a_failing_check(
    stack, services_home, warehouse_port, snowflake_resource, tmp_path, monkeypatch
):
    from medallion_assets.lib import warehouse

    env = private_env(services_home, warehouse_port, tmp_path)
    done = medallion(env, "pipeline", "--count", "10", "--no-services")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    status = medallion(env, "status", timeout=120)
    assert status.returncode == 0, status.stdout + status.stderr[-3000:]
    out = status.stdout
    assert [row[:2] for row in _section(out, "Services")] == [
        ["mongo", "up"],
        ["s3", "up"],
        ["kafka", "up"],
        ["snowflake", "up"],
    ]
    graph = defs.resolve_asset_graph()
    tables = {
        n.key.to_user_string(): str(n.metadata["dagster/table_name"])
        for n in graph.asset_nodes
        if "dagster/table_name" in (n.metadata or {})
    }
    listed = {row[0]: row for row in _section(out, "Tables")}
    assert set(listed) == set(tables)
    with warehouse.connect(snowflake_resource) as conn:
        counts = {a: conn.cursor().execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for a, t in tables.items()}
    # On 10 listings the price model is not trained (see test_pipeline.py), so its tables were never written.
    never = {"price_model", "model_registry", "feature_importance", "price_predictions"} & set(tables)
    # The market pulse is partitioned by event day: never materialized while the history has no day, and then
    # its row count is that of the day materialized last, not of the table.
    partitioned = {"gold_market_pulse"}
    assert {a for a, row in listed.items() if row[3:] == ["never", "-"]} - partitioned == never
    assert {a: row[4] for a, row in listed.items() if a not in never | partitioned} == {
        a: f"{n}" for a, n in counts.items() if a not in never | partitioned
    }
    assert counts["silver_real_estate"] == 10
    assert "Failing checks\n(none)\n" in out

    # A duplicate listing in silver: its uniqueness check, run again against the same instance, fails.
    with warehouse.connect(snowflake_resource) as conn:
        conn.cursor().execute(f"INSERT INTO {SILVER} SELECT * FROM {SILVER} LIMIT 1")
    checked = subprocess.run([sys.executable, "-c", RUN_CHECK], env=env, capture_output=True, text=True, timeout=120)
    assert checked.stdout.strip() == "passed False", checked.stderr[-3000:]

    status = medallion(env, "status", timeout=120)
    assert status.returncode == 3
    assert _section(status.stdout, "Failing checks") == [
        ["silver_real_estate", "silver_ids_unique", "Listing ids are unique (and present) in silver."]
    ]


def test_status_names_a_configured_service_that_does_not_answer(services_home, monkeypatch, capsys):
    from medallion_assets import cli
    from medallion_assets.dev import services

    dead = services.free_port()
    monkeypatch.setenv("MEDALLION_EMBEDDED", "kafka,snowflake")
    monkeypatch.setenv("MONGO_URI", f"mongodb://127.0.0.1:{dead}/")
    assert cli.main(["status"]) == 3
    rows = {row[0]: row for row in _section(capsys.readouterr().out, "Services")}
    assert rows["mongo"][1:3] == ["down", "configured"]
    assert f"127.0.0.1:{dead}" in rows["mongo"][3]
    assert [rows[n][1] for n in ("s3", "kafka", "snowflake")] == ["up", "up", "up"]
