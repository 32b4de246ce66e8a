"""Snowflake's billing rule (benchmarks/awake_rule.py) on hand-computed request logs, and the request log's
own lines (dev/request_log.py)."""

import datetime as dt

from benchmarks.awake_rule import awake_intervals, awake_seconds, needs_warehouse, summarize
from medallion_assets.dev.request_log import first_words, format_line, parse_line, read_log, verb


def test_one_statement_bills_the_minute():
    assert awake_intervals([100.0]) == [(100.0, 160.0)]
    assert awake_seconds([100.0], 0, 3600) == 60.0


def test_statements_inside_the_awake_minute_extend_it_and_a_later_one_resumes_again():
    # 0: resume, 30: keeps it awake until 90, 89: until 149; 149 is still awake -> 209; 300: a second resume
    queries = [0.0, 30.0, 89.0, 149.0, 300.0]
    assert awake_intervals(queries) == [(0.0, 209.0), (300.0, 360.0)]
    assert awake_seconds(queries, 0, 3600) == 209.0 + 60.0


def test_a_statement_every_five_seconds_keeps_it_awake_all_hour():
    queries = [5.0 * i for i in range(720)]  # 0 .. 3595
    assert awake_seconds(queries, 0, 3600) == 3600.0  # clipped at the window's end
    assert len(awake_intervals(queries)) == 1


def test_a_statement_every_five_minutes_costs_one_minute_each():
    queries = [300.0 * i for i in range(12)]
    assert awake_seconds(queries, 0, 3600) == 12 * 60.0  # 20% of the hour
    # AUTO_SUSPEND = 300 (Snowflake's default for new warehouses) would keep it awake all hour
    assert awake_seconds(queries, 0, 3600, auto_suspend_s=300) == 3600.0


def test_the_window_clips_an_interval_begun_before_it():
    assert awake_seconds([-30.0], 0, 3600) == 30.0
    assert awake_seconds([], 0, 3600) == 0.0


def test_logins_and_metadata_statements_do_not_resume():
    assert not needs_warehouse("login", "")
    assert not needs_warehouse("query", "SHOW TABLES IN SCHEMA")
    assert not needs_warehouse("query", "COMMIT")
    assert needs_warehouse("query", "SELECT cursor_state FROM RAW_DB")
    assert needs_warehouse("query", "SHOWCASE_SELECT")  # a word that only begins like SHOW
    entries = [(10.0, "login", ""), (11.0, "query", "SHOW TABLES"), (12.0, "query", "SELECT 1"), (20.0, "login", "")]
    summary = summarize(entries, 0, 1800)
    assert summary["logins"] == 2 and summary["statements"] == 2 and summary["warehouse_statements"] == 1
    assert summary["awake_seconds"] == 60.0 and summary["awake_seconds_per_hour"] == 120.0
    assert summary["logins_per_hour"] == 4.0 and summary["resumes"] == 1


def test_the_request_log_round_trips(tmp_path):
    when = dt.datetime(2026, 12, 3, 10, 15, 2, 125000, tzinfo=dt.UTC)
    sql = "SELECT\n  cursor_state,   phase\nFROM RAW_DB.LANDING.INGESTION_STATE WHERE source_name = %s"
    line = format_line(when, "query", first_words(sql))
    assert (
        line
        == "2026-12-03T10:15:02.125Z\tquery\tSELECT cursor_state, phase FROM RAW_DB.LANDING.INGESTION_STATE WHERE\n"
    )
    log = tmp_path / "warehouse-requests.log"
    log.write_text(format_line(when, "login") + line + "torn li")
    entries = read_log(log)
    assert [kind for _, kind, _ in entries] == ["login", "query"]
    assert entries[0][0] == when.timestamp()
    assert parse_line("garbage") is None
    assert read_log(log, since=when.timestamp() + 1) == []


def test_the_log_names_what_a_statement_does_after_its_comments():
    sql = "-- Silver's marks per bronze\n-- partition\n/* moved */ UPDATE STAGING_DB.CLEANED.SILVER_WATERMARK SET x = 1"
    assert first_words(sql) == "UPDATE STAGING_DB.CLEANED.SILVER_WATERMARK SET x = 1"
    assert verb(first_words(sql)) == "UPDATE"
    assert verb(first_words("select 1 -- not a leading comment")) == "SELECT"
    assert verb("") == ""
