"""Which services are real and which are the embedded stand-ins, and where the stand-ins listen.

One explicit switch, ``MEDALLION_ENV``:

- ``local`` (the default, so `make pipeline` works on a fresh machine): a service whose variables are not
  set is the embedded stand-in. Some services real and some embedded is allowed only when spelled out in
  ``MEDALLION_EMBEDDED`` (e.g. ``MEDALLION_EMBEDDED=kafka,snowflake`` with ``MONGO_URI`` set), never by
  omission: a forgotten variable must not silently mean "localhost".
- ``production``: every required variable must be set; a missing one stops with one line naming it, and
  the embedded servers are never started or used.

`medallion services up` records the ports of the embedded servers it started in
``$MEDALLION_HOME/services.json``; an explicit ``MEDALLION_<NAME>_PORT`` wins over that record (see
``Ports.configured``). Nothing here starts or imports a stand-in.
"""

from __future__ import annotations

import datetime as dt
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
    "KAFKA_CREATE_TOPIC",
    "KAFKA_TOPIC_PARTITIONS",
    "KAFKA_TOPIC_REPLICATION_FACTOR",
    "SNOWFLAKE_ACCOUNT",
    "SNOWFLAKE_USER",
    "SNOWFLAKE_PASSWORD",
    "SNOWFLAKE_PRIVATE_KEY",
    "SNOWFLAKE_PRIVATE_KEY_PATH",
    "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
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
    "snowflake": ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER"),
}
# ... and one credential of these (lib/snowflake_auth.py): a key pair for services, a password for people.
SNOWFLAKE_CREDENTIALS = ("SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_PRIVATE_KEY_PATH", "SNOWFLAKE_PASSWORD")
DEFAULT_PORTS = {"mongo": 37017, "s3": 39000, "kafka": 39092, "snowflake": 38080}

# The quality bar: a silver listing with data_quality_score at least this (and a price > 0) is in the gold
# population; the silver quality gate counts the listings that reach it. One setting read by the silver check,
# the gold asset and the gold check (and lib/silver's run log), so they cannot disagree.
MIN_QUALITY_SCORE_VARIABLE = "MEDALLION_MIN_QUALITY_SCORE"
DEFAULT_MIN_QUALITY_SCORE = 0.6

# The market pulse (lib/pulse.py): how late a change may arrive and still count for its day, the first event day
# with a partition, and how many event days one pulse run covers at most (catch-up in ranges).
PULSE_LATENESS_VARIABLE = "MEDALLION_PULSE_LATENESS_DAYS"
PULSE_START_VARIABLE = "MEDALLION_PULSE_START_DATE"
PULSE_DAYS_PER_RUN_VARIABLE = "MEDALLION_PULSE_DAYS_PER_RUN"
DEFAULT_PULSE_LATENESS_DAYS = 7
MAX_PULSE_LATENESS_DAYS = 366
DEFAULT_PULSE_START_DATE = "2025-01-01"
DEFAULT_PULSE_DAYS_PER_RUN = 31
MAX_PULSE_DAYS_PER_RUN = 366

# Credentials of the embedded warehouse (its launcher checks them, dev/fakesnow_auth.py); local only, not secrets.
EMBEDDED_SNOWFLAKE_ACCOUNT = "medallion"
EMBEDDED_SNOWFLAKE_USER = "medallion"
EMBEDDED_SNOWFLAKE_PASSWORD = "embedded"


def is_set(name: str) -> bool:
    """The variable is set to something other than blanks."""
    return bool(os.environ.get(name, "").strip())


def value(name: str, default: str = "") -> str:
    """The variable's value without surrounding blanks, or `default` when it is unset or blank."""
    return os.environ[name].strip() if is_set(name) else default


def require_together(primary: str, required: list[str]) -> None:
    """`primary` is set, so every variable in `required` must be too: one line naming the missing ones."""
    missing = [name for name in required if not is_set(name)]
    if missing:
        raise MedallionError(f"{primary} is set, so {', '.join(missing)} must be set too (see .env.example)")


