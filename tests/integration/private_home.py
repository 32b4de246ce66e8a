"""A MEDALLION_HOME of a test's own for `medallion` run in a subprocess: the session's Mongo and Kafka (a
fresh collection and topic from `stack`), the module's own warehouse (`warehouse_port`) and its own
DAGSTER_HOME and model folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def private_env(services_home: Path, warehouse_port: int, tmp_path: Path) -> dict:
    home = tmp_path / "home"
    home.mkdir()
    ports = json.loads((services_home / "services.json").read_text())["ports"]
    (home / "services.json").write_text(json.dumps({"ports": {**ports, "snowflake": warehouse_port}}))
    return {**os.environ, "MEDALLION_HOME": str(home), "DAGSTER_HOME": str(tmp_path / "dagster")}


def medallion(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "medallion_assets.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
