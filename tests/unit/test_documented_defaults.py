"""Defaults and schedules that docs/operating.md and docs/configuration.md state, each checked against the code:
the sensors' intervals and the schedules' times (operating.md, "Sensors and automation"), the cost knob's default
per environment, the retraining share, and the source, topic and protocol defaults of the resources."""

from __future__ import annotations

import pytest

from medallion_assets.definitions import defs
from medallion_assets.lib import settings
from medallion_assets.lib.errors import MedallionError

REPOSITORY = defs.get_repository_def()


def test_sensor_intervals_are_the_documented_ones():
    # operating.md: mongo_changes_sensor every 5 s, kafka_backlog_sensor every 15 s, medallion_automation every 5 s,
    # market_pulse_sensor every 10 s; all start RUNNING
    intervals = {s.name: (s.minimum_interval_seconds, s.default_status.value) for s in REPOSITORY.sensor_defs}
    assert intervals == {
        "mongo_changes_sensor": (5, "RUNNING"),
        "kafka_backlog_sensor": (15, "RUNNING"),
        "medallion_automation": (5, "RUNNING"),
        "market_pulse_sensor": (10, "RUNNING"),
    }


def test_schedules_run_at_the_documented_times():
    # operating.md: nightly_reconciliation 02:00, observe_source_schedule every hour, weekly_retrain_schedule
    # Monday 03:00; each running the job it names
    schedules = {
        s.name: (s.cron_schedule, s.execution_timezone, s.job_name, s.default_status.value)
        for s in REPOSITORY.schedule_defs
    }
    assert schedules == {
        "nightly_reconciliation": ("0 2 * * *", None, "reconciliation_job", "RUNNING"),
        "observe_source_schedule": ("0 * * * *", None, "observe_source_job", "RUNNING"),
        "weekly_retrain_schedule": ("0 3 * * 1", None, "retrain_job", "RUNNING"),
    }


def test_the_batch_window_is_0_locally_and_300_s_in_production(clean_env):
    assert settings.batch_window_s() == 0
    clean_env.setenv("MEDALLION_ENV", "production")
    assert settings.batch_window_s() == 300
    clean_env.setenv("MEDALLION_BATCH_WINDOW_S", "900")
    assert settings.batch_window_s() == 900


def test_the_retrain_share_defaults_to_a_tenth_and_refuses_what_is_not_a_share(clean_env):
    assert settings.retrain_change_share() == 0.10
    clean_env.setenv("MEDALLION_RETRAIN_CHANGE_SHARE", "0.25")
    assert settings.retrain_change_share() == 0.25
    for raw in ("1.5", "-0.1", "a tenth"):
        clean_env.setenv("MEDALLION_RETRAIN_CHANGE_SHARE", raw)
        with pytest.raises(
            MedallionError, match=f"MEDALLION_RETRAIN_CHANGE_SHARE must be a share between 0 and 1, got '{raw}'"
        ):
            settings.retrain_change_share()


def test_source_topic_and_protocol_defaults(clean_env):
    from medallion_assets.defs.resources import kafka_resource, mongo_resource

    mongo = mongo_resource()
    assert (mongo.database, mongo.collection) == ("Bigdata", "details")
    assert kafka_resource().topic == "data_ingestion"
    clean_env.setenv("MEDALLION_EMBEDDED", "mongo,snowflake")
    clean_env.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker.example.com:9092")
    configured = kafka_resource()
    assert (configured.topic, configured.security_protocol, configured.create_topic) == (
        "data_ingestion",
        "PLAINTEXT",
        False,
    )
    clean_env.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(MedallionError, match="KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD must be set too"):
        kafka_resource()


def test_a_snowflake_session_runs_in_utc_with_the_accounts_default_role_and_warehouse(clean_env):
    # configuration.md: every session runs with TIMEZONE = 'UTC'; SNOWFLAKE_ROLE / SNOWFLAKE_WAREHOUSE default to
    # the account's defaults (nothing sent)
    from medallion_assets.defs.resources import snowflake_resource

    production = {
        "MEDALLION_ENV": "production",
        "MONGO_URI": "mongodb://db.example.com/",
        "KAFKA_BOOTSTRAP_SERVERS": "broker.example.com:9092",
        "SNOWFLAKE_ACCOUNT": "xy12345",
        "SNOWFLAKE_USER": "SVC",
        "SNOWFLAKE_PASSWORD": "not-used",
    }
    for name, value in production.items():
        clean_env.setenv(name, value)
    resource = snowflake_resource()
    assert resource.additional_snowflake_connection_args == {"session_parameters": {"TIMEZONE": "UTC"}}
    assert (resource.role, resource.warehouse) == (None, None)
    clean_env.setenv("SNOWFLAKE_ROLE", "TRANSFORMER")
    clean_env.setenv("SNOWFLAKE_WAREHOUSE", "COMPUTE_WH")
    assert (snowflake_resource().role, snowflake_resource().warehouse) == ("TRANSFORMER", "COMPUTE_WH")
