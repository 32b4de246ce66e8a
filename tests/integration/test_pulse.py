"""The daily market pulse against a real embedded warehouse (a fakesnow server of this module's own), with
GOLD_LISTING_HISTORY filled by hand (the table is the contract with the history asset) and every expected
count and median worked out by hand: one day's pulse, the pulse check failing when it should, late changes
(inside the window: only their own day is rebuilt; beyond it: logged, no closed day changes)."""

import datetime as dt
import json

import dagster as dg
import pytest

from medallion_assets.defs.gold.pulse import gold_market_pulse, pulse_counts_match_history
from medallion_assets.defs.gold.pulse_sensor import market_pulse_sensor
from medallion_assets.lib import pulse, settings, warehouse

TABLES = [pulse.HISTORY_TABLE, pulse.PULSE_TABLE, pulse.LATE_TABLE]
INSERT = (
    f"INSERT INTO {pulse.HISTORY_TABLE} (id, version, valid_from, change_type, price, previous_price, area, "
    "price_per_sqm, city, arrived_at, loaded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
PULSE_ROWS = (
    f"SELECT event_day, city, new_listings, repriced, price_drops, changed, delisted, relisted, total_changes, "
    f"median_price, median_price_per_sqm, lateness_days FROM {pulse.PULSE_TABLE} ORDER BY event_day, city"
)
D1 = dt.date(2026, 11, 20)


@pytest.fixture
def conn(module_conn, monkeypatch):
    monkeypatch.delenv(settings.PULSE_LATENESS_VARIABLE, raising=False)
    monkeypatch.delenv(settings.PULSE_DAYS_PER_RUN_VARIABLE, raising=False)
    for table in TABLES:
        module_conn.cursor().execute(f"DELETE FROM {table}")
    return module_conn


_loads = iter(range(1, 1_000_000))


def add(conn, rows):
    """History versions (id, change_type, valid_from, price, previous_price, area, city, arrived_at), loaded now
    (each call a later loaded_at, as successive history runs)."""
    loaded_at = dt.datetime(2030, 1, 1) + dt.timedelta(seconds=next(_loads))
    params = []
    for n, (id_, change, valid_from, price, previous, area, city, arrived) in enumerate(rows):
        per_sqm = price / area if price and area else None
        arrived_at = arrived if arrived is not None else valid_from + dt.timedelta(minutes=5)
        params.append((id_, n + 1, valid_from, change, price, previous, area, per_sqm, city, arrived_at, loaded_at))
    conn.cursor().executemany(INSERT, params)


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second))


def pulse_rows(conn):
    return [tuple(r) for r in conn.cursor().execute(PULSE_ROWS).fetchall()]


def materialize(snowflake_resource, day: str, instance=None):
    return dg.materialize(
        [gold_market_pulse, pulse_counts_match_history],
        partition_key=day,
        resources={"snowflake": snowflake_resource},
        instance=instance,
        raise_on_error=False,
    )


HAND_DAY = [
    # Hanoi: three new listings (3, 5, 4 bn; 100, 50, 80 m²), a price drop, a rise, a delisting, a change
    ("L1", "listed", at(D1, 9), 3e9, None, 100.0, "Hà Nội", None),
    ("L2", "listed", at(D1, 10), 5e9, None, 50.0, "Hà Nội", None),
    ("L3", "listed", at(D1, 11), 4e9, None, 80.0, "Hà Nội", None),
    ("L4", "repriced", at(D1, 12), 2e9, 2.5e9, 80.0, "Hà Nội", None),
    ("L5", "repriced", at(D1, 13), 6e9, 5e9, 90.0, "Hà Nội", None),
    ("L6", "delisted", at(D1, 14), 7e9, None, 120.0, "Hà Nội", None),  # tombstone with the last known city
    ("L14", "changed", at(D1, 23, 59, 59), 1e9, 1e9, 30.0, "Hà Nội", None),  # the day's last second
    # Ho Chi Minh City: two new listings (1, 2 bn; 40, 50 m²), a relisting, a change
    ("L7", "listed", at(D1, 8), 1e9, None, 40.0, "Hồ Chí Minh", None),
    ("L8", "listed", at(D1, 9), 2e9, None, 50.0, "Hồ Chí Minh", None),
    ("L9", "relisted", at(D1, 10), 3e9, None, 60.0, "Hồ Chí Minh", None),
    ("L10", "changed", at(D1, 11), 3e9, 3e9, 61.0, "Hồ Chí Minh", None),
    # no city: a price drop
    ("L11", "repriced", at(D1, 15), 1e9, 1.2e9, 20.0, None, None),
    # arrived 8 days and 1 hour after D1 ended (lateness 7): late, never counted
    ("L12", "listed", at(D1, 16), 9e9, None, 10.0, "Hà Nội", at(D1 + dt.timedelta(days=9), 1)),
    # the next day's first second: D2, not D1
    ("L13", "listed", at(D1 + dt.timedelta(days=1), 0), 7e9, None, 70.0, "Hà Nội", None),
]


