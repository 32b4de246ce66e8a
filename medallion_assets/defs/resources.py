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
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.session import outside_a_run, run_scoped
from medallion_assets.lib.settings import Ports, TopicSettings, embedded_services, embedded_snowflake_args, value
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
        **_topic_fields(embedded=False),
        **optional,
    )


def _snowflake_credential() -> dict:
    """The sign-in fields from the environment (lib/snowflake_auth.py): a key pair, or a person's password."""
    how = snowflake_auth.method()
    if how == "key":
        fields = {"private_key": dg.EnvVar(snowflake_auth.KEY)}
    elif how == "key_path":
        fields = {"private_key_path": _env_or(snowflake_auth.KEY_PATH, "")}
    elif how == "password":
        return {"password": dg.EnvVar(snowflake_auth.PASSWORD)}
    else:
        return {}
    if _set(snowflake_auth.PASSPHRASE):
        fields["private_key_password"] = dg.EnvVar(snowflake_auth.PASSPHRASE)
    return fields


def snowflake_resource() -> SnowflakeResource:
    if "snowflake" in embedded_services():
        args = embedded_snowflake_args(Ports.configured().snowflake)
        # the embedded warehouse's own user, by its password, or by a key pair registered for it (as on Snowflake)
        credential = _snowflake_credential() or {"password": args["password"]}
        del args["password"]
        return SnowflakeResource(
            account=args.pop("account"),
            user=args.pop("user"),
            **credential,
            additional_snowflake_connection_args={**args, "network_timeout": 30, "login_timeout": 10},
        )
    credential = _snowflake_credential()
    if not credential:
        raise MedallionError(
            "SNOWFLAKE_ACCOUNT is set, so SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH (a key pair, for a "
            "service user) or SNOWFLAKE_PASSWORD (a person) must be set too (see docs/configuration.md)"
        )
    _require_together("SNOWFLAKE_ACCOUNT", ["SNOWFLAKE_USER"])
    return SnowflakeResource(
        account=dg.EnvVar("SNOWFLAKE_ACCOUNT"),
        user=dg.EnvVar("SNOWFLAKE_USER"),
        **credential,
        role=_env_or("SNOWFLAKE_ROLE", "") or None,
        warehouse=_env_or("SNOWFLAKE_WAREHOUSE", "") or None,
        login_timeout=30,
        # Every session in UTC, so CURRENT_TIMESTAMP and friends agree with the UTC the code stores
        # (SYSDATE() in sql/ is UTC whatever the session says).
        additional_snowflake_connection_args={"session_parameters": {"TIMEZONE": "UTC"}},
    )


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
