"""The market-pulse benchmark stage (benchmarks.stages registers it as `pulse`).

Times the pulse step over GOLD_LISTING_HISTORY: the pulse round market_pulse_sensor and `medallion pipeline`
do (`pulse.plan`: late changes to log, stale days, ranges) and every day of every range rebuilt
(`pulse.build_day`, DELETE + INSERT in one transaction each), as the runs do, without Dagster's per-run
overhead.

When the history is empty (the history asset is not part of this checkout, or not run by the benchmark), it
is first filled from silver, untimed: every silver listing listed once at a time spread over the last
`days` days, and `repriced_share` of them (10%) repriced an hour later, 5% lower every other one. The
result says which (`history`: `generated` or `existing`).
"""

from __future__ import annotations

import time

HISTORY = "ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY"
COLUMNS = (
    "id, version, valid_from, valid_to, is_current, change_type, price, previous_price, price_change_pct, area, "
    "price_per_sqm, city, district, property_type, event_time_source, arrived_at, version_hash, loaded_at"
)
# Benchmark-only fill (not product SQL): numbered silver listings, spread by their number over the days.
_NUMBERED = (
    "SELECT s.id AS id, s.price AS price, s.area AS area, "
    "IFF(s.area > 0, s.price / s.area, NULL) AS price_per_sqm, s.city AS city, "
    "s.district AS district, s.property_type AS property_type, ROW_NUMBER() OVER (ORDER BY s.id) AS rn "
    "FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s"
)
_LISTED = (
    f"INSERT INTO {HISTORY} ({COLUMNS}) "
    "SELECT n.id, 1, DATEADD(second, MOD(n.rn, 82800), DATEADD(day, -MOD(n.rn, %(days)s) - 1, CURRENT_DATE()))"
    "::TIMESTAMP_NTZ, NULL, FALSE, 'listed', n.price, NULL, NULL, n.area, n.price_per_sqm, n.city, n.district, "
    "n.property_type, 'bench', DATEADD(second, MOD(n.rn, 82800) + 300, DATEADD(day, -MOD(n.rn, %(days)s) - 1, "
    f"CURRENT_DATE()))::TIMESTAMP_NTZ, 'bench', SYSDATE() FROM ({_NUMBERED}) n"
)
_REPRICED = (
    f"INSERT INTO {HISTORY} ({COLUMNS}) "
    "SELECT n.id, 2, DATEADD(second, MOD(n.rn, 82800) + 3600, DATEADD(day, -MOD(n.rn, %(days)s) - 1, CURRENT_DATE()))"
    "::TIMESTAMP_NTZ, NULL, TRUE, 'repriced', IFF(MOD(n.rn, 20) = 0, n.price * 0.95, n.price * 1.05), n.price, "
    "IFF(MOD(n.rn, 20) = 0, -5.0, 5.0), n.area, n.price_per_sqm, n.city, n.district, n.property_type, 'bench', "
    "DATEADD(second, MOD(n.rn, 82800) + 3900, DATEADD(day, -MOD(n.rn, %(days)s) - 1, CURRENT_DATE()))::TIMESTAMP_NTZ, "
    f"'bench', SYSDATE() FROM ({_NUMBERED}) n WHERE MOD(n.rn, %(every)s) = 0"
)


def stage_pulse(params: dict) -> dict:
    from dagster import PartitionKeyRange

    from medallion_assets.defs.gold.pulse import PULSE_PARTITIONS
    from medallion_assets.defs.resources import build_resources
    from medallion_assets.lib import pulse, warehouse

    days, share = int(params.get("days", 7)), float(params.get("repriced_share", 0.1))
    with warehouse.connect(build_resources()["snowflake"]) as conn:
        versions = conn.cursor().execute(f"SELECT COUNT(*) FROM {HISTORY}").fetchone()[0]
        source = "existing"
        if not versions:
            source = "generated"
            conn.cursor().execute(_LISTED, {"days": days})
            conn.cursor().execute(_REPRICED, {"days": days, "every": max(1, round(1 / share))})
            versions = conn.cursor().execute(f"SELECT COUNT(*) FROM {HISTORY}").fetchone()[0]
        started = time.perf_counter()
        found = pulse.plan(conn, PULSE_PARTITIONS.get_partition_keys())  # the sensor's and the pipeline's round
        planned = time.perf_counter()
        lateness, late = found.lateness, found.late
        built = {}
        for run in found.runs:  # as a run over the range does: every day of it, each in its own transaction
            for day in PULSE_PARTITIONS.get_partition_keys_in_range(PartitionKeyRange(run.first, run.last)):
                built[day] = pulse.build_day(conn, day, lateness)
        seconds = time.perf_counter() - started
        checked = [pulse.check_day(conn, day, lateness)["cities_differing"] for day in built]
    return {
        "seconds": seconds,
        "rows": int(versions),
        "history": source,
        "days": len(built),
        "runs": len(found.runs),
        "plan_seconds": round(planned - started, 3),
        "build_seconds": round(seconds - (planned - started), 3),
        "pulse_rows": sum(b["cities"] for b in built.values()),
        "repriced": sum(b["repriced"] for b in built.values()),
        "late_logged": sum(late.values()),
        "days_failing_check": sum(1 for c in checked if c),
    }
