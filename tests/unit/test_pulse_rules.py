"""The market pulse's settings and late-change rule, without servers (the SQL applies the same rule:
tests/integration/test_pulse.py)."""

import datetime as dt

import dagster as dg
import pytest

from medallion_assets.lib import pulse
from medallion_assets.lib.errors import MedallionError


def test_lateness_defaults_to_7_days_and_refuses_what_is_not_a_day_count(monkeypatch):
    monkeypatch.delenv(pulse.LATENESS_VARIABLE, raising=False)
    assert pulse.lateness_days() == 7
    monkeypatch.setenv(pulse.LATENESS_VARIABLE, " 0 ")
    assert pulse.lateness_days() == 0
    for bad in ("-1", "1.5", "seven", "367", "²"):
        monkeypatch.setenv(pulse.LATENESS_VARIABLE, bad)
        with pytest.raises(MedallionError, match=r"MEDALLION_PULSE_LATENESS_DAYS must be a whole number of days"):
            pulse.lateness_days()


def test_start_date_is_an_iso_day(monkeypatch):
    monkeypatch.delenv(pulse.START_VARIABLE, raising=False)
    assert pulse.start_date() == "2025-01-01"
    monkeypatch.setenv(pulse.START_VARIABLE, "2020-02-29")
    assert pulse.start_date() == "2020-02-29"
    for bad in ("2021-02-29", "01/02/2025", "2025-1-2", "20250102"):
        monkeypatch.setenv(pulse.START_VARIABLE, bad)
        with pytest.raises(MedallionError, match="MEDALLION_PULSE_START_DATE must be a date as YYYY-MM-DD"):
            pulse.start_date()


def test_a_change_is_late_once_its_day_and_the_lateness_have_passed():
    event = dt.datetime(2026, 11, 20, 23, 30)
    closes = dt.datetime(2026, 11, 28)  # 20 Nov ends at 21 Nov 00:00; + 7 days
    assert not pulse.is_late(event, closes, 7)
    assert pulse.is_late(event, closes + dt.timedelta(microseconds=1), 7)
    assert not pulse.is_late(event, None, 7)  # unknown arrival: in time
    assert pulse.is_late(event, dt.datetime(2026, 11, 21, 0, 0, 1), 0)
    assert not pulse.is_late(event, dt.datetime(2026, 11, 21), 0)


def test_declarative_automation_leaves_the_pulse_to_its_sensor():
    from medallion_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("gold_market_pulse")).automation_condition is None
    assert graph.get(dg.AssetKey("gold_market_analytics")).automation_condition is not None
    assert graph.get(dg.AssetKey("gold_market_pulse")).partitions_def.get_last_partition_key() == (
        dt.datetime.now(dt.UTC).date().isoformat()
    )
    from medallion_assets.defs.automation import reconciliation_job

    checks = reconciliation_job.selection.resolve_checks(graph)
    pulse_check = dg.AssetCheckKey(dg.AssetKey("gold_market_pulse"), "pulse_counts_match_history")
    assert pulse_check not in checks and len(checks) == len(graph.asset_check_keys) - 1


def test_late_versions_are_looked_for_from_an_hour_before_the_cursor():
    assert pulse.late_scan_start("2030-01-01 00:30:00") == "2029-12-31 23:30:00"
    assert pulse.late_scan_start("2030-01-01 00:30:00.250000") == "2029-12-31 23:30:00.250000"
    assert pulse.late_scan_start(pulse.BEGINNING) == pulse.BEGINNING  # never before the beginning
