"""Snowflake's billing rule for a virtual warehouse, applied to the embedded warehouse's request log.

A suspended warehouse resumes on the first statement that needs compute, is billed per second while it runs
but at least `minimum_s` (60 s) per resume, and suspends `auto_suspend_s` after the last statement
(`AUTO_SUSPEND = 60`). Logins and statements that only touch metadata or the session (SHOW, DESCRIBE, USE,
BEGIN/COMMIT/ROLLBACK) run in the cloud-services layer and do not resume it. Statements count as instantaneous:
the log holds when each arrived, not how long it ran, so a long statement is under-counted by its duration
past its arrival (the 60 s tail after it is what dominates a mostly idle pipeline).
"""

from __future__ import annotations

from collections.abc import Iterable

NO_WAREHOUSE = ("SHOW", "DESC", "DESCRIBE", "USE", "BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION")


def needs_warehouse(kind: str, text: str) -> bool:
    """Whether a logged request resumes the warehouse: a statement other than metadata and session ones."""
    if kind != "query":
        return False
    head = " ".join(text.upper().split()[:2])
    return not any(head == word or head.startswith(word + " ") for word in NO_WAREHOUSE)


def awake_intervals(
    query_times: Iterable[float], auto_suspend_s: float = 60.0, minimum_s: float = 60.0
) -> list[tuple[float, float]]:
    """(resumed, suspended) per resume: a statement while suspended resumes it; it suspends `auto_suspend_s`
    after the last statement, and never before `minimum_s` after the resume (the billed minimum)."""
    intervals: list[tuple[float, float]] = []
    for t in sorted(query_times):
        if intervals and t <= intervals[-1][1]:  # awake: the statement moves the suspension on
            start, end = intervals[-1]
            intervals[-1] = (start, max(end, t + auto_suspend_s))
        else:
            intervals.append((t, t + max(auto_suspend_s, minimum_s)))
    return intervals


def awake_seconds(
    query_times: Iterable[float],
    start: float,
    end: float,
    auto_suspend_s: float = 60.0,
    minimum_s: float = 60.0,
) -> float:
    """Billed seconds inside the window [start, end): each resume's interval clipped to the window."""
    total = 0.0
    for resumed, suspended in awake_intervals(query_times, auto_suspend_s, minimum_s):
        total += max(0.0, min(suspended, end) - max(resumed, start))
    return total


def summarize(entries: Iterable[tuple[float, str, str]], start: float, end: float) -> dict:
    """Awake seconds, resumes, statements and logins in [start, end), and the same per hour."""
    entries = [e for e in entries if start <= e[0] < end]
    queries = [t for t, kind, text in entries if needs_warehouse(kind, text)]
    hours = (end - start) / 3600
    awake = awake_seconds(queries, start, end)
    logins = sum(1 for _, kind, _ in entries if kind == "login")
    statements = sum(1 for _, kind, _ in entries if kind == "query")
    by_text: dict[str, int] = {}
    for _, kind, text in entries:
        if kind == "query":
            head = " ".join(text.split()[:5])
            by_text[head] = by_text.get(head, 0) + 1
    return {
        "window_seconds": round(end - start, 1),
        "top_statements": dict(sorted(by_text.items(), key=lambda kv: -kv[1])[:5]),
        "statements": statements,
        "warehouse_statements": len(queries),
        "logins": logins,
        "resumes": len(awake_intervals(queries)),
        "awake_seconds": round(awake, 1),
        "awake_seconds_per_hour": round(awake / hours, 1) if hours else 0.0,
        "awake_share": round(awake / (end - start), 3) if end > start else 0.0,
        "logins_per_hour": round(logins / hours, 1) if hours else 0.0,
        "statements_per_hour": round(statements / hours, 1) if hours else 0.0,
    }
