"""Where the local stand-ins are reached: plain settings, no servers.

`medallion services up` records the ports of the embedded servers it started in
``$MEDALLION_HOME/services.json``; the resources read that file (or the
``MEDALLION_<NAME>_PORT`` variables) when a service is not configured through
its own variables. Nothing here starts or imports a stand-in.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from medallion_assets.lib.errors import MedallionError

_CHECKOUT = Path(__file__).resolve().parents[2]
DEFAULT_PORTS = {"mongo": 37017, "s3": 39000, "kafka": 39092, "snowflake": 38080}

# Credentials of the embedded warehouse; it checks none, so they are not secrets.
EMBEDDED_SNOWFLAKE_ACCOUNT = "medallion"
EMBEDDED_SNOWFLAKE_USER = "medallion"


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
