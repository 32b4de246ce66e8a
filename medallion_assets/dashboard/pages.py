"""The dashboard's pages: Streamlit code only. Each page asks a cached loader for its frames (one warehouse session
per cache miss, kept for TTL_S), then draws metrics, charts (dashboard/charts.py) and tables. The loaders' plain
logic is in dashboard/queries.py and dashboard/health.py.

A loader that finds no data shows "no data yet: run `make pipeline`"; one that cannot reach the warehouse or the
Dagster instance shows one line naming it, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import streamlit as st

from medallion_assets.dashboard import charts, health, queries
from medallion_assets.dashboard.queries import Filters, NoData
from medallion_assets.lib import settings
from medallion_assets.lib.errors import MedallionError, ServiceUnavailable

TTL_S = 60  # how long a query's answer is reused: fresh enough for tables refreshed by runs, cheap on the warehouse
ALL = "All"


def vnd(value) -> str:
    """A price in VND as people read it: billions (tỷ) or millions (triệu)."""
    if value is None or pd.isna(value):
        return "-"
    value = float(value)
    return f"{value / 1e9:,.2f} bn VND" if abs(value) >= 1e9 else f"{value / 1e6:,.1f} M VND"


def count(value) -> str:
    return "-" if value is None or pd.isna(value) else f"{int(value):,}"


def show(loader, *args):
    """The loader's answer, or None after telling the reader why there is none (one line)."""
    try:
        return loader(*args)
    except NoData as exc:
        st.info(str(exc))
    except ServiceUnavailable as exc:
        st.error(str(exc).splitlines()[0])
    except MedallionError as exc:
        st.error(str(exc).splitlines()[0])
    return None


@st.cache_data(ttl=TTL_S, show_spinner="Reading the warehouse...")
def load(section: str, *args):
    """One page section's frames from one warehouse session, cached for TTL_S per (section, arguments)."""
    with queries.session() as conn:
        if section == "filters":
            return queries.market_filter_values(conn)
        if section == "market":
            return queries.market(conn, Filters(*args))
        if section == "pulse":
            return queries.pulse(conn, *args)
        if section == "changes":
            return queries.price_changes(conn, *args)
        if section == "anomalies":
            return queries.anomalies(conn, *args)
        if section == "model":
            return queries.price_model(conn)
        if section == "quality":
            return queries.quality(conn, *args)
    raise ValueError(section)


@st.cache_data(ttl=TTL_S, show_spinner="Reading the Dagster instance...")
def load_dagster():
    with health.open_instance() as instance:
        return health.read(instance, time.time())


def _select(column, label: str, options: list[str], key: str) -> str | None:
    """A filter whose choice is kept in the page's URL (?city=...), so a view can be shared as a link."""
    choices = [ALL, *options]
    wanted = st.query_params.get(key)
    choice = column.selectbox(label, choices, index=choices.index(wanted) if wanted in choices else 0)
    if choice == ALL:
        if key in st.query_params:
            del st.query_params[key]
        return None
    st.query_params[key] = choice
    return choice


def market_page() -> None:
    st.title("Market")
    values = show(load, "filters")
    if values is None:
        return
    left, middle, right = st.columns(3)
    city = _select(left, "City", sorted(values["city"].unique()), "city")
    in_city = values[values["city"] == city] if city else values
    district = _select(middle, "District", sorted(in_city["district"].unique()), "district")
    property_type = _select(right, "Property type", sorted(values["property_type"].unique()), "property_type")
    data = show(load, "market", city, district, property_type)
    if data is None:
        return
    totals = data["totals"].iloc[0]
    a, b, c = st.columns(3)
    a.metric("Listings", count(totals["listings"]))
    b.metric("Median price", vnd(totals["median_price"]))
    c.metric("Median price per m²", vnd(totals["median_price_per_sqm"]))
    if data["by_area"].empty:
        st.info("no listings match these filters")
        return
    price, per_sqm = st.tabs(["Median price", "Median price per m²"])
    price.altair_chart(charts.median_price_by_area(data["by_area"]), use_container_width=True)
    per_sqm.altair_chart(charts.median_price_by_area(data["by_area"], "median_price_per_sqm"), use_container_width=True)
    st.subheader("Listings by property type")
    st.altair_chart(charts.listings_by_type(data["by_type"]), use_container_width=True)
    with st.expander("By city and district"):
        st.dataframe(data["by_area"], hide_index=True, use_container_width=True)


