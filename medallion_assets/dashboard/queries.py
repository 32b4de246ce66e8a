"""What the dashboard shows, as DataFrames: one function per page section, each running statements from
sql/dashboard/ with bound parameters on a connection it is given. Plain Python, no Streamlit: the page code
(dashboard/pages.py) opens one session per cache miss, caches the frames for a short time and draws them.

The warehouse is reached through the project's own settings (defs/resources.py: the embedded warehouse
locally, Snowflake with MEDALLION_ENV=production); everything read here is a semantic view, an ML result
or one of the logs named in docs/dashboard.md, so a role with SELECT on those is enough.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from medallion_assets.lib import settings, warehouse
from medallion_assets.lib.errors import MedallionError, MissingObject
from medallion_assets.lib.ml_tables import DEFAULT_MODEL_NAME

NO_DATA = "no data yet: run `make pipeline`"
TOP_CHANGES = 20
ALERT_ROWS = 500
HOLDOUT_POINTS = 2000
HISTORY_DAYS = 90
PRICE_CHANGE_DAYS = 7
# DATA_QUALITY_LOG's score buckets (0.0 .. 1.0 in steps of 0.2) as (column, lowest score in the bucket)
SCORE_BUCKETS = tuple((f"score_{s.replace('.', '_')}", float(s)) for s in ("0.0", "0.2", "0.4", "0.6", "0.8", "1.0"))


class NoData(MedallionError):
    """The tables are not there yet, or hold nothing for this page: the pipeline has not run."""

    def __init__(self, message: str = NO_DATA):
        super().__init__(message)


@contextmanager
def session() -> Iterator[Any]:
    """One warehouse session through the project's settings (embedded or Snowflake, by MEDALLION_ENV).
    Raises ServiceUnavailable (one line naming the warehouse) when it cannot be reached."""
    from medallion_assets.defs.resources import resolved, snowflake_resource

    with warehouse.connect(resolved(snowflake_resource())) as conn:
        yield conn


def _plain(value):
    return float(value) if isinstance(value, decimal.Decimal) else value


def frame(conn, name: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The rows of ``sql/<name>.sql`` as a DataFrame with lower-case columns (NUMBER with a scale as float).
    A table or view that does not exist yet means the pipeline has not run: NoData, naming the object (on
    Snowflake a missing grant reads the same: "does not exist or not authorized")."""
    try:
        cursor = warehouse.execute(conn, name, params)
    except MissingObject as exc:  # Snowflake says the same of an object not granted: keep its words
        detail = str(exc).splitlines()[0].split(": ", 1)[-1]
        raise NoData(f"{NO_DATA} ({detail})") from None
    columns = [c[0].lower() for c in cursor.description]
    rows = [tuple(_plain(v) for v in row) for row in cursor.fetchall()]
    return pd.DataFrame.from_records(rows, columns=columns)


def utc_now() -> dt.datetime:
    """Now as the warehouse stores times: UTC wall clock without a zone (TIMESTAMP_NTZ)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- Market ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The Market page's filters; None means all."""

    city: str | None = None
    district: str | None = None
    property_type: str | None = None

    def params(self) -> dict:
        return {"city": self.city, "district": self.district, "property_type": self.property_type}


def market_filter_values(conn) -> pd.DataFrame:
    values = frame(conn, "dashboard/market_filter_values")
    if values.empty:
        raise NoData()
    return values


def market(conn, filters: Filters) -> dict[str, pd.DataFrame]:
    """Headline figures, median price (and per m²) by city and district, listings by property type."""
    totals = frame(conn, "dashboard/market_totals", filters.params())
    if filters == Filters() and (totals.empty or not totals.at[0, "listings"]):
        raise NoData()
    return {
        "totals": totals,
        "by_area": frame(conn, "dashboard/market_by_area", filters.params()),
        "by_type": frame(conn, "dashboard/market_by_type", filters.params()),
    }


# --- Market pulse ------------------------------------------------------------------------------------------


PULSE_MEASURES = ("new_listings", "repriced", "price_drops", "delisted", "relisted")


def pulse(conn, since: dt.date) -> dict[str, pd.DataFrame]:
    """The pulse per (day, city) since a day, the totals per day, and the late changes left out per day."""
    days = frame(conn, "dashboard/pulse_days", {"since": since})
    if days.empty:
        raise NoData()
    late = frame(conn, "dashboard/pulse_late", {"since": since})
    return {"days": days, "per_day": pulse_per_day(days), "late": late}


