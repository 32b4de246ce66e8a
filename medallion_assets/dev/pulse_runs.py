"""`medallion pipeline`'s market-pulse part: a daily-partitioned asset cannot share a run with the
unpartitioned graph, so after the main run the pipeline does the pulse round market_pulse_sensor does
(lib/pulse.plan: log late history changes, find the stale days, cut them into ranges) and runs
`market_pulse_job` once per range, each day with its own check evaluation. What reads the pulse (its lakehouse
publication) runs last, in one unpartitioned run with its checks.
"""

from __future__ import annotations

import dagster as dg

from medallion_assets.defs.gold.pulse import PULSE_ASSET, PULSE_PARTITIONS
from medallion_assets.lib import pulse, warehouse

PULSE_JOB = "market_pulse_job"


def after_pulse(defs: dg.Definitions) -> set[dg.AssetKey]:
    """The pulse and every asset downstream of it."""
    graph = defs.resolve_asset_graph()
    return dg.AssetSelection.assets(PULSE_ASSET).downstream().resolve(graph) & set(graph.materializable_asset_keys)


def main_selection(defs: dg.Definitions) -> tuple[set[dg.AssetKey], set[dg.AssetCheckKey]]:
    """Every materializable asset and every check but the partitioned pulse, what reads it, and their checks."""
    graph = defs.resolve_asset_graph()
    later = after_pulse(defs)
    assets = {key for key in graph.materializable_asset_keys if key not in later}
    checks = {key for key in graph.asset_check_keys if key.asset_key not in later}
    return assets, checks


def _subset(defs: dg.Definitions, assets: set[dg.AssetKey]) -> dg.JobDefinition:
    checks = {key for key in defs.resolve_asset_graph().asset_check_keys if key.asset_key in assets}
    return defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=assets, asset_check_selection=checks)


def main_job(defs: dg.Definitions) -> dg.JobDefinition:
    """The main selection as one unpartitioned job (the implicit global asset job, subset)."""
    return _subset(defs, main_selection(defs)[0])


def downstream_job(defs: dg.Definitions) -> dg.JobDefinition | None:
    """What reads the pulse (unpartitioned, e.g. its lakehouse publication), with its checks; None when nothing."""
    assets = after_pulse(defs) - {dg.AssetKey(PULSE_ASSET)}
    return _subset(defs, assets) if assets else None


class PulseOutcome:
    def __init__(self):
        self.days: list[str] = []
        self.failed_days: list[str] = []
        self.check_failed_days: list[str] = []
        self.outside: list[str] = []
        self.late: dict[str, int] = {}
        self.lateness = pulse.lateness_days()
        self.runs = 0  # pulse runs (one per range of days)
        self.downstream: dg.ExecuteInProcessResult | None = None  # the run of what reads the pulse

    def lines(self) -> list[str]:
        if not self.days and not self.outside:
            lines = ["no stale event day in the listing history: no pulse run"]
        else:
            lines = [f"{len(self.days)} event day(s) materialized in {self.runs} run(s): {', '.join(self.days) or '-'}"]
        if self.failed_days:
            lines.append(f"FAILED pulse runs: {', '.join(self.failed_days)}")
        if self.outside:
            lines.append(f"days outside the pulse partitions (see MEDALLION_PULSE_START_DATE): {self.outside}")
        if self.downstream is not None:
            ran = sorted(e.asset_key.to_user_string() for e in self.downstream.get_asset_materialization_events())
            state = "" if self.downstream.success else " (FAILED)"
            lines.append(f"then what reads the pulse{state}: {', '.join(ran) or 'nothing materialized'}")
        late = sum(self.late.values())
        lines.append(f"late changes logged now (lateness {self.lateness} days): {late}")
        return lines

    def check_row(self) -> tuple[str, str, str, str] | None:
        if not self.days:
            return None
        status = "FAIL" if self.check_failed_days else "PASS"
        detail = f"{len(self.days) - len(self.check_failed_days)}/{len(self.days)} days pass"
        return (PULSE_ASSET, "pulse_counts_match_history", status, detail)

    def downstream_checks(self) -> list[tuple[dg.AssetCheckKey, bool]]:
        """(check, passed) of the run of what reads the pulse."""
        if self.downstream is None:
            return []
        return [(e.asset_check_key, e.passed) for e in self.downstream.get_asset_check_evaluations()]

    @property
    def failed(self) -> bool:
        return bool(self.failed_days) or (self.downstream is not None and not self.downstream.success)


def run_pulse(defs: dg.Definitions, instance: dg.DagsterInstance, run_config: dict, snowflake=None) -> PulseOutcome:
    """One pulse round (lib/pulse.plan, as the sensor) and a run per range of stale days (`snowflake`: the
    resource to ask which days, by default the one the environment configures, as the job's own)."""
    from medallion_assets.defs.resources import resolved, snowflake_resource

    outcome = PulseOutcome()
    with warehouse.connect(snowflake or resolved(snowflake_resource())) as conn:
        found = pulse.plan(conn, PULSE_PARTITIONS.get_partition_keys())
    outcome.late, outcome.lateness, outcome.outside = found.late, found.lateness, found.outside
    job = defs.resolve_job_def(PULSE_JOB)
    for run in found.runs:
        tags = {"dagster/asset_partition_range_start": run.first, "dagster/asset_partition_range_end": run.last}
        result = job.execute_in_process(instance=instance, tags=tags, run_config=run_config, raise_on_error=False)
        outcome.runs += 1
        days = PULSE_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(run.first, run.last))
        outcome.days.extend(days)
        if not result.success:
            outcome.failed_days.extend(days)
        outcome.check_failed_days.extend(e.partition for e in result.get_asset_check_evaluations() if not e.passed)
    later = downstream_job(defs)
    if later is not None:
        outcome.downstream = later.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False)
    return outcome