def pulse_page() -> None:
    st.title("Market pulse")
    st.caption("Per event day (UTC) from GOLD_MARKET_PULSE: one Dagster partition per day.")
    days = st.slider("Days shown", 7, 365, queries.HISTORY_DAYS, step=7)
    since = queries.utc_now().date() - dt.timedelta(days=days)
    data = show(load, "pulse", since)
    if data is None:
        return
    per_day = data["per_day"]
    latest = per_day.iloc[-1]
    st.subheader(f"Latest day: {pd.Timestamp(latest['event_day']).date().isoformat()}")
    cols = st.columns(6)
    for column, (label, measure) in zip(
        cols,
        [
            ("New listings", "new_listings"),
            ("Repricings", "repriced"),
            ("Price drops", "price_drops"),
            ("Delistings", "delisted"),
            ("Relistings", "relisted"),
        ],
    ):
        column.metric(label, count(latest[measure]))
    late = data["late"]
    cols[5].metric("Late changes left out", count(late["late_changes"].sum() if not late.empty else 0))
    cities = sorted(data["days"]["city"].unique())
    city = st.selectbox("City", [ALL, *cities])
    frame = per_day if city == ALL else queries.pulse_per_day(data["days"][data["days"]["city"] == city])
    st.altair_chart(charts.pulse_lines(queries.pulse_long(frame)), use_container_width=True)
    if not late.empty:
        st.subheader("Late changes left out of closed days")
        st.altair_chart(charts.late_changes(late), use_container_width=True)
    with st.expander("Per day and city"):
        st.dataframe(data["days"], hide_index=True, use_container_width=True)


def changes_page() -> None:
    st.title("Price changes and time on market")
    since = queries.utc_now() - dt.timedelta(days=queries.PRICE_CHANGE_DAYS)
    data = show(load, "changes", since.replace(minute=0, second=0, microsecond=0))
    if data is None:
        return
    counts = data["counts"].iloc[0]
    st.subheader(f"Repricings in the last {queries.PRICE_CHANGE_DAYS} days")
    a, b, c = st.columns(3)
    a.metric("Repricings", count(counts["changes"]))
    b.metric("Price drops", count(counts["drops"]))
    c.metric("Price rises", count(counts["rises"]))
    drops, rises = st.columns(2)
    for column, frame, title in ((drops, data["drops"], "Largest drops"), (rises, data["rises"], "Largest rises")):
        if frame.empty:
            column.info(f"{title.lower()}: none in the last {queries.PRICE_CHANGE_DAYS} days")
        else:
            column.altair_chart(charts.price_change_bars(frame, title), use_container_width=True)
            column.dataframe(frame, hide_index=True, use_container_width=True)
    st.subheader("Days on market by city")
    on_market = data["days_on_market"]
    a, b = st.columns(2)
    a.metric("Listings tracked", count(on_market["listings"].sum()))
    b.metric("Still on the market", count(on_market["active"].sum()))
    st.altair_chart(charts.days_on_market(on_market), use_container_width=True)
    st.dataframe(on_market, hide_index=True, use_container_width=True)


