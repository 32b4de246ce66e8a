"""How fresh an asset is against its FreshnessPolicy.time_window, from the time of its last materialization:
one rule for `medallion status` (dev/status.py) and the dashboard's Data health page (dashboard/health.py)."""

from __future__ import annotations

FRESHNESS_ORDER = ("FAIL", "WARN", "UNKNOWN", "PASS")  # worst first: a layer shows its worst asset


def freshness_state(policy, last: float | None, now: float) -> str:
    """PASS, WARN or FAIL by the age of the last materialization (epoch seconds); UNKNOWN when never
    materialized; PASS for an asset without a policy (never stale)."""
    fail = getattr(policy, "fail_window", None)
    if fail is None:
        return "PASS"
    if last is None:
        return "UNKNOWN"
    age = now - last
    if age > fail.to_timedelta().total_seconds():
        return "FAIL"
    warn = getattr(policy, "warn_window", None)
    return "WARN" if warn is not None and age > warn.to_timedelta().total_seconds() else "PASS"


def worst(states: list[str]) -> str:
    return min(states, key=FRESHNESS_ORDER.index)
