"""Local Dagster runs whose process is gone: find them, mark them failed, free their pool slots.

A run killed with SIGKILL (or lost with its machine) never writes RUN_FAILURE: it stays STARTED
in the instance and keeps the concurrency-pool slots its steps claimed, so every later step in
that pool (``bronze_loader``) waits forever. Dagster records the process of every run event
(``DagsterEvent.pid``); RUN_START comes from the run worker, also for ``execute_in_process``.
A run is dead when that process no longer exists, or when the pid now belongs to a process that
started after the run did (the pid was reused).

Two users: ``medallion pipeline`` / ``medallion dev`` call :func:`fail_dead_runs` before they
start, and :class:`LocalRunLauncher` lets the daemon's run monitoring (configured in the
generated dagster.yaml) ask the same question about launched runs while ``dagster dev`` runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus

ACTIVE_STATUSES = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# a process that started more than this after the run's first event cannot be the run's process
PID_REUSE_SLACK_S = 2.0


def _process_start_time(pid: int) -> float | None:
    """Wall-clock start of a live process (Linux /proc), None when it does not exist or is a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        if not Path("/proc/self/stat").exists():  # no /proc: only ask whether the pid exists
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return None
            except PermissionError:
                pass
            return 0.0
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line[:6] == "btime ")
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def run_process(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, timestamp) of the run worker as recorded on the run's RUN_START event, if it has one."""
    events = instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
    for event in events:
        pid = event.dagster_event.pid if event.dagster_event else None
        if pid:
            return pid, event.timestamp
    return None


def process_gone(pid: int, since: float) -> bool:
    started = _process_start_time(pid)
    return started is None or started > since + PID_REUSE_SLACK_S


def run_is_dead(instance: dg.DagsterInstance, run_id: str) -> bool:
    """True only when the run's process is known and gone; a run with no recorded pid is left alone."""
    recorded = run_process(instance, run_id)
    return recorded is not None and process_gone(*recorded)


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark every unfinished local run whose process is gone as failed and free its pool slots."""
    failed = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE_STATUSES)):
        recorded = run_process(instance, run.run_id)
        if recorded is None or not process_gone(*recorded):
            continue
        instance.report_run_failed(
            run, f"Run process (pid {recorded[0]}) is gone: it was killed or lost; marked failed by medallion"
        )
        failed.append(run.run_id)
    for run_id in failed:
        free_slots(instance, run_id)
    return failed


def free_slots(instance: dg.DagsterInstance, run_id: str) -> None:
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        storage.free_concurrency_slots_for_run(run_id)


class LocalRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher, plus the worker health check that run monitoring asks for.

    With it the daemon fails a run whose worker process died within ``poll_interval_seconds``;
    ``free_slots_after_run_end_seconds`` then gives back the pool slots the run held.
    """

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        recorded = run_process(self._instance, run.run_id)
        if recorded is None:  # not started yet: run monitoring's start timeout covers it
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no run worker pid recorded yet")
        pid, since = recorded
        if process_gone(pid, since):
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone")
        return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} is alive")
