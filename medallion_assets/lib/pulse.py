"""The daily market pulse (ANALYTICS_DB.DWH.GOLD_MARKET_PULSE) from the listing history: one partition per
event day (valid_from::DATE, UTC), rebuilt as a unit, and the rules for late changes.

A history version is LATE when it reached the warehouse after its day had closed:
``arrived_at > event_day + 1 day + lateness_days`` (an unknown arrival counts as in time). The pulse of a day
counts only versions that were not late, so rebuilding a closed day (a rerun, a backfill) always gives the
same answer and a late change never changes it; late versions go to GOLD_PULSE_LATE_CHANGES instead, once
each. The lateness is a deployment setting (MEDALLION_PULSE_LATENESS_DAYS, default 7, read by lib/settings.py)
stored on every pulse row, so the pulse check judges a day by the window it was built with.

`plan` is the one orchestration of a pulse round, used by market_pulse_sensor, `medallion pipeline` and the
bench: log the late versions, find the stale days (the warehouse is the source of truth), and cut them into
runs of at most MEDALLION_PULSE_DAYS_PER_RUN consecutive event days (`PulseRun`), each day still rebuilt as a
unit and checked on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from medallion_assets.lib import settings, warehouse
from medallion_assets.lib.errors import MedallionError

PULSE_TABLE = "ANALYTICS_DB.DWH.GOLD_MARKET_PULSE"
LATE_TABLE = "ANALYTICS_DB.DWH.GOLD_PULSE_LATE_CHANGES"
HISTORY_TABLE = "ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY"
BEGINNING = "1970-01-01 00:00:00"  # a cursor before any loaded_at
# Late versions are looked for from this long before the sensor's cursor: a history load stamped before
# another one but committed after it has a loaded_at behind the cursor. The log takes each version once.
LATE_SCAN_OVERLAP = dt.timedelta(hours=1)
COUNTS = ("new_listings", "repriced", "price_drops", "changed", "delisted", "relisted", "total_changes")


lateness_days = settings.pulse_lateness_days  # one reading of MEDALLION_PULSE_LATENESS_DAYS, in lib/settings.py


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
    """Log late versions loaded after `loaded_after` that are not logged yet; returns {event day: logged now}.
    One read when there is none (a round with nothing late sends no INSERT)."""
    params = {"lateness_days": lateness, "window_days": window_days(lateness), "loaded_after": loaded_after}
    if not int(warehouse.fetch_one(conn, "pulse/unlogged_late", params).get("unlogged") or 0):
        return {}
    before = {r["event_day"]: r["late_changes"] for r in late_by_day(conn, loaded_after)}
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


# --- one pulse round: what the sensor, `medallion pipeline` and the bench all do ---------------------------


@dataclass(frozen=True)
class PulseRun:
    """One run's event days: consecutive days first..last (each rebuilt as a unit, checked on its own)."""

    first: str
    last: str
    days: tuple[str, ...]  # the stale days among them
    versions: int
    history_loaded_at: str

    @property
    def single(self) -> bool:
        return self.first == self.last


@dataclass
class PulsePlan:
    lateness: int
    late: dict[str, int] = field(default_factory=dict)  # event day -> late versions logged now
    stale: list[dict] = field(default_factory=list)  # stale days inside the partitions, oldest first
    outside: list[str] = field(default_factory=list)  # stale days before the first partition (or after today)
    runs: list[PulseRun] = field(default_factory=list)
    loaded_through: str | None = None  # the newest loaded_at in the history when planned


def runs_for(stale: list[dict], max_days: int) -> list[PulseRun]:
    """Stale days (oldest first) cut into runs whose first and last day are at most `max_days` apart (days in
    between that are not stale are rebuilt too: a closed day rebuilds to the same rows)."""
    runs: list[PulseRun] = []
    group: list[dict] = []

    def close() -> None:
        if group:
            runs.append(
                PulseRun(
                    first=group[0]["event_day"],
                    last=group[-1]["event_day"],
                    days=tuple(d["event_day"] for d in group),
                    versions=sum(int(d.get("versions") or 0) for d in group),
                    history_loaded_at=max(str(d.get("history_loaded_at")) for d in group),
                )
            )

    for day in stale:
        if (
            group
            and (dt.date.fromisoformat(day["event_day"]) - dt.date.fromisoformat(group[0]["event_day"])).days
            >= max_days
        ):
            close()
            group = []
        group.append(day)
    close()
    return runs


def plan(conn, known_days: Collection[str], loaded_after: str = BEGINNING) -> PulsePlan:
    """One pulse round against the warehouse: log the late versions loaded after `late_scan_start(loaded_after)`
    (each version once, ever), find every stale day, and cut those inside `known_days` (the partitions) into
    runs of at most MEDALLION_PULSE_DAYS_PER_RUN days."""
    lateness = settings.pulse_lateness_days()
    scan_from = late_scan_start(loaded_after)
    newest, _, scanned = history_watermark(conn, loaded_after, scan_from)
    found = PulsePlan(lateness=lateness, loaded_through=newest)
    found.late = log_late(conn, lateness, scan_from) if scanned else {}
    stale = stale_days(conn, lateness)
    known = set(known_days)
    found.stale = [d for d in stale if d["event_day"] in known]
    found.outside = sorted(d["event_day"] for d in stale if d["event_day"] not in known)
    found.runs = runs_for(found.stale, settings.pulse_days_per_run())
    return found
