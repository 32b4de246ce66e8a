"""`medallion doctor` on the embedded services: every check passes (or says the stand-in cannot tell), and each kind
of broken configuration gives its ✗ line with the fix and a non-zero exit. Run with -s to see the output."""

from __future__ import annotations

from medallion_assets import cli
from medallion_assets.lib import doctor
from medallion_assets.lib.settings import Ports

# What the stand-ins cannot report (the lines say so): nx-27017 names no replica set and keeps no local.oplog.rs;
# fakesnow has no virtual warehouses.
CANNOT_TELL = ("names no replica set", "oplog window cannot be told", "no virtual warehouse to check")


def run_doctor(capsys, title: str) -> tuple[int, list[str]]:
    code = cli.main(["doctor"])
    lines = capsys.readouterr().out.splitlines()
    with capsys.disabled():
        print(f"\n--- medallion doctor: {title} (exit {code})")
        print("\n".join(lines))
    return code, lines


def failures(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(doctor.FAIL)]


def test_all_pass_on_the_embedded_services(stack, capsys):
    stack["kafka"].partitions(create=True)  # the topic as the first ingestion run leaves it
    code, lines = run_doctor(capsys, "embedded services")
    assert code == 0 and failures(lines) == []
    unknown = [line for line in lines if line.startswith(doctor.UNKNOWN)]
    assert len(unknown) == len(CANNOT_TELL) and all(any(t in u for t in CANNOT_TELL) for u in unknown), unknown
    text = "\n".join(lines)
    assert f"topic {stack['kafka'].topic!r}, 3 partitions, replication 1" in text
    assert "a produce with acks=all (idempotent) was acknowledged" in text
    assert "change streams open" in text and "Iceberg catalog" in text
    for database in ("RAW_DB", "STAGING_DB", "ANALYTICS_DB"):
        assert "may select, insert and delete in" in text and f"database {database}" in text
    assert len(lines) == 19, lines


def test_wrong_password(stack, capsys, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "wrong")
    code, lines = run_doctor(capsys, "wrong password")
    assert code == 1
    (line,) = failures(lines)
    assert "Snowflake refused the sign-in (390100: Incorrect username or password was specified.)" in line
    assert "check SNOWFLAKE_USER and SNOWFLAKE_PASSWORD" in line


def test_bad_key(stack, capsys, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----")
    code, lines = run_doctor(capsys, "bad key")
    assert code == 1
    (line,) = failures(lines)
    assert "SNOWFLAKE_PRIVATE_KEY is not a readable PEM private key" in line


def test_missing_topic(stack, capsys, monkeypatch):
    monkeypatch.setenv("KAFKA_CREATE_TOPIC", "false")  # as in production by default
    code, lines = run_doctor(capsys, "missing topic")
    assert code == 1
    (line,) = failures(lines)
    assert f"topic {stack['kafka'].topic!r} does not exist" in line and "KAFKA_CREATE_TOPIC=true" in line


def test_missing_database(stack, warehouse_port, capsys, monkeypatch):
    """A warehouse where the setup never ran: every database is missing, each with its own line."""
    real = Ports.configured()
    empty = Ports(mongo=real.mongo, s3=real.s3, kafka=real.kafka, snowflake=warehouse_port)
    monkeypatch.setattr(Ports, "configured", classmethod(lambda cls: empty))
    code, lines = run_doctor(capsys, "missing database")
    assert code == 1
    failed = failures(lines)
    assert [line.split(":")[1].strip().split()[1] for line in failed if "database" in line] == [
        "RAW_DB", "STAGING_DB", "ANALYTICS_DB",
    ]  # fmt: skip
    assert all("materialize warehouse_schema, or GRANT USAGE ON DATABASE" in line for line in failed[:3])
    assert len(failed) == 5  # and the two stages
