"""Key-pair sign-in through the real connector (snowflake-connector-python's SNOWFLAKE_JWT authenticator, via
dagster-snowflake) against the embedded warehouse, whose launcher verifies the JWT against the public keys registered
for the user (dev/fakesnow_auth.py), as Snowflake does after `ALTER USER ... SET RSA_PUBLIC_KEY`. And: a refused
sign-in fails a sensor tick (it is not an outage to skip)."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from medallion_assets import cli
from medallion_assets.defs.resources import snowflake_resource
from medallion_assets.dev import fakesnow_auth
from medallion_assets.lib import warehouse
from medallion_assets.lib.errors import AccessRefused, MedallionError, ServiceUnavailable
from medallion_assets.lib.settings import EMBEDDED_SNOWFLAKE_USER
from tests.keys import key_pair


@pytest.fixture
def registered(services_home):
    """Register a fresh key pair (unencrypted) and a fresh encrypted one for the embedded user."""
    plain, plain_public = key_pair()
    encrypted, encrypted_public = key_pair("correct horse")
    folder = services_home / "snowflake"
    fakesnow_auth.register(folder, EMBEDDED_SNOWFLAKE_USER, public_key_pem=plain_public)
    fakesnow_auth.register(folder, EMBEDDED_SNOWFLAKE_USER, public_key_pem=encrypted_public)
    return plain, encrypted


def current_user(resource) -> str:
    with warehouse.connect(resource.process_config_and_initialize()) as conn:
        return conn.cursor().execute("SELECT 1 AS one").fetchone()[0]


def test_signs_in_with_a_registered_key_in_the_environment(registered, monkeypatch):
    plain, _ = registered
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", plain)
    resource = snowflake_resource()
    assert resource.password is None
    assert current_user(resource) == 1


def test_signs_in_with_an_encrypted_key_file_and_its_passphrase(registered, monkeypatch, tmp_path):
    _, encrypted = registered
    path = tmp_path / "rsa_key.p8"
    path.write_text(encrypted)
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PATH", str(path))
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "correct horse")
    assert current_user(snowflake_resource()) == 1


def test_an_unregistered_key_is_refused_not_an_outage(services_home, monkeypatch):
    stranger, _ = key_pair()
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", stranger)
    with pytest.raises(AccessRefused) as refused:
        current_user(snowflake_resource())
    message = str(refused.value)
    assert "\n" not in message and "390144" in message and "SNOWFLAKE_PRIVATE_KEY" in message, message
    assert "RSA_PUBLIC_KEY" in message


def test_a_wrong_passphrase_stops_before_signing_in(registered, monkeypatch):
    _, encrypted = registered
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", encrypted)
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "wrong")
    with pytest.raises(MedallionError, match=r"^SNOWFLAKE_PRIVATE_KEY_PASSPHRASE does not decrypt the key in "):
        current_user(snowflake_resource())


def query_one(capsys) -> tuple[int, list | None, str]:
    """`medallion query` (its own sign-in, lib/snowflake_auth.sign_in): exit code, rows printed, stderr."""
    code = cli.main(["query", "SELECT 1 AS one", "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def test_medallion_query_signs_in_with_a_key_in_the_environment_or_an_encrypted_file(
    registered, monkeypatch, tmp_path, capsys
):
    plain, encrypted = registered
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", plain)
    assert query_one(capsys) == (0, [{"ONE": 1}], "")
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY")
    path = tmp_path / "rsa_key.p8"
    path.write_text(encrypted)
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PATH", str(path))
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "correct horse")
    assert query_one(capsys) == (0, [{"ONE": 1}], "")
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "wrong")
    assert query_one(capsys) == (
        1,
        None,
        "medallion: SNOWFLAKE_PRIVATE_KEY_PASSPHRASE does not decrypt the key in SNOWFLAKE_PRIVATE_KEY_PATH\n",
    )


def test_medallion_query_says_a_refused_key_in_the_same_line_as_the_runs(services_home, monkeypatch, capsys):
    stranger, _ = key_pair()
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", stranger)
    with pytest.raises(AccessRefused) as refused:
        current_user(snowflake_resource())
    assert query_one(capsys) == (1, None, f"medallion: {refused.value}\n")


def test_a_wrong_password_is_refused(services_home):
    from dagster_snowflake import SnowflakeResource

    from medallion_assets.lib.settings import Ports, embedded_snowflake_args

    args = embedded_snowflake_args(Ports.configured().snowflake)
    args.pop("password")
    resource = SnowflakeResource(
        account=args.pop("account"), user=args.pop("user"), password="wrong", additional_snowflake_connection_args=args
    )
    with pytest.raises(AccessRefused, match=r"Snowflake refused the sign-in \(390100: Incorrect username or password"):
        current_user(resource)


def test_a_refused_sign_in_fails_the_sensor_tick_and_an_outage_skips_it(stack, monkeypatch):
    """The same sensor, two faults: a key nobody registered fails the tick (Dagster shows a failed tick); a warehouse
    that does not answer skips it (an outage to wait out). market_pulse_sensor: with no cursor yet it plans in the
    warehouse (the other sensors no longer ask it anything)."""
    from medallion_assets.defs.gold.pulse_sensor import market_pulse_sensor
    from medallion_assets.lib.settings import Ports

    stranger, _ = key_pair()
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", stranger)
    refused_resources = {**stack, "snowflake": snowflake_resource()}
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=refused_resources)
        with pytest.raises(AccessRefused, match="390144"):
            market_pulse_sensor(context)

        monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY")
        from medallion_assets.dev.services import free_port

        port = free_port()  # nothing listens there
        monkeypatch.setattr(Ports, "configured", classmethod(lambda cls: Ports(mongo=0, s3=0, kafka=0, snowflake=port)))
        down = {**stack, "snowflake": snowflake_resource()}
        result = market_pulse_sensor(dg.build_sensor_context(instance=instance, resources=down))
        assert isinstance(result, dg.SkipReason) and "unreachable" in result.skip_message, result
    assert issubclass(AccessRefused, MedallionError) and not issubclass(AccessRefused, ServiceUnavailable)
