"""The market pulse's settings and late-change rule, without servers (the SQL applies the same rule:
tests/integration/test_pulse.py)."""

import datetime as dt

import dagster as dg
import pytest

from medallion_assets.lib import pulse, settings
from medallion_assets.lib.errors import MedallionError


def test_lateness_defaults_to_7_days_and_refuses_what_is_not_a_day_count(monkeypatch):
    monkeypatch.delenv(settings.PULSE_LATENESS_VARIABLE, raising=False)
    assert settings.pulse_lateness_days() == 7
    monkeypatch.setenv(settings.PULSE_LATENESS_VARIABLE, " 0 ")
    assert settings.pulse_lateness_days() == 0
    for bad in ("-1", "1.5", "seven", "367", "²"):
        monkeypatch.setenv(settings.PULSE_LATENESS_VARIABLE, bad)
        with pytest.raises(MedallionError, match=r"MEDALLION_PULSE_LATENESS_DAYS must be a whole number of days"):
            settings.pulse_lateness_days()


def test_start_date_is_an_iso_day(monkeypatch):
    monkeypatch.delenv(settings.PULSE_START_VARIABLE, raising=False)
    assert settings.pulse_start_date() == "2025-01-01"
    monkeypatch.setenv(settings.PULSE_START_VARIABLE, "2020-02-29")
    assert settings.pulse_start_date() == "2020-02-29"
    for bad in ("2021-02-29", "01/02/2025", "2025-1-2", "20250102"):
        monkeypatch.setenv(settings.PULSE_START_VARIABLE, bad)
        with pytest.raises(MedallionError, match="MEDALLION_PULSE_START_DATE must be a date as YYYY-MM-DD"):
            settings.pulse_start_date()


def test_days_per_run_defaults_to_31_and_refuses_zero(monkeypatch):
    monkeypatch.delenv(settings.PULSE_DAYS_PER_RUN_VARIABLE, raising=False)
    assert settings.pulse_days_per_run() == 31
    monkeypatch.setenv(settings.PULSE_DAYS_PER_RUN_VARIABLE, "5")
    assert settings.pulse_days_per_run() == 5
    for bad in ("0", "367", "many"):
        monkeypatch.setenv(settings.PULSE_DAYS_PER_RUN_VARIABLE, bad)
        with pytest.raises(
            MedallionError,
            match=rf"^MEDALLION_PULSE_DAYS_PER_RUN must be a whole number of days from 1 to 366, got '{bad}'$",
        ):
            settings.pulse_days_per_run()


def _stale(*days: str) -> list[dict]:
    return [{"event_day": d, "versions": 2, "history_loaded_at": f"2030-01-01 00:00:0{i}"} for i, d in enumerate(days)]


def test_stale_days_are_cut_into_runs_of_at_most_n_days():
    days = [(dt.date(2026, 1, 1) + dt.timedelta(days=n)).isoformat() for n in range(30)]
    runs = pulse.runs_for(_stale(*days), 31)
    assert [(r.first, r.last, len(r.days), r.versions) for r in runs] == [("2026-01-01", "2026-01-30", 30, 60)]
    runs = pulse.runs_for(_stale(*days), 7)
    assert [(r.first, r.last) for r in runs] == [
        ("2026-01-01", "2026-01-07"),
        ("2026-01-08", "2026-01-14"),
        ("2026-01-15", "2026-01-21"),
        ("2026-01-22", "2026-01-28"),
        ("2026-01-29", "2026-01-30"),
    ]
    # gaps: a run spans at most 7 calendar days; a lone day is a single-day run
    runs = pulse.runs_for(_stale("2026-01-01", "2026-01-05", "2026-01-08", "2026-03-01"), 7)
    assert [(r.first, r.last, r.days, r.single) for r in runs] == [
        ("2026-01-01", "2026-01-05", ("2026-01-01", "2026-01-05"), False),
        ("2026-01-08", "2026-01-08", ("2026-01-08",), True),
        ("2026-03-01", "2026-03-01", ("2026-03-01",), True),
    ]
    assert runs[0].history_loaded_at == "2030-01-01 00:00:01"
    assert pulse.runs_for([], 7) == []


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
