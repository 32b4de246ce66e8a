"""`medallion pipeline`'s market-pulse part: a daily-partitioned asset cannot share a run with the
unpartitioned graph, so after the main run the pipeline logs late history changes and runs
`market_pulse_job` once per stale event day (the days market_pulse_sensor would ask for), each with its check.
"""

from __future__ import annotations

import dagster as dg

from medallion_assets.defs.gold.pulse import PULSE_ASSET, PULSE_PARTITIONS
from medallion_assets.lib import pulse, warehouse

PULSE_JOB = "market_pulse_job"


def main_selection(defs: dg.Definitions) -> tuple[set[dg.AssetKey], set[dg.AssetCheckKey]]:
    """Every materializable asset and every check but the partitioned pulse and its check."""
    graph = defs.resolve_asset_graph()
    pulse_key = dg.AssetKey(PULSE_ASSET)
    assets = {key for key in graph.materializable_asset_keys if key != pulse_key}
    checks = {key for key in graph.asset_check_keys if key.asset_key != pulse_key}
    return assets, checks


def main_job(defs: dg.Definitions) -> dg.JobDefinition:
    """The main selection as one unpartitioned job (the implicit global asset job, subset)."""
    assets, checks = main_selection(defs)
    return defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=assets, asset_check_selection=checks)


class PulseOutcome:
    def __init__(self):
        self.days: list[str] = []
        self.failed_days: list[str] = []
        self.check_failed_days: list[str] = []
        self.outside: list[str] = []
        self.late: dict[str, int] = {}
        self.lateness = pulse.lateness_days()

    def lines(self) -> list[str]:
        if not self.days and not self.outside:
            lines = ["no stale event day in the listing history: no pulse run"]
        else:
            lines = [f"{len(self.days)} event day(s) materialized: {', '.join(self.days) or '-'}"]
        if self.failed_days:
            lines.append(f"FAILED pulse runs: {', '.join(self.failed_days)}")
        if self.outside:
            lines.append(f"days outside the pulse partitions (see MEDALLION_PULSE_START_DATE): {self.outside}")
        late = sum(self.late.values())
        lines.append(f"late changes logged now (lateness {self.lateness} days): {late}")
        return lines

    def check_row(self) -> tuple[str, str, str, str] | None:
        if not self.days:
            return None
        status = "FAIL" if self.check_failed_days else "PASS"
        detail = f"{len(self.days) - len(self.check_failed_days)}/{len(self.days)} days pass"
        return (PULSE_ASSET, "pulse_counts_match_history", status, detail)


def run_pulse(defs: dg.Definitions, instance: dg.DagsterInstance, run_config: dict, snowflake=None) -> PulseOutcome:
    """Log late changes and materialize every stale pulse day, one run each (`snowflake`: the resource to ask
    which days, by default the one the environment configures, as the job's own)."""
    from medallion_assets.defs.resources import resolved, snowflake_resource

    outcome = PulseOutcome()
    with warehouse.connect(snowflake or resolved(snowflake_resource())) as conn:
        outcome.late = pulse.log_late(conn, outcome.lateness)
        stale = [d["event_day"] for d in pulse.stale_days(conn, outcome.lateness)]
    known = set(PULSE_PARTITIONS.get_partition_keys())
    outcome.outside = [day for day in stale if day not in known]
    job = defs.resolve_job_def(PULSE_JOB)
    for day in (d for d in stale if d in known):
        result = job.execute_in_process(
            instance=instance, partition_key=day, run_config=run_config, raise_on_error=False
        )
        outcome.days.append(day)
        if not result.success:
            outcome.failed_days.append(day)
        if any(not e.passed for e in result.get_asset_check_evaluations()):
            outcome.check_failed_days.append(day)
    return outcome
