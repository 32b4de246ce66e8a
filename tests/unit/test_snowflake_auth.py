"""Which credential the Snowflake resource signs in with, and one line naming the variable when a key is bad.
(tests/integration/test_key_pair.py signs in for real through the connector against the embedded warehouse.)"""

from __future__ import annotations

import base64

import dagster as dg
import pytest

from medallion_assets.defs.resources import snowflake_resource
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.settings import SERVICE_VARIABLES
from medallion_assets.lib.snowflake_auth import load_private_key
from tests.helpers import PRODUCTION_ENV
from tests.keys import key_pair

PRODUCTION = PRODUCTION_ENV


@pytest.fixture
def production(monkeypatch, tmp_path):
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path))
    return monkeypatch


def test_a_private_key_in_the_environment_is_the_credential(production):
    private, _ = key_pair("pass phrase")
    production.setenv("SNOWFLAKE_PRIVATE_KEY", private)
    production.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "pass phrase")
    resource = snowflake_resource()
    assert resource.password is None and resource.private_key_path is None
    # secrets stay environment references until run time
    field = resource._get_non_default_public_field_values()["private_key"]
    assert isinstance(field, dg.EnvVar) and field == "SNOWFLAKE_PRIVATE_KEY"
    resolved = resource.process_config_and_initialize()
    assert resolved.private_key == private and resolved.private_key_password == "pass phrase"
    assert resolved._connection_args["private_key"][:2] == b"\x30\x82"  # DER, as the connector takes it


def test_a_key_file_is_the_credential(production, tmp_path):
    private, _ = key_pair()
    path = tmp_path / "rsa_key.p8"
    path.write_text(private)
    production.setenv("SNOWFLAKE_PRIVATE_KEY_PATH", str(path))
    resource = snowflake_resource().process_config_and_initialize()
    assert resource.private_key_path == str(path) and resource.password is None


def test_a_password_still_works_for_people(production):
    production.setenv("SNOWFLAKE_PASSWORD", "s3cret")
    assert snowflake_resource().process_config_and_initialize().password == "s3cret"


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"SNOWFLAKE_PASSWORD": "x", "SNOWFLAKE_PRIVATE_KEY": "k"}, "SNOWFLAKE_PRIVATE_KEY and SNOWFLAKE_PASSWORD"),
        ({"SNOWFLAKE_PRIVATE_KEY": "k", "SNOWFLAKE_PRIVATE_KEY_PATH": "/k"}, "are both set"),
        ({"SNOWFLAKE_PASSWORD": "x", "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "p"}, "PASSPHRASE is set without"),
        ({}, "MEDALLION_ENV=production needs SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH"),
    ],
)
def test_refused_combinations(production, variables, message):
    for name, value in variables.items():
        production.setenv(name, value)
    with pytest.raises(MedallionError, match=message):
        snowflake_resource()


def one_line_error(private_key=None, path=None, passphrase=None) -> str:
    with pytest.raises(MedallionError) as raised:
        load_private_key(private_key, path, passphrase)
    message = str(raised.value)
    assert "\n" not in message and "BEGIN" not in message, message  # one line, no key material
    return message


def test_bad_keys_stop_with_one_line_naming_the_variable(tmp_path):
    encrypted, _ = key_pair("right")
    plain, _ = key_pair()
    assert one_line_error(encrypted, passphrase="wrong") == (
        "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE does not decrypt the key in SNOWFLAKE_PRIVATE_KEY"
    )
    assert (
        one_line_error(encrypted)
        == "SNOWFLAKE_PRIVATE_KEY holds an encrypted key: set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
    )
    assert one_line_error(plain, passphrase="p").startswith("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE is set but the key in")
    truncated = plain[: len(plain) // 2] + "\n-----END PRIVATE KEY-----\n"
    assert one_line_error(truncated) == "SNOWFLAKE_PRIVATE_KEY is not a readable PEM private key"
    assert one_line_error("not a key") == "SNOWFLAKE_PRIVATE_KEY is not a PEM private key (nor base64 of one)"
    path = tmp_path / "key.p8"
    path.write_text(truncated)
    assert one_line_error(path=str(path)) == "SNOWFLAKE_PRIVATE_KEY_PATH is not a readable PEM private key"
    assert one_line_error(path=str(tmp_path / "absent.p8")).startswith(
        f"SNOWFLAKE_PRIVATE_KEY_PATH: cannot read {tmp_path / 'absent.p8'}"
    )


def test_a_base64_encoded_key_is_read_as_dagster_snowflake_reads_it():
    encrypted, _ = key_pair("right")
    key = load_private_key(base64.b64encode(encrypted.encode()).decode(), None, "right")
    assert key.key_size == 2048
