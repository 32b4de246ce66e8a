"""One Dagster instance, two files: deploy/dagster.yaml (a VM) and deploy/helm/values.yaml (Kubernetes, where the
Dagster Helm chart writes the instance's dagster.yaml from the values). `chart_instance` writes the sections this
project relies on (run coordinator, run monitoring, concurrency, compute logs, telemetry) from the values as the
chart's templates do (dagster-io/dagster helm/dagster/templates: configmap-instance.yaml and helpers/instance/
_run-coordinator.tpl, _concurrency.tpl, _compute-log-manager.tpl, read for 1.13; transcribed, keys the chart does
not render are not rendered here either), and the tests compare them with deploy/dagster.yaml, so the two cannot
drift. What the chart cannot render (run_monitoring's max_runtime_seconds) is a run tag of every job instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SECTIONS = ("run_coordinator", "run_monitoring", "concurrency", "compute_logs", "telemetry")


def _present(value) -> bool:
    """A value Helm's `compact` keeps (and `if` takes as true)."""
    return value not in (None, "", 0, False) and value != [] and value != {}


def _set(value) -> bool:
    """`not (kindIs "invalid" value)`: anything but a missing key or null, 0 and false included."""
    return value is not None


def chart_instance(values: dict) -> dict:
    """The instance sections the Dagster Helm chart writes from `values`."""
    out: dict = {}
    daemon = values["dagsterDaemon"]
    coordinator = daemon["runCoordinator"]
    if daemon["enabled"] and coordinator["enabled"]:
        assert coordinator["type"] == "QueuedRunCoordinator"
        queued = (coordinator.get("config") or {}).get("queuedRunCoordinator") or {}
        section = {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"}
        if any(_present(v) for v in queued.values()):
            config = {
                "max_concurrent_runs": queued["maxConcurrentRuns"] if _set(queued.get("maxConcurrentRuns")) else -1
            }
            for key, name in [
                ("tagConcurrencyLimits", "tag_concurrency_limits"),
                ("dequeueIntervalSeconds", "dequeue_interval_seconds"),
                ("dequeueUseThreads", "dequeue_use_threads"),
                ("dequeueNumWorkers", "dequeue_num_workers"),
            ]:
                if _present(queued.get(key)):
                    config[name] = queued[key]
            section["config"] = config
        out["run_coordinator"] = section
    monitoring = daemon["runMonitoring"]
    if daemon["enabled"] and monitoring["enabled"]:
        section = {"enabled": monitoring["enabled"], "start_timeout_seconds": monitoring.get("startTimeoutSeconds")}
        if _set(monitoring.get("cancelTimeoutSeconds")):
            section["cancel_timeout_seconds"] = monitoring["cancelTimeoutSeconds"]
        if _set(monitoring.get("maxResumeRunAttempts")):
            section["max_resume_run_attempts"] = monitoring["maxResumeRunAttempts"]
        section["poll_interval_seconds"] = monitoring.get("pollIntervalSeconds")
        section["free_slots_after_run_end_seconds"] = monitoring.get("freeSlotsAfterRunEndSeconds")
        out["run_monitoring"] = section
    concurrency = values.get("concurrency") or {}
    if concurrency.get("enabled"):
        pools, runs = concurrency.get("pools") or {}, concurrency.get("runs") or {}
        section = {}
        rendered_pools = {}
        if _set(pools.get("defaultLimit")):
            rendered_pools["default_limit"] = pools["defaultLimit"]
        if _present(pools.get("granularity")):
            rendered_pools["granularity"] = pools["granularity"]
        if _set(pools.get("opGranularityRunBuffer")):
            rendered_pools["op_granularity_run_buffer"] = pools["opGranularityRunBuffer"]
        if rendered_pools:
            section["pools"] = rendered_pools
        rendered_runs = {}
        if _set(runs.get("maxConcurrentRuns")):
            rendered_runs["max_concurrent_runs"] = runs["maxConcurrentRuns"]
        if runs.get("tagConcurrencyLimits"):
            rendered_runs["tag_concurrency_limits"] = [
                {
                    "key": str(t["key"]),
                    **({"value": t["value"]} if _present(t.get("value")) else {}),
                    "limit": t["limit"],
                }
                for t in runs["tagConcurrencyLimits"]
            ]
        if rendered_runs:
            section["runs"] = rendered_runs
        out["concurrency"] = section
    logs = values.get("computeLogManager") or {}
    if logs.get("type") == "S3ComputeLogManager":
        s3 = logs["config"]["s3ComputeLogManager"]
        config = {"bucket": s3["bucket"]}
        for key, name in [("localDir", "local_dir"), ("prefix", "prefix"), ("useSsl", "use_ssl")]:
            if _present(s3.get(key)):
                config[name] = s3[key]
        config["verify"] = s3.get("verify") is not False
        for key, name in [
            ("verifyCertPath", "verify_cert_path"),
            ("endpointUrl", "endpoint_url"),
            ("skipEmptyFiles", "skip_empty_files"),
            ("uploadInterval", "upload_interval"),
            ("uploadExtraArgs", "upload_extra_args"),
            ("showUrlOnly", "show_url_only"),
            ("region", "region"),
        ]:
            if _present(s3.get(key)):
                config[name] = s3[key]
        out["compute_logs"] = {
            "module": "dagster_aws.s3.compute_log_manager",
            "class": "S3ComputeLogManager",
            "config": config,
        }
    elif logs:
        pytest.fail(f"compute log manager {logs.get('type')} is not transcribed here")
    out["telemetry"] = {"enabled": values["telemetry"]["enabled"]}
    return out


@pytest.fixture
def values() -> dict:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())


