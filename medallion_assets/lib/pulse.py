"""The daily market pulse (ANALYTICS_DB.DWH.GOLD_MARKET_PULSE) from the listing history: one partition per
event day (valid_from::DATE, UTC), rebuilt as a unit, and the rules for late changes.

A history version is LATE when it reached the warehouse after its day had closed:
``arrived_at > event_day + 1 day + lateness_days`` (an unknown arrival counts as in time). The pulse of a day
counts only versions that were not late, so rebuilding a closed day (a rerun, a backfill) always gives the
same answer and a late change never changes it; late versions go to GOLD_PULSE_LATE_CHANGES instead, once
each. The lateness is a deployment setting (MEDALLION_PULSE_LATENESS_DAYS, default 7) stored on every pulse
row, so the pulse check judges a day by the window it was built with.
"""

from __future__ import annotations

import datetime as dt
import os

from medallion_assets.lib import warehouse
from medallion_assets.lib.errors import MedallionError

PULSE_TABLE = "ANALYTICS_DB.DWH.GOLD_MARKET_PULSE"
LATE_TABLE = "ANALYTICS_DB.DWH.GOLD_PULSE_LATE_CHANGES"
HISTORY_TABLE = "ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY"
LATENESS_VARIABLE = "MEDALLION_PULSE_LATENESS_DAYS"
START_VARIABLE = "MEDALLION_PULSE_START_DATE"
DEFAULT_LATENESS_DAYS = 7
MAX_LATENESS_DAYS = 366
DEFAULT_START_DATE = "2025-01-01"
BEGINNING = "1970-01-01 00:00:00"  # a cursor before any loaded_at
# Late versions are looked for from this long before the sensor's cursor: a history load stamped before
# another one but committed after it has a loaded_at behind the cursor. The log takes each version once.
LATE_SCAN_OVERLAP = dt.timedelta(hours=1)
COUNTS = ("new_listings", "repriced", "price_drops", "changed", "delisted", "relisted", "total_changes")


