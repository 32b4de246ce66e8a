"""Dagster resources, built from environment variables.

Which services are real and which are the embedded stand-ins is decided once, by lib/settings.py
(MEDALLION_ENV, MEDALLION_EMBEDDED); an embedded one is reached on the ports `medallion services up`
recorded. Secrets are only ever passed as `dg.EnvVar`, so Dagster resolves them at run time and never
shows them in the UI or logs.
"""

from __future__ import annotations

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.settings import Ports, embedded_services, embedded_snowflake_args, value
from medallion_assets.lib.settings import is_set as _set


def _env_or(name: str, default: str) -> str:
    """A setting that is not secret: its value is shown in the UI, so read it now."""
    return value(name, default)


def _require_together(primary: str, required: list[str]) -> None:
    missing = [name for name in required if not _set(name)]
    if missing:
        raise MedallionError(f"{primary} is set, so {', '.join(missing)} must be set too (see .env.example)")


def mongo_resource() -> MongoResource:
    embedded = "mongo" in embedded_services()
    uri = f"mongodb://127.0.0.1:{Ports.configured().mongo}" if embedded else dg.EnvVar("MONGO_URI")
    return MongoResource(
        uri=uri,
        database=_env_or("MONGO_DATABASE", "Bigdata"),
        collection=_env_or("MONGO_COLLECTION", "details"),
    )


def kafka_resource() -> KafkaResource:
    if "kafka" in embedded_services():
        return KafkaResource(
            bootstrap_servers=f"127.0.0.1:{Ports.configured().kafka}", topic=_env_or("KAFKA_TOPIC", "data_ingestion")
        )
    protocol = value("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    if protocol.startswith("SASL"):
        _require_together(
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
        **optional,
    )


def snowflake_resource() -> SnowflakeResource:
    if "snowflake" in embedded_services():
        args = embedded_snowflake_args(Ports.configured().snowflake)
        return SnowflakeResource(
            account=args.pop("account"),
            user=args.pop("user"),
            password=args.pop("password"),
            additional_snowflake_connection_args={**args, "network_timeout": 30, "login_timeout": 10},
        )
    _require_together("SNOWFLAKE_ACCOUNT", ["SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD"])
    return SnowflakeResource(
        account=dg.EnvVar("SNOWFLAKE_ACCOUNT"),
        user=dg.EnvVar("SNOWFLAKE_USER"),
        password=dg.EnvVar("SNOWFLAKE_PASSWORD"),
        role=_env_or("SNOWFLAKE_ROLE", "") or None,
        warehouse=_env_or("SNOWFLAKE_WAREHOUSE", "") or None,
        login_timeout=30,
        # Every session in UTC, so CURRENT_TIMESTAMP and friends agree with the UTC the code stores
        # (SYSDATE() in sql/ is UTC whatever the session says).
        additional_snowflake_connection_args={"session_parameters": {"TIMEZONE": "UTC"}},
    )


def build_resources() -> dict:
    return {"mongo": mongo_resource(), "kafka": kafka_resource(), "snowflake": snowflake_resource()}


def resolved(resource: dg.ConfigurableResource):
    """The resource with its `dg.EnvVar` secrets read, for use outside a Dagster run (CLI, sensors' helpers)."""
    return resource.process_config_and_initialize()


@dg.definitions
def resources() -> dg.Definitions:
    """The three resources every asset, check and sensor asks for by name."""
    return dg.Definitions(resources=build_resources())
