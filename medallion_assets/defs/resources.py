"""Dagster resources, built from environment variables.

Which services are real and which are the embedded stand-ins is decided once, by lib/settings.py
(MEDALLION_ENV, MEDALLION_EMBEDDED); an embedded one is reached on the ports `medallion services up`
recorded. Secrets are only ever passed as `dg.EnvVar`, so Dagster resolves them at run time and never
shows them in the UI or logs.
"""

from __future__ import annotations

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib import snowflake_auth
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.session import outside_a_run, run_scoped
from medallion_assets.lib.settings import Ports, TopicSettings, embedded_services, require_together, value
from medallion_assets.lib.settings import is_set as _set


def _env_or(name: str, default: str) -> str:
    """A setting that is not secret: its value is shown in the UI, so read it now."""
    return value(name, default)


def mongo_resource() -> MongoResource:
    embedded = "mongo" in embedded_services()
    uri = f"mongodb://127.0.0.1:{Ports.configured().mongo}" if embedded else dg.EnvVar("MONGO_URI")
    return MongoResource(
        uri=uri,
        database=_env_or("MONGO_DATABASE", "Bigdata"),
        collection=_env_or("MONGO_COLLECTION", "details"),
    )


def _topic_fields(embedded: bool) -> dict:
    topic = TopicSettings.from_env(embedded)
    return {
        "create_topic": topic.create,
        "num_partitions": topic.partitions,
        "replication_factor": topic.replication_factor,
    }


def kafka_resource() -> KafkaResource:
    if "kafka" in embedded_services():
        return KafkaResource(
            bootstrap_servers=f"127.0.0.1:{Ports.configured().kafka}",
            topic=_env_or("KAFKA_TOPIC", "data_ingestion"),
            **_topic_fields(embedded=True),
        )
    protocol = value("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    if protocol.startswith("SASL"):
        require_together(
            "KAFKA_SECURITY_PROTOCOL=" + protocol, ["KAFKA_SASL_MECHANISM", "KAFKA_USERNAME", "KAFKA_PASSWORD"]
        )
    optional = {
        field: dg.EnvVar(var) if secret else _env_or(var, "")
        for field, var, secret in [
            ("sasl_mechanism", "KAFKA_SASL_MECHANISM", False),
            ("username", "KAFKA_USERNAME", True),
            ("password", "KAFKA_PASSWORD", True),
            ("ssl_ca_location", "KAFKA_SSL_CA_LOCATION", False),
        ]
        if _set(var)
    }
    return KafkaResource(
        bootstrap_servers=_env_or("KAFKA_BOOTSTRAP_SERVERS", ""),
        topic=_env_or("KAFKA_TOPIC", "data_ingestion"),
        security_protocol=_env_or("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
        **_topic_fields(embedded=False),
        **optional,
    )


def snowflake_resource() -> SnowflakeResource:
    """The warehouse resource, signed in as lib/snowflake_auth.resource_fields says (secrets as `dg.EnvVar`)."""
    return SnowflakeResource(**snowflake_auth.resource_fields(dg.EnvVar))


def build_resources() -> dict:
    # The runs' warehouse resource keeps one session per run (lib/session.py); the CLI uses snowflake_resource().
    return {"mongo": mongo_resource(), "kafka": kafka_resource(), "snowflake": run_scoped(snowflake_resource())}


def resolved(resource: dg.ConfigurableResource):
    """The resource with its `dg.EnvVar` secrets read, for use outside a Dagster run (CLI, sensors' helpers)."""
    return outside_a_run(resource).process_config_and_initialize()


@dg.definitions
def resources() -> dg.Definitions:
    """The three resources every asset, check and sensor asks for by name."""
    return dg.Definitions(resources=build_resources())
