"""The secrets that only a real deployment uses (SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PASSWORD, MongoDB
credentials in MONGO_URI, Kafka's SASL sign-in, a catalog URL with a password) cannot sign in to the embedded
services, so the full run (tests/integration/test_pipeline.py) cannot carry them. Here the code location is loaded
with MEDALLION_ENV=production and a distinctive value in each: the repository snapshot, which is what the Dagster
UI and the daemon receive from the code server (every resource's configured values included), names each secret
by its variable and never holds its value."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import dagster as dg
from dagster._core.remote_representation.external_data import RepositorySnap, ResourceConfigEnvVarSnap
from dagster._serdes import deserialize_value, serialize_value

TOKEN = f"tok{secrets.token_hex(12)}"
PRODUCTION = {
    "MEDALLION_ENV": "production",
    "MONGO_URI": f"mongodb+srv://medallion:{TOKEN}@cluster0.example.net/?retryWrites=true",
    "KAFKA_BOOTSTRAP_SERVERS": "broker-1.example.com:9092",
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "PLAIN",
    "KAFKA_USERNAME": f"user{TOKEN}",
    "KAFKA_PASSWORD": TOKEN,
    "SNOWFLAKE_ACCOUNT": f"acct{TOKEN}",
    "SNOWFLAKE_USER": f"user{TOKEN}",
    "SNOWFLAKE_PASSWORD": TOKEN,
    "MEDALLION_ICEBERG_CATALOG_URI": f"postgresql+psycopg2://medallion:{TOKEN}@db.example.com:5432/catalog",
    "MEDALLION_ICEBERG_WAREHOUSE": "s3://lakehouse-bucket/medallion",
    "MEDALLION_ICEBERG_CATALOG_TOKEN": TOKEN,
    "MEDALLION_ICEBERG_PROPERTIES": json.dumps({"s3.secret-access-key": TOKEN}),
    "AWS_SECRET_ACCESS_KEY": TOKEN,
}


def test_production_resources_reach_the_ui_as_variable_names_never_values(clean_env, capfd):
    import medallion_assets.definitions

    for name, value in PRODUCTION.items():
        clean_env.setenv(name, value)
    # the code location as a code server loads it in this environment (definitions.py's own call, anew)
    defs = dg.load_from_defs_folder(path_within_project=Path(medallion_assets.definitions.__file__).parent)
    snapshot = deserialize_value(serialize_value(RepositorySnap.from_def(defs.get_repository_def())), RepositorySnap)
    printed = capfd.readouterr()
    # booleans, not `TOKEN not in text`: pytest's explanation of `in` on a megabyte of text takes minutes
    leaked = {"snapshot": TOKEN in serialize_value(snapshot), "output": TOKEN in printed.out + printed.err}
    assert leaked == {"snapshot": False, "output": False}
    secret_fields = {
        resource.name: {
            field: value.name
            for field, value in resource.configured_values.items()
            if isinstance(value, ResourceConfigEnvVarSnap)
        }
        for resource in snapshot.resources
    }
    assert secret_fields == {
        "mongo": {"uri": "MONGO_URI"},
        "kafka": {"username": "KAFKA_USERNAME", "password": "KAFKA_PASSWORD"},
        "snowflake": {"account": "SNOWFLAKE_ACCOUNT", "user": "SNOWFLAKE_USER", "password": "SNOWFLAKE_PASSWORD"},
        "lakehouse": {
            "catalog_uri": "MEDALLION_ICEBERG_CATALOG_URI",
            "properties": "MEDALLION_ICEBERG_PROPERTIES",
            "token": "MEDALLION_ICEBERG_CATALOG_TOKEN",
        },
    }
    # and the settings that are not secret are shown as they are (so the check above is not vacuous)
    kafka = {r.name: r.configured_values for r in snapshot.resources}["kafka"]
    assert kafka["security_protocol"] == '"SASL_SSL"' and kafka["bootstrap_servers"] == '"broker-1.example.com:9092"'
