"""The dashboard's plain logic without a warehouse or a browser: the quality share, the pulse per day, the charts'
Vega-Lite specifications, the number formats, the Dagster side on an empty instance, and the pages' paths."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from medallion_assets.dashboard import charts, health, queries
from medallion_assets.lib.errors import ServiceUnavailable
from tests.ui.dashboard_app import PAGES

DAY1, DAY2 = dt.date(2026, 12, 1), dt.date(2026, 12, 2)


def quality_log(**buckets) -> pd.DataFrame:
    columns = [c for c, _ in queries.SCORE_BUCKETS]
    row = {"logged_at": dt.datetime(2026, 12, 1), "silver_rows": sum(buckets.values()), **dict.fromkeys(columns, 0)}
    return pd.DataFrame([{**row, **buckets}])


def test_quality_share_counts_the_buckets_at_or_above_the_threshold():
    log = quality_log(score_0_4=5, score_0_6=10, score_0_8=20, score_1_0=65)  # 100 rows
    assert queries.quality_share(log, 0.6).iloc[0][["trusted_rows", "share"]].tolist() == [95, 0.95]
    assert queries.quality_share(log, 0.8).iloc[0]["share"] == 0.85
    assert queries.quality_share(log, 1.0).iloc[0]["share"] == 0.65
    assert queries.quality_share(log, 0.0).iloc[0]["share"] == 1.0


def test_quality_share_of_an_empty_silver_is_unknown_not_zero():
    assert pd.isna(queries.quality_share(quality_log(), 0.6).iloc[0]["share"])


def test_the_pulse_per_day_sums_the_cities():
    days = pd.DataFrame(
        [
            {"event_day": DAY2, "city": "A", **dict.fromkeys(queries.PULSE_MEASURES, 1), "price_drops": 3},
            {"event_day": DAY1, "city": "A", **dict.fromkeys(queries.PULSE_MEASURES, 2)},
            {"event_day": DAY2, "city": "B", **dict.fromkeys(queries.PULSE_MEASURES, 4)},
        ]
    )
    per_day = queries.pulse_per_day(days)
    assert per_day["event_day"].tolist() == [DAY1, DAY2]
    assert per_day["price_drops"].tolist() == [2, 7]
    assert per_day["new_listings"].tolist() == [2, 5]
    long = queries.pulse_long(per_day)
    assert len(long) == 2 * len(queries.PULSE_MEASURES)
    assert long.set_index(["event_day", "measure"]).loc[(DAY2, "price_drops"), "count"] == 7


CHART_CASES = {
    "median_price_by_area": (
        lambda: charts.median_price_by_area(
            pd.DataFrame({"city": ["X", "Y"], "district": ["a", "b"], "listings": [3, 5], "median_price": [2e9, 3e9]})
        ),
        "median_price",
    ),
    "listings_by_type": (
        lambda: charts.listings_by_type(pd.DataFrame({"property_type": ["Nhà"], "listings": [4], "avg_price": [1e9]})),
        "listings",
    ),
    "predicted_vs_actual": (
        lambda: charts.predicted_vs_actual(
            pd.DataFrame({"id": ["1", "2"], "actual_price": [1e9, 2e9], "predicted_price": [1.5e9, 1.8e9]})
        ),
        "predicted_price",
    ),
    "check_history": (
        lambda: charts.check_history(
            pd.DataFrame(
                {"check": ["a.c"], "status": ["FAILED"], "executed_at": [dt.datetime(2026, 1, 1)], "run_id": ["r"]}
            )
        ),
        "status",
    ),
}


@pytest.mark.parametrize("name", sorted(CHART_CASES))
def test_charts_are_valid_vega_lite_over_the_frames_columns(name):
    build, field = CHART_CASES[name]
    spec = build().to_dict()  # validates against the Vega-Lite schema
    assert field in str(spec)
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_prices_and_counts_read_as_people_read_them():
    from medallion_assets.dashboard.pages import count, vnd

    assert vnd(3_500_000_000) == "3.50 bn VND"
    assert vnd(850_000_000) == "850.0 M VND"
    assert vnd(None) == "-"
    assert count(12345) == "12,345"
    assert count(float("nan")) == "-"


def test_the_dagster_side_of_an_empty_instance_lists_every_check_as_never_run():
    from medallion_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    with dg.DagsterInstance.ephemeral() as instance:
        read = health.read(instance, now=0.0, graph=graph)
    assert len(read["checks"]) == len(graph.asset_check_keys)
    assert set(read["checks"]["status"]) == {"NEVER RUN"}
    assert health.summary(read["checks"]) == {"passed": 0, "failed": 0, "other": len(graph.asset_check_keys)}
    assert read["tables"]["last_materialized"].isna().all() and len(read["tables"]) > 10
    assert set(read["freshness"]["layer"]) == {n.group_name for n in graph.asset_nodes if n.is_materializable}
    assert read["check_history"].empty


def test_no_dagster_home_is_one_line_naming_the_instance(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(ServiceUnavailable, match="^the Dagster instance is not configured: DAGSTER_HOME is not set$"):
        health.open_instance()


def test_the_browser_tests_open_the_pages_the_app_declares():
    """(url path, title) of every st.Page in app.py, the default one at the root: as tests/ui/dashboard_app.py has."""
    app = Path(queries.__file__).with_name("app.py")
    declared = []
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "st.Page":
            keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
            declared.append(("" if keywords.get("default") else keywords["url_path"], keywords["title"]))
    assert declared == PAGES
