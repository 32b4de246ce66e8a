"""The generated dagster.yaml: written when missing, upgraded when an older version wrote it, other settings kept."""

from __future__ import annotations

import yaml

from medallion_assets.dev import pipeline

OLD = """\
# Written by medallion for local runs: no welcome pop-up, one bronze loader at a time.
nux:
  enabled: false
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 4
"""


def test_old_file_is_upgraded_with_run_monitoring_and_other_settings_kept(tmp_path):
    config = tmp_path / "dagster.yaml"
    config.write_text(OLD + "python_logs:\n  python_log_level: INFO\n")
    assert pipeline.write_dagster_yaml(config) is True
    written = yaml.safe_load(config.read_text())
    assert written["run_monitoring"] == {
        "enabled": True,
        "poll_interval_seconds": 10,
        "start_timeout_seconds": 180,
        "cancel_timeout_seconds": 180,
        "free_slots_after_run_end_seconds": 5,
    }
    assert written["run_launcher"] == {"module": "medallion_assets.dev.runs", "class": "LocalRunLauncher"}
    assert written["python_logs"] == {"python_log_level": "INFO"}
    assert written["concurrency"] == {"pools": {"default_limit": 1}, "runs": {"max_concurrent_runs": 4}}
    assert written["run_queue"] == {"dequeue_interval_seconds": 1}
    assert pipeline.write_dagster_yaml(config) is False  # up to date: left alone


def test_missing_file_is_written_and_loads_as_a_dagster_instance(tmp_path):
    import dagster as dg

    assert pipeline.write_dagster_yaml(tmp_path / "dagster.yaml") is True
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_launcher).__name__ == "LocalRunLauncher"
        assert instance.run_monitoring_enabled and instance.run_launcher.supports_check_run_worker_health
        assert instance.run_coordinator.dequeue_interval_seconds == 1


def test_create_pools_gives_every_pool_of_the_code_location_its_default_slot_before_any_run():
    import dagster as dg

    from medallion_assets.definitions import defs

    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 1}}}) as instance:
        storage = instance.event_log_storage
        assert storage.get_concurrency_keys() == set()  # Dagster creates a pool on its first claim only
        pools = pipeline.create_pools(instance, defs)
        assert pools == [
            "bronze_loader",
            "gold_pulse",
            "gold_writer",
            "history_writer",
            "ml_anomaly_alerts",
            "ml_training",
            "silver_writer",
        ]
        assert {pool: storage.get_concurrency_info(pool).slot_count for pool in pools} == dict.fromkeys(pools, 1)
        pipeline.create_pools(instance, defs)  # again: still one slot each
        assert {pool: storage.get_concurrency_info(pool).slot_count for pool in pools} == dict.fromkeys(pools, 1)
