"""Which services are real and which are the embedded stand-ins, and where the stand-ins listen.

One explicit switch, ``MEDALLION_ENV``:

- ``local`` (the default, so `make pipeline` works on a fresh machine): a service whose variables are not
  set is the embedded stand-in. Some services real and some embedded is allowed only when spelled out in
  ``MEDALLION_EMBEDDED`` (e.g. ``MEDALLION_EMBEDDED=kafka,snowflake`` with ``MONGO_URI`` set), never by
  omission: a forgotten variable must not silently mean "localhost".
- ``production``: every required variable must be set; a missing one stops with one line naming it, and
  the embedded servers are never started or used.

`medallion services up` records the ports of the embedded servers it started in
``$MEDALLION_HOME/services.json``; the resources read that file (or the ``MEDALLION_<NAME>_PORT``
variables). Nothing here starts or imports a stand-in.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from medallion_assets.lib.errors import MedallionError

_CHECKOUT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("local", "production")
# Every variable that points the project at real services or changes which are embedded: local tools that
# must run on their own embedded servers (tests, benchmarks, the chaos run) clear exactly these.
SERVICE_VARIABLES = (
    "MEDALLION_ENV",
    "MEDALLION_EMBEDDED",
    "MONGO_URI",
    "MONGO_DATABASE",
    "MONGO_COLLECTION",
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_TOPIC",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_USERNAME",
    "KAFKA_PASSWORD",
    "KAFKA_SSL_CA_LOCATION",
    "SNOWFLAKE_ACCOUNT",
    "SNOWFLAKE_USER",
    "SNOWFLAKE_PASSWORD",
    "SNOWFLAKE_ROLE",
    "SNOWFLAKE_WAREHOUSE",
    "MEDALLION_ICEBERG_CATALOG_URI",
    "MEDALLION_ICEBERG_WAREHOUSE",
    "MEDALLION_ICEBERG_PROPERTIES",
    "MEDALLION_ICEBERG_CATALOG_TOKEN",
)
# The variables that make a service real; the first one names it in messages.
REQUIRED = {
    "mongo": ("MONGO_URI",),
    "kafka": ("KAFKA_BOOTSTRAP_SERVERS",),
    "snowflake": ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD"),
}
DEFAULT_PORTS = {"mongo": 37017, "s3": 39000, "kafka": 39092, "snowflake": 38080}

# Credentials of the embedded warehouse; it checks none, so they are not secrets.
EMBEDDED_SNOWFLAKE_ACCOUNT = "medallion"
EMBEDDED_SNOWFLAKE_USER = "medallion"


def _set(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


def environment() -> str:
    """MEDALLION_ENV: local (default) or production."""
    value = os.environ.get("MEDALLION_ENV", "").strip().lower() or "local"
    if value not in ENVIRONMENTS:
        raise MedallionError(f"MEDALLION_ENV must be local or production, got {value!r}")
    return value


def embedded_services() -> frozenset[str]:
    """The services (mongo, kafka, snowflake) that run on the embedded stand-ins, by the rules above."""
    spelled_raw = os.environ.get("MEDALLION_EMBEDDED", "").strip()
    spelled = {name.strip().lower() for name in spelled_raw.split(",") if name.strip()}
    unknown = sorted(spelled - set(REQUIRED))
    if unknown:
        raise MedallionError(f"MEDALLION_EMBEDDED names unknown services {unknown}; use mongo, kafka, snowflake")
    if environment() == "production":
        if spelled:
            raise MedallionError("MEDALLION_EMBEDDED cannot be used with MEDALLION_ENV=production")
        missing = [var for variables in REQUIRED.values() for var in variables if not _set(var)]
        if missing:
            raise MedallionError(
                f"MEDALLION_ENV=production needs {', '.join(missing)} (see .env.example); "
                "the embedded servers are never used in production"
            )
        return frozenset()
    configured = {name for name, variables in REQUIRED.items() if _set(variables[0])}
    unconfigured = set(REQUIRED) - configured
    if spelled & configured:
        both = sorted(spelled & configured)
        raise MedallionError(f"MEDALLION_EMBEDDED names {both}, whose variables are set too: choose one")
    if configured and unconfigured != spelled:
        named = ", ".join(REQUIRED[name][0] for name in sorted(configured))
        unset = ", ".join(REQUIRED[name][0] for name in sorted(unconfigured))
        raise MedallionError(
            f"{named} set but {unset} not: set {'it' if len(unconfigured) == 1 else 'them'} too, or run the rest "
            f"embedded on purpose with MEDALLION_EMBEDDED={','.join(sorted(unconfigured))}"
        )
    return frozenset(unconfigured)


def medallion_home() -> Path:
    """Local state (embedded servers' data, models): $MEDALLION_HOME, else `.medallion` in the source
    checkout (or in the working directory when the package is installed from a wheel)."""
    if os.environ.get("MEDALLION_HOME"):
        return Path(os.environ["MEDALLION_HOME"]).resolve()
    base = _CHECKOUT if (_CHECKOUT / "pyproject.toml").exists() else Path.cwd()
    return (base / ".medallion").resolve()


@dataclass(frozen=True)
class Ports:
    mongo: int
    s3: int
    kafka: int
    snowflake: int

    @classmethod
    def configured(cls) -> Ports:
        """Ports of a running set (services.json), else MEDALLION_<NAME>_PORT or the defaults."""
        recorded = medallion_home() / "services.json"
        if recorded.exists():
            return cls(**json.loads(recorded.read_text())["ports"])
        ports = {}
        for name, default in DEFAULT_PORTS.items():
            raw = os.environ.get(f"MEDALLION_{name.upper()}_PORT", str(default))
            if not raw.isdecimal():  # not isdigit(): "²".isdigit() is True, but int("²") fails
                raise MedallionError(f"MEDALLION_{name.upper()}_PORT must be a port number, got {raw!r}")
            ports[name] = int(raw)
        return cls(**ports)

    def get(self, name: str) -> int:
        return getattr(self, name)


def embedded_snowflake_args(port: int) -> dict:
    """Connector arguments that reach the embedded warehouse (plain HTTP on loopback)."""
    return {
        "account": EMBEDDED_SNOWFLAKE_ACCOUNT,
        "user": EMBEDDED_SNOWFLAKE_USER,
        "password": "embedded",
        "host": "127.0.0.1",
        "port": port,
        "protocol": "http",
        "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
    }


DEFAULT_RETRAIN_CHANGE_SHARE = 0.10


def retrain_change_share() -> float:
    """MEDALLION_RETRAIN_CHANGE_SHARE: the price model retrains outside retrain_job (weekly, or on demand) only when
    gold's features changed by more than this share of their rows since the last training (default 0.10)."""
    raw = os.environ.get("MEDALLION_RETRAIN_CHANGE_SHARE", "").strip()
    if not raw:
        return DEFAULT_RETRAIN_CHANGE_SHARE
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise MedallionError(f"MEDALLION_RETRAIN_CHANGE_SHARE must be a share between 0 and 1, got {raw!r}")
    return value