def min_quality_score() -> float:
    """MEDALLION_MIN_QUALITY_SCORE: the data_quality_score a silver listing needs for gold (0.0-1.0, default 0.6)."""
    raw = os.environ.get(MIN_QUALITY_SCORE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_MIN_QUALITY_SCORE
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise MedallionError(f"{MIN_QUALITY_SCORE_VARIABLE} must be a number from 0.0 to 1.0, got {raw!r}")
    return value


def _whole_number(name: str, default: int, low: int, high: int, what: str) -> int:
    raw = value(name)
    if not raw:
        return default
    if not raw.isdecimal() or not low <= int(raw) <= high:
        raise MedallionError(f"{name} must be a whole number of {what} from {low} to {high}, got {raw!r}")
    return int(raw)


def pulse_lateness_days() -> int:
    """MEDALLION_PULSE_LATENESS_DAYS: whole days after its day ends that a change may still arrive (default 7)."""
    return _whole_number(PULSE_LATENESS_VARIABLE, DEFAULT_PULSE_LATENESS_DAYS, 0, MAX_PULSE_LATENESS_DAYS, "days")


def pulse_days_per_run() -> int:
    """MEDALLION_PULSE_DAYS_PER_RUN: the most event days one pulse run rebuilds (default 31); a catch-up of more
    stale days takes several runs."""
    return _whole_number(PULSE_DAYS_PER_RUN_VARIABLE, DEFAULT_PULSE_DAYS_PER_RUN, 1, MAX_PULSE_DAYS_PER_RUN, "days")


def pulse_start_date() -> str:
    """MEDALLION_PULSE_START_DATE (YYYY-MM-DD): the first event day the pulse has a partition for."""
    raw = value(PULSE_START_VARIABLE, DEFAULT_PULSE_START_DATE)
    try:
        parsed = dt.date.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is None or parsed.isoformat() != raw:
        raise MedallionError(f"{PULSE_START_VARIABLE} must be a date as YYYY-MM-DD, got {raw!r}")
    return raw


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
        missing = [var for variables in REQUIRED.values() for var in variables if not is_set(var)]
        if not any(is_set(var) for var in SNOWFLAKE_CREDENTIALS):
            missing.append(
                "SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH (a key pair; SNOWFLAKE_PASSWORD for a person)"
            )
        if missing:
            raise MedallionError(
                f"MEDALLION_ENV=production needs {', '.join(missing)} (see .env.example); "
                "the embedded servers are never used in production"
            )
        return frozenset()
    configured = {name for name, variables in REQUIRED.items() if is_set(variables[0])}
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
    """Local state (the embedded servers' data): $MEDALLION_HOME, else `.medallion` in the source
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
        """Per server: MEDALLION_<NAME>_PORT when set, else the port `services up` recorded in services.json,
        else the default. A variable that differs from the recorded port of a server still running under
        MEDALLION_HOME stops with one line (the server cannot move while it runs)."""
        recorded = _recorded_ports()
        ports = {}
        for name, default in DEFAULT_PORTS.items():
            variable = f"MEDALLION_{name.upper()}_PORT"
            raw = os.environ.get(variable)
            if raw is None:
                ports[name] = recorded.get(name, default)
                continue
            if not raw.isdecimal() or not 0 < int(raw) < 65536:  # isdecimal: "²".isdigit() is True, int("²") fails
                raise MedallionError(f"{variable} must be a port number (1-65535), got {raw!r}")
            ports[name] = int(raw)
            if name in recorded and recorded[name] != ports[name] and _server_running(name):
                raise MedallionError(
                    f"{variable}={raw} but the embedded {name} under {medallion_home()} runs on port {recorded[name]}: "
                    f"run `medallion services down` to move it, or unset {variable}"
                )
        return cls(**ports)

    def get(self, name: str) -> int:
        return getattr(self, name)


def _recorded_ports() -> dict[str, int]:
    """The ports in $MEDALLION_HOME/services.json (written by `medallion services up`), {} when none."""
    path = medallion_home() / "services.json"
    if not path.exists():
        return {}
    try:
        ports = json.loads(path.read_text())["ports"]
        return {name: int(ports[name]) for name in DEFAULT_PORTS if name in ports}
    except (ValueError, KeyError, TypeError):
        raise MedallionError(f"{path} is not a services file written by medallion: delete it") from None


def _server_running(name: str) -> bool:
    """Whether the embedded server `name` started under $MEDALLION_HOME still runs (its pid file's process)."""
    try:
        pid = int((medallion_home() / "run" / f"{name}.pid").read_text().strip() or 0)
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    try:  # a zombie counts as gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return pid > 0


def embedded_snowflake_args(port: int) -> dict:
    """Connector arguments that reach the embedded warehouse (plain HTTP on loopback)."""
    return {
        "account": EMBEDDED_SNOWFLAKE_ACCOUNT,
        "user": EMBEDDED_SNOWFLAKE_USER,
        "password": EMBEDDED_SNOWFLAKE_PASSWORD,
        "host": "127.0.0.1",
        "port": port,
        "protocol": "http",
        "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
    }


@dataclass(frozen=True)
class TopicSettings:
    """Whether the pipeline creates its Kafka topic, and with what shape.

    Embedded: created on first use (3 partitions, replication 1: one broker). Production: not created by default (a
    managed cluster's topics are made by its owners, with the replication and min.insync.replicas the cluster
    needs; a replication factor of 1 is refused there or breaks acks=all), so a missing topic is one clear error;
    KAFKA_CREATE_TOPIC=true creates it with KAFKA_TOPIC_PARTITIONS and KAFKA_TOPIC_REPLICATION_FACTOR.
    """

    create: bool
    partitions: int
    replication_factor: int

    @classmethod
    def from_env(cls, embedded: bool) -> TopicSettings:
        raw = os.environ.get("KAFKA_CREATE_TOPIC", "").strip().lower()
        if raw and raw not in ("true", "false"):
            raise MedallionError(f"KAFKA_CREATE_TOPIC must be true or false, got {raw!r}")
        create = (raw == "true") if raw else embedded
        numbers = {}
        for name, default in (("KAFKA_TOPIC_PARTITIONS", 3), ("KAFKA_TOPIC_REPLICATION_FACTOR", 1 if embedded else 3)):
            value = os.environ.get(name, "").strip() or str(default)
            if not value.isdecimal() or int(value) < 1:
                raise MedallionError(f"{name} must be a whole number of at least 1, got {value!r}")
            numbers[name] = int(value)
        return cls(create, numbers["KAFKA_TOPIC_PARTITIONS"], numbers["KAFKA_TOPIC_REPLICATION_FACTOR"])


# The cost knob: how often at most a source change starts a run. 0 (local default): every change at once.
BATCH_WINDOW_VARIABLE = "MEDALLION_BATCH_WINDOW_S"
DEFAULT_BATCH_WINDOW_S = {"local": 0, "production": 300}


def batch_window_s() -> int:
    """MEDALLION_BATCH_WINDOW_S: mongo_changes_sensor starts at most one run per this many seconds. The first change
    after a quiet window starts a run at once; changes arriving while a window is open wait for its end and go
    together in one run, so a change reaches gold within one window plus a run. Default: 0 locally (every change at
    once), 300 with MEDALLION_ENV=production (a warehouse billed at least 60 s per resume wakes at most 12 times an
    hour for the ingestion runs, however fast changes arrive)."""
    raw = os.environ.get(BATCH_WINDOW_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_BATCH_WINDOW_S[environment()]
    if not raw.isdecimal():
        raise MedallionError(f"{BATCH_WINDOW_VARIABLE} must be a whole number of seconds (0 or more), got {raw!r}")
    return int(raw)


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
