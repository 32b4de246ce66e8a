"""The graph as a reviewer sees it: a change to an asset, check, job, sensor or schedule shows in the diff of
`definitions_snapshot.json`. After an intended change, rewrite the file with
`UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/unit/test_definitions.py` and commit it with the change."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from medallion_assets.definitions import defs
from medallion_assets.defs.automation import FOLLOW_UPSTREAM

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def automation_name(condition) -> str | None:
    if condition is None:
        return None
    return "follow_upstream" if condition == FOLLOW_UPSTREAM else condition.get_label() or type(condition).__name__


def describe(definitions: dg.Definitions) -> dict:
    graph = definitions.resolve_asset_graph()
    repository = definitions.get_repository_def()
    assets = {}
    for node in sorted(graph.asset_nodes, key=lambda n: n.key.to_user_string()):
        assets[node.key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(key.to_user_string() for key in node.parent_keys),
            "table": str(node.metadata.get("dagster/table_name", "")) or None,
            "automation": automation_name(node.automation_condition),
            "freshness": node.freshness_policy is not None,
            "pools": sorted(node.pools or ()),
        }
    checks = {
        f"{key.asset_key.to_user_string()}:{key.name}": {"blocking": graph.get_check_spec(key).blocking}
        for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))
    }
    return {
        "assets": assets,
        "checks": checks,
        "jobs": sorted(job.name for job in repository.get_all_jobs() if not job.name.startswith("__")),
        "sensors": sorted(sensor.name for sensor in repository.sensor_defs),
        "schedules": {schedule.name: schedule.cron_schedule for schedule in repository.schedule_defs},
    }


def test_definitions_match_the_committed_snapshot():
    current = describe(defs)
    if os.environ.get("UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    assert len(defs.resolve_asset_graph().asset_check_keys) > 0


def test_loading_the_definitions_leaves_plotting_and_model_libraries_unimported():
    """Every run worker loads the definitions; matplotlib (~1.5 s) and scikit-learn are imported only where a
    chart is drawn or a model is fitted or loaded."""
    import subprocess
    import sys

    heavy = ("matplotlib", "sklearn", "pyiceberg")
    code = f"import sys, medallion_assets.definitions\nprint(sorted(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