def lateness_days() -> int:
    """MEDALLION_PULSE_LATENESS_DAYS: whole days after its day ends that a change may still arrive (default 7)."""
    raw = os.environ.get(LATENESS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_LATENESS_DAYS
    if not raw.isdecimal() or int(raw) > MAX_LATENESS_DAYS:
        raise MedallionError(
            f"{LATENESS_VARIABLE} must be a whole number of days from 0 to {MAX_LATENESS_DAYS}, got {raw!r}"
        )
    return int(raw)


def start_date() -> str:
    """MEDALLION_PULSE_START_DATE (YYYY-MM-DD): the first event day the pulse has a partition for."""
    raw = os.environ.get(START_VARIABLE, "").strip() or DEFAULT_START_DATE
    try:
        parsed = dt.date.fromisoformat(raw)
    except ValueError:
        raise MedallionError(f"{START_VARIABLE} must be a date as YYYY-MM-DD, got {raw!r}") from None
    if parsed.isoformat() != raw:
        raise MedallionError(f"{START_VARIABLE} must be a date as YYYY-MM-DD, got {raw!r}")
    return raw


def window_days(lateness: int) -> int:
    """A version of day D is in time when it arrived before D + window_days (D's midnight, UTC)."""
    return 1 + lateness


def is_late(valid_from: dt.datetime, arrived_at: dt.datetime | None, lateness: int) -> bool:
    """The rule of the SQL files, in Python (tests and documentation)."""
    if arrived_at is None:
        return False
    day_start = dt.datetime.combine(valid_from.date(), dt.time())
    return arrived_at > day_start + dt.timedelta(days=window_days(lateness))


def _day(event_day: str) -> dict:
    try:
        dt.date.fromisoformat(event_day)
    except ValueError:
        raise MedallionError(f"a pulse partition must be an event day as YYYY-MM-DD, got {event_day!r}") from None
    return {"event_day": event_day}


def build_day(conn, event_day: str, lateness: int) -> dict:
    """Replace the pulse of one event day (DELETE + INSERT in one transaction); returns its totals."""
    params = {**_day(event_day), "lateness_days": lateness, "window_days": window_days(lateness)}
    with warehouse.transaction(conn):
        deleted = warehouse.execute(conn, "pulse/delete_day", params).rowcount or 0
        inserted = warehouse.execute(conn, "pulse/insert_day", params).rowcount or 0
    return {"deleted": int(deleted), "inserted": int(inserted), **day_totals(conn, event_day)}


def day_totals(conn, event_day: str) -> dict[str, int]:
    """{cities, new_listings, repriced, ..., total_changes} of one event day's pulse."""
    return {k: int(v or 0) for k, v in warehouse.fetch_one(conn, "pulse/day_totals", _day(event_day)).items()}


def preview_day(conn, event_day: str, limit: int = 10) -> list[dict]:
    return warehouse.fetch_all(conn, "pulse/preview_day", {**_day(event_day), "limit": limit})


def stale_days(conn, lateness: int) -> list[dict]:
    """Event days whose in-time history is newer than their pulse (or that have no pulse yet), oldest first:
    [{event_day: 'YYYY-MM-DD', versions, history_loaded_at, pulse_loaded_at}]."""
    rows = warehouse.fetch_all(conn, "pulse/stale_days", {"window_days": window_days(lateness)})
    for row in rows:
        row["event_day"] = _iso_day(row["event_day"])
    return rows


def log_late(conn, lateness: int, loaded_after: str = BEGINNING) -> dict[str, int]:
    """Log late versions loaded after `loaded_after` that are not logged yet; returns {event day: logged now}."""
    before = {r["event_day"]: r["late_changes"] for r in late_by_day(conn, loaded_after)}
    params = {"lateness_days": lateness, "window_days": window_days(lateness), "loaded_after": loaded_after}
    warehouse.execute(conn, "pulse/log_late", params)
    after = late_by_day(conn, loaded_after)
    return {
        r["event_day"]: r["late_changes"] - before.get(r["event_day"], 0)
        for r in after
        if r["late_changes"] > before.get(r["event_day"], 0)
    }


def late_by_day(conn, loaded_after: str = BEGINNING) -> list[dict]:
    rows = warehouse.fetch_all(conn, "pulse/late_by_day", {"loaded_after": loaded_after})
    return [{"event_day": _iso_day(r["event_day"]), "late_changes": int(r["late_changes"])} for r in rows]


def history_watermark(conn, loaded_after: str, scan_from: str) -> tuple[str | None, int, int]:
    """(newest loaded_at in the history as text, or None when empty; versions loaded after `loaded_after`;
    versions loaded after `scan_from`, where the sensor looks for late versions)."""
    params = {"loaded_after": loaded_after, "scan_from": scan_from}
    row = warehouse.fetch_one(conn, "pulse/history_watermark", params)
    newest = row.get("loaded_through")
    return (
        _iso_timestamp(newest) if newest is not None else None,
        int(row.get("new_versions") or 0),
        int(row.get("scanned_versions") or 0),
    )


def late_scan_start(cursor: str) -> str:
    """Where a tick looks for late versions: LATE_SCAN_OVERLAP before the cursor (never before BEGINNING)."""
    start = dt.datetime.fromisoformat(cursor) - LATE_SCAN_OVERLAP
    return max(start, dt.datetime.fromisoformat(BEGINNING)).isoformat(sep=" ")


def check_day(conn, event_day: str, default_lateness: int) -> dict:
    """The pulse of a day against the history's in-time changes of that day, with the lateness the day was
    built with (the default when the day has no pulse rows)."""
    stored = warehouse.fetch_one(conn, "pulse/day_lateness", _day(event_day))
    lateness = default_lateness if stored.get("lateness_days") is None else int(stored["lateness_days"])
    mixed = stored.get("lateness_days") is not None and stored["lateness_days"] != stored["max_lateness_days"]
    params = {**_day(event_day), "window_days": window_days(lateness)}
    row = {k: int(v or 0) for k, v in warehouse.fetch_one(conn, "pulse/check_day", params).items()}
    return {**row, "lateness_days": lateness, "mixed_lateness": mixed}


def _iso_day(value) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def _iso_timestamp(value) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)
