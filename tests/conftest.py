"""Shared fixtures: one set of real embedded servers per test session, on free ports.

The servers keep their state in a temporary MEDALLION_HOME, so tests never
touch a developer's running services or another test run's. Each test that
moves data gets its own Mongo collection and Kafka topic (bronze rows carry the
topic), so tests do not see each other's rows.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path

import pytest

from medallion_assets.lib.lazy_imports import defer_snowpark
from tests.helpers import CONFIG_VARS, PORT_VARS

# As the code location does (defs/__init__.py): several test modules import dagster_snowflake at their top.
defer_snowpark()

# `make test` runs the suite on three pytest-xdist workers with --dist loadgroup. Each worker is its own process
# with its own session servers (services_home), tmp_path_factory folder and os.environ, so what a test does to them
# is seen by its own worker only. Every test module is one group (its module fixtures, such as a warehouse or a
# dagster dev of the module's own, are built once, on one worker). The modules below are one group together: each
# runs several real servers and pipeline runs, browsers or dagster dev at once and waits on them with bounds, or
# kills servers and pipelines at chosen moments (the chaos round); on one worker they never run at the same time as
# each other, only beside the other workers' lighter tests (test_faults.py and test_recovery.py kill servers and
# pipelines of their own only, so they are among those). The group is the first work unit handed out (test_chaos.py
# is the second module collected, and --no-loadscope-reorder keeps collection order), so it starts at once and the
# other workers drain the other modules meanwhile.
SERIAL_GROUP = "heavy"
SERIAL_MODULES = {
    "tests/integration/test_chaos.py",  # 2 chaos rounds, 2,000 listings; a pipeline run over 120 s fails it
    "tests/ui/test_dagster_ui.py",  # dagster dev + daemon, sensors and automation, Chromium
    "tests/ui/test_dashboard_ui.py",  # two pipeline runs on 2,000 listings, streamlit, Chromium
    "tests/ui/test_dev_stops.py",  # medallion dev must stop within 15 s
    "tests/ui/test_postgres_deployment.py",  # PostgreSQL + dagster dev
}


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the marks (it appends the group to each node id)
def pytest_collection_modifyitems(config, items):
    """The xdist group of every test (see SERIAL_MODULES); a test's own xdist_group mark wins."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        module = item.nodeid.split("::", 1)[0]  # tests/unit/test_cdc.py: group "unit.test_cdc"
        group = SERIAL_GROUP if module in SERIAL_MODULES else module.removeprefix("tests/").removesuffix(".py")
        item.add_marker(pytest.mark.xdist_group(group.replace("/", ".")))


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No service, switch or port variable set; MEDALLION_HOME and DAGSTER_HOME at folders of this test's own
    (tmp_path / "home", tmp_path / "dagster", not created). Returns the monkeypatch to set variables with."""
    for name in (*CONFIG_VARS, *PORT_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return monkeypatch


@pytest.fixture(scope="session")
def services_home(tmp_path_factory) -> Path:
    """Start the embedded servers once for the session; stop them at the end."""
    from medallion_assets.dev import services

    home = tmp_path_factory.mktemp("medallion-home")
    saved = {k: os.environ.pop(k) for k in CONFIG_VARS if k in os.environ}
    os.environ["MEDALLION_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(tmp_path_factory.mktemp("dagster-home"))
    ports = services.free_ports()
    services.up(ports, home)
    try:
        yield home
    finally:
        services.down(home)
        os.environ.update(saved)


_counter = itertools.count()
# The session warehouse process that the setup DDL was last applied to (its pid file's content): ~50 statements,
# 1-4 s a time, so it runs again only when that server was replaced (a test restarted the session's servers).
# No test drops a setup object from the session warehouse; the layer tests that empty tables use their own.
_set_up_warehouse: list[str] = []


@pytest.fixture
def stack(services_home, monkeypatch):
    """Resources for this test alone: a fresh collection and topic on the shared servers."""
    from medallion_assets.defs.resources import build_resources

    suffix = f"{next(_counter)}_{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("MONGO_COLLECTION", f"details_{suffix}")
    monkeypatch.setenv("KAFKA_TOPIC", f"data_ingestion_{suffix}")
    resources = build_resources()
    from medallion_assets.lib import warehouse

    server = (services_home / "run" / "snowflake.pid").read_text().strip()
    if _set_up_warehouse != [server]:
        with warehouse.connect(resources["snowflake"]) as conn:
            warehouse.apply_setup(conn)
        _set_up_warehouse[:] = [server]
    return resources


@pytest.fixture(scope="module")
def warehouse_port(tmp_path_factory):
    """A warehouse (fakesnow server process) of the test module's own, on a free port.

    The layer tests empty and refill their tables freely, so each module gets a server that
    nobody else writes to.
    """
    import subprocess
    import sys
    import time

    from medallion_assets.dev import services

    folder = tmp_path_factory.mktemp("warehouse")
    port = services.free_port()
    with open(folder / "server.log", "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "medallion_assets.dev.fakesnow_server",
                "--db-path",
                str(folder),
                "--port",
                str(port),
                "--request-log",
                str(folder / "warehouse-requests.log"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=services.PROJECT_ROOT,
        )
    try:
        deadline = time.monotonic() + 30
        while not services.answers("snowflake", services.Ports(mongo=0, s3=0, kafka=0, snowflake=port)):
            if process.poll() is not None:
                raise RuntimeError(f"fakesnow server exited with {process.returncode}: see {folder / 'server.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"fakesnow server did not answer on port {port} within 30 s")
            time.sleep(0.2)
        WAREHOUSE_REQUEST_LOGS[port] = folder / "warehouse-requests.log"
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


WAREHOUSE_REQUEST_LOGS: dict[int, Path] = {}  # port -> the module warehouse's request log (one line per request)


@pytest.fixture
def warehouse_requests(warehouse_port) -> Path:
    """The request log of the module's own warehouse: what a test counts to prove it sent nothing."""
    return WAREHOUSE_REQUEST_LOGS[warehouse_port]


@pytest.fixture
def snowflake_resource(warehouse_port):
    """A dagster SnowflakeResource for the module's own warehouse."""
    from dagster_snowflake import SnowflakeResource

    from medallion_assets.dev.services import embedded_snowflake_args

    args = embedded_snowflake_args(warehouse_port)
    return SnowflakeResource(
        account=args.pop("account"),
        user=args.pop("user"),
        password=args.pop("password"),
        additional_snowflake_connection_args={**args, "network_timeout": 60},
    )


@pytest.fixture(scope="module")
def module_conn(warehouse_port):
    """One connection to the module's own warehouse, with every table of the setup created."""
    import snowflake.connector

    from medallion_assets.lib import warehouse
    from medallion_assets.lib.settings import embedded_snowflake_args

    conn = snowflake.connector.connect(**embedded_snowflake_args(warehouse_port), network_timeout=60)
    warehouse.apply_setup(conn)
    yield conn
    conn.close()
