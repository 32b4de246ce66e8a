"""Silver, gold and the semantic views against a real embedded warehouse (fakesnow's server, own port and
folder), with bronze rows written by hand and every expected value worked out by hand.

Each test starts from empty tables, writes the bronze messages it needs and calls the layer functions the
assets call (`refresh_silver`, `refresh_gold`, `refresh_views`), or runs the assets and checks through
Dagster where the point is how they behave together (the blocking check).
"""

import datetime as dt
from decimal import Decimal

import dagster as dg
import pytest

from medallion_assets.defs.gold import assets as gold_assets
from medallion_assets.defs.gold import checks as gold_checks
from medallion_assets.defs.semantic import assets as semantic_assets
from medallion_assets.defs.semantic import checks as semantic_checks
from medallion_assets.defs.silver import assets as silver_assets
from medallion_assets.defs.silver import checks as silver_checks
from medallion_assets.lib import charts, gold, semantic, silver, warehouse
from tests.helpers import BRONZE_TOPIC, add_bronze, good, next_offset, reset_offsets

TABLES = [
    "RAW_DB.LANDING.BRONZE_REAL_ESTATE",
    "STAGING_DB.CLEANED.SILVER_REAL_ESTATE",
    "STAGING_DB.CLEANED.SILVER_WATERMARK",
    "STAGING_DB.CLEANED.SILVER_BATCH",
    "STAGING_DB.CLEANED.DATA_QUALITY_LOG",
    "ANALYTICS_DB.DWH.GOLD_ML_FEATURES",
    "ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS",
    "ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS",
]


# --- the embedded warehouse ------------------------------------------------------------------------


@pytest.fixture
def conn(module_conn):
    """The connection, with every table of these layers emptied."""
    for table in TABLES:
        module_conn.cursor().execute(f"DELETE FROM {table}")
    return module_conn


# --- helpers ------------------------------------------------------------------------------------------