def test_the_pulse_of_a_hand_made_day_has_hand_computed_counts_and_medians(conn, snowflake_resource):
    add(conn, HAND_DAY)
    result = materialize(snowflake_resource, D1.isoformat())
    assert result.success
    # (day, city, new, repriced, drops, changed, delisted, relisted, total, median price, median per m², lateness)
    assert pulse_rows(conn) == [
        (D1, "Hà Nội", 3, 2, 1, 1, 1, 0, 7, 4e9, 5e7, 7),  # medians of 3/5/4 bn and 30/100/50 m VND/m²
        (D1, "Hồ Chí Minh", 2, 0, 0, 1, 0, 1, 4, 1.5e9, 3.25e7, 7),  # (1+2)/2 bn, (25+40)/2 m VND/m²
        (D1, "Unknown", 0, 1, 1, 0, 0, 0, 1, None, None, 7),
    ]
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed and evaluation.partition == D1.isoformat()
    assert evaluation.metadata["pulse_changes"].value == evaluation.metadata["history_changes"].value == 12
    materialization = result.asset_materializations_for_node("gold_market_pulse")[0]
    assert materialization.partition == D1.isoformat()
    assert materialization.metadata["new_listings"].value == 5 and materialization.metadata["price_drops"].value == 2

    # Replaced as a unit: a second run gives the same rows, no duplicates; the next day is a partition of its own.
    assert materialize(snowflake_resource, D1.isoformat()).success
    assert materialize(snowflake_resource, (D1 + dt.timedelta(days=1)).isoformat()).success
    rows = pulse_rows(conn)
    assert len(rows) == 4 and rows[-1][:9] == (D1 + dt.timedelta(days=1), "Hà Nội", 1, 0, 0, 0, 0, 0, 1)

    # The check fails when the pulse no longer matches the history (a change the pulse has not seen).
    add(conn, [("L15", "delisted", at(D1, 18), 1e9, None, 50.0, "Hồ Chí Minh", None)])
    # (Dagster runs a partitioned check only with its asset, which would rebuild the day: ask the check's query.)
    assert pulse.check_day(conn, D1.isoformat(), 7) == {
        "cities": 3,
        "cities_differing": 1,
        "pulse_changes": 12,
        "history_changes": 13,
        "lateness_days": 7,
        "mixed_lateness": False,
    }
    conn.cursor().execute(f"UPDATE {pulse.PULSE_TABLE} SET lateness_days = 8 WHERE city = 'Unknown'")
    assert pulse.check_day(conn, (D1 + dt.timedelta(days=1)).isoformat(), 7)["cities_differing"] == 0
    assert pulse.check_day(conn, D1.isoformat(), 7)["mixed_lateness"] is True


def history_loaded(instance, *days):
    """What a gold_listing_history run records in the instance: a materialization naming the event days of its
    new versions (the sensor wakes on these, not on the tables)."""
    days = sorted(d.isoformat() if isinstance(d, dt.date) else d for d in days)
    instance.report_runless_asset_event(dg.AssetMaterialization("gold_listing_history", metadata={"event_days": days}))


def tick(snowflake_resource, instance, cursor, touched=None):
    """One sensor tick; `touched`: event days of a history materialization recorded just before it."""
    if touched is not None:
        history_loaded(instance, *touched)
    context = dg.build_sensor_context(resources={"snowflake": snowflake_resource}, cursor=cursor, instance=instance)
    result = market_pulse_sensor(context)
    requests = result if isinstance(result, list) else []
    return (
        sorted(r.partition_key or r.tags["dagster/asset_partition_range_start"] for r in requests),
        context.cursor,
        result,
    )