def pulse_per_day(days: pd.DataFrame) -> pd.DataFrame:
    """All cities together: one row per event day with each measure summed."""
    summed = days.groupby("event_day", as_index=False)[list(PULSE_MEASURES)].sum()
    return summed.sort_values("event_day").reset_index(drop=True)


def pulse_long(per_day: pd.DataFrame) -> pd.DataFrame:
    """(event_day, measure, count) for a line per measure."""
    return per_day.melt(id_vars="event_day", value_vars=list(PULSE_MEASURES), var_name="measure", value_name="count")


# --- Price changes and time on market ----------------------------------------------------------------------


def price_changes(conn, since: dt.datetime) -> dict[str, pd.DataFrame]:
    """The largest drops and rises since a time, how many there were, and days on market by city."""
    on_market = frame(conn, "dashboard/days_on_market")
    if on_market.empty:
        raise NoData()
    window = {"since": since, "limit": TOP_CHANGES}
    return {
        "counts": frame(conn, "dashboard/price_change_counts", {"since": since}),
        "drops": frame(conn, "dashboard/largest_changes", {**window, "direction": 1}),
        "rises": frame(conn, "dashboard/largest_changes", {**window, "direction": -1}),
        "days_on_market": on_market,
    }


# --- Anomalies ---------------------------------------------------------------------------------------------


def anomalies(conn, include_resolved: bool) -> dict[str, pd.DataFrame]:
    """Open alerts (per type and severity, and the highest-scored ones with their listing); resolved on demand.
    No listing in the semantic layer at all means no pipeline run yet."""
    counts = frame(conn, "dashboard/open_alert_counts")
    if counts.empty:
        market_filter_values(conn)  # no listing in the semantic layer at all: NoData
    result = {"counts": counts, "open": frame(conn, "dashboard/open_alerts", {"limit": ALERT_ROWS})}
    if include_resolved:
        result["resolved"] = frame(conn, "dashboard/resolved_alerts", {"limit": ALERT_ROWS})
    return result


# --- Price model -------------------------------------------------------------------------------------------


def price_model(conn, model_name: str = DEFAULT_MODEL_NAME) -> dict:
    """Every version's metrics (the champion first among equals), the champion's predicted-against-actual
    holdout and its feature importance."""
    versions = frame(conn, "dashboard/model_versions", {"model_name": model_name})
    if versions.empty:
        raise NoData("no price model trained yet: run `make pipeline` (it needs at least 30 priced listings)")
    champions = versions[versions["status"] == "champion"]
    champion = (champions if not champions.empty else versions).iloc[0]
    version = champion["model_version"]
    return {
        "versions": versions,
        "champion": champion,
        "holdout": frame(conn, "dashboard/holdout_predictions", {"model_version": version, "limit": HOLDOUT_POINTS}),
        "importance": frame(conn, "dashboard/feature_importance", {"model_version": version}),
    }


# --- Data health (warehouse part; the Dagster part is in dashboard/health.py) ------------------------------


def quality(conn, since: dt.datetime, threshold: float | None = None) -> dict[str, pd.DataFrame]:
    """Silver's share of rows at or above the quality bar (MEDALLION_MIN_QUALITY_SCORE, as silver and gold use it)
    after each silver run, and rejects per day."""
    threshold = settings.min_quality_score() if threshold is None else threshold
    log = frame(conn, "dashboard/quality_log", {"since": since})
    if log.empty:
        raise NoData()
    return {
        "quality": quality_share(log, threshold),
        "rejects": frame(conn, "dashboard/rejects_per_day", {"since": since}),
    }


def quality_share(log: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """(logged_at, silver_rows, trusted_rows, share): share = listings scored >= threshold / all silver listings."""
    above = [column for column, low in SCORE_BUCKETS if low >= threshold - 1e-9]
    out = log[["logged_at", "silver_rows"]].copy()
    out["trusted_rows"] = log[above].fillna(0).sum(axis=1).astype("int64")
    rows = out["silver_rows"].astype("float64")
    out["share"] = (out["trusted_rows"] / rows).where(rows > 0)
    return out
