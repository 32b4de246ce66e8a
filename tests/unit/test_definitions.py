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


def test_definitions_load_and_match_the_committed_snapshot():
    """Every asset key, check (and whether it blocks), job, sensor and schedule (with its cron), as committed.
    With UPDATE_SNAPSHOT=1 a difference rewrites the file and still fails, so an update is never a pass."""
    dg.Definitions.validate_loadable(defs)
    current = describe(defs)
    committed = json.loads(SNAPSHOT.read_text())
    if current != committed and os.environ.get("UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        raise AssertionError(f"{SNAPSHOT.name} rewritten: review its diff, commit it, run the test again")
    assert current == committed


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


def test_dg_check_defs_passes_from_the_repository_root():
    """README: `dg check defs` works from the repository root ([tool.dg] in pyproject.toml)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "VIRTUAL_ENV": sys.prefix, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "All definitions loaded successfully." in done.stdout + done.stderr
