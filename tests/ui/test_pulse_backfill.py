"""A backfill of the market pulse launched as the UI launches it (GraphQL `launchPartitionBackfill` against
`dagster dev`, whose daemon runs it): three days asked for, exactly those three partitions materialized, once
each, each with its check passing. GOLD_LISTING_HISTORY is filled by hand (the contract table)."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg
import pytest

from medallion_assets.dev import pipeline
from medallion_assets.lib import pulse, warehouse
from tests.ui.dagster_dev import dagster_dev, graphql, wait_for

BACKFILL_MUTATION = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""
BACKFILL_QUERY = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) { __typename ... on PartitionBackfill { status } }
}
"""
INSERT = (
    f"INSERT INTO {pulse.HISTORY_TABLE} (id, version, valid_from, change_type, price, area, price_per_sqm, city, "
    "arrived_at, loaded_at) VALUES (%s, 1, %s, 'listed', %s, 50.0, %s, 'Cần Thơ', %s, %s)"
)


DAYS = [dt.date(2025, 3, 10) + dt.timedelta(days=n) for n in range(4)]


@pytest.fixture
def history(services_home):
    """Four event days in the history (10-13 March 2025, long closed but each change in time), one new listing
    each. Only these rows are added and removed again: the session's warehouse may hold a real history, whose
    synthetic days are recent and never these."""
    from medallion_assets.defs.resources import resolved, snowflake_resource

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    placeholders = ", ".join(["%s"] * len(DAYS))

    def clear(conn):
        conn.cursor().execute(f"DELETE FROM {pulse.HISTORY_TABLE} WHERE id LIKE 'pulse-backfill-%'")
        conn.cursor().execute(f"DELETE FROM {pulse.PULSE_TABLE} WHERE event_day IN ({placeholders})", DAYS)

    with warehouse.connect(resolved(snowflake_resource())) as conn:
        warehouse.apply_setup(conn)
        clear(conn)
        rows = []
        for n, day in enumerate(DAYS):
            event = dt.datetime.combine(day, dt.time(12))
            rows.append((f"pulse-backfill-{n}", event, 1e9 * (n + 1), 2e7 * (n + 1), event, now))
        conn.cursor().executemany(INSERT, rows)
        yield conn, [d.isoformat() for d in DAYS]
        clear(conn)


def test_a_graphql_backfill_of_three_days_materializes_exactly_three_partitions(history, tmp_path_factory):
    conn, days = history
    wanted = days[:3]
    home = tmp_path_factory.mktemp("dagster-pulse-home")
    os.environ["DAGSTER_HOME"] = str(home)
    pipeline.dagster_home()
    with dagster_dev(home) as url:
        params = {
            "selector": None,
            "assetSelection": [{"path": ["gold_market_pulse"]}],
            "partitionNames": wanted,
            "title": "pulse backfill test",
        }
        launched = graphql(url, BACKFILL_MUTATION, {"params": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill_id = launched["backfillId"]

        def finished():
            status = graphql(url, BACKFILL_QUERY, {"id": backfill_id})["partitionBackfillOrError"]["status"]
            return status if status not in ("REQUESTED", "CANCELING") else None

        assert wait_for(finished, 300, interval=2, what=f"backfill {backfill_id}") == "COMPLETED_SUCCESS"

        instance = dg.DagsterInstance.from_config(str(home))
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        assert len(runs) == 3 and {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        run_ids = {r.run_id for r in runs}
        records = instance.fetch_materializations(dg.AssetKey("gold_market_pulse"), limit=1000).records
        by_backfill = sorted(r.partition_key for r in records if r.run_id in run_ids)
        assert by_backfill == wanted  # exactly the three days, once each; not the fourth
        check = dg.AssetCheckKey(dg.AssetKey("gold_market_pulse"), "pulse_counts_match_history")
        executions = instance.event_log_storage.get_asset_check_execution_history(check, limit=1000)
        mine = [e for e in executions if e.run_id in run_ids]
        assert len(mine) == 3 and {e.status.value for e in mine} == {"SUCCEEDED"}
        instance.dispose()
    rows = conn.cursor().execute(
        f"SELECT event_day, new_listings, median_price FROM {pulse.PULSE_TABLE} WHERE event_day IN "
        "(%s, %s, %s) ORDER BY event_day",
        wanted,
    )
    assert [(r[0].isoformat(), r[1], r[2]) for r in rows.fetchall()] == [
        (day, 1, 1e9 * (n + 1)) for n, day in enumerate(wanted)
    ]
