"""The Dagster UI as people use it: webserver + daemon against the embedded services.

Launches "materialize all" through the GraphQL API, reads every check result back through
GraphQL, then lets the sensors and declarative automation carry new documents to the last
layer with no request from us. Finally a headless Chromium opens the asset graph and a
checks page, then (driven over CDP, tests/ui/cdp.py) the price model's latest materialization and the
two charts behind its [Show Markdown] links; screenshots go to test-artifacts/ (docs/ui-price-model.png
is a copy of test-artifacts/ui-price-model.png). Last, a backfill of three market-pulse days through GraphQL
`launchPartitionBackfill`, run by the same daemon.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest

from medallion_assets.defs.resources import mongo_resource
from medallion_assets.dev import pipeline, seeding, services
from medallion_assets.lib import pulse, warehouse
from tests.ui.cdp import chromium_page
from tests.ui.dagster_dev import dagster_dev, graphql, launch, unpartitioned_selector, wait_for, wait_for_run

ARTIFACTS = services.PROJECT_ROOT / "test-artifacts"

CHECKS_QUERY = """
query {
  assetNodes {
    assetKey { path }
    groupName
    assetChecksOrError {
      ... on AssetChecks {
        checks { name }
      }
    }
  }
}
"""

EXECUTIONS_QUERY = """
query($assetKey: AssetKeyInput!, $checkName: String!) {
  assetCheckExecutions(assetKey: $assetKey, checkName: $checkName, limit: 25) {
    runId status evaluation { success }
  }
}
"""

RUNS_QUERY = """
query { runsOrError(limit: 50) { ... on Runs { results { runId jobName status tags { key value } } } } }
"""


@pytest.fixture(scope="module")
def dagster_ui(services_home, tmp_path_factory):
    """`dagster dev` (webserver + daemon) with a fresh instance, and 400 listings in the default collection."""
    with resolved_collection() as collection:
        collection.delete_many({})
        seeding.insert(collection, 400, random_seed=11)
    home = tmp_path_factory.mktemp("dagster-ui-home")
    os.environ["DAGSTER_HOME"] = str(home)
    pipeline.dagster_home()  # writes dagster.yaml (no pop-up, pools)
    with dagster_dev(home) as url:
        yield url


def resolved_collection():
    from medallion_assets.defs.resources import resolved

    return resolved(mongo_resource()).get_collection()


def check_results(url: str, run_id: str) -> dict[str, dict[str, str]]:
    """{asset: {check: status}} of every check as evaluated in one run, read through GraphQL."""
    results: dict[str, dict[str, str]] = {}
    for node in graphql(url, CHECKS_QUERY)["assetNodes"]:
        path = node["assetKey"]["path"]
        for check in (node["assetChecksOrError"] or {}).get("checks") or []:
            executions = graphql(url, EXECUTIONS_QUERY, {"assetKey": {"path": path}, "checkName": check["name"]})
            mine = [e for e in executions["assetCheckExecutions"] if e["runId"] == run_id]
            results.setdefault("/".join(path), {})[check["name"]] = mine[0]["status"] if mine else "NOT RUN"
    return results


def test_materialize_all_through_graphql_and_every_check_passes(dagster_ui):
    run_id = launch(dagster_ui, unpartitioned_selector())
    assert wait_for_run(dagster_ui, run_id, 300) == "SUCCESS"
    results = check_results(dagster_ui, run_id)
    # the market pulse is partitioned by event day: its check runs with each day (tests/ui/test_pulse_backfill.py)
    assert results.pop("gold_market_pulse") == {"pulse_counts_match_history": "NOT RUN"}
    # and what reads the pulse runs after its days, as in medallion pipeline (dev/pulse_runs.py)
    assert results.pop("lakehouse_gold_market_pulse") == {
        "matches_warehouse": "NOT RUN",
        "snapshot_is_latest": "NOT RUN",
    }
    assert set(results["bronze_real_estate"]) == {
        "bronze_offsets_unique",
        "bronze_offsets_contiguous",
        "bronze_covers_source",
        "bronze_reject_rate",
    }
    not_passed = {f"{a}.{c}": s for a, checks in results.items() for c, s in checks.items() if s != "SUCCEEDED"}
    assert not not_passed, f"checks not passing after materialize all: {not_passed}"


def count_new(conn, sql_name: str, ids: list[str]) -> int:
    return conn.cursor().execute(sql_name.format(ids=",".join(["%s"] * len(ids))), ids).fetchone()[0]


SILVER_NEW = "SELECT COUNT(*) AS n FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE WHERE id IN ({ids})"
TRUSTED_NEW = (
    "SELECT COUNT(*) AS n FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE WHERE id IN ({ids}) "
    "AND data_quality_score >= 0.6 AND price > 0"
)
GOLD_NEW = "SELECT COUNT(*) AS n FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES WHERE id IN ({ids})"
VIEW_NEW = "SELECT COUNT(*) AS n FROM ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS WHERE id IN ({ids})"


def test_sensors_carry_new_documents_to_gold_and_views_without_a_click(dagster_ui, services_home):
    from medallion_assets.defs.resources import resolved, snowflake_resource
    from medallion_assets.lib import warehouse

    # What a reboot does to the embedded servers, with the UI and daemon still running: everything must
    # carry on by itself (databases visible again, sensors and automation pick up the new documents).
    assert services.down(services_home) == ["snowflake", "kafka", "s3", "mongo"]
    services.up(home=services_home)
    with resolved_collection() as collection:
        seeding.insert(collection, 100, random_seed=12)
        new_ids = [str(d["_id"]) for d in collection.find({}, {"_id": 1}).sort("_id", -1).limit(100)]
    started = time.monotonic()

    def arrived() -> bool:
        with warehouse.connect(resolved(snowflake_resource())) as conn:
            if count_new(conn, SILVER_NEW, new_ids) < len(new_ids):
                return False
            trusted = count_new(conn, TRUSTED_NEW, new_ids)
            return trusted > 0 and count_new(conn, GOLD_NEW, new_ids) == trusted == count_new(conn, VIEW_NEW, new_ids)

    wait_for(arrived, 300, interval=3, what="sensors and automation to bring 100 new listings into gold and the views")
    print(f"\n[delay] insert -> gold and views: {time.monotonic() - started:.1f}s")
    runs = graphql(dagster_ui, RUNS_QUERY)["runsOrError"]["results"]
    # one run carries the change from MongoDB to gold: the sensor's change_to_gold_job
    assert any(
        r["jobName"] == "change_to_gold_job"
        and {"key": "medallion/trigger", "value": "mongo_changes_sensor"} in r["tags"]
        and r["status"] == "SUCCESS"
        for r in runs
    ), [(r["jobName"], r["status"]) for r in runs]

    def automated() -> bool:  # then the automation follows gold by itself (ML results, lakehouse)
        runs = graphql(dagster_ui, RUNS_QUERY)["runsOrError"]["results"]
        return any(
            any(t["key"] == "dagster/automation_condition" or t["value"] == "medallion_automation" for t in r["tags"])
            for r in runs
        )

    wait_for(automated, 240, interval=3, what="declarative automation to follow gold (ML results, lakehouse)")


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,2400",  # tall enough that the virtualized catalog renders every asset row
]


def browse(url: str, screenshot: Path, tmp_path: Path) -> str:
    """Render a UI page in headless Chromium: returns the visible text and saves a screenshot."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    common = [chromium, *CHROMIUM_FLAGS, "--virtual-time-budget=20000"]
    dom = subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-shot'}", f"--screenshot={screenshot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    dom = re.sub(r"<script.*?</script>|<style.*?</style>", " ", dom, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="Chromium is not installed (Debian package `chromium`; `make test` installs it when run as root)",
)
def test_a_person_sees_the_graph_and_green_checks_in_chromium(dagster_ui, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    graph_text = browse(f"{dagster_ui}/asset-groups", ARTIFACTS / "asset-graph.png", tmp_path)
    assert "Global asset lineage" in graph_text
    for group in ("source", "ingestion", "bronze", "silver", "gold", "semantic"):
        assert group in graph_text.split(), f"group {group} not on the lineage page"
    catalog_text = browse(f"{dagster_ui}/assets", ARTIFACTS / "asset-catalog.png", tmp_path)
    # the list is virtualized: the rows below the fold (the semantic views) are not in the DOM
    for name in (
        "bronze_real_estate",
        "silver_real_estate",
        "gold_ml_features",
        "gold_market_pulse",
        "lakehouse_gold_ml_features",
    ):
        assert name in catalog_text, f"{name} not visible in the asset catalog"
    checks_text = browse(
        f"{dagster_ui}/assets/silver_real_estate?view=checks", ARTIFACTS / "silver-checks.png", tmp_path
    )
    for check in ("silver_quality_share", "silver_ids_unique", "silver_reconciles_with_bronze"):
        assert check in checks_text
    assert "Succeeded" in checks_text and "Failed" not in checks_text
    assert (ARTIFACTS / "asset-graph.png").stat().st_size > 10_000
    pictures = price_model_pictures(dagster_ui, ARTIFACTS / "ui-price-model.png", tmp_path)
    for key in ("predicted_vs_actual", "feature_importance"):
        assert pictures[key]["naturalWidth"] == 600 and pictures[key]["naturalHeight"] == 350, pictures
        assert pictures[key]["width"] > 0 and pictures[key]["height"] > 0, pictures
    assert (ARTIFACTS / "ui-price-model.png").stat().st_size > 10_000


# The metadata row `key` of the materialization shown: click its "[Show Markdown]" (charts are too long to show
# inline) and report the rendered <img> once it has loaded and has a size on screen.
OPEN_PICTURE = """(() => {
  const links = [...document.querySelectorAll('button, a, span')]
    .filter(e => e.textContent.trim() === '[Show Markdown]');
  const link = links.find(e => {
    const row = e.closest('tr');
    return row && row.cells[0].textContent.trim() === KEY;
  });
  if (!link) return null;
  link.scrollIntoView({block: 'center'});
  const box = link.getBoundingClientRect();
  return box.width > 0 ? {x: box.x + box.width / 2, y: box.y + box.height / 2} : null;
})()"""
RENDERED_PICTURE = """(() => {
  const img = [...document.querySelectorAll('img')]
    .find(i => i.src.startsWith('data:image/png;base64,') && i.complete && i.naturalWidth > 0);
  if (!img) return null;
  const box = img.getBoundingClientRect();
  return box.width > 0 && box.height > 0 ? {alt: img.alt, naturalWidth: img.naturalWidth,
    naturalHeight: img.naturalHeight, width: box.width, height: box.height} : null;
})()"""
SEEN_IMAGES = """[...document.images].map(i => ({src: i.src.slice(0, 40), complete: i.complete,
  naturalWidth: i.naturalWidth, box: JSON.stringify(i.getBoundingClientRect())}))
  .concat([{dialogs: document.querySelectorAll('[role=dialog]').length,
            text: document.body.innerText.slice(-2000)}])"""
CLOSE_DIALOG = """(() => {
  const close = [...document.querySelectorAll('[role=dialog] button, .bp5-dialog button')]
    .find(b => b.textContent.trim() === 'Close');
  if (close) close.click();
  return true;
})()"""


def price_model_pictures(url: str, screenshot: Path, tmp_path: Path) -> dict[str, dict]:
    """Open the price model's latest materialization in the asset catalog and each of its two charts."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    found = {}
    with chromium_page(chromium, CHROMIUM_FLAGS, tmp_path / "profile-cdp") as page:
        page.goto(f"{url}/assets/price_model?view=events")
        for key in ("predicted_vs_actual", "feature_importance"):
            for _ in range(3):  # a click as a person does it: the mouse on the link
                where = page.wait_for(OPEN_PICTURE.replace("KEY", repr(key)), timeout=90)
                page.click(where["x"], where["y"])
                try:
                    found[key] = page.wait_for(RENDERED_PICTURE, timeout=15)
                    break
                except TimeoutError:
                    continue
            else:
                page.screenshot(screenshot.with_name(f"failed-{key}.png"))
                seen = page.evaluate(SEEN_IMAGES)
                raise AssertionError(f"{key}: no rendered chart; images on the page: {seen}")
            if key == "predicted_vs_actual":
                time.sleep(0.5)  # the dialog's opening transition
                page.screenshot(screenshot)
            page.evaluate(CLOSE_DIALOG)
            page.wait_for("![...document.images].some(i => i.src.startsWith('data:image/png'))", timeout=15)
    return found


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
def pulse_history(services_home):
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


def test_a_graphql_backfill_of_three_days_materializes_exactly_three_partitions(dagster_ui, pulse_history):
    """A backfill of the market pulse launched as the UI launches it (GraphQL `launchPartitionBackfill`, run by the
    daemon of the same `dagster dev`): three days asked for, one run over the range, exactly those three partitions
    materialized, once each, each with its own check evaluation passing. GOLD_LISTING_HISTORY is filled by hand
    (the contract table)."""
    conn, days = pulse_history
    wanted = days[:3]
    home = os.environ["DAGSTER_HOME"]  # the dagster_ui fixture's instance
    url = dagster_ui
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

    instance = dg.DagsterInstance.from_config(home)
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
    # the pulse's backfill policy runs ranges of days (MEDALLION_PULSE_DAYS_PER_RUN, default 31): one run
    assert len(runs) == 1 and {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
    run_ids = {r.run_id for r in runs}
    records = instance.fetch_materializations(dg.AssetKey("gold_market_pulse"), limit=1000).records
    by_backfill = sorted(r.partition_key for r in records if r.run_id in run_ids)
    assert by_backfill == wanted  # exactly the three days, once each; not the fourth
    check = dg.AssetCheckKey(dg.AssetKey("gold_market_pulse"), "pulse_counts_match_history")
    executions = instance.event_log_storage.get_asset_check_execution_history(check, limit=1000)
    mine = [e for e in executions if e.run_id in run_ids]
    assert len(mine) == 3 and {e.status.value for e in mine} == {"SUCCEEDED"}  # one evaluation per day
    assert sorted(e.event.dagster_event.event_specific_data.partition for e in mine) == wanted
    instance.dispose()
    rows = conn.cursor().execute(
        f"SELECT event_day, new_listings, median_price FROM {pulse.PULSE_TABLE} WHERE event_day IN "
        "(%s, %s, %s) ORDER BY event_day",
        wanted,
    )
    assert [(r[0].isoformat(), r[1], r[2]) for r in rows.fetchall()] == [
        (day, 1, 1e9 * (n + 1)) for n, day in enumerate(wanted)
    ]