def anomalies_page() -> None:
    st.title("Anomalies")
    include_resolved = st.toggle("Show resolved alerts too")
    data = show(load, "anomalies", include_resolved)
    if data is None:
        return
    counts = data["counts"]
    a, b = st.columns(2)
    a.metric("Open alerts", count(counts["alerts"].sum()))
    b.metric("High severity", count(counts.loc[counts["severity"] == "HIGH", "alerts"].sum()))
    if counts.empty:
        st.info("no open alerts")
    else:
        st.altair_chart(charts.alerts_by_type(counts), use_container_width=True)
        st.subheader(f"Open alerts, highest score first (at most {queries.ALERT_ROWS})")
        st.dataframe(data["open"], hide_index=True, use_container_width=True)
    if include_resolved:
        st.subheader(f"Resolved alerts, newest first (at most {queries.ALERT_ROWS})")
        st.dataframe(data["resolved"], hide_index=True, use_container_width=True)


def model_page() -> None:
    st.title("Price model")
    data = show(load, "model")
    if data is None:
        return
    champion = data["champion"]
    st.caption(f"Champion {champion['model_version']} ({champion['model_type']}), metrics on its holdout.")
    a, b, c, d = st.columns(4)
    a.metric("Champion R²", f"{champion['r2']:.4f}")
    b.metric("R² on log price", f"{champion['r2_log']:.4f}")
    c.metric("MAE", vnd(champion["mae"]))
    d.metric("MAPE", f"{champion['mape']:.1%}")
    versions = data["versions"]
    left, right = st.columns(2)
    left.altair_chart(charts.model_metric(versions, "r2_log", "R² on log price"), use_container_width=True)
    right.altair_chart(charts.model_metric(versions, "mae", "MAE (VND)"), use_container_width=True)
    with st.expander(f"All {len(versions)} versions"):
        st.dataframe(versions, hide_index=True, use_container_width=True)
    left, right = st.columns(2)
    left.subheader("Predicted against actual (holdout)")
    if data["holdout"].empty:
        left.info("no holdout predictions for the champion")
    else:
        left.altair_chart(charts.predicted_vs_actual(data["holdout"]), use_container_width=True)
    right.subheader("Feature importance")
    if data["importance"].empty:
        right.info("no feature importance for the champion")
    else:
        right.altair_chart(charts.feature_importance(data["importance"]), use_container_width=True)


def health_page() -> None:
    st.title("Data health")
    since = queries.utc_now() - dt.timedelta(days=queries.HISTORY_DAYS)
    data = show(load, "quality", since.replace(minute=0, second=0, microsecond=0))
    if data is not None:
        quality = data["quality"]
        latest = quality.iloc[-1]
        a, b, c = st.columns(3)
        a.metric(f"Latest quality share (score ≥ {settings.min_quality_score()})", f"{latest['share']:.2%}")
        b.metric("Silver listings", count(latest["silver_rows"]))
        c.metric(f"Rejects, last {queries.HISTORY_DAYS} days", count(data["rejects"]["rejects"].sum()))
        left, right = st.columns(2)
        left.altair_chart(charts.quality_share(quality), use_container_width=True)
        if data["rejects"].empty:
            right.info(f"no rejected messages in the last {queries.HISTORY_DAYS} days")
        else:
            right.altair_chart(charts.rejects_per_day(data["rejects"]), use_container_width=True)
    dagster = show(load_dagster)
    if dagster is None:
        return
    checks = dagster["checks"]
    summary = health.summary(checks)
    a, b, c = st.columns(3)
    a.metric("Checks passing", count(summary["passed"]))
    b.metric("Checks failing", count(summary["failed"]))
    c.metric("Checks not run", count(summary["other"]))
    st.subheader("Freshness per layer")
    st.dataframe(dagster["freshness"], hide_index=True, use_container_width=True)
    st.subheader("Each check's latest result")
    st.dataframe(checks, hide_index=True, use_container_width=True)
    if not dagster["check_history"].empty:
        st.subheader("Check history")
        st.altair_chart(charts.check_history(dagster["check_history"]), use_container_width=True)
    st.subheader("Table assets' last materialization")
    st.dataframe(dagster["tables"], hide_index=True, use_container_width=True)
