"""The dashboard's charts as Altair (Vega-Lite) specifications built from the frames of dashboard/queries.py and
dashboard/health.py. Streamlit draws them natively (st.altair_chart); nothing is fetched from the internet (no map
tiles: places are bars, not maps). Plain functions, unit-testable without Streamlit."""

from __future__ import annotations

import altair as alt
import pandas as pd

TOP_AREAS = 25  # districts on the median-price chart (the ones with the most listings)
STATUS_COLORS = alt.Scale(
    domain=["SUCCEEDED", "FAILED", "PLANNED", "SKIPPED", "EXECUTION_FAILED"],
    range=["#2e7d32", "#c62828", "#9e9e9e", "#bdbdbd", "#6a1b9a"],
)


def _vnd(field: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(field, title=title, format=",.0f")


def _vnd_axis() -> alt.Axis:
    """VND as people read it: billions (bn) or millions (M)."""
    return alt.Axis(
        labelExpr="abs(datum.value) >= 1e9 ? format(datum.value / 1e9, ',.1~f') + ' bn' "
        ": format(datum.value / 1e6, ',.0f') + ' M'"
    )


BAR = alt.Step(18)  # the height of one bar: every label shows
LABELS = alt.Axis(labelLimit=220, labelOverlap=False)


def median_price_by_area(by_area: pd.DataFrame, measure: str = "median_price") -> alt.Chart:
    """Median price (or per m²) of the districts with the most listings, one bar each, coloured by city."""
    top = by_area.nlargest(TOP_AREAS, "listings").copy()
    top["area_label"] = top["district"] + ", " + top["city"]
    title = "median price per m² (VND)" if measure == "median_price_per_sqm" else "median price (VND)"
    return (
        alt.Chart(top)
        .mark_bar()
        .encode(
            x=alt.X(f"{measure}:Q", title=title, axis=_vnd_axis()),
            y=alt.Y("area_label:N", sort="-x", title=None, axis=LABELS),
            color=alt.Color("city:N", title="city"),
            tooltip=["city", "district", alt.Tooltip("listings:Q", format=","), _vnd(f"{measure}:Q", title)],
        )
        .properties(height=BAR)
    )


def listings_by_type(by_type: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(by_type)
        .mark_bar()
        .encode(
            x=alt.X("listings:Q", title="listings"),
            y=alt.Y("property_type:N", sort="-x", title=None, axis=LABELS),
            tooltip=["property_type", alt.Tooltip("listings:Q", format=","), _vnd("avg_price:Q", "average price")],
        )
        .properties(height=BAR)
    )


def pulse_lines(long: pd.DataFrame) -> alt.Chart:
    """One line per measure (new listings, repricings, drops, delistings, relistings) over event days."""
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("event_day:T", title="event day (UTC)"),
            y=alt.Y("count:Q", title="listings"),
            color=alt.Color("measure:N", title=None),
            tooltip=[alt.Tooltip("event_day:T", title="day"), "measure", "count"],
        )
        .properties(height=320)
    )


def late_changes(late: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(late)
        .mark_bar()
        .encode(
            x=alt.X("event_day:T", title="event day (UTC)"),
            y=alt.Y("late_changes:Q", title="late changes left out"),
            color=alt.Color("change_type:N", title="change"),
            tooltip=[alt.Tooltip("event_day:T", title="day"), "change_type", "late_changes"],
        )
        .properties(height=200)
    )


def price_change_bars(changes: pd.DataFrame, title: str) -> alt.Chart:
    data = changes.assign(listing=changes["id"].astype(str))
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X("price_change_pct:Q", title="price change (%)"),
            y=alt.Y("listing:N", sort=alt.EncodingSortField("price_change_pct", op="min"), title=None, axis=LABELS),
            color=alt.condition("datum.price_change_pct < 0", alt.value("#c62828"), alt.value("#2e7d32")),
            tooltip=["listing", "city", "district", _vnd("old_price:Q", "old"), _vnd("new_price:Q", "new")],
        )
        .properties(height=BAR)
    )


