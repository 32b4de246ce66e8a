"""MEDALLION_ENV: local by default (unset services are embedded), production requires every setting and never
touches the embedded servers, and a mix of real and embedded services only when spelled out."""

from __future__ import annotations

import socket

import pytest

from medallion_assets import cli
from medallion_assets.defs.resources import build_resources
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.settings import embedded_services

PRODUCTION = {
    "MONGO_URI": "mongodb://reader:s3cret@mongo.example.com:27017",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka.example.com:9092",
    "SNOWFLAKE_ACCOUNT": "acme-xy12345",
    "SNOWFLAKE_USER": "loader",
    "SNOWFLAKE_PASSWORD": "s3cret",
}


@pytest.fixture
def no_connections(monkeypatch):
    """Every TCP connect attempt is recorded and refused."""
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise ConnectionRefusedError(f"test: no connection to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_local_by_default_runs_every_unset_service_embedded(clean_env):
    assert embedded_services() == {"mongo", "kafka", "snowflake"}
    resources = build_resources()
    assert resources["mongo"].uri.startswith("mongodb://127.0.0.1:")
    assert resources["kafka"].bootstrap_servers.startswith("127.0.0.1:")


def test_production_with_every_setting_uses_no_embedded_service(clean_env):
    for name, value in PRODUCTION.items():
        clean_env.setenv(name, value)
    clean_env.setenv("MEDALLION_ENV", "production")
    assert embedded_services() == frozenset()
    resources = build_resources()
    assert resources["kafka"].bootstrap_servers == "kafka.example.com:9092"
    assert "127.0.0.1" not in repr(resources)


@pytest.mark.parametrize("missing", ["MONGO_URI", "KAFKA_BOOTSTRAP_SERVERS", "SNOWFLAKE_USER"])
def test_production_names_the_missing_variable(clean_env, missing):
    for name, value in PRODUCTION.items():
        if name != missing:
            clean_env.setenv(name, value)
    clean_env.setenv("MEDALLION_ENV", "production")
    with pytest.raises(MedallionError, match=f"MEDALLION_ENV=production needs {missing} "):
        build_resources()


def test_production_refuses_a_snowflake_user_without_key_or_password(clean_env):
    for name, value in PRODUCTION.items():
        if name != "SNOWFLAKE_PASSWORD":
            clean_env.setenv(name, value)
    clean_env.setenv("MEDALLION_ENV", "production")
    with pytest.raises(MedallionError, match="needs SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH"):
        build_resources()


def test_production_pipeline_without_mongo_uri_stops_and_connects_nowhere(clean_env, no_connections, capsys):
    for name, value in PRODUCTION.items():
        if name != "MONGO_URI":
            clean_env.setenv(name, value)
    clean_env.setenv("MEDALLION_ENV", "production")
    assert cli.main(["pipeline"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "MONGO_URI" in err[0], err
    assert no_connections == []


def test_a_materialization_in_production_without_mongo_uri_stops_naming_it(clean_env, no_connections):
    import dagster as dg

    from medallion_assets.defs.source.assets import mongodb_listings

    for name, value in PRODUCTION.items():
        if name != "MONGO_URI":
            clean_env.setenv(name, value)
    clean_env.setenv("MEDALLION_ENV", "production")
    with pytest.raises(MedallionError, match="MONGO_URI"):
        dg.materialize([mongodb_listings], resources=build_resources())
    assert no_connections == []


def test_a_mix_must_be_spelled_out(clean_env):
    clean_env.setenv("MONGO_URI", PRODUCTION["MONGO_URI"])
    with pytest.raises(MedallionError, match="MONGO_URI set but KAFKA_BOOTSTRAP_SERVERS, SNOWFLAKE_ACCOUNT not"):
        embedded_services()
    clean_env.setenv("MEDALLION_EMBEDDED", "kafka")
    with pytest.raises(MedallionError, match="MEDALLION_EMBEDDED=kafka,snowflake"):
        embedded_services()
    clean_env.setenv("MEDALLION_EMBEDDED", "kafka, snowflake")
    assert embedded_services() == {"kafka", "snowflake"}
    assert build_resources()["kafka"].bootstrap_servers.startswith("127.0.0.1:")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"MEDALLION_ENV": "staging"}, "MEDALLION_ENV must be local or production, got 'staging'"),
        ({"MEDALLION_EMBEDDED": "redis"}, r"MEDALLION_EMBEDDED names unknown services \['redis'\]"),
        ({"MEDALLION_ENV": "production", "MEDALLION_EMBEDDED": "mongo", **PRODUCTION}, "cannot be used with"),
        ({"MEDALLION_EMBEDDED": "mongo", "MONGO_URI": PRODUCTION["MONGO_URI"]}, "whose variables are set too"),
    ],
)
def test_bad_switches_are_clear_errors(clean_env, variables, message):
    for name, value in variables.items():
        clean_env.setenv(name, value)
    with pytest.raises(MedallionError, match=message):
        embedded_services()
