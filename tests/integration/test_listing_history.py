"""The listing history (gold_listing_history), its views and checks against a real embedded warehouse (fakesnow's
server, own port and folder), with bronze messages written by hand and every expected value worked out by hand.

Each test starts from empty tables, writes the bronze messages it needs and calls what the assets call
(`refresh_silver`, then `refresh_history`; the history reads bronze up to where silver has merged).
"""

import datetime as dt
import decimal
import hashlib
import math

import pytest
import snowflake.connector

from medallion_assets.defs.gold import history_checks
from medallion_assets.lib import history, silver, warehouse
from medallion_assets.lib.settings import embedded_snowflake_args
from tests import helpers

TABLES = [
    "RAW_DB.LANDING.BRONZE_REAL_ESTATE",
    "STAGING_DB.CLEANED.SILVER_REAL_ESTATE",
    "STAGING_DB.CLEANED.SILVER_WATERMARK",
    "STAGING_DB.CLEANED.SILVER_BATCH",
    "STAGING_DB.CLEANED.DATA_QUALITY_LOG",
    history.HISTORY_TABLE,
    "ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS",
    "ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_BATCH",
]
ARRIVED = "2026-11-28 06:00:00"


@pytest.fixture
def conn(module_conn):
    for table in TABLES:
        module_conn.cursor().execute(f"DELETE FROM {table}")
    helpers.reset_offsets()
    return module_conn


def add_bronze(conn, messages: list[tuple], partition: int = 0) -> None:
    """Append messages (id, document or None for a tombstone, kafka time) to one bronze partition, in order."""
    helpers.add_bronze(
        conn, [(key, document, None, t) for key, document, t in messages], partition, ingested_at=ARRIVED
    )


def refresh(conn) -> dict:
    silver.refresh_silver(conn, "test-run")
    return history.refresh_history(conn)