def days_on_market(by_city: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(by_city)
        .mark_bar()
        .encode(
            x=alt.X("median_days:Q", title="median days on market"),
            y=alt.Y("city:N", sort="-x", title=None, axis=LABELS),
            tooltip=["city", "listings", "active", alt.Tooltip("median_days:Q", format=".1f")],
        )
        .properties(height=BAR)
    )


def alerts_by_type(counts: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("alerts:Q", title="open alerts"),
            y=alt.Y("anomaly_type:N", title=None, axis=LABELS),
            color=alt.Color(
                "severity:N", scale=alt.Scale(domain=["HIGH", "MEDIUM", "LOW"], range=["#c62828", "#ef6c00", "#fbc02d"])
            ),
            tooltip=["anomaly_type", "severity", "alerts"],
        )
        .properties(height=BAR)
    )


def model_metric(versions: pd.DataFrame, metric: str, title: str) -> alt.Chart:
    """One bar per model version (newest on top), the champion's highlighted."""
    return (
        alt.Chart(versions.assign(version=versions["model_version"].str[:12]), title=title)
        .mark_bar()
        .encode(
            x=alt.X(f"{metric}:Q", title=title),
            y=alt.Y("version:N", sort=None, title=None, axis=LABELS),
            color=alt.Color("status:N", scale=alt.Scale(domain=["champion", "challenger", "archived"])),
            tooltip=["model_version", "model_type", "status", alt.Tooltip(f"{metric}:Q", format=",.4~f")],
        )
        .properties(height=BAR)
    )


def predicted_vs_actual(holdout: pd.DataFrame) -> alt.LayerChart:
    """Predicted against actual price on log scales, with the line where they are equal."""
    low = float(min(holdout["actual_price"].min(), holdout["predicted_price"].min()))
    high = float(max(holdout["actual_price"].max(), holdout["predicted_price"].max()))
    scale = alt.Scale(type="log", domain=[low, high])
    points = (
        alt.Chart(holdout)
        .mark_circle(size=18, opacity=0.5)
        .encode(
            x=alt.X("actual_price:Q", scale=scale, title="actual price (VND)", axis=_vnd_axis()),
            y=alt.Y("predicted_price:Q", scale=scale, title="predicted price (VND)", axis=_vnd_axis()),
            tooltip=["id", _vnd("actual_price:Q", "actual"), _vnd("predicted_price:Q", "predicted")],
        )
    )
    diagonal = alt.Chart(pd.DataFrame({"v": [low, high]})).mark_line(color="#757575").encode(x="v:Q", y="v:Q")
    return (points + diagonal).properties(height=380)


def feature_importance(importance: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(importance)
        .mark_bar()
        .encode(
            x=alt.X("importance_score:Q", title="holdout MAE increase when shuffled (VND)", axis=_vnd_axis()),
            y=alt.Y("feature_name:N", sort="-x", title=None, axis=LABELS),
            tooltip=["feature_name", "rank", _vnd("importance_score:Q", "importance")],
        )
        .properties(height=BAR)
    )


def quality_share(quality: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(quality)
        .mark_line(point=True)
        .encode(
            x=alt.X("logged_at:T", title="silver run (UTC)"),
            y=alt.Y("share:Q", title="share at or above the threshold", axis=alt.Axis(format="%")),
            tooltip=[alt.Tooltip("logged_at:T"), alt.Tooltip("share:Q", format=".2%"), "silver_rows"],
        )
        .properties(height=220)
    )


def rejects_per_day(rejects: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(rejects)
        .mark_bar()
        .encode(
            x=alt.X("rejected_day:T", title="day (UTC)"),
            y=alt.Y("rejects:Q", title="rejected messages"),
            tooltip=[alt.Tooltip("rejected_day:T", title="day"), "rejects"],
        )
        .properties(height=200)
    )


def check_history(history: pd.DataFrame) -> alt.Chart:
    """Each check's recent executions as dots over time, green passed and red failed."""
    return (
        alt.Chart(history)
        .mark_circle(size=60)
        .encode(
            x=alt.X("executed_at:T", title="executed (UTC)"),
            y=alt.Y("check:N", title=None, axis=LABELS),
            color=alt.Color("status:N", scale=STATUS_COLORS),
            tooltip=["check", "status", alt.Tooltip("executed_at:T"), "run_id"],
        )
        .properties(height=BAR)
    )