class NoWarehouse:
    """Stands in for warehouse.connect during a tick that must not reach the warehouse."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        raise AssertionError("the tick asked the warehouse")


def late_log(conn):
    rows = conn.cursor().execute(f"SELECT id, event_day FROM {pulse.LATE_TABLE} ORDER BY id").fetchall()
    return [tuple(r) for r in rows]


def test_a_late_change_rebuilds_only_its_day_and_one_beyond_the_window_is_logged_and_changes_nothing(
    conn, snowflake_resource, monkeypatch
):
    monkeypatch.setenv(settings.PULSE_DAYS_PER_RUN_VARIABLE, "1")  # a run per day: each day's rebuild is seen
    instance = dg.DagsterInstance.ephemeral()
    today = dt.datetime.now(dt.UTC).date()
    d1, d2, d3 = (today - dt.timedelta(days=n) for n in (3, 2, 1))
    closed = today - dt.timedelta(days=20)  # closed: its window ended 12 days ago
    add(
        conn,
        [
            (f"A{n}", "listed", at(day, 10), 1e9 * n, None, 50.0, "Hà Nội", None)
            for n, day in ((1, d1), (2, d2), (3, d3))
        ],
    )
    add(conn, [("C1", "listed", at(closed, 10), 2e9, None, 40.0, "Đà Nẵng", None)])

    days, cursor, _ = tick(snowflake_resource, instance, None)
    assert days == sorted(d.isoformat() for d in (closed, d1, d2, d3))  # every new day
    for day in days:
        assert materialize(snowflake_resource, day, instance).success
    days, cursor, result = tick(snowflake_resource, instance, cursor)
    assert days == [] and isinstance(result, dg.SkipReason)
    before = pulse_rows(conn)

    # A change of d2 within the window (it arrives now): only d2 is stale.
    add(
        conn,
        [
            (
                "A4",
                "repriced",
                at(d2, 15),
                1.5e9,
                2e9,
                50.0,
                "Hà Nội",
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )
        ],
    )
    days, cursor, _ = tick(snowflake_resource, instance, cursor, touched=[d2])
    assert days == [d2.isoformat()]
    assert materialize(snowflake_resource, d2.isoformat(), instance).success
    after = pulse_rows(conn)
    changed = [row for row in after if row not in before]
    assert [(r[0], r[3], r[4]) for r in changed] == [(d2, 1, 1)]  # d2: one repriced, one price drop
    assert len(after) == len(before) and late_log(conn) == []

    # A change of the closed day arriving now: late. Logged once, no run, the closed day's pulse unchanged.
    add(
        conn,
        [
            (
                "C2",
                "listed",
                at(closed, 12),
                9e9,
                None,
                30.0,
                "Đà Nẵng",
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )
        ],
    )
    days, cursor, result = tick(snowflake_resource, instance, cursor, touched=[closed])
    assert days == [] and isinstance(result, dg.SkipReason) and "1 late change(s) logged" in result.skip_message
    assert late_log(conn) == [("C2", closed)]
    assert tick(snowflake_resource, instance, None)[0] == []  # from the start again: still no run, logged once
    assert late_log(conn) == [("C2", closed)]
    assert materialize(snowflake_resource, closed.isoformat(), instance).success  # a rerun of the closed day
    assert pulse_rows(conn) == after  # ... changes nothing: the late change is never counted
    (evaluation,) = materialize(snowflake_resource, closed.isoformat(), instance).get_asset_check_evaluations()
    assert evaluation.passed  # the check judges the day by the same window

    # With a longer lateness the same change is in time: its day becomes stale (the run key names the lateness).
    monkeypatch.setenv(settings.PULSE_LATENESS_VARIABLE, "30")
    days, cursor, result = tick(snowflake_resource, instance, cursor)
    assert result[0].run_key.endswith("/L30") and days == [closed.isoformat()]


def test_a_late_change_whose_load_committed_behind_the_cursor_is_still_logged(conn, snowflake_resource):
    """A history load stamped before another one but committed after it (the sensor already moved its cursor
    past its loaded_at) is looked at again: late versions are searched from an hour before the cursor."""
    instance = dg.DagsterInstance.ephemeral()
    closed = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=20)
    add(conn, [("B1", "listed", at(closed, 9), 1e9, None, 50.0, "Huế", None)])
    _, cursor, _ = tick(snowflake_resource, instance, None)
    assert late_log(conn) == []
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    loaded_through = json.loads(cursor)["loaded_through"]
    stamped = dt.datetime.fromisoformat(loaded_through) - dt.timedelta(minutes=10)  # inside the overlap
    too_old = dt.datetime.fromisoformat(loaded_through) - pulse.LATE_SCAN_OVERLAP - dt.timedelta(minutes=1)
    conn.cursor().executemany(
        INSERT,
        [
            ("B2", 1, at(closed, 11), "listed", 2e9, None, 40.0, 5e7, "Huế", now, stamped),
            ("B3", 1, at(closed, 12), "listed", 3e9, None, 60.0, 5e7, "Huế", now, too_old),
        ],
    )
    _, after, _ = tick(snowflake_resource, instance, cursor, touched=[closed])
    assert json.loads(after)["loaded_through"] == loaded_through  # nothing newer than the cursor was loaded
    assert late_log(conn) == [("B2", closed)]  # B3 is beyond the overlap: `medallion pipeline` logs it
    tick(snowflake_resource, instance, cursor, touched=[closed])
    assert late_log(conn) == [("B2", closed)]  # logged once


def test_a_failed_day_run_is_requested_again(conn, snowflake_resource):
    from dagster._core.test_utils import create_run_for_test

    instance = dg.DagsterInstance.ephemeral()
    add(conn, [("F1", "listed", at(D1, 10), 1e9, None, 50.0, "Huế", None)])
    first = tick(snowflake_resource, instance, None)[2][0]
    assert tick(snowflake_resource, instance, None)[2][0].run_key == first.run_key  # not started: same key
    create_run_for_test(
        instance,
        status=dg.DagsterRunStatus.FAILURE,
        tags={"dagster/sensor_name": "market_pulse_sensor", "dagster/run_key": first.run_key},
    )
    retry = tick(snowflake_resource, instance, None)[2][0]
    assert retry.run_key == first.run_key + "#2" and retry.partition_key == D1.isoformat()


def test_the_pipeline_materializes_one_partition_per_stale_event_day_with_its_check(conn, snowflake_resource):
    from medallion_assets.defs.gold.pulse_sensor import market_pulse_job
    from medallion_assets.dev.pulse_runs import run_pulse

    today = dt.datetime.now(dt.UTC).date()
    d1, d2, closed = today - dt.timedelta(days=2), today - dt.timedelta(days=1), today - dt.timedelta(days=30)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    add(
        conn,
        [
            ("P1", "listed", at(d1, 9), 1e9, None, 50.0, "Huế", None),
            ("P2", "listed", at(d2, 9), 3e9, None, 60.0, "Huế", None),
            ("P3", "repriced", at(d2, 10), 2e9, 3e9, 60.0, "Huế", None),
            ("P4", "listed", at(closed, 9), 5e9, None, 70.0, "Huế", now),  # arrived 29 days late
        ],
    )
    defs = dg.Definitions(
        assets=[gold_market_pulse],
        asset_checks=[pulse_counts_match_history],
        jobs=[market_pulse_job],
        resources={"snowflake": snowflake_resource},
    )
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pulse(defs, instance, {}, snowflake=snowflake_resource)
    assert outcome.days == [d1.isoformat(), d2.isoformat()] and not outcome.failed_days
    assert outcome.late == {closed.isoformat(): 1}
    assert outcome.check_row() == ("gold_market_pulse", "pulse_counts_match_history", "PASS", "2/2 days pass")
    assert outcome.lines()[0] == f"2 event day(s) materialized in 1 run(s): {d1.isoformat()}, {d2.isoformat()}"
    assert [(r[0], r[2], r[3], r[4]) for r in pulse_rows(conn)] == [(d1, 1, 0, 0), (d2, 1, 1, 1)]
    # Nothing stale any more: a second pipeline run materializes no day and logs nothing again.
    again = run_pulse(defs, instance, {}, snowflake=snowflake_resource)
    assert again.days == [] and again.late == {} and again.check_row() is None
    assert again.lines()[0] == "no stale event day in the listing history: no pulse run"


def test_an_idle_tick_asks_only_the_instance_and_a_history_load_wakes_the_sensor(conn, snowflake_resource, monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)
    add(conn, [("I1", "listed", at(day, 9), 1e9, None, 50.0, "Huế", None)])
    days, cursor, _ = tick(snowflake_resource, instance, None)  # a new instance: one warehouse round
    assert days == [day.isoformat()]

    no_warehouse = NoWarehouse()
    with monkeypatch.context() as patched:
        patched.setattr(warehouse, "connect", no_warehouse)
        for _ in range(5):  # nothing happened: five ticks, 0 warehouse requests
            days, cursor, result = tick(snowflake_resource, instance, cursor)
            assert days == [] and isinstance(result, dg.SkipReason)
        history_loaded(instance)  # a history run that added no version touches no day: still nothing to ask
        days, cursor, result = tick(snowflake_resource, instance, cursor)
        assert days == [] and "no history materialization touched" in result.skip_message
    assert no_warehouse.calls == 0

    # the day's run failed: the next tick (no new history) asks again, under key#2
    first = json.loads(cursor)["pending"][0]
    from dagster._core.test_utils import create_run_for_test

    create_run_for_test(
        instance,
        status=dg.DagsterRunStatus.FAILURE,
        tags={"dagster/sensor_name": "market_pulse_sensor", "dagster/run_key": first},
    )
    days, cursor, result = tick(snowflake_resource, instance, cursor)
    assert days == [day.isoformat()] and result[0].run_key == first + "#2"
    assert json.loads(cursor)["pending"] == [first + "#2"]

    # a history load touching another day wakes it: both days are stale in the warehouse (the first never ran)
    other = day + dt.timedelta(days=1)
    add(conn, [("I2", "listed", at(other, 9), 2e9, None, 40.0, "Huế", None)])
    days, cursor, result = tick(snowflake_resource, instance, cursor, touched=[other])
    assert days == [day.isoformat()] and len(result) == 1  # one run over both days
    assert (
        result[0].tags["dagster/asset_partition_range_start"],
        result[0].tags["dagster/asset_partition_range_end"],
    ) == (
        day.isoformat(),
        other.isoformat(),
    )


@pytest.mark.parametrize("days_per_run, runs", [(None, 1), ("7", 5)])
def test_a_catch_up_of_30_stale_days_is_a_handful_of_runs_with_30_passing_day_checks(
    conn, snowflake_resource, monkeypatch, days_per_run, runs
):
    from medallion_assets.defs.gold.pulse_sensor import market_pulse_job

    if days_per_run:
        monkeypatch.setenv(settings.PULSE_DAYS_PER_RUN_VARIABLE, days_per_run)
    first = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=40)
    days = [first + dt.timedelta(days=n) for n in range(30)]
    # day n: n + 1 new listings in Huế, and on even days one repricing in Đà Nẵng
    add(
        conn,
        [
            (f"C{n}-{k}", "listed", at(d, 9, k), 1e9 * (k + 1), None, 50.0, "Huế", None)
            for n, d in enumerate(days)
            for k in range(n + 1)
        ]
        + [(f"R{n}", "repriced", at(d, 15), 2e9, 3e9, 60.0, "Đà Nẵng", None) for n, d in enumerate(days) if n % 2 == 0],
    )
    instance = dg.DagsterInstance.ephemeral()
    _, cursor, requests = tick(snowflake_resource, instance, None, touched=days)
    assert len(requests) == runs
    job = dg.Definitions(
        assets=[gold_market_pulse],
        asset_checks=[pulse_counts_match_history],
        jobs=[market_pulse_job],
        resources={"snowflake": snowflake_resource},
    ).resolve_job_def("market_pulse_job")
    evaluations = []
    for request in requests:  # each run as the daemon would launch it: its range (or day) from the request
        result = job.execute_in_process(
            instance=instance, tags=request.tags, partition_key=request.partition_key, raise_on_error=False
        )
        assert result.success
        evaluations += result.get_asset_check_evaluations()
    assert sorted(e.partition for e in evaluations) == [d.isoformat() for d in days]  # one check per day
    assert all(e.passed for e in evaluations)
    assert {e.partition: e.metadata["pulse_changes"].value for e in evaluations} == {
        d.isoformat(): n + 1 + (1 if n % 2 == 0 else 0) for n, d in enumerate(days)
    }
    rows = pulse_rows(conn)
    assert len(rows) == 30 + 15  # Huế every day, Đà Nẵng every other day
    assert sum(r[2] for r in rows) == sum(range(1, 31)) and sum(r[3] for r in rows) == 15
    key = dg.AssetCheckKey(dg.AssetKey("gold_market_pulse"), "pulse_counts_match_history")
    records = instance.event_log_storage.get_asset_check_execution_history(key, limit=100)
    assert len(records) == 30 and {r.event.dagster_event.event_specific_data.partition for r in records} == {
        d.isoformat() for d in days
    }
    # caught up: the next tick has nothing to do, and asks nothing
    monkeypatch.setattr(warehouse, "connect", NoWarehouse())
    days_left, _, result = tick(snowflake_resource, instance, cursor)
    assert days_left == [] and isinstance(result, dg.SkipReason)