def versions(conn, listing: str | None = None) -> list[dict]:
    """The history rows (timestamps as text: a NULL TIMESTAMP_NTZ reaches the driver as 1970 on fakesnow)."""
    where = "WHERE h.id = %(id)s" if listing else ""
    cursor = conn.cursor().execute(
        "SELECT h.id, h.version, TO_VARCHAR(h.valid_from, 'YYYY-MM-DD HH24:MI:SS') AS valid_from, "
        "TO_VARCHAR(h.valid_to, 'YYYY-MM-DD HH24:MI:SS') AS valid_to, h.is_current, h.change_type, h.price, "
        "h.previous_price, h.price_change_pct, h.area, h.price_per_sqm, h.city, h.district, h.property_type, "
        "h.event_time_source, TO_VARCHAR(h.arrived_at, 'YYYY-MM-DD HH24:MI:SS') AS arrived_at, h.kafka_partition, "
        f"h.kafka_offset FROM {history.HISTORY_TABLE} h {where} ORDER BY h.id, h.version",
        {"id": listing} if listing else None,
    )
    columns = [c[0].lower() for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def doc(price: float, updated_at: str | dict | None, **extra) -> dict:
    document = {
        "property_type": "Nhà",
        "price": price,
        "area": 80,
        "bedrooms": 2,
        "bathrooms": 1,
        "location": "1 Kim Mã",
        "city": "Hà Nội",
        "district": "Ba Đình",
        "posted_date": "2025-05-05",
        **extra,
    }
    if updated_at is not None:
        document["updated_at"] = updated_at
    return document


# Listed, repriced twice (with an identical re-send in between), delisted, relisted.
LIFE = [
    ("L1", doc(1_000_000_000, "2026-11-20T10:00:00"), "2026-11-20 10:00:05"),
    ("L1", doc(900_000_000, "2026-11-21T10:00:00"), "2026-11-21 10:00:05"),
    ("L1", doc(900_000_000, "2026-11-21T10:00:00"), "2026-11-21 11:00:00"),  # re-sent identical: no version
    ("L1", doc(990_000_000, "2026-11-22T12:30:00"), "2026-11-22 12:30:05"),
    ("L1", None, "2026-11-24 08:00:00"),  # the delete: its time is the Kafka message time (cluster time)
    ("L1", doc(950_000_000, "2026-11-25T09:00:00"), "2026-11-25 09:00:05"),
]

EXPECTED_LIFE = [
    # version, valid_from, valid_to, is_current, change_type, price, previous_price, pct, event_time_source
    (1, "2026-11-20 10:00:00", "2026-11-21 10:00:00", False, "listed", 1e9, None, None, "updated_at"),
    (2, "2026-11-21 10:00:00", "2026-11-22 12:30:00", False, "repriced", 9e8, 1e9, -10.0, "updated_at"),
    (3, "2026-11-22 12:30:00", "2026-11-24 08:00:00", False, "repriced", 9.9e8, 9e8, 10.0, "updated_at"),
    (4, "2026-11-24 08:00:00", "2026-11-25 09:00:00", False, "delisted", 9.9e8, 9.9e8, 0.0, "kafka_timestamp"),
    (5, "2026-11-25 09:00:00", None, True, "relisted", 9.5e8, 9.9e8, -4.0404, "updated_at"),  # -40/990 × 100
]


def assert_life(rows: list[dict]) -> None:
    got = [
        (
            r["version"],
            r["valid_from"],
            r["valid_to"],
            r["is_current"],
            r["change_type"],
            r["price"],
            r["previous_price"],
            r["price_change_pct"],
            r["event_time_source"],
        )
        for r in rows
    ]
    assert got == EXPECTED_LIFE
    # the delisting carries the last known attributes; every version points at its own bronze message
    assert [(r["city"], r["district"], r["property_type"], r["area"]) for r in rows] == [
        ("Hà Nội", "Ba Đình", "Nhà", 80.0)
    ] * 5
    assert [r["price_per_sqm"] for r in rows] == [12_500_000.0, 11_250_000.0, 12_375_000.0, 12_375_000.0, 11_875_000.0]
    assert [r["kafka_offset"] for r in rows] == [0, 1, 3, 4, 5]
    assert {r["arrived_at"] for r in rows} == {ARRIVED}


def test_a_listing_listed_repriced_twice_delisted_and_relisted_has_exactly_five_versions(conn):
    add_bronze(conn, LIFE)
    result = refresh(conn)
    assert (result["messages_in"], result["versions_added"], result["versions_closed"]) == (6, 5, 0)
    assert_life(versions(conn, "L1"))
    assert {k: result[k] for k in history.CHANGE_TYPES} == {
        "listed": 1,
        "repriced": 2,
        "changed": 0,
        "delisted": 1,
        "relisted": 1,
    }


def test_versions_split_over_runs_are_the_same_and_a_rerun_changes_nothing(conn):
    add_bronze(conn, LIFE[:3])
    first = refresh(conn)
    assert (first["versions_added"], first["current_versions"]) == (2, 1)
    assert first["event_days"] == ["2026-11-20", "2026-11-21"]  # the pulse days the run may have made stale
    add_bronze(conn, LIFE[3:])
    second = refresh(conn)
    assert (second["messages_in"], second["versions_added"], second["versions_closed"]) == (3, 3, 1)
    assert second["event_days"] == ["2026-11-22", "2026-11-24", "2026-11-25"]
    assert_life(versions(conn, "L1"))
    before = conn.cursor().execute(f"SELECT * FROM {history.HISTORY_TABLE} ORDER BY id, version").fetchall()
    again = refresh(conn)
    assert (again["messages_in"], again["versions_added"], again["versions_closed"]) == (0, 0, 0)
    assert again["event_days"] == []  # touches no day: market_pulse_sensor stays away from the warehouse
    assert conn.cursor().execute(f"SELECT * FROM {history.HISTORY_TABLE} ORDER BY id, version").fetchall() == before


def test_a_full_refresh_rebuilds_the_same_versions_from_all_of_bronze(conn):
    add_bronze(conn, LIFE[:3])
    refresh(conn)
    add_bronze(conn, LIFE[3:])
    refresh(conn)
    rebuilt = history.refresh_history(conn, full_refresh=True)
    assert (rebuilt["messages_in"], rebuilt["versions_added"], rebuilt["versions_closed"]) == (6, 5, 0)
    assert_life(versions(conn, "L1"))


def test_a_re_sent_identical_document_adds_no_version(conn):
    add_bronze(conn, [("A", doc(2e9, "2026-11-20T10:00:00"), "2026-11-20 10:00:01")])
    refresh(conn)
    # re-sent in a later run, and twice within one run: still one version
    add_bronze(conn, [("A", doc(2e9, "2026-11-20T10:00:00"), "2026-11-26 10:00:00")] * 2)
    result = refresh(conn)
    assert (result["messages_in"], result["versions_added"], result["versions_closed"]) == (2, 0, 0)
    rows = versions(conn, "A")
    assert [(r["version"], r["change_type"], r["valid_to"], r["is_current"], r["kafka_offset"]) for r in rows] == [
        (1, "listed", None, True, 0)
    ]


def test_change_types_event_times_and_deletes(conn):
    add_bronze(
        conn,
        [
            # another field changed (bedrooms), the price kept: 'changed'
            ("B", doc(3e9, "2026-11-20T08:00:00"), "2026-11-20 08:00:01"),
            ("B", doc(3e9, "2026-11-21 09:15:00", bedrooms=3), "2026-11-21 09:15:01"),
            # no updated_at: the Kafka message time; an updated_at earlier than the version before is held at it
            ("C", doc(1e9, None), "2026-11-22 07:00:00"),
            ("C", doc(1.1e9, "2026-11-21T00:00:00"), "2026-11-22 08:00:00"),
            # a delete of a listing never seen: nothing to delist; then a delete twice: one delisting
            ("D", None, "2026-11-22 09:00:00"),
            ("E", doc(5e8, "20/11/2026 10:30"), "2026-11-20 10:30:01"),
            # a date as extended JSON (the embedded MongoDB's change stream), and as 'Ngày cập nhật' (crawled)
            ("H", doc(4e8, {"$date": "2026-11-19T23:59:58"}), "2026-11-20 10:00:00"),
            (
                "I",
                {"Link": "https://x.vn/ban-nha-rieng/a-pr1", "Mức giá": "4 tỷ", "Ngày cập nhật": "18/11/2026 07:05:09"},
                "2026-11-20 10:00:00",
            ),
            ("E", None, "2026-11-23 10:00:00"),
            ("E", None, "2026-11-23 10:00:01"),
        ],
    )
    refresh(conn)
    got = {
        (r["id"], r["version"]): (
            r["change_type"],
            r["valid_from"],
            r["valid_to"],
            r["is_current"],
            r["event_time_source"],
        )
        for r in versions(conn)
    }
    assert got == {
        ("B", 1): ("listed", "2026-11-20 08:00:00", "2026-11-21 09:15:00", False, "updated_at"),
        ("B", 2): ("changed", "2026-11-21 09:15:00", None, True, "updated_at"),
        ("C", 1): ("listed", "2026-11-22 07:00:00", "2026-11-22 07:00:00", False, "kafka_timestamp"),
        ("C", 2): ("repriced", "2026-11-22 07:00:00", None, True, "updated_at"),
        ("E", 1): ("listed", "2026-11-20 10:30:00", "2026-11-23 10:00:00", False, "updated_at"),
        ("E", 2): ("delisted", "2026-11-23 10:00:00", None, False, "kafka_timestamp"),
        ("H", 1): ("listed", "2026-11-19 23:59:58", None, True, "updated_at"),
        ("I", 1): ("listed", "2026-11-18 07:05:09", None, True, "updated_at"),
    }
    # a deleted listing relisted in a later run continues its numbering
    add_bronze(conn, [("E", doc(6e8, "2026-11-27T10:00:00"), "2026-11-27 10:00:01")])
    result = refresh(conn)
    assert (result["versions_added"], result["versions_closed"]) == (1, 1)
    rows = versions(conn, "E")
    assert [
        (r["version"], r["change_type"], r["valid_to"], r["previous_price"], r["price_change_pct"]) for r in rows
    ] == [
        (1, "listed", "2026-11-23 10:00:00", None, None),
        (2, "delisted", "2026-11-27 10:00:00", 5e8, 0.0),
        (3, "relisted", None, 5e8, 20.0),
    ]


def test_an_updated_at_with_a_utc_offset_is_converted_to_utc(conn):
    add_bronze(
        conn,
        [
            # 00:30 on 1 December in Vietnam is 17:30 UTC on 30 November: the event day is the 30th
            ("U1", doc(1e9, "2026-12-01T00:30:00+07:00"), "2026-11-30 17:31:00"),
            ("U2", doc(1e9, "2026-12-01 00:30:00.250+0700"), "2026-11-30 17:31:00"),  # fraction, offset without ':'
            ("U3", doc(1e9, "2026-11-30T20:00:00-05:30"), "2026-12-01 01:31:00"),  # west of UTC: 01:30 next day
            ("U4", doc(1e9, {"$date": "2026-12-01T00:30:00+07:00"}), "2026-11-30 17:31:00"),  # inside a $-date
            ("U5", doc(1e9, "2026-12-01T00:30:00Z"), "2026-12-01 00:31:00"),  # UTC already
            ("U6", doc(1e9, "2026-12-01T00:30:00"), "2026-12-01 00:31:00"),  # no offset: read as UTC
        ],
    )
    refresh(conn)
    got = {r["id"]: r["valid_from"] for r in versions(conn)}
    assert got == {
        "U1": "2026-11-30 17:30:00",
        "U2": "2026-11-30 17:30:00",
        "U3": "2026-12-01 01:30:00",
        "U4": "2026-11-30 17:30:00",
        "U5": "2026-12-01 00:30:00",
        "U6": "2026-12-01 00:30:00",
    }


def _checks(resource) -> dict[str, bool]:
    return {
        "current": history_checks.history_one_current_per_listing(snowflake=resource).passed,
        "contiguous": history_checks.history_versions_contiguous(snowflake=resource).passed,
        "price": history_checks.history_current_price_matches_silver(snowflake=resource).passed,
    }


def test_the_checks_pass_on_a_good_history_and_fail_when_they_should(conn, snowflake_resource):
    add_bronze(conn, LIFE)
    add_bronze(conn, [("F", doc(7e8, "2026-11-20T10:00:00"), "2026-11-20 10:00:01")], partition=1)
    add_bronze(conn, [("G", doc(8e8, "2026-11-20T10:00:00"), "2026-11-20 10:00:01"), ("G", None, "2026-11-21")])
    refresh(conn)
    assert _checks(snowflake_resource) == {"current": True, "contiguous": True, "price": True}
    table = history.HISTORY_TABLE

    def broken(statement: str, undo: str) -> dict[str, bool]:
        conn.cursor().execute(statement)
        try:
            return _checks(snowflake_resource)
        finally:
            conn.cursor().execute(undo)

    # two current versions of one listing (one of them with a price silver does not have)
    assert broken(
        f"UPDATE {table} SET is_current = TRUE WHERE id = 'L1' AND version = 4",
        f"UPDATE {table} SET is_current = FALSE WHERE id = 'L1' AND version = 4",
    ) == {"current": False, "contiguous": True, "price": False}
    # a deleted listing (G) with a current version
    assert broken(
        f"UPDATE {table} SET is_current = TRUE WHERE id = 'G' AND version = 2",
        f"UPDATE {table} SET is_current = FALSE WHERE id = 'G' AND version = 2",
    ) == {"current": False, "contiguous": True, "price": True}
    # a gap (and an overlap) between versions 2 and 3
    assert broken(
        f"UPDATE {table} SET valid_to = TO_TIMESTAMP_NTZ('2026-11-22 12:00:00') WHERE id = 'L1' AND version = 2",
        f"UPDATE {table} SET valid_to = TO_TIMESTAMP_NTZ('2026-11-22 12:30:00') WHERE id = 'L1' AND version = 2",
    ) == {"current": True, "contiguous": False, "price": True}
    assert broken(
        f"UPDATE {table} SET valid_from = TO_TIMESTAMP_NTZ('2026-11-22 13:00:00') WHERE id = 'L1' AND version = 3",
        f"UPDATE {table} SET valid_from = TO_TIMESTAMP_NTZ('2026-11-22 12:30:00') WHERE id = 'L1' AND version = 3",
    ) == {"current": True, "contiguous": False, "price": True}
    # the current price differs from silver's
    assert broken(
        f"UPDATE {table} SET price = 1 WHERE id = 'F'",
        f"UPDATE {table} SET price = 7e8 WHERE id = 'F'",
    ) == {"current": True, "contiguous": True, "price": False}
    assert _checks(snowflake_resource) == {"current": True, "contiguous": True, "price": True}


def test_the_views_answer_with_hand_computed_values(conn):
    add_bronze(conn, LIFE)
    add_bronze(conn, [("F", doc(7e8, "2026-11-20T10:00:00"), "2026-11-20 10:00:01")], partition=1)
    refresh(conn)
    assert history.refresh_views(conn) == {"v_price_changes": 2, "v_days_on_market": 2}
    changes = (
        conn.cursor()
        .execute(
            "SELECT id, version, TO_VARCHAR(changed_at, 'YYYY-MM-DD HH24:MI:SS'), old_price, new_price, price_change, "
            "price_change_pct FROM ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES ORDER BY id, version"
        )
        .fetchall()
    )
    assert changes == [
        ("L1", 2, "2026-11-21 10:00:00", 1e9, 9e8, -1e8, -10.0),
        ("L1", 3, "2026-11-22 12:30:00", 9e8, 9.9e8, 9e7, 10.0),
    ]
    market = (
        conn.cursor()
        .execute(
            "SELECT id, TO_VARCHAR(first_listed_at, 'YYYY-MM-DD HH24:MI:SS'), delisted_at IS NULL, is_active, "
            "price_changes, first_price, last_price, total_change_pct, "
            "days_on_market - DATEDIFF('second', TO_TIMESTAMP_NTZ('2026-11-25 09:00:00'), SYSDATE()) / 86400.0 "
            "FROM ANALYTICS_DB.SEMANTIC.V_DAYS_ON_MARKET ORDER BY id"
        )
        .fetchall()
    )
    # L1 was live from 11-20 10:00 to 11-24 08:00 (3 days 22 h = 3.9167 days), then again since 11-25 09:00
    (f1, l1) = market
    assert l1[:7] == ("L1", "2026-11-20 10:00:00", True, True, 2, 1e9, 9.5e8)
    assert l1[7] == -5.0
    assert abs(l1[8] - 94 / 24) < 0.011  # days_on_market is rounded to 2 decimals
    assert f1[:7] == ("F", "2026-11-20 10:00:00", True, True, 0, 7e8, 7e8)


# --- version_hash: explicit formats (sql/fragments/version_hash.sql) ---------------------------------------


def explicit_text(row: dict) -> str:
    """The text version_hash hashes, computed here without SQL: numbers rounded half away from zero (Python's
    ROUND_HALF_UP) to 2 decimals (price, area) or 6 (coordinates), dates as YYYY-MM-DD, missing as <NULL>."""

    def number(value, places: int, bound: float) -> str:
        if value is None:
            return "<NULL>"
        if not math.isfinite(value) or abs(value) >= 1e36:
            return "<OUT_OF_RANGE>"
        with decimal.localcontext() as context:
            context.prec = 80
            step = decimal.Decimal(1).scaleb(-places) if abs(value) < bound else decimal.Decimal(1)
            rounded = decimal.Decimal(value).quantize(step, rounding=decimal.ROUND_HALF_UP)
        return f"{abs(rounded) if rounded == 0 else rounded:f}"

    def text(value) -> str:
        return "<NULL>" if value is None else str(value)

    return "|".join(
        [
            text(row["property_type"]),
            number(row["price"], 2, 1e13),
            number(row["area"], 2, 1e13),
            text(row["bedrooms"]),
            text(row["bathrooms"]),
            text(row["location"]),
            text(row["city"]),
            text(row["district"]),
            number(row["latitude"], 6, 1e9),
            number(row["longitude"], 6, 1e9),
            text(row["description"]),
            "<NULL>" if row["posted_date"] is None else row["posted_date"].strftime("%Y-%m-%d"),
        ]
    )


HAND_MADE = {
    "property_type": "Nhà",
    "price": 3.5e9,
    "area": 80.125,  # exactly representable: a tie, rounded away from zero to 80.13 on both engines
    "bedrooms": 2,
    "bathrooms": None,
    "location": "1 Kim Mã",
    "city": "Hà Nội",
    "district": "Ba Đình",
    "latitude": 21.02851234,
    "longitude": 105.8342567,
    "description": "Nhà đẹp | gần hồ",
    "posted_date": dt.date(2025, 5, 5),
}


def hash_of(conn, row: dict) -> str:
    """The fragment over one hand-made row `p`, typed as parse_listing types it."""
    fragment = warehouse.expand_includes("-- @include fragments/version_hash")
    statement = (
        "SELECT " + fragment + " AS version_hash FROM (SELECT %(property_type)s::VARCHAR AS property_type, "
        "%(price)s::FLOAT AS price, %(area)s::FLOAT AS area, %(bedrooms)s::INTEGER AS bedrooms, "
        "%(bathrooms)s::INTEGER AS bathrooms, %(location)s::VARCHAR AS location, %(city)s::VARCHAR AS city, "
        "%(district)s::VARCHAR AS district, %(latitude)s::FLOAT AS latitude, %(longitude)s::FLOAT AS longitude, "
        "%(description)s::VARCHAR AS description, TO_DATE(%(posted_date)s, 'YYYY-MM-DD') AS posted_date) p"
    )
    params = {k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}  # bound as text
    params["posted_date"] = row["posted_date"] and row["posted_date"].isoformat()
    return conn.cursor().execute(statement, params).fetchone()[0]


def test_version_hash_of_a_hand_made_row_is_the_sha256_of_its_explicit_text_in_any_session(conn, warehouse_port):
    text = explicit_text(HAND_MADE)
    assert (
        text
        == "Nhà|3500000000.00|80.13|2|<NULL>|1 Kim Mã|Hà Nội|Ba Đình|21.028512|105.834257|Nhà đẹp | gần hồ|2025-05-05"
    )
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert hash_of(conn, HAND_MADE) == expected
    # A session whose output formats differ (Snowflake applies them to implicit casts; the fragment has none,
    # see tests/unit/test_sql_fragments.py; the embedded warehouse accepts these parameters and ignores them).
    other = snowflake.connector.connect(
        **{
            **embedded_snowflake_args(warehouse_port),
            "session_parameters": {
                "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False,
                "DATE_OUTPUT_FORMAT": "DD/MM/YYYY",
                "TIMESTAMP_NTZ_OUTPUT_FORMAT": "DD/MM/YYYY HH24:MI",
            },
        },
        network_timeout=30,
    )
    try:
        assert hash_of(other, HAND_MADE) == expected
    finally:
        other.close()
    # and on every edge: missing values, a price beyond 1e13 (whole VND), NaN, a negative coordinate near 0
    edges = {
        **HAND_MADE,
        "price": 2.5e13,
        "area": None,
        "latitude": -0.0000001,
        "longitude": float("nan"),
        "posted_date": None,
    }
    assert explicit_text(edges).split("|")[1:3] == ["25000000000000", "<NULL>"]
    assert explicit_text(edges).split("|")[8:10] == ["0.000000", "<OUT_OF_RANGE>"]
    assert hash_of(conn, edges) == hashlib.sha256(explicit_text(edges).encode()).hexdigest()


def test_stored_hashes_are_the_python_ones_and_old_hashes_are_rehashed_once(conn):
    document = {
        "property_type": "Nhà",
        "price": 3.5e9,
        "area": 80.125,
        "bedrooms": 2,
        "location": "1 Kim Mã",
        "city": "Hà Nội",
        "district": "Ba Đình",
        "latitude": 21.02851234,
        "longitude": 105.8342567,
        "description": "Nhà đẹp | gần hồ",
        "posted_date": "2025-05-05",
    }
    add_bronze(conn, [("A", document, "2026-11-20 10:00:01"), ("B", {**document, "price": 4e9}, "2026-11-20 10:00:02")])
    refresh(conn)
    stored = dict(conn.cursor().execute(f"SELECT id, version_hash FROM {history.HISTORY_TABLE} ORDER BY id").fetchall())
    assert stored["A"] == hashlib.sha256(explicit_text(HAND_MADE).encode()).hexdigest()
    assert stored["B"] == hashlib.sha256(explicit_text({**HAND_MADE, "price": 4e9}).encode()).hexdigest()

    # Histories written before: MD5 hashes (32 characters) of text that followed session settings.
    conn.cursor().execute(f"UPDATE {history.HISTORY_TABLE} SET version_hash = MD5(id)")
    add_bronze(conn, [("A", document, "2026-11-26 10:00:00")])  # A re-sent unchanged, B not at all
    result = refresh(conn)
    assert (result["messages_in"], result["versions_added"], result["versions_closed"]) == (1, 0, 0)
    after = dict(conn.cursor().execute(f"SELECT id, version_hash FROM {history.HISTORY_TABLE} ORDER BY id").fetchall())
    assert after == stored  # both current versions rehashed from their own bronze messages, no new version
    add_bronze(conn, [("A", {**document, "price": 3.6e9}, "2026-11-27 10:00:00")])
    assert refresh(conn)["versions_added"] == 1  # a real change is still a version
