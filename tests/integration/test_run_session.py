"""One warehouse session per run; a warehouse restart mid-run re-opens it; a frozen warehouse fails in bounded time.

Each test starts its own embedded servers (test_faults.py's `servers`), runs ingestion -> bronze (+ its checks)
-> silver -> gold in one in-process run (Dagster's in-process executor, as the code location's runs use), and
counts logins by wrapping `snowflake.connector.connect`, the call dagster_snowflake makes for each session.
"""

from __future__ import annotations

import os
import signal
import time

import dagster as dg
import pytest
import snowflake.connector
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.bronze import checks as bronze_checks
from medallion_assets.defs.silver import checks as silver_checks
from medallion_assets.lib import warehouse
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.session import run_scoped
from medallion_assets.lib.settings import embedded_snowflake_args
from tests.integration.test_faults import (
    ALL,
    SmallFetchKafka,
    assert_caught_up,
    failure_message,
    seed,
    servers,  # noqa: F401 - the fixture
)
from tests.integration.test_faults import query as warehouse_query

pytestmark = pytest.mark.timeout(300)

CHECKS = [
    *bronze_checks.asset_checks,
    silver_checks.silver_quality_share,
    silver_checks.silver_ids_unique,
    silver_checks.silver_reconciles_with_bronze,
    silver_checks.silver_matches_source,
]
SOCKET_TIMEOUT_S = 5  # the frozen-warehouse test's bound
RELAXED_TIMEOUT_S = 30  # the other tests': a loaded CI machine must not turn a slow statement into a failure


def make_stack(servers, socket_timeout_s: int) -> dict:  # noqa: F811 - test_faults' servers
    args = embedded_snowflake_args(servers.ports.snowflake)
    snowflake = SnowflakeResource(
        account=args.pop("account"),
        user=args.pop("user"),
        password=args.pop("password"),
        additional_snowflake_connection_args={
            **args,
            "network_timeout": socket_timeout_s - 1,
            "login_timeout": socket_timeout_s - 1,
            "socket_timeout": socket_timeout_s,
        },
    )
    return {
        "mongo": MongoResource(uri=f"mongodb://127.0.0.1:{servers.ports.mongo}", server_selection_timeout_ms=2000),
        "kafka": SmallFetchKafka(bootstrap_servers=f"127.0.0.1:{servers.ports.kafka}", timeout_s=3),
        "snowflake": run_scoped(snowflake),
    }


@pytest.fixture
def stack(servers):  # noqa: F811 - test_faults' servers
    return make_stack(servers, RELAXED_TIMEOUT_S)


def step_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """Each failed step and its error's first line: what an assertion on a failed run should print."""
    return [
        f"{e.step_key}: {e.event_specific_data.error.message.strip()}"
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    ]


@pytest.fixture
def logins(monkeypatch):
    """Every login of this process while the test runs (dagster_snowflake calls snowflake.connector.connect)."""
    opened = []
    real = snowflake.connector.connect

    def connect(*args, **kwargs):
        opened.append(time.monotonic())
        return real(*args, **kwargs)

    monkeypatch.setattr(snowflake.connector, "connect", connect)
    return opened


def run(stack) -> dg.ExecuteInProcessResult:
    return dg.materialize([*ALL, *CHECKS], resources=stack, raise_on_error=False)


def test_a_run_of_five_assets_and_their_checks_logs_in_once(stack, logins):
    seed(stack, 300)
    result = run(stack)
    assert result.success, step_failures(result)
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(CHECKS) and all(c.passed for c in checks)
    assert len(logins) == 1  # five assets and eight checks, one session
    assert_caught_up(stack)
    logins.clear()
    assert run(stack).success
    assert len(logins) == 1  # the next run: its own session (the first one was closed when its run ended)


def test_a_warehouse_restart_between_two_statements_of_a_run_leaves_the_run_successful(
    stack,
    servers,  # noqa: F811 - test_faults' fixture
    logins,
    monkeypatch,
):
    seed(stack, 300)
    restarted = []
    real_execute = warehouse.execute

    def execute(conn, name, *args, **kwargs):
        if name.startswith("silver/") and not restarted:  # bronze and its checks done on the first session
            servers.kill("snowflake")
            before = len(logins)
            servers.restart()  # its readiness probe logs in: not the run's
            del logins[before:]
            restarted.append(name)
        return real_execute(conn, name, *args, **kwargs)

    monkeypatch.setattr(warehouse, "execute", execute)
    result = run(stack)
    assert restarted and result.success, (restarted, step_failures(result))
    assert len(logins) == 2  # the run's session, and the one that replaced it after the restart
    monkeypatch.undo()
    assert_caught_up(stack)


def test_a_frozen_warehouse_fails_the_step_in_bounded_time_with_one_line_and_the_next_run_succeeds(
    servers,  # noqa: F811 - test_faults' fixture
    capfd,
    monkeypatch,
):
    stack = make_stack(servers, SOCKET_TIMEOUT_S)
    seed(stack, 300)
    pid = int((servers.home / "run" / "snowflake.pid").read_text())
    frozen = []
    real_execute = warehouse.execute

    def execute(conn, name, *args, **kwargs):
        if name.startswith("silver/") and not frozen:
            os.kill(pid, signal.SIGSTOP)
            frozen.append(time.monotonic())
        return real_execute(conn, name, *args, **kwargs)

    monkeypatch.setattr(warehouse, "execute", execute)
    try:
        result = run(stack)
        failed_after = time.monotonic() - frozen[0]
    finally:
        os.kill(pid, signal.SIGCONT)
    monkeypatch.undo()
    assert not result.success
    message = failure_message(result)  # one step failed, one line, no driver traceback under it
    assert message.startswith(f"Snowflake at 127.0.0.1:{servers.ports.snowflake} timed out after 5 s during sql/")
    assert "refused" not in message
    assert failed_after < 3 * SOCKET_TIMEOUT_S + 5
    time.sleep(SOCKET_TIMEOUT_S)  # the connector's cancel timer thread fails meanwhile: quietly
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception in thread" not in err, err[-3000:]
    # thawed: the next run catches up (silver and gold), with the rows every layer should hold
    assert run(stack).success
    assert_caught_up(stack)
    assert warehouse_query(stack, "SELECT COUNT(*) AS n FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE") == [(300,)]
