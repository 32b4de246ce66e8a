"""Files on an internal stage through the real connector (PUT, GET) against the embedded warehouse, as model
artifacts use them (lib/artifacts.py), including across a restart of the warehouse: the stand-in's gaps mended in
dev/fakesnow_patches.py (`stage_get`, `persistent_stages`,
`persistent_global`)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import snowflake.connector

from medallion_assets.dev import services
from medallion_assets.lib.settings import embedded_snowflake_args


def start(folder: Path, port: int) -> subprocess.Popen:
    log = open(folder / "server.log", "ab")  # noqa: SIM115 (kept open for the process's life)
    process = subprocess.Popen(
        [sys.executable, "-m", "medallion_assets.dev.fakesnow_server", "--db-path", str(folder), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=services.PROJECT_ROOT,
    )
    deadline = time.monotonic() + 30
    while not services.answers("snowflake", services.Ports(mongo=0, s3=0, kafka=0, snowflake=port)):
        assert process.poll() is None and time.monotonic() < deadline, f"see {folder / 'server.log'}"
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


def get(conn, source: str, into: Path) -> list[str]:
    into.mkdir()
    conn.cursor().execute(f"GET '{source}' 'file://{into}/'")
    return sorted(p.name for p in into.iterdir())


def test_a_file_put_on_a_stage_comes_back_byte_for_byte_also_after_a_restart(tmp_path):
    folder, port = tmp_path / "warehouse", services.free_port()
    folder.mkdir()
    content = bytes(range(256)) * 400  # binary, 100 KiB
    local = tmp_path / "v1.joblib"
    local.write_bytes(content)
    process = start(folder, port)
    try:
        with snowflake.connector.connect(**embedded_snowflake_args(port)) as conn:
            for statement in ("CREATE DATABASE IF NOT EXISTS A", "CREATE SCHEMA IF NOT EXISTS A.S"):
                conn.cursor().execute(statement)
            conn.cursor().execute("CREATE STAGE IF NOT EXISTS A.S.FILES")
            conn.cursor().execute(f"PUT 'file://{local}' @A.S.FILES/models/m/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE")
            assert get(conn, "@A.S.FILES/models/m/v1.joblib", tmp_path / "one") == ["v1.joblib"]
            assert (tmp_path / "one" / "v1.joblib").read_bytes() == content
            # a path names a prefix, as on Snowflake; a path that matches nothing is an error
            assert get(conn, "@A.S.FILES/models/", tmp_path / "all") == ["v1.joblib"]
            with pytest.raises(snowflake.connector.errors.OperationalError, match="the file does not exist"):
                get(conn, "@A.S.FILES/models/m/v2.joblib", tmp_path / "none")
        stop(process)
        process = start(folder, port)
        with snowflake.connector.connect(**embedded_snowflake_args(port)) as conn:
            assert get(conn, "@A.S.FILES/models/m/v1.joblib", tmp_path / "after") == ["v1.joblib"]
            assert (tmp_path / "after" / "v1.joblib").read_bytes() == content
            # the stage itself survived the restart (not only its files): a new PUT finds it, as bronze's does
            (tmp_path / "v2.joblib").write_bytes(content[:100])
            conn.cursor().execute(
                f"PUT 'file://{tmp_path / 'v2.joblib'}' @A.S.FILES/models/m/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE"
            )
            assert get(conn, "@A.S.FILES/models/m/v2.joblib", tmp_path / "new") == ["v2.joblib"]
            assert (tmp_path / "new" / "v2.joblib").read_bytes() == content[:100]
    finally:
        stop(process)