@pytest.fixture
def deploy_yaml() -> dict:
    return yaml.safe_load((DEPLOY / "dagster.yaml").read_text())


def test_the_helm_values_write_the_instance_of_deploy_dagster_yaml(values, deploy_yaml):
    rendered = chart_instance(values)
    assert set(rendered) == set(SECTIONS)
    vm = {name: deploy_yaml[name] for name in SECTIONS}
    # the one setting the chart cannot write: carried by every run as a tag (next test)
    vm["run_monitoring"] = {k: v for k, v in vm["run_monitoring"].items() if k != "max_runtime_seconds"}
    for name in SECTIONS:
        assert rendered[name] == vm[name], name


def test_what_the_chart_cannot_write_is_a_tag_of_every_run_the_code_location_starts(values, deploy_yaml):
    import dagster as dg

    from medallion_assets.definitions import defs
    from medallion_assets.defs.automation import MAX_RUNTIME_SECONDS

    assert deploy_yaml["run_monitoring"]["max_runtime_seconds"] == MAX_RUNTIME_SECONDS == 6 * 3600
    assert "maxRuntimeSeconds" not in values["dagsterDaemon"]["runMonitoring"]  # the chart would drop it silently
    jobs = {job.name: job.tags.get(dg.MAX_RUNTIME_SECONDS_TAG) for job in defs.resolve_all_job_defs()}
    jobs.pop("__ASSET_JOB")  # runs started by hand from the UI: deploy/dagster.yaml's max_runtime_seconds
    assert jobs and set(jobs.values()) == {str(MAX_RUNTIME_SECONDS)}, jobs
    repository = defs.get_repository_def()
    for sensor in repository.sensor_defs:  # every sensor targets a job with the tag, or declares it
        if isinstance(sensor, dg.AutomationConditionSensorDefinition):
            assert sensor.run_tags[dg.MAX_RUNTIME_SECONDS_TAG] == str(MAX_RUNTIME_SECONDS), sensor.name
        else:
            assert sensor.targets and {t.job_name for t in sensor.targets} <= set(jobs), sensor.name
    for schedule in repository.schedule_defs:
        assert schedule.job_name in jobs, schedule.name


def instance_error(tmp_path, sections: dict) -> str | None:
    """Dagster's verdict on an instance made of `sections` and deploy/dagster.yaml's storage."""
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config

    storage = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["storage"]
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"storage": storage, **sections}))
    try:
        dagster_instance_config(str(tmp_path), "dagster.yaml")
    except DagsterInvalidConfigError as exc:
        return str(exc)
    return None


def test_dagster_accepts_the_instance_the_chart_writes(values, tmp_path):
    assert instance_error(tmp_path, chart_instance(values)) is None


def test_a_queued_run_coordinator_setting_next_to_concurrency_runs_is_refused(values, tmp_path):
    """Why the values set nothing under queuedRunCoordinator (the values before this test had a dequeue interval):
    the chart then writes run_coordinator.config.max_concurrent_runs: -1, and Dagster refuses it beside
    concurrency.runs, so no webserver, daemon or run would start."""
    values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"] = {"dequeueIntervalSeconds": 5}
    rendered = chart_instance(values)
    assert rendered["run_coordinator"]["config"] == {"max_concurrent_runs": -1, "dequeue_interval_seconds": 5}
    assert "incompatible with the `concurrency > runs` config" in instance_error(tmp_path, rendered)
