"""The Dagster side of the Data health page, read from the instance at $DAGSTER_HOME (SQLite locally, PostgreSQL
in a deployment) and the definitions: each table asset's last materialization, freshness per layer, each
check's latest result and its history. Plain Python returning DataFrames; reads only.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cache

import dagster as dg
import pandas as pd

from medallion_assets.lib.errors import ServiceUnavailable
from medallion_assets.lib.freshness import freshness_state, worst

CHECK_HISTORY = 20  # executions per check on the history chart


@cache
def asset_graph():
    """The definitions' asset graph (loaded once per process: the dashboard never changes the code)."""
    from medallion_assets.definitions import defs

    return defs.resolve_asset_graph()


def _utc(timestamp: float | None) -> dt.datetime | None:
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(tzinfo=None)


def open_instance() -> dg.DagsterInstance:
    """The instance at $DAGSTER_HOME; one line naming it when it cannot be opened (storage down, no folder)."""
    home = os.environ.get("DAGSTER_HOME", "").strip()
    if not home:
        raise ServiceUnavailable("the Dagster instance is not configured: DAGSTER_HOME is not set", service="Dagster")
    try:
        return dg.DagsterInstance.get()
    except Exception as exc:  # the storage's own words (a refused PostgreSQL login, a missing file) in one line
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ServiceUnavailable(
            f"the Dagster instance at DAGSTER_HOME={home} could not be opened ({detail})", service="Dagster"
        ) from None


def read(instance: dg.DagsterInstance, now: float, graph=None) -> dict[str, pd.DataFrame]:
    """{"tables", "freshness", "checks", "check_history"} from the instance."""
    graph = graph or asset_graph()
    tables, layers = [], {}
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if not node.is_materializable:
            continue
        event = instance.get_latest_materialization_event(key)
        last = event.timestamp if event else None
        state = freshness_state(node.freshness_policy, last, now)
        layer = node.group_name or "default"
        layers.setdefault(layer, []).append((key.to_user_string(), state, last))
        table = (node.metadata or {}).get("dagster/table_name")
        if table is not None:
            metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
            rows = metadata.get("dagster/row_count")
            tables.append(
                {
                    "asset": key.to_user_string(),
                    "table": str(table),
                    "layer": layer,
                    "last_materialized": _utc(last),
                    "rows": getattr(rows, "value", rows),
                }
            )
    freshness = [
        {
            "layer": layer,
            "state": worst([s for _, s, _ in assets]),
            "assets": len(assets),
            "not_fresh": ", ".join(a for a, s, _ in assets if s != "PASS"),
            "last_materialized": _utc(max((t for _, _, t in assets if t is not None), default=None)),
        }
        for layer, assets in layers.items()
    ]
    checks, history = _checks(instance, graph)
    return {
        "tables": pd.DataFrame(tables, columns=["asset", "table", "layer", "last_materialized", "rows"]),
        "freshness": pd.DataFrame(freshness, columns=["layer", "state", "assets", "not_fresh", "last_materialized"]),
        "checks": checks,
        "check_history": history,
    }


def _checks(instance: dg.DagsterInstance, graph) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = sorted(graph.asset_check_keys, key=lambda k: k.to_user_string())
    storage = instance.event_log_storage
    latest = storage.get_latest_asset_check_execution_by_key(keys)
    checks, history = [], []
    for key in keys:
        record = latest.get(key)
        checks.append(
            {
                "asset": key.asset_key.to_user_string(),
                "check": key.name,
                "status": record.status.value if record else "NEVER RUN",
                "partition": record.partition if record else None,
                "executed_at": _utc(record.create_timestamp) if record else None,
            }
        )
        if record is None:
            continue
        for past in storage.get_asset_check_execution_history(key, limit=CHECK_HISTORY):
            history.append(
                {
                    "check": f"{key.asset_key.to_user_string()}.{key.name}",
                    "status": past.status.value,
                    "executed_at": _utc(past.create_timestamp),
                    "run_id": past.run_id,
                }
            )
    return (
        pd.DataFrame(checks, columns=["asset", "check", "status", "partition", "executed_at"]),
        pd.DataFrame(history, columns=["check", "status", "executed_at", "run_id"]),
    )


def summary(checks: pd.DataFrame) -> dict[str, int]:
    """How many checks' latest execution passed, failed, or never ran (or is still planned)."""
    counts = checks["status"].value_counts()
    return {
        "passed": int(counts.get("SUCCEEDED", 0)),
        "failed": int(counts.get("FAILED", 0)),
        "other": int(len(checks) - counts.get("SUCCEEDED", 0) - counts.get("FAILED", 0)),
    }
