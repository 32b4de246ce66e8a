"""`make pipeline`: one command from an empty machine to a checked warehouse.

Starts the embedded services that are needed, seeds an empty source, then runs
the whole asset graph with every check through a real Dagster instance (so the
UI shows the materializations afterwards), and prints rows per table and each
check's result, and what it skipped and why (too little data for the price model, checks with nothing to
judge yet). Exits non-zero when a run step or a blocking check fails; a skip is not a failure.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import time
import uuid
from pathlib import Path

import dagster as dg

from medallion_assets.dev import runs, services
from medallion_assets.lib import settings
from medallion_assets.lib.errors import MedallionError

# Tables that are not assets of their own but belong in the summary.
SIDE_TABLES = ("RAW_DB.LANDING.BRONZE_REJECTS",)

DAGSTER_YAML_HEADER = (
    "# Written by medallion for local runs: no welcome pop-up, one bronze loader at a time,\n"
    "# runs whose process died are failed and their pool slots freed. Other settings are kept.\n"
)
# run_queue: the daemon looks for queued runs every second instead of every 5 (a sensor's run starts sooner).
# run_monitoring: the daemon asks LocalRunLauncher whether a run's worker process still exists,
# fails runs whose worker is gone, and frees the pool slots of ended runs after a few seconds.
DAGSTER_SETTINGS = {
    "nux": {"enabled": False},
    "telemetry": {"enabled": False},
    "concurrency": {"pools": {"default_limit": 1}, "runs": {"max_concurrent_runs": 4}},
    "run_queue": {"dequeue_interval_seconds": 1},
    "run_launcher": {"module": "medallion_assets.dev.runs", "class": "LocalRunLauncher"},
    "run_monitoring": {
        "enabled": True,
        "poll_interval_seconds": 10,
        "start_timeout_seconds": 180,
        "cancel_timeout_seconds": 180,
        "free_slots_after_run_end_seconds": 5,
    },
}


def _merged(current: dict, ours: dict) -> dict:
    merged = dict(current)
    for key, value in ours.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def write_dagster_yaml(config: Path) -> bool:
    """Bring ``config`` up to medallion's settings, keeping any other setting in it; True when written.

    Files written by older versions (no run monitoring, the default launcher) are upgraded in place.
    """
    import yaml

    current = {}
    if config.exists():
        try:
            current = yaml.safe_load(config.read_text()) or {}
        except yaml.YAMLError as exc:
            raise MedallionError(f"{config} is not valid YAML: {exc}") from None
        if not isinstance(current, dict):
            raise MedallionError(f"{config} must hold a YAML mapping of Dagster instance settings")
    wanted = _merged(current, DAGSTER_SETTINGS)
    if config.exists() and wanted == current:
        return False
    config.write_text(DAGSTER_YAML_HEADER + yaml.safe_dump(wanted, sort_keys=False))
    return True


def dagster_home() -> Path:
    """$DAGSTER_HOME, or a folder under the medallion state, with medallion's dagster.yaml settings."""
    home = Path(os.environ.get("DAGSTER_HOME") or services.medallion_home() / "dagster")
    home.mkdir(parents=True, exist_ok=True)
    write_dagster_yaml(home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def create_pools(instance: dg.DagsterInstance, defs: dg.Definitions) -> list[str]:
    """Give every pool the code location's steps use its slots (the `default_limit` of dagster.yaml) before any run
    claims one. Dagster creates a pool on its first claim, and on the SQLite instance two runs whose steps first
    claim the same pool at the same moment can both get in (seen: two `gold_tables` steps wrote gold at once and
    doubled it). The PostgreSQL instance locks the row; creating the pools up front makes both the same."""
    pools = sorted(
        {
            assets_def.op.pool
            for assets_def in defs.resolve_asset_graph().assets_defs
            if assets_def.is_executable and getattr(assets_def.op, "pool", None)
        }
    )
    for pool in pools:
        instance.event_log_storage.initialize_concurrency_limit_to_default(pool)
    return pools


def embedded_needed() -> bool:
    """Whether any service runs embedded (MEDALLION_ENV / MEDALLION_EMBEDDED, see lib/settings.py)."""
    return bool(settings.embedded_services())


def seed_if_empty(count: int, random_seed: int) -> int:
    from medallion_assets.defs.resources import mongo_resource, resolved
    from medallion_assets.dev import seeding

    with resolved(mongo_resource()).get_collection() as collection:
        if collection.estimated_document_count() > 0:
            return 0
        return seeding.insert(collection, count, random_seed)


def run_job(defs: dg.Definitions, instance: dg.DagsterInstance, verbose: bool = False):
    """Run every asset and check in this process, showing one line per step (see dev/live.py).

    Dagster's event log (the DEBUG lines) goes to $MEDALLION_HOME/logs/pipeline-<run_id>.log; `verbose`
    also leaves Dagster's console logger on, which prints it to stderr as the run goes."""
    from medallion_assets.dev.live import StepView
    from medallion_assets.dev.pulse_runs import main_job

    job = main_job(defs)
    run_id = str(uuid.uuid4())
    log_path = services.medallion_home() / "logs" / f"pipeline-{run_id}.log"
    steps = [node.name for node in job.graph.nodes_in_topological_order]
    # The console logger is what prints the event log to the terminal; quiet unless asked for.
    run_config = {} if verbose else {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    view = StepView(steps, log_path, graph=defs.resolve_asset_graph(), live=False if verbose else None)
    instance.add_event_listener(run_id, view.on_event)
    if not verbose:  # a blocking check of a skipped asset has no result; Dagster warns once per downstream step
        logging.getLogger("dagster._core.execution.plan.active").setLevel(logging.ERROR)
    with view:
        result = job.execute_in_process(instance=instance, run_id=run_id, run_config=run_config, raise_on_error=False)
    return result, log_path


def run(seed_count: int = 10_000, random_seed: int = 42, start_services: bool = True, verbose: bool = False) -> int:
    started = time.monotonic()
    try:
        if start_services and embedded_needed():
            ports = services.up()
            print(f"embedded services up: {ports}")
        seeded = seed_if_empty(seed_count, random_seed)
        if seeded:
            print(f"seeded {seeded} synthetic listings into the empty source")
        dagster_home()
        from medallion_assets.definitions import defs

        instance = dg.DagsterInstance.get()
        for run_id in runs.fail_dead_runs(instance):
            print(f"run {run_id} had lost its process: marked failed, its pool slots freed")
        result, log_path = run_job(defs, instance, verbose)
        blocked = failed_upstream_of_pulse(defs, result)
        if blocked:  # the pulse reads what they should have written: nothing that depends on a failed step runs
            print(f"market pulse: not run: upstream step(s) {', '.join(blocked)} failed")
        # the pulse round's question and the summary's counts share one session of the command's own
        command = command_session()
        try:
            pulse = None if blocked else run_pulse_days(defs, instance, verbose, command)
            summary = summarize(defs, result, pulse, command)
        finally:
            command.teardown_after_execution(None)
    except MedallionError as exc:
        print(f"medallion: {exc}", file=sys.stderr)
        return 1
    print(summary.text, end="")
    print(f"Dagster's event log of this run: {log_path}")
    print(f"pipeline finished in {time.monotonic() - started:.1f}s")
    return 0 if result.success and not summary.blocking_failures and not (pulse and pulse.failed) else 1


def failed_upstream_of_pulse(defs: dg.Definitions, result) -> list[str]:
    """The failed steps of the main run that produce an asset the market pulse depends on."""
    from medallion_assets.dev.pulse_runs import PULSE_ASSET

    graph = defs.resolve_asset_graph()
    upstream = dg.AssetSelection.assets(PULSE_ASSET).upstream().resolve(graph)
    produces = {a.node_def.name: set(a.keys) for a in graph.assets_defs if a.is_executable}
    failed = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and produces.get(event.step_key, set()) & upstream:
            failed.append(event.step_key)
    return failed


def command_session():
    """A warehouse resource whose one session serves every `connect` block of the command outside its runs;
    the caller closes it (`teardown_after_execution`)."""
    from medallion_assets.defs.resources import resolved, snowflake_resource
    from medallion_assets.lib.session import run_scoped

    return run_scoped(resolved(snowflake_resource()))


def run_pulse_days(defs: dg.Definitions, instance: dg.DagsterInstance, verbose: bool = False, snowflake=None):
    """The partitioned market pulse, one run per range of stale event days (dev/pulse_runs.py)."""
    from medallion_assets.dev.pulse_runs import run_pulse

    run_config = {} if verbose else {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    return run_pulse(defs, instance, run_config, snowflake)


def _skip_reason(metadata) -> str | None:
    """The reason an asset or check recorded for skipping (metadata `skipped` and `reason`), else None."""
    flag = (metadata or {}).get("skipped")
    if flag is None or not getattr(flag, "value", flag):
        return None
    reason = metadata.get("reason")
    return str(getattr(reason, "value", reason) or "no reason given")


def skipped_assets(graph, result) -> tuple[list[tuple[str, str]], dict]:
    """Assets of the run that were not materialized because they had nothing to do: those that said so (an
    observation with `skipped` and a `reason`), and those Dagster skipped because such an upstream asset
    produced nothing. Returns the summary lines and {asset key: why it was not materialized}."""
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    said = {}
    for event in result.get_asset_observation_events():
        observation = event.event_specific_data.asset_observation
        reason = _skip_reason(observation.metadata)
        if reason and observation.asset_key not in materialized:
            said[observation.asset_key] = reason
    skipped_steps = {e.step_key for e in result.get_step_skipped_events()}
    lines, not_run = [], {}
    for key in graph.toposorted_asset_keys:
        if key in said:
            lines.append((key.to_user_string(), said[key]))
            not_run[key] = f"{key.to_user_string()} was not materialized"
            continue
        upstream = sorted(p.to_user_string() for p in graph.get(key).parent_keys if p in not_run)
        if key not in materialized and upstream and skipped_steps:
            why = f"not run: upstream {', '.join(upstream)} was not materialized"
            lines.append((key.to_user_string(), why))
            not_run[key] = f"{key.to_user_string()} was not materialized"
    return lines, not_run


class Summary:
    def __init__(self, text: str, blocking_failures: list[str]):
        self.text = text
        self.blocking_failures = blocking_failures


def summarize(defs: dg.Definitions, result, pulse=None, snowflake=None) -> Summary:
    from medallion_assets.defs.resources import resolved, snowflake_resource
    from medallion_assets.lib import warehouse
    from medallion_assets.lib.output import print_rows

    graph = defs.resolve_asset_graph()
    tables = sorted(
        {
            str(node.metadata["dagster/table_name"])
            for node in graph.asset_nodes
            if "dagster/table_name" in (node.metadata or {})
        }
        | set(SIDE_TABLES)
    )
    rows = []
    with warehouse.connect(snowflake or resolved(snowflake_resource())) as conn:
        for table in tables:
            count = conn.cursor().execute(f"SELECT COUNT(*) AS n FROM {table}").fetchone()[0]  # names from our defs
            rows.append((table, count))
    blocking_specs = {key for key in graph.asset_check_keys if graph.get_check_spec(key).blocking}
    skipped, not_run = skipped_assets(graph, result)
    checks, blocking_failures = [], []
    evaluated = set()
    for evaluation in result.get_asset_check_evaluations():
        key = evaluation.asset_check_key
        evaluated.add(key)
        reason = _skip_reason(evaluation.metadata)
        status = "SKIP" if evaluation.passed and reason else "PASS" if evaluation.passed else "FAIL"
        blocking = key in blocking_specs
        if not evaluation.passed and blocking:
            blocking_failures.append(key.to_user_string())
        if reason:
            skipped.append((f"{key.asset_key.to_user_string()} / {key.name}", f"check passed as skipped: {reason}"))
        checks.append((key.asset_key.to_user_string(), key.name, status, "blocking" if blocking else ""))
    for key in sorted(set(graph.asset_check_keys) - evaluated, key=lambda k: k.to_user_string()):
        if key.asset_key in not_run:  # its asset was skipped, so Dagster skipped the check's step too
            checks.append((key.asset_key.to_user_string(), key.name, "NOT RUN", ""))
            skipped.append((f"{key.asset_key.to_user_string()} / {key.name}", f"not run: {not_run[key.asset_key]}"))
    if pulse is not None and pulse.check_row():
        checks.append(pulse.check_row())
    for key, passed in pulse.downstream_checks() if pulse is not None else []:
        blocking = key in blocking_specs
        if not passed and blocking:
            blocking_failures.append(key.to_user_string())
        checks.append(
            (key.asset_key.to_user_string(), key.name, "PASS" if passed else "FAIL", "blocking" if blocking else "")
        )
    failed_steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    out = io.StringIO()
    # compact, so that with one line per step the default run stays within 80 lines in a CI log: a table per
    # line, and the checks as counts (each check step printed its own line) plus the failed ones (skipped and
    # not run ones are named with their reason under Skipped)
    out.write("\nRows per table\n")
    width = max((len(table) for table, _ in rows), default=0)
    for table, count in rows:
        out.write(f"  {table:<{width}}  {count:>12,}\n")
    counts = {status: sum(1 for c in checks if c[2] == status) for status in ("PASS", "FAIL", "SKIP", "NOT RUN")}
    out.write(
        f"\nChecks: {len(checks)}, "
        + ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        + f"; blocking checks failed: {len(blocking_failures)}\n"
    )
    failed = sorted(c for c in checks if c[2] == "FAIL")
    if failed:
        print_rows(["asset", "check", "result", ""], failed, out=out)
    if pulse is not None:
        first, *rest = pulse.lines()
        out.write(f"\nMarket pulse (one partition per event day): {first}\n" + "".join(f"  {line}\n" for line in rest))
    if skipped:
        # what skipped on its own, with its reason; what merely followed an unmaterialized upstream asset is a
        # count (each such step's own line above names that asset): a nothing-new run stays a screen long
        said = [row for row in skipped if not row[1].startswith("not run: ")]
        followed = len(skipped) - len(said)
        out.write("\nSkipped\n")
        if said:
            print_rows(["skipped", "why"], said, out=out)
        if followed:
            out.write(
                f"and {followed} asset(s) and check(s) after them not run: an upstream asset was not materialized\n"
            )
    if failed_steps:
        out.write(f"\nFAILED steps: {', '.join(failed_steps)}\n")
    if blocking_failures:
        out.write(f"\nBLOCKING checks failed: {', '.join(blocking_failures)}\n")
    return Summary(out.getvalue(), blocking_failures)