def rows(conn, table: str, order_by: str = "1") -> list[dict]:
    cursor = conn.cursor().execute(f"SELECT * FROM {table} ORDER BY {order_by}")
    columns = [c[0].lower() for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def by_id(conn, table: str) -> dict[str, dict]:
    return {row["id"]: row for row in rows(conn, table)}


def snapshot(conn) -> dict[str, list[dict]]:
    """Silver and gold, every column (timestamps included)."""
    return {
        "silver": rows(conn, "STAGING_DB.CLEANED.SILVER_REAL_ESTATE"),
        "features": rows(conn, gold.FEATURES_TABLE),
        "market": rows(conn, gold.MARKET_TABLE, "1, 2, 3"),
        "trends": rows(conn, gold.TRENDS_TABLE, "1, 2"),
    }


# --- silver: parsing, both shapes -------------------------------------------------------------------

PARSING_CASES = {
    # structured: typed values, numbers as text, padding, blanks
    "s-full": (
        {
            "property_type": " Căn hộ ",
            "price": 2500000000,
            "area": 75.5,
            "bedrooms": 2,
            "bathrooms": 1,
            "location": " 12 Nguyễn Trãi, Phường 2 \n",
            "city": "Hồ Chí Minh",
            "district": "Quận 5",
            "latitude": 10.754,
            "longitude": 106.6634,
            "description": "Căn hộ đẹp",
            "posted_date": "2025-03-01T00:00:00",
            "source": "structured",
        },
        {
            "property_type": "Căn hộ",
            "price": 2.5e9,
            "area": 75.5,
            "bedrooms": 2,
            "bathrooms": 1,
            "location": "12 Nguyễn Trãi, Phường 2",
            "city": "Hồ Chí Minh",
            "district": "Quận 5",
            "latitude": 10.754,
            "longitude": 106.6634,
            "description": "Căn hộ đẹp",
            "posted_date": dt.date(2025, 3, 1),
            "data_quality_score": Decimal("1.0"),
            "quality_issues": None,
            "source_shape": "structured",
        },
    ),
    "s-text": (
        {
            "property_type": "Nhà",
            "price": "1800000000",
            "area": "60.5",
            "bedrooms": "3",
            "bathrooms": 2.0,
            "location": "Ngõ 5 Kim Mã",
            "city": "Hà Nội",
            "district": "Ba Đình",
            "latitude": "21.0341",
            "longitude": "105.8142",
            "description": "   ",
            "posted_date": "2025-12-31",
        },
        {
            "property_type": "Nhà",
            "price": 1.8e9,
            "area": 60.5,
            "bedrooms": 3,
            "bathrooms": 2,
            "location": "Ngõ 5 Kim Mã",
            "city": "Hà Nội",
            "district": "Ba Đình",
            "latitude": 21.0341,
            "longitude": 105.8142,
            "description": None,
            "posted_date": dt.date(2025, 12, 31),
            "data_quality_score": Decimal("1.0"),
            "quality_issues": None,
            "source_shape": "structured",
        },
    ),
    "s-float": (
        {"price": 1500000000.0, "area": 80, "bedrooms": 0, "location": "", "city": "Đà Nẵng"},
        {
            "property_type": None,
            "price": 1.5e9,
            "area": 80.0,
            "bedrooms": 0,
            "bathrooms": None,
            "location": None,
            "city": "Đà Nẵng",
            "district": None,
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("0.8"),
            "quality_issues": "location_missing",
            "source_shape": "structured",
        },
    ),
    "s-broken": (
        {"price": None, "area": "abc", "bedrooms": "", "city": "  ", "posted_date": "not a date"},
        {
            "property_type": None,
            "price": None,
            "area": None,
            "bedrooms": None,
            "bathrooms": None,
            "location": None,
            "city": None,
            "district": None,
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("0.0"),
            "quality_issues": "price_missing,area_missing,location_missing,bedrooms_missing,city_missing",
            "source_shape": "structured",
        },
    ),
    "s-zero": (
        {"price": 0, "area": -5, "bedrooms": 1, "location": "x", "city": "Huế"},
        {
            "property_type": None,
            "price": 0.0,
            "area": -5.0,
            "bedrooms": 1,
            "bathrooms": None,
            "location": "x",
            "city": "Huế",
            "district": None,
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("0.6"),
            "quality_issues": "price_missing,area_missing",
            "source_shape": "structured",
        },
    ),
    # crawled: Vietnamese keys, every value text
    "c-ty": (
        {
            "Link": "https://batdongsan.com.vn/ban-can-ho-chung-cu-quan-7/ban-can-ho-2pn-pr38000001",
            "Tiêu đề": "  Bán căn hộ 2PN Quận 7 ",
            "Mức giá": " 3,5 tỷ ",
            "Diện tích": "1.234,5 m²",
            "Số phòng ngủ": "3 phòng",
            "Số toilet": "2 phòng",
            "Địa chỉ": "Đường Nguyễn Hữu Thọ, Phường Tân Hưng, Quận 7, Hồ Chí Minh ",
            "Huyện": "Quận 7",
            "Latitude": "10.7340",
            "Longitude": "106.7219",
            "Ngày đăng": "07/03/2025",
        },
        {
            "property_type": "Căn hộ",
            "price": 3.5e9,
            "area": 1234.5,
            "bedrooms": 3,
            "bathrooms": 2,
            "location": "Đường Nguyễn Hữu Thọ, Phường Tân Hưng, Quận 7, Hồ Chí Minh",
            "city": "Hồ Chí Minh",
            "district": "Quận 7",
            "latitude": 10.734,
            "longitude": 106.7219,
            "description": "Bán căn hộ 2PN Quận 7",
            "posted_date": dt.date(2025, 3, 7),
            "data_quality_score": Decimal("1.0"),
            "quality_issues": None,
            "source_shape": "crawled",
        },
    ),
    "c-trieu": (
        {
            "Link": "https://batdongsan.com.vn/ban-nha-rieng-go-vap/nha-dep-pr38000014",
            "Mức giá": "850 triệu",
            "Diện tích": "45 m²",
            "Số phòng ngủ": "2 phòng",
            "Địa chỉ": "Phường 5, Gò Vấp, Hồ Chí Minh",
            "Huyện": " Gò Vấp ",
            "Ngày đăng": "1/2/2026",
        },
        {
            "property_type": "Nhà",
            "price": 8.5e8,
            "area": 45.0,
            "bedrooms": 2,
            "bathrooms": None,
            "location": "Phường 5, Gò Vấp, Hồ Chí Minh",
            "city": "Hồ Chí Minh",
            "district": "Gò Vấp",
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": dt.date(2026, 2, 1),
            "data_quality_score": Decimal("1.0"),
            "quality_issues": None,
            "source_shape": "crawled",
        },
    ),
    "c-millions": (
        {
            "Link": "https://batdongsan.com.vn/ban-nha-mat-pho-dong-da/x-pr1",
            "Mức giá": "1.200 triệu",
            "Diện tích": "30 m²",
            "Số phòng ngủ": "1 phòng",
            "Địa chỉ": "Láng, Đống Đa, Hà Nội",
        },
        {
            "property_type": "Nhà",
            "price": 1.2e9,
            "area": 30.0,
            "bedrooms": 1,
            "bathrooms": None,
            "location": "Láng, Đống Đa, Hà Nội",
            "city": "Hà Nội",
            "district": None,
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("1.0"),
            "quality_issues": None,
            "source_shape": "crawled",
        },
    ),
    "c-negotiable": (
        {
            "Link": "https://batdongsan.com.vn/ban-dat-nen-du-an-long-thanh/dat-pr2",
            "Mức giá": "Thỏa thuận",
            "Diện tích": "120 m²",
            "Địa chỉ": "Xã An Phước, Long Thành, Đồng Nai",
            "Huyện": "Long Thành",
        },
        {
            "property_type": "Đất",
            "price": None,
            "area": 120.0,
            "bedrooms": None,
            "bathrooms": None,
            "location": "Xã An Phước, Long Thành, Đồng Nai",
            "city": "Đồng Nai",
            "district": "Long Thành",
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("0.6"),
            "quality_issues": "price_missing,bedrooms_missing",
            "source_shape": "crawled",
        },
    ),
    "c-per-m2": (
        {
            "Link": "https://batdongsan.com.vn/ban-biet-thu-lien-ke-quan-2/bt-pr3",
            "Mức giá": "50 triệu/m²",
            "Diện tích": "75 m²",
            "Số phòng ngủ": "4 phòng",
            "Số toilet": "3 phòng",
            "Địa chỉ": "Thảo Điền, Thủ Đức, Hồ Chí Minh",
        },
        {
            "property_type": "Biệt thự",
            "price": 3.75e9,
            "area": 75.0,
            "bedrooms": 4,
            "bathrooms": 3,
            "location": "Thảo Điền, Thủ Đức, Hồ Chí Minh",
            "city": "Hồ Chí Minh",
            "district": None,
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("1.0"),
            "quality_issues": None,
            "source_shape": "crawled",
        },
    ),
    "c-per-m2-decimal": (
        {
            "Link": "https://batdongsan.com.vn/ban-dat/lo-dat-pr4",
            "Mức giá": "62,5 triệu/m²",
            "Diện tích": "80 m²",
            "Địa chỉ": "Cần Thơ",
        },
        {
            "property_type": "Đất",
            "price": 5e9,
            "area": 80.0,
            "bedrooms": None,
            "bathrooms": None,
            "location": "Cần Thơ",
            "city": "Cần Thơ",
            "district": None,
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("0.8"),
            "quality_issues": "bedrooms_missing",
            "source_shape": "crawled",
        },
    ),
    "c-blank": (
        {
            "Link": "https://batdongsan.com.vn/cho-thue-can-ho-chung-cu-quan-1/ch-pr5",
            "Mức giá": "",
            "Diện tích": " ",
            "Số phòng ngủ": "2 phòng",
            "Địa chỉ": "",
            "Ngày đăng": "31/02/2025",
        },
        {
            "property_type": "Khác",
            "price": None,
            "area": None,
            "bedrooms": 2,
            "bathrooms": None,
            "location": None,
            "city": None,
            "district": None,
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("0.2"),
            "quality_issues": "price_missing,area_missing,location_missing,city_missing",
            "source_shape": "crawled",
        },
    ),
    "c-warehouse": (  # 'ban-kho-nha-xuong' is not 'ban-nha'
        {
            "Link": "https://batdongsan.com.vn/ban-kho-nha-xuong-binh-chanh/kho-pr6",
            "Mức giá": "12 tỷ",
            "Diện tích": "500 m²",
            "Số phòng ngủ": "0 phòng",
            "Địa chỉ": "Bình Chánh, Hồ Chí Minh",
        },
        {
            "property_type": "Khác",
            "price": 1.2e10,
            "area": 500.0,
            "bedrooms": 0,
            "bathrooms": None,
            "location": "Bình Chánh, Hồ Chí Minh",
            "city": "Hồ Chí Minh",
            "district": None,
            "latitude": None,
            "longitude": None,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("1.0"),
            "quality_issues": None,
            "source_shape": "crawled",
        },
    ),
    "c-no-link": (
        {
            "Mức giá": "2,25 tỷ",
            "Diện tích": "64 m²",
            "Latitude": "21,0285",
            "Longitude": "105,8542",
            "Địa chỉ": "Hoàn Kiếm, Hà Nội",
        },
        {
            "property_type": None,
            "price": 2.25e9,
            "area": 64.0,
            "bedrooms": None,
            "bathrooms": None,
            "location": "Hoàn Kiếm, Hà Nội",
            "city": "Hà Nội",
            "district": None,
            "latitude": 21.0285,
            "longitude": 105.8542,
            "description": None,
            "posted_date": None,
            "data_quality_score": Decimal("0.8"),
            "quality_issues": "bedrooms_missing",
            "source_shape": "crawled",
        },
    ),
}


@pytest.fixture(scope="module")
def parsed(module_conn):
    """Silver after one run over every parsing case (one message each, partition 0, offsets 0..n-1)."""
    for table in TABLES:
        module_conn.cursor().execute(f"DELETE FROM {table}")
    reset_offsets()
    add_bronze(module_conn, [(key, document) for key, (document, _) in PARSING_CASES.items()])
    result = silver.refresh_silver(module_conn, "parse-run")
    return result, by_id(module_conn, silver.SILVER_TABLE)


@pytest.mark.parametrize("listing_id", list(PARSING_CASES))
def test_silver_parses_both_shapes(parsed, listing_id):
    _, silver_rows = parsed
    expected = PARSING_CASES[listing_id][1]
    row = silver_rows[listing_id]
    assert {key: row[key] for key in expected} == expected
    assert row["kafka_topic"] == BRONZE_TOPIC and row["kafka_partition"] == 0
    assert row["kafka_offset"] == list(PARSING_CASES).index(listing_id)


def test_silver_run_is_logged(parsed, module_conn):
    result, silver_rows = parsed
    assert len(silver_rows) == len(PARSING_CASES) == 14
    expected_scores = {"0.0": 1, "0.2": 1, "0.4": 0, "0.6": 2, "0.8": 3, "1.0": 7}
    expected_rules = {
        "price_missing": 4,
        "bedrooms_missing": 4,
        "area_missing": 3,
        "city_missing": 2,
        "location_missing": 3,
    }
    assert result["score_distribution"] == expected_scores
    assert result["failed_rules"] == expected_rules
    assert (
        result["rows_in"],
        result["ids_in"],
        result["rows_inserted"],
        result["rows_updated"],
        result["rows_deleted"],
    ) == (14, 14, 14, 0, 0)
    assert result["passing_rows"] == 12  # score >= 0.6
    (log,) = rows(module_conn, silver.QUALITY_LOG_TABLE)
    assert log["run_id"] == "parse-run"
    assert (log["rows_in"], log["rows_upserted"], log["rows_deleted"], log["silver_rows"]) == (14, 14, 0, 14)
    assert {s: log[f"score_{s.replace('.', '_')}"] for s in silver.SCORES} == expected_scores
    assert {r: log[r] for r in silver.RULES} == expected_rules


# --- silver: versions, deletes, incremental runs -----------------------------------------------------


def test_latest_version_wins_and_tombstones_remove(conn):
    add_bronze(
        conn,
        [
            ("a", good(1e9)),
            ("b", good(2e9)),
            ("a", good(1.5e9)),  # repriced: the latest version wins
            ("c", good(3e9)),
            ("c", None),  # deleted
            ("d", None),  # deleted before it was ever seen
            ("e", good(4e9)),
            ("e", good(4e9)),  # the same version re-sent (at-least-once): changes nothing
        ],
    )
    add_bronze(conn, [("f", None), ("f", good(5e9))], partition=1)  # deleted, then created again
    result = silver.refresh_silver(conn, "run-1")
    rows_ = by_id(conn, silver.SILVER_TABLE)
    assert sorted(rows_) == ["a", "b", "e", "f"]
    assert rows_["a"]["price"] == 1.5e9 and rows_["a"]["kafka_offset"] == next_offset(0) - 6
    assert rows_["e"]["kafka_offset"] == next_offset(0) - 1  # the newest copy of the winning version
    assert (rows_["f"]["kafka_partition"], rows_["f"]["price"]) == (1, 5e9)
    assert (result["rows_in"], result["ids_in"], result["tombstones_in"]) == (10, 6, 3)
    assert (result["rows_inserted"], result["rows_updated"], result["rows_deleted"]) == (4, 0, 0)

    # the next run sees only what arrived since: a reprice, a delete, a re-sent copy, a new listing
    add_bronze(conn, [("b", good(2.2e9)), ("a", None), ("e", good(4e9)), ("g", good(6e9))])
    result = silver.refresh_silver(conn, "run-2")
    rows_ = by_id(conn, silver.SILVER_TABLE)
    assert sorted(rows_) == ["b", "e", "f", "g"]
    assert rows_["b"]["price"] == 2.2e9
    assert (result["rows_in"], result["ids_in"], result["tombstones_in"]) == (4, 4, 1)
    assert (result["rows_inserted"], result["rows_updated"], result["rows_deleted"]) == (1, 1, 1)
    recon = silver.ints(warehouse.fetch_one(conn, "silver/check_reconcile"))
    assert recon == {"expected_ids": 4, "silver_ids": 4, "missing_in_silver": 0, "unexpected_in_silver": 0}


def test_incremental_runs_read_only_new_messages_and_reruns_change_nothing(conn):
    add_bronze(conn, [("p0-a", good(1e9)), ("p0-b", good(2e9))], partition=0)
    add_bronze(conn, [("p1-a", good(3e9))], partition=1)
    first = silver.refresh_silver(conn, "inc-1")
    gold.refresh_gold(conn)
    semantic.refresh_views(conn)
    before = snapshot(conn)

    rerun = silver.refresh_silver(conn, "inc-2")
    regold = gold.refresh_gold(conn)
    assert snapshot(conn) == before  # timestamps included
    assert all(c == {"inserted": 0, "updated": 0, "deleted": 0, "rows": c["rows"]} for c in regold["tables"].values())

    add_bronze(conn, [("p1-b", good(4e9)), ("p1-c", good(5e9, area=""))], partition=1)
    third = silver.refresh_silver(conn, "inc-3")
    assert [first["rows_in"], rerun["rows_in"], third["rows_in"]] == [3, 0, 2]
    assert [first["rows_inserted"], rerun["rows_inserted"], third["rows_inserted"]] == [3, 0, 2]
    log = rows(conn, silver.QUALITY_LOG_TABLE, "logged_at")
    assert [(r["run_id"], r["rows_in"], r["silver_rows"], r["score_1_0"], r["score_0_8"]) for r in log] == [
        ("inc-1", 3, 3, 3, 0),
        ("inc-2", 0, 3, 3, 0),
        ("inc-3", 2, 5, 4, 1),
    ]
    marks = warehouse.fetch_all(conn, "silver/watermarks")
    assert [(m["kafka_partition"], m["processed_offset"]) for m in marks] == [
        (0, next_offset(0) - 1),
        (1, next_offset(1) - 1),
    ]


def test_full_refresh_rebuilds_from_all_of_bronze(conn):
    add_bronze(conn, [("x", good(1e9)), ("y", good(2e9)), ("y", None)])
    silver.refresh_silver(conn, "once")
    result = silver.refresh_silver(conn, "again", full_refresh=True)
    assert (result["rows_in"], result["rows_inserted"], result["silver_rows"]) == (3, 1, 1)
    assert list(by_id(conn, silver.SILVER_TABLE)) == ["x"]


# --- gold ---------------------------------------------------------------------------------------------

GOLD_CASES = {
    # id: price (e9), area, city, district, property_type, posted_date -> price category, area category
    "g1": (1, 49.99, "Hà Nội", "Ba Đình", "Nhà", "2025-01-15", "Budget", "Small"),
    "g2": (2, 50, "Hà Nội", "Ba Đình", "Nhà", "2025-01-15", "Budget", "Medium"),
    "g3": (3, 99.99, "Hà Nội", "Ba Đình", "Nhà", "2025-02-01", "Budget", "Medium"),  # = P25
    "g4": (4, 100, "Hà Nội", "Ba Đình", "Nhà", None, "Standard", "Large"),
    "g5": (5, 199.99, "Hà Nội", None, "Nhà", "2025-01-31", "Standard", "Large"),  # = P50
    "g6": (6, 200, "Hà Nội", None, "Nhà", "2025-01-31T08:30:00", "Premium", "Very Large"),
    "g7": (7, None, "Hồ Chí Minh", "Quận 1", "Căn hộ", "2024-12-01", "Premium", "Unknown"),  # = P75
    "g8": (8, 10, "Hồ Chí Minh", "Quận 1", "Căn hộ", "2024-12-31", "Luxury", "Small"),
    "g9": (9, 1000, "Hồ Chí Minh", "Quận 1", None, None, "Luxury", "Very Large"),
}


def gold_document(price_e9, area, city, district, property_type, posted) -> dict:
    document = {"price": price_e9 * 1e9, "bedrooms": int(price_e9) % 4, "bathrooms": 1, "location": "x", "city": city}
    for key, value in (
        ("area", area),
        ("district", district),
        ("property_type", property_type),
        ("posted_date", posted),
    ):
        if value is not None:
            document[key] = value
    return document


def test_gold_features_categories_and_quartile_boundaries(conn):
    add_bronze(conn, [(key, gold_document(*case[:6])) for key, case in GOLD_CASES.items()])
    add_bronze(
        conn,
        [  # outside the population: they must not move the quartiles
            ("low-score", {"price": 1e12, "area": 10}),  # score 0.4
            ("no-price", {"area": 10, "bedrooms": 1, "location": "x", "city": "Hà Nội"}),  # score 0.8
            ("zero-price", {"price": 0, "area": 10, "bedrooms": 1, "location": "x", "city": "Hà Nội"}),
        ],
    )
    silver.refresh_silver(conn, "gold-1")
    result = gold.refresh_gold(conn, min_quality_score=0.6)
    assert (result["population"], result["p25"], result["p50"], result["p75"]) == (9, 3e9, 5e9, 7e9)

    features = by_id(conn, gold.FEATURES_TABLE)
    assert sorted(features) == sorted(GOLD_CASES)
    for key, (price_e9, area, *_, price_category, area_category) in GOLD_CASES.items():
        row = features[key]
        assert (row["price_category"], row["area_category"]) == (price_category, area_category), key
        assert row["is_high_value"] == (price_e9 > 7), key
        assert row["price_per_sqm"] == (price_e9 * 1e9 / area if area else None), key
        assert row["rooms_total"] == price_e9 % 4 + 1, key
    assert features["g6"]["posted_date"] == dt.date(2025, 1, 31)

    market = {(r["city"], r["district"], r["property_type"]): r for r in rows(conn, gold.MARKET_TABLE)}
    assert sorted(market) == [
        ("Hà Nội", "Ba Đình", "Nhà"),
        ("Hà Nội", "Unknown", "Nhà"),
        ("Hồ Chí Minh", "Quận 1", "Căn hộ"),
        ("Hồ Chí Minh", "Quận 1", "Unknown"),
    ]
    ba_dinh = market[("Hà Nội", "Ba Đình", "Nhà")]
    assert (
        ba_dinh["total_listings"],
        ba_dinh["avg_price"],
        ba_dinh["median_price"],
        ba_dinh["min_price"],
        ba_dinh["max_price"],
        ba_dinh["avg_bedrooms"],
    ) == (4, 2.5e9, 2.5e9, 1e9, 4e9, 1.5)
    assert ba_dinh["avg_area"] == pytest.approx(74.995, abs=0.0051)  # rounded to cents
    expected_ppsqm = (1e9 / 49.99 + 2e9 / 50 + 3e9 / 99.99 + 4e9 / 100) / 4
    assert ba_dinh["avg_price_per_sqm"] == pytest.approx(expected_ppsqm, abs=0.0051)
    hcm = market[("Hồ Chí Minh", "Quận 1", "Căn hộ")]
    assert (
        hcm["total_listings"],
        hcm["avg_price"],
        hcm["median_price"],
        hcm["avg_price_per_sqm"],
        hcm["avg_area"],
    ) == (2, 7.5e9, 7.5e9, 8e8, 10.0)  # g7 has no area: left out of the area averages

    trends = {(r["city"], r["year_month"]): r for r in rows(conn, gold.TRENDS_TABLE)}
    assert {k: (r["listing_count"], r["avg_price"]) for k, r in trends.items()} == {
        ("Hà Nội", "2025-01"): (4, 3.5e9),
        ("Hà Nội", "2025-02"): (1, 3e9),
        ("Hồ Chí Minh", "2024-12"): (2, 7.5e9),
    }
    assert trends[("Hồ Chí Minh", "2024-12")]["avg_price_per_sqm"] == 8e8

    views = semantic.refresh_views(conn)
    assert views == {"v_property_listings": 9, "v_market_summary": 4, "v_price_trends": 3, "v_active_anomalies": 0}
    listing = rows(conn, "ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS WHERE id = 'g1'")[0]
    assert (listing["location"], listing["data_quality_score"], listing["price_category"]) == (
        "x",
        Decimal("1.0"),
        "Budget",
    )
    trend = rows(conn, "ANALYTICS_DB.SEMANTIC.V_PRICE_TRENDS WHERE city = 'Hà Nội'", "year_month")
    assert [(t["year_month"], t["previous_avg_price"]) for t in trend] == [("2025-01", None), ("2025-02", 3.5e9)]
    assert trend[1]["avg_price_change"] == pytest.approx(3 / 3.5 - 1)


def test_gold_ties_at_the_quartiles(conn):
    add_bronze(conn, [(f"t{i}", good(p * 1e9)) for i, p in enumerate([1, 2, 2, 2, 3])])
    silver.refresh_silver(conn, "ties")
    result = gold.refresh_gold(conn)
    assert (result["p25"], result["p50"], result["p75"]) == (2e9, 2e9, 2e9)
    features = by_id(conn, gold.FEATURES_TABLE)
    assert {k: (r["price_category"], r["is_high_value"]) for k, r in features.items()} == {
        "t0": ("Budget", False),
        "t1": ("Budget", False),
        "t2": ("Budget", False),
        "t3": ("Budget", False),
        "t4": ("Luxury", True),
    }


def test_gold_follows_silver_out_of_the_population(conn):
    add_bronze(conn, [("keep", good(1e9)), ("worse", good(2e9)), ("gone", good(3e9, city="Huế"))])
    silver.refresh_silver(conn, "follow-1")
    gold.refresh_gold(conn)
    assert sorted(by_id(conn, gold.FEATURES_TABLE)) == ["gone", "keep", "worse"]
    assert ("Huế", "Ba Đình", "Nhà") in {
        (r["city"], r["district"], r["property_type"]) for r in rows(conn, gold.MARKET_TABLE)
    }

    add_bronze(conn, [("worse", {"price": 2e9, "area": 80}), ("gone", None), ("keep", good(1.1e9))])
    silver.refresh_silver(conn, "follow-2")
    result = gold.refresh_gold(conn)
    features = by_id(conn, gold.FEATURES_TABLE)
    assert list(features) == ["keep"] and features["keep"]["price"] == 1.1e9
    assert result["tables"]["ml_features"] == {"inserted": 0, "updated": 1, "deleted": 2, "rows": 1}
    assert [(r["city"], r["total_listings"]) for r in rows(conn, gold.MARKET_TABLE)] == [("Hà Nội", 1)]
    assert [(r["city"], r["year_month"], r["listing_count"]) for r in rows(conn, gold.TRENDS_TABLE)] == [
        ("Hà Nội", "2025-05", 1)
    ]
    totals = silver.ints(warehouse.fetch_one(conn, "gold/check_totals"))
    assert totals == {"gold_rows": 1, "market_listings": 1, "dated_rows": 1, "trend_listings": 1}


# --- through Dagster: the checks and the blocking gate -------------------------------------------------

ALL_DEFS = [
    silver_assets.silver_real_estate,
    gold_assets.gold_tables,
    silver_checks.silver_quality_share,
    silver_checks.silver_ids_unique,
    silver_checks.silver_reconciles_with_bronze,
    gold_checks.gold_from_trusted_silver,
    gold_checks.gold_ids_unique,
    gold_checks.gold_features_consistent,
    gold_checks.market_counts_add_up,
    gold_checks.trend_counts_add_up,
]


def check_results(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def materialized(result) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def test_blocking_quality_check_stops_gold(conn, snowflake_resource):
    resources = {"snowflake": snowflake_resource}
    add_bronze(conn, [(f"ok-{i}", good((i + 1) * 1e9)) for i in range(10)])
    result = dg.materialize(ALL_DEFS, resources=resources)
    checks = check_results(result)
    assert result.success and all(c.passed for c in checks.values()), {n: c.passed for n, c in checks.items()}
    assert set(checks) == {
        "silver_quality_share",
        "silver_ids_unique",
        "silver_reconciles_with_bronze",
        "gold_from_trusted_silver",
        "gold_ids_unique",
        "gold_features_consistent",
        "market_counts_add_up",
        "trend_counts_add_up",
    }
    assert materialized(result) == {
        "silver_real_estate",
        "data_quality_log",
        "gold_ml_features",
        "gold_market_analytics",
        "gold_price_trends",
    }
    # the market analytics show median price per m² by city as a picture: 10 listings of 80 m² in Hà Nội at
    # 1..10 bn VND, median (5.5 bn) / 80
    by_city = warehouse.fetch_all(conn, "gold/chart_price_per_sqm_by_city", {"limit": 15})
    assert by_city == [{"city": "Hà Nội", "median_price_per_sqm": 68_750_000.0, "listings": 10}]
    market = result.asset_materializations_for_node("gold_tables")
    market_meta = next(m for m in market if m.asset_key.to_user_string() == "gold_market_analytics").metadata
    picture = charts.markdown_png(market_meta["price_per_sqm_by_city"].value)
    assert picture == charts.price_per_sqm_by_city(by_city) and charts.png_size(picture) == (600, 350)
    gold_before = {k: v for k, v in snapshot(conn).items() if k != "silver"}

    # mostly broken documents, plus a repricing that gold would pick up if it ran
    add_bronze(conn, [(f"bad-{i}", {"price": "Thỏa thuận", "area": ""}) for i in range(40)] + [("ok-0", good(1.25e9))])
    result = dg.materialize(ALL_DEFS, resources=resources, raise_on_error=False)
    assert not result.success
    quality = check_results(result)["silver_quality_share"]
    assert (quality.passed, quality.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert quality.metadata["passing_share"].value == 0.2  # 10 of 50
    assert quality.metadata["score_distribution"].value == {
        "0.0": 40,
        "0.2": 0,
        "0.4": 0,
        "0.6": 0,
        "0.8": 0,
        "1.0": 10,
    }
    assert quality.metadata["top_failed_rules"].value == {
        "area_missing": 40,
        "bedrooms_missing": 40,
        "city_missing": 40,
    }
    assert quality.metadata["pass_share_threshold"].value == 0.8
    assert materialized(result) == {"silver_real_estate", "data_quality_log"}
    assert {k: v for k, v in snapshot(conn).items() if k != "silver"} == gold_before
    assert by_id(conn, silver.SILVER_TABLE)["ok-0"]["price"] == 1.25e9

    # the threshold is run config: lowered, the check passes and gold catches up
    run_config = {"ops": {"silver_real_estate_silver_quality_share": {"config": {"pass_share": 0.2}}}}
    result = dg.materialize(ALL_DEFS, resources=resources, run_config=run_config)
    assert check_results(result)["silver_quality_share"].passed
    assert by_id(conn, gold.FEATURES_TABLE)["ok-0"]["price"] == 1.25e9


def test_one_quality_bar_for_the_silver_check_the_gold_asset_and_the_gold_check(conn, snowflake_resource, monkeypatch):
    """MEDALLION_MIN_QUALITY_SCORE is the one bar: set to 0.8, the silver gate counts listings at 0.8 and above,
    gold holds exactly those, and the gold check judges gold by the same bar (there is no run-config slot left
    that could say otherwise)."""
    monkeypatch.setenv("MEDALLION_MIN_QUALITY_SCORE", "0.8")
    no_bedrooms = {k: v for k, v in good(2e9).items() if k != "bedrooms"}  # 0.8
    at_0_6 = {k: v for k, v in good(3e9).items() if k not in ("bedrooms", "location")}  # 0.6
    add_bronze(conn, [("full", good(1e9)), ("no-bedrooms", no_bedrooms), ("at-0.6", at_0_6)])
    run_config = {"ops": {"silver_real_estate_silver_quality_share": {"config": {"pass_share": 0.5}}}}
    result = dg.materialize(ALL_DEFS, resources={"snowflake": snowflake_resource}, run_config=run_config)
    checks = check_results(result)
    assert result.success and all(c.passed for c in checks.values())
    assert sorted(by_id(conn, gold.FEATURES_TABLE)) == ["full", "no-bedrooms"]
    quality = checks["silver_quality_share"].metadata
    assert (quality["min_quality_score"].value, quality["passing_rows"].value, quality["silver_rows"].value) == (
        0.8,
        2,
        3,
    )
    trusted = checks["gold_from_trusted_silver"].metadata
    assert (trusted["min_quality_score"].value, trusted["population"].value, trusted["gold_rows"].value) == (0.8, 2, 2)
    features = next(e for e in result.get_asset_materialization_events() if e.asset_key.path == ["gold_ml_features"])
    assert features.materialization.metadata["min_quality_score"].value == 0.8
    # the run config has no threshold any more
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.materialize(
            ALL_DEFS,
            resources={"snowflake": snowflake_resource},
            run_config={"ops": {"silver_real_estate_silver_quality_share": {"config": {"min_quality_score": 0.2}}}},
        )


def test_gold_checks_catch_planted_problems(conn, snowflake_resource):
    add_bronze(conn, [("real", good(1e9)), ("weak", {"price": 2e9, "area": 80})])  # weak scores 0.4
    silver.refresh_silver(conn, "planted")
    gold.refresh_gold(conn)
    checks = {
        "trusted": gold_checks.gold_from_trusted_silver(snowflake=snowflake_resource),
        "unique": gold_checks.gold_ids_unique(snowflake=snowflake_resource),
        "consistent": gold_checks.gold_features_consistent(snowflake=snowflake_resource),
        "market": gold_checks.market_counts_add_up(snowflake=snowflake_resource),
        "trends": gold_checks.trend_counts_add_up(snowflake=snowflake_resource),
    }
    assert {name: c.passed for name, c in checks.items()} == dict.fromkeys(checks, True)

    conn.cursor().execute(  # a second 'real' with a wrong price_per_sqm and no categories, and 'weak' itself
        f"INSERT INTO {gold.FEATURES_TABLE} (id, price, price_per_sqm, area, is_high_value) "
        "SELECT 'real' AS id, 1e9 AS price, 1.0 AS price_per_sqm, 80 AS area, FALSE AS is_high_value "
        "UNION ALL SELECT 'weak' AS id, 2e9 AS price, 2.5e7 AS price_per_sqm, 80 AS area, FALSE AS is_high_value"
    )
    trusted = gold_checks.gold_from_trusted_silver(snowflake=snowflake_resource)
    assert not trusted.passed and trusted.metadata["not_qualifying"].value == 1
    unique = gold_checks.gold_ids_unique(snowflake=snowflake_resource)
    assert not unique.passed and unique.metadata["duplicate_rows"].value == 1
    consistent = gold_checks.gold_features_consistent(snowflake=snowflake_resource)
    assert not consistent.passed
    assert {
        k: consistent.metadata[k].value for k in ("bad_price_per_sqm", "bad_price_category", "bad_area_category")
    } == {"bad_price_per_sqm": 1, "bad_price_category": 2, "bad_area_category": 2}
    assert not gold_checks.market_counts_add_up(snowflake=snowflake_resource).passed
    assert gold_checks.trend_counts_add_up(snowflake=snowflake_resource).passed  # the planted rows have no date
    assert silver_checks.silver_ids_unique(snowflake=snowflake_resource).passed
    assert silver_checks.silver_reconciles_with_bronze(snowflake=snowflake_resource).passed


# --- the semantic views' checks -------------------------------------------------------------------------

VIEW_CHECKS = {
    "v_property_listings": semantic_checks.v_property_listings_matches_gold,
    "v_market_summary": semantic_checks.v_market_summary_matches_gold,
    "v_price_trends": semantic_checks.v_price_trends_matches_gold,
}


def run_view_checks(snowflake_resource) -> dict[str, dg.AssetCheckResult]:
    return {key: check(snowflake=snowflake_resource) for key, check in VIEW_CHECKS.items()}


def counts(result: dg.AssetCheckResult) -> tuple:
    return result.metadata["view_rows"].value, result.metadata["gold_rows"].value


def gold_population(conn) -> None:
    """GOLD_CASES through silver and gold: 9 listings, 4 market groups, 3 (city, month) trends; the views."""
    add_bronze(conn, [(key, gold_document(*case[:6])) for key, case in GOLD_CASES.items()])
    silver.refresh_silver(conn, "views")
    gold.refresh_gold(conn)
    semantic.refresh_views(conn)


def test_semantic_checks_pass_on_consistent_data_and_follow_gold(conn, snowflake_resource):
    gold_population(conn)
    result = dg.materialize(
        [semantic_assets.semantic_views, *VIEW_CHECKS.values(), semantic_checks.v_active_anomalies_matches_open_alerts],
        resources={"snowflake": snowflake_resource},
    )
    evaluations = check_results(result)
    assert {name: e.passed for name, e in evaluations.items()} == {
        "v_property_listings_matches_gold": True,
        "v_market_summary_matches_gold": True,
        "v_price_trends_matches_gold": True,
        "v_active_anomalies_matches_open_alerts": True,
    }
    assert evaluations["v_market_summary_matches_gold"].metadata["view_rows"].value == 4
    assert evaluations["v_active_anomalies_matches_open_alerts"].metadata["open_alerts"].value == 0
    checks = run_view_checks(snowflake_resource)
    assert {key: (c.passed, *counts(c)) for key, c in checks.items()} == {
        "v_property_listings": (True, 9, 9),
        "v_market_summary": (True, 4, 4),
        "v_price_trends": (True, 3, 3),
    }
    assert checks["v_market_summary"].description == "V_MARKET_SUMMARY shows 4 rows; gold_rows = 4"

    # The views are live: a gold row written or deleted directly shows in them at once, so the counts move
    # together and the checks still pass.
    conn.cursor().execute(
        f"INSERT INTO {gold.MARKET_TABLE} (city, district, property_type, total_listings) "
        "SELECT 'Huế' AS city, 'Unknown' AS district, 'Nhà' AS property_type, 1 AS total_listings"
    )
    conn.cursor().execute(f"DELETE FROM {gold.TRENDS_TABLE} WHERE year_month = '2025-02'")
    conn.cursor().execute(f"DELETE FROM {gold.FEATURES_TABLE} WHERE id = 'g9'")
    checks = run_view_checks(snowflake_resource)
    assert {key: (c.passed, *counts(c)) for key, c in checks.items()} == {
        "v_property_listings": (True, 8, 8),
        "v_market_summary": (True, 5, 5),
        "v_price_trends": (True, 2, 2),
    }


def snapshot_view(conn, view: str, gold_table: str) -> None:
    """Replace a view by a table holding its rows of now: an object under the view's name that no longer
    follows gold (as when someone 'speeds up' a view by materializing it by hand)."""
    conn.cursor().execute(f"DROP VIEW {view}")
    conn.cursor().execute(f"CREATE TABLE {view} AS SELECT * FROM {gold_table}")


def test_semantic_checks_fail_when_a_view_stops_following_gold(conn, snowflake_resource):
    gold_population(conn)
    market, trends = semantic.VIEWS["v_market_summary"][0], semantic.VIEWS["v_price_trends"][0]
    try:
        snapshot_view(conn, market, gold.MARKET_TABLE)
        snapshot_view(conn, trends, gold.TRENDS_TABLE)
        assert all(c.passed for c in run_view_checks(snowflake_resource).values())  # nothing changed yet

        # a gold market row added and a trend row removed behind the (no longer live) views' back
        conn.cursor().execute(
            f"INSERT INTO {gold.MARKET_TABLE} (city, district, property_type, total_listings) "
            "SELECT 'Huế' AS city, 'Unknown' AS district, 'Nhà' AS property_type, 1 AS total_listings"
        )
        conn.cursor().execute(f"DELETE FROM {gold.TRENDS_TABLE} WHERE year_month = '2025-02'")
        # and a second silver row for g1: the LEFT JOIN of V_PROPERTY_LISTINGS shows g1 twice
        conn.cursor().execute(
            f"INSERT INTO {silver.SILVER_TABLE} (id, price, data_quality_score) "
            "SELECT 'g1' AS id, 1e9 AS price, 1.0 AS data_quality_score"
        )
        checks = run_view_checks(snowflake_resource)
        assert {key: (c.passed, *counts(c), c.metadata["difference"].value) for key, c in checks.items()} == {
            "v_property_listings": (False, 10, 9, 1),
            "v_market_summary": (False, 4, 5, -1),
            "v_price_trends": (False, 3, 2, 1),
        }
        assert checks["v_property_listings"].metadata["duplicated_silver_ids"].value == 1
        assert all(c.severity == dg.AssetCheckSeverity.ERROR for c in checks.values())
        assert checks["v_price_trends"].description == "V_PRICE_TRENDS shows 3 rows; gold_rows = 2"
    finally:
        for view in (market, trends):
            conn.cursor().execute(f"DROP TABLE IF EXISTS {view}")
        semantic.refresh_views(conn)


def test_semantic_checks_fail_when_a_view_is_dropped(conn, snowflake_resource):
    gold_population(conn)
    try:
        for view, _, _ in semantic.VIEWS.values():
            conn.cursor().execute(f"DROP VIEW {view}")
        checks = {
            **run_view_checks(snowflake_resource),
            "v_active_anomalies": semantic_checks.v_active_anomalies_matches_open_alerts(snowflake=snowflake_resource),
        }
        for key, check in checks.items():
            name = semantic.VIEWS[key][0].rsplit(".", 1)[-1]
            assert not check.passed, key
            assert check.description.startswith(f"{name} cannot be queried"), check.description
            assert "does not exist" in check.description, check.description
            assert check.metadata["view_queryable"].value is False
        assert checks["v_property_listings"].metadata["gold_rows"].value == 9
        assert checks["v_active_anomalies"].metadata["open_alerts"].value == 0
    finally:
        semantic.refresh_views(conn)
    assert all(c.passed for c in run_view_checks(snowflake_resource).values())


# --- Snowflake semantics the embedded warehouse can show ------------------------------------------------


def test_a_null_id_in_silver_does_not_stop_deletes_from_gold(conn):
    add_bronze(conn, [("stays", good(1e9)), ("leaves", good(2e9))])
    silver.refresh_silver(conn, "null-id-1")
    gold.refresh_gold(conn)
    assert sorted(by_id(conn, gold.FEATURES_TABLE)) == ["leaves", "stays"]
    cursor = conn.cursor()
    cursor.execute(f"DELETE FROM {silver.SILVER_TABLE} WHERE id = 'leaves'")
    cursor.execute(  # a qualifying silver row without an id: NOT IN (subquery) would now match nothing
        f"INSERT INTO {silver.SILVER_TABLE} (id, price, area, data_quality_score, city) "
        "VALUES (NULL, 5e9, 80, 1.0, 'Hà Nội')"
    )
    gold.refresh_gold(conn)
    assert sorted(i for i in by_id(conn, gold.FEATURES_TABLE) if i is not None) == ["stays"]


def test_timestamps_are_stored_in_utc(conn):
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    add_bronze(conn, [("utc", good(1e9))])
    silver.refresh_silver(conn, "utc-1")
    gold.refresh_gold(conn)
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stamps = [
        by_id(conn, silver.SILVER_TABLE)["utc"]["processed_at"],
        by_id(conn, gold.FEATURES_TABLE)["utc"]["processed_at"],
    ]
    for stamp in stamps:
        assert before - dt.timedelta(seconds=2) <= stamp <= after + dt.timedelta(seconds=2), stamps


def test_views_keep_working_after_each_refresh(conn):
    add_bronze(conn, [("view", good(1e9))])
    silver.refresh_silver(conn, "views-1")
    gold.refresh_gold(conn)
    first = semantic.refresh_views(conn)
    second = semantic.refresh_views(conn)  # CREATE OR REPLACE VIEW ... COPY GRANTS, again
    assert first == second and first["v_property_listings"] == len(by_id(conn, gold.FEATURES_TABLE))
