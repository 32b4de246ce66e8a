"""Data-level tests of the synthetic source documents (no services needed).

The generator is deterministic, so the shares below are pinned to the exact counts seen
for seed 42 and 10,000 documents: a change to the generator has to update them on purpose.
The band each share is meant to fall in is checked on another seed's 10,000 documents, which
are not pinned (a band checked on the pinned sample could never fail).
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from medallion_assets.dev import synthetic
from medallion_assets.dev.synthetic import (
    UPDATED_SPREAD_DAYS,
    delete_plan,
    generate_listings,
    read_jsonl,
    reprice_document,
    reprice_plan,
)

NOW = datetime(2026, 11, 1, 6, 30, 0)
TOTAL = 10_000
REPO_ROOT = Path(__file__).resolve().parents[2]

KNOWN_CITIES = ("Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Khánh Hòa", "Bình Dương", "Đồng Nai")
PROPERTY_TYPES = ("Căn hộ", "Nhà", "Đất", "Biệt thự", "Khác")
STRUCTURED_KEYS = {
    "property_type",
    "price",
    "area",
    "bedrooms",
    "bathrooms",
    "location",
    "city",
    "district",
    "latitude",
    "longitude",
    "description",
    "posted_date",
    "source",
    "updated_at",
}
CRAWLED_KEYS = {
    "Link",
    "Tiêu đề",
    "Mức giá",
    "Diện tích",
    "Số phòng ngủ",
    "Số toilet",
    "Địa chỉ",
    "Huyện",
    "Latitude",
    "Longitude",
    "Ngày đăng",
    "updated_at",
}

# The documented "Mức giá" formats, written independently of the module.
_GROUPED = r"\d{1,3}(?:\.\d{3})*"
PRICE_FORMATS = {
    "tỷ": re.compile(rf"^{_GROUPED}(?:,\d{{1,2}})? tỷ$"),
    "triệu": re.compile(rf"^{_GROUPED} triệu$"),
    "triệu/m²": re.compile(rf"^{_GROUPED}(?:,\d{{1,2}})? triệu/m²$"),
    "negotiable": re.compile(r"^Thỏa thuận$"),
}
AREA_FORMAT = re.compile(rf"^{_GROUPED}(?:,\d)? m²$")
LINK_FORMAT = re.compile(r"^https://batdongsan\.com\.vn/(?P<category>[a-z0-9-]+)/[a-z0-9-]+-pr(?P<number>\d+)$")
TYPE_BY_LINK_PREFIX = (("ban-can-ho", "Căn hộ"), ("ban-nha", "Nhà"), ("ban-dat", "Đất"), ("ban-biet-thu", "Biệt thự"))


# --------------------------------------------------------------------------- helpers


def _price_unit(text: str) -> str | None:
    for unit, pattern in PRICE_FORMATS.items():
        if pattern.match(text.strip()):
            return unit
    return None


def _vn_number(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def _crawled_price_vnd(text: str) -> tuple[float, str] | None:
    """(value, unit) of a crawled price; value in VND, or VND per m² for 'triệu/m²'."""
    unit = _price_unit(text)
    if unit in (None, "negotiable"):
        return None
    number = text.strip().split(" ")[0]
    return _vn_number(number) * (1e9 if unit == "tỷ" else 1e6), unit


def _crawled_type(link: str) -> str:
    category = LINK_FORMAT.match(link)["category"]
    for prefix, property_type in TYPE_BY_LINK_PREFIX:
        if category.startswith(prefix):
            return property_type
    return "Khác"


def _expected_million_per_m2(district: str, property_type: str) -> float:
    median = {d.name: d.median_million_per_m2 for c in synthetic.CITIES for d in c.districts}[district]
    return median * synthetic.PROPERTY_TYPES[property_type].price_factor


def _price_ratios(structured: list[dict], crawled: list[dict]) -> list[float]:
    """Observed price per m² divided by the district/type median, wherever both are readable."""
    ratios = []
    for doc in structured:
        try:
            price, area = float(doc["price"]), float(doc["area"])
        except (KeyError, TypeError, ValueError):
            continue
        ratios.append(price / area / 1e6 / _expected_million_per_m2(doc["district"].strip(), doc["property_type"]))
    for doc in crawled:
        parsed = _crawled_price_vnd(doc["Mức giá"])
        district = doc.get("Huyện", "").strip()
        if parsed is None or not district:
            continue
        value, unit = parsed
        if unit != "triệu/m²":
            area_text = doc.get("Diện tích", "").replace("m²", "").strip()
            if not area_text:
                continue
            value /= _vn_number(area_text)
        ratios.append(value / 1e6 / _expected_million_per_m2(district, _crawled_type(doc["Link"])))
    return ratios


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return list(generate_listings(TOTAL, now=NOW))


@pytest.fixture(scope="module")
def structured(docs: list[dict]) -> list[dict]:
    return [doc for doc in docs if doc.get("source") == "structured"]


@pytest.fixture(scope="module")
def crawled(docs: list[dict]) -> list[dict]:
    return [doc for doc in docs if "Link" in doc]


class Sample(NamedTuple):
    docs: list[dict]
    structured: list[dict]
    crawled: list[dict]


@pytest.fixture(scope="module")
def other() -> Sample:
    """Another seed's documents, never pinned: the intended bands must hold beyond the pinned sample."""
    docs = list(generate_listings(TOTAL, random_seed=7, now=NOW))
    return Sample(
        docs, [doc for doc in docs if doc.get("source") == "structured"], [doc for doc in docs if "Link" in doc]
    )


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_documents():
    assert list(generate_listings(300, now=NOW)) == list(generate_listings(300, now=NOW))
    assert list(generate_listings(50, random_seed=7, now=NOW)) == list(generate_listings(50, random_seed=7, now=NOW))


def test_different_seed_gives_different_documents():
    first = list(generate_listings(200, random_seed=1, now=NOW))
    second = list(generate_listings(200, random_seed=2, now=NOW))
    assert sum(a != b for a, b in zip(first, second)) >= 190


def test_document_i_does_not_depend_on_count_or_start(docs):
    assert list(generate_listings(10, now=NOW)) == docs[:10]
    assert list(generate_listings(10, start_index=500, now=NOW)) == docs[500:510]
    assert list(generate_listings(1, start_index=9_999, now=NOW)) == docs[9_999:]


def test_documents_are_the_same_in_a_fresh_process_with_another_hash_seed():
    script = (
        "import json, datetime\n"
        "from medallion_assets.dev.synthetic import generate_listings\n"
        "docs = list(generate_listings(100, now=datetime.datetime(2026, 11, 1, 6, 30)))\n"
        "print(json.dumps(docs, default=str, sort_keys=True, ensure_ascii=False))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=60,
    )
    here = json.dumps(list(generate_listings(100, now=NOW)), default=str, sort_keys=True, ensure_ascii=False)
    assert result.stdout.strip() == here


def test_generator_leaves_global_random_state_alone():
    random.seed(99)
    expected = random.random()
    random.seed(99)
    list(generate_listings(50, now=NOW))
    assert random.random() == expected


def test_updated_at_spreads_over_the_past_days_in_whole_utc_seconds():
    # updated_at is the event time of a listing's first version: spread over the UPDATED_SPREAD_DAYS before
    # `now` so that a fresh pipeline's history and market pulse cover several days
    stamps = [doc["updated_at"] for doc in generate_listings(500, now=NOW)]
    assert all(NOW - timedelta(days=UPDATED_SPREAD_DAYS) < stamp <= NOW for stamp in stamps)
    assert all(stamp.microsecond == 0 for stamp in stamps)
    assert {(NOW - stamp).days for stamp in stamps} == set(range(UPDATED_SPREAD_DAYS))
    # its own random stream: the same per seed and index, another seed moves it, the other fields stay
    assert [doc["updated_at"] for doc in generate_listings(20, start_index=100, now=NOW)] == stamps[100:120]
    assert [doc["updated_at"] for doc in generate_listings(20, random_seed=7, now=NOW)] != stamps[:20]
    flat = list(generate_listings(20, now=NOW, spread_days=0))
    assert all(doc["updated_at"] == NOW for doc in flat)
    assert [{**doc, "updated_at": None} for doc in flat] == [
        {**doc, "updated_at": None} for doc in generate_listings(20, now=NOW)
    ]
    with pytest.raises(ValueError):
        list(generate_listings(1, now=NOW, spread_days=-1))
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    stamp = next(iter(generate_listings(1, spread_days=0)))["updated_at"]
    assert stamp.tzinfo is None and stamp.microsecond == 0
    assert before <= stamp <= before + timedelta(seconds=5)


def test_negative_arguments_are_rejected():
    with pytest.raises(ValueError):
        generate_listings(-1)
    with pytest.raises(ValueError):
        generate_listings(1, start_index=-1)


# --------------------------------------------------------------------------- shapes and shares


def _count_negotiable(structured: list[dict], crawled: list[dict]) -> tuple[int, int]:
    return (
        sum(doc.get("price") is None for doc in structured),
        sum(doc["Mức giá"].strip() == "Thỏa thuận" for doc in crawled),
    )


def _count_per_m2(crawled: list[dict]) -> int:
    return sum(doc["Mức giá"].strip().endswith("triệu/m²") for doc in crawled)


def _count_outliers(structured: list[dict], crawled: list[dict]) -> int:
    return sum(ratio > 10 or ratio < 0.1 for ratio in _price_ratios(structured, crawled))


def _count_blank(structured: list[dict], crawled: list[dict]) -> tuple[int, int]:
    blank_structured = sum(
        any(doc.get(key, "") == "" for key in ("bedrooms", "location", "area", "city")) for doc in structured
    )
    # a deleted "Số phòng ngủ" looks like a land listing, so only the empty one is countable
    blank_crawled = sum(
        any(doc.get(key, "") == "" for key in ("Địa chỉ", "Diện tích", "Huyện")) or doc.get("Số phòng ngủ") == ""
        for doc in crawled
    )
    return blank_structured, blank_crawled


def _wrong_types(structured: list[dict]) -> list[tuple[str, str]]:
    return [
        (key, doc[key])
        for doc in structured
        for key in ("bedrooms", "bathrooms", "area", "price")
        if isinstance(doc.get(key), str) and doc[key] != ""
    ]


def _count_padded(docs: list[dict]) -> int:
    return sum(
        any(isinstance(value, str) and value and value != value.strip() for value in doc.values()) for doc in docs
    )


def test_shape_split(structured, crawled, other):
    assert len(structured) + len(crawled) == TOTAL
    assert len(structured) == 5_981
    assert 5_800 <= len(other.structured) <= 6_200  # intended 60%


def test_documents_carry_only_the_documented_keys(structured, crawled):
    assert all(set(doc) <= STRUCTURED_KEYS for doc in structured)
    assert all(set(doc) <= CRAWLED_KEYS for doc in crawled)
    assert all("_id" not in doc for doc in structured + crawled)
    for doc in crawled:
        assert all(isinstance(value, str) for key, value in doc.items() if key != "updated_at"), doc


def test_negotiable_share(structured, crawled, other):
    structured_negotiable, crawled_negotiable = _count_negotiable(structured, crawled)
    assert (structured_negotiable, crawled_negotiable) == (290, 200)
    assert 400 <= sum(_count_negotiable(other.structured, other.crawled)) <= 600  # intended 5%
    # structured negotiable listings: about half without the key, half with None
    assert 0 < sum("price" not in doc for doc in structured) < structured_negotiable


def test_per_m2_price_share(crawled, other):
    assert _count_per_m2(crawled) == 80
    assert 0.01 * len(other.crawled) <= _count_per_m2(other.crawled) <= 0.035 * len(other.crawled)  # intended 2%


def test_outlier_share(structured, crawled, other):
    assert _count_outliers(structured, crawled) == 15  # 16 were made; one has no area, so it cannot be seen
    assert 8 <= _count_outliers(other.structured, other.crawled) <= 40  # intended 0.2%
    ordinary = [ratio for ratio in _price_ratios(structured, crawled) if 0.1 <= ratio <= 10]
    assert 0.8 <= statistics.median(ordinary) <= 1.2
    assert min(ordinary) > 0.15 and max(ordinary) < 6  # ×50 / ÷50 are far outside the normal spread


def test_blank_field_share(structured, crawled, other):
    assert _count_blank(structured, crawled) == (461, 291)
    assert 600 <= sum(_count_blank(other.structured, other.crawled)) <= 1_000  # intended 8%


def test_wrong_types_are_numbers_as_text(structured, other):
    wrong = _wrong_types(structured)
    assert len(wrong) == 66
    assert 20 <= len(_wrong_types(other.structured)) <= 150  # intended about 1% of structured
    assert all(float(value) >= 0 for _, value in wrong)
    assert {key for key, _ in wrong} == {"bedrooms", "bathrooms", "area", "price"}


def test_padded_text_share(docs, other):
    assert _count_padded(docs) == 517
    assert 350 <= _count_padded(other.docs) <= 700  # intended 5%


# --------------------------------------------------------------------------- realism


def test_every_crawled_price_matches_a_documented_format(crawled):
    units = [_price_unit(doc["Mức giá"]) for doc in crawled]
    assert None not in units, [doc["Mức giá"] for doc in crawled if _price_unit(doc["Mức giá"]) is None][:5]
    assert {"tỷ", "triệu", "triệu/m²", "negotiable"} == set(units)
    # large prices written in millions with a thousands dot, as in "1.200 triệu"
    assert any(re.match(r"^\d\.\d{3} triệu$", doc["Mức giá"].strip()) for doc in crawled)
    assert any("," in doc["Mức giá"] for doc in crawled)


def test_crawled_numbers_use_vietnamese_formats(crawled):
    areas = [doc["Diện tích"].strip() for doc in crawled if doc.get("Diện tích", "").strip()]
    assert all(AREA_FORMAT.match(area) for area in areas)
    assert any("," in area for area in areas) and any("." in area for area in areas)
    for doc in crawled:
        for key in ("Số phòng ngủ", "Số toilet"):
            if doc.get(key):
                assert re.match(r"^\d+ phòng$", doc[key].strip())
        datetime.strptime(doc["Ngày đăng"], "%d/%m/%Y")
        assert 8 < float(doc["Latitude"]) < 24 and 102 < float(doc["Longitude"]) < 110


def test_every_crawled_address_ends_with_a_known_city(crawled):
    addresses = [doc["Địa chỉ"].strip() for doc in crawled if doc.get("Địa chỉ", "").strip()]
    assert len(addresses) > 0.9 * len(crawled)
    for address in addresses:
        assert address.split(",")[-1].strip() in KNOWN_CITIES, address
        assert len(address.split(",")) >= 3


def test_crawled_links_map_to_property_types(crawled):
    numbers = []
    for doc in crawled:
        match = LINK_FORMAT.match(doc["Link"])
        assert match, doc["Link"]
        numbers.append(match["number"])
        district = doc.get("Huyện", "").strip()
        if district:
            assert match["category"].endswith("-" + synthetic._slugify(district))
    assert len(set(numbers)) == len(numbers)
    seen = {_crawled_type(doc["Link"]) for doc in crawled}
    assert seen == set(PROPERTY_TYPES)
    categories = {LINK_FORMAT.match(doc["Link"])["category"] for doc in crawled}
    assert any(category.startswith("cho-thue-") for category in categories)


def test_structured_values_are_plausible(structured):
    window_start = datetime(2024, 10, 31)
    for doc in structured:
        assert doc["property_type"] in PROPERTY_TYPES
        assert doc["source"] == "structured"
        assert window_start <= doc["posted_date"] < datetime(2026, 10, 31)
        assert doc["posted_date"].time() == datetime.min.time()
        assert 8 < doc["latitude"] < 24 and 102 < doc["longitude"] < 110
        if isinstance(doc.get("price"), (int, float)):
            assert doc["price"] > 0
    assert {type(doc["price"]) for doc in structured if doc.get("price") is not None} == {int, float, str}


def test_cities_are_weighted_toward_hcmc_and_hanoi(structured):
    cities = [doc["city"].strip() for doc in structured if doc.get("city", "").strip()]
    assert set(cities) == set(KNOWN_CITIES)
    counts = {city: cities.count(city) for city in KNOWN_CITIES}
    top_two = sorted(counts, key=counts.get, reverse=True)[:2]
    assert set(top_two) == {"Hồ Chí Minh", "Hà Nội"}
    assert counts["Hồ Chí Minh"] + counts["Hà Nội"] > 0.6 * len(cities)


def test_central_districts_cost_more_per_m2(structured):
    def median_per_m2(district: str) -> float:
        values = []
        for doc in structured:
            try:
                if doc["district"].strip() == district:
                    values.append(float(doc["price"]) / float(doc["area"]) / 1e6)
            except (KeyError, TypeError, ValueError):
                continue
        return statistics.median(values)

    assert median_per_m2("Quận 1") > 3 * median_per_m2("Bình Chánh")
    assert median_per_m2("Hoàn Kiếm") > 2 * median_per_m2("Hà Đông")


def test_areas_and_bedrooms_follow_property_type(structured):
    def areas(property_type: str) -> list[float]:
        return [
            float(doc["area"])
            for doc in structured
            if doc["property_type"] == property_type and doc.get("area") not in (None, "")
        ]

    apartments = areas("Căn hộ")
    assert 50 <= statistics.median(apartments) <= 120
    assert statistics.median(areas("Đất")) > statistics.median(apartments)
    mean_area_by_bedrooms = {
        beds: statistics.mean(
            float(doc["area"])
            for doc in structured
            if doc["property_type"] == "Căn hộ" and doc.get("bedrooms") == beds and doc.get("area") not in (None, "")
        )
        for beds in (1, 2, 3)
    }
    assert mean_area_by_bedrooms[1] < mean_area_by_bedrooms[2] < mean_area_by_bedrooms[3]


# --------------------------------------------------------------------------- change plans


IDS = [f"6650{n:020x}" for n in range(500)]


@pytest.mark.parametrize(
    ("make", "plan_ids"),
    [
        (reprice_plan, lambda plan: [identifier for identifier, _ in plan]),
        (delete_plan, lambda plan: plan),
    ],
    ids=["reprice_plan", "delete_plan"],
)
def test_plans_are_deterministic_distinct_sized_and_order_free(make, plan_ids):
    shuffled = IDS[:]
    random.Random(5).shuffle(shuffled)
    first = make(IDS, 40)
    assert first == make(IDS, 40)
    assert first == make(shuffled, 40)
    assert first == make(list(reversed(IDS)) + IDS[:10], 40)  # duplicates collapse
    chosen = plan_ids(first)
    assert len(chosen) == 40 == len(set(chosen))
    assert set(chosen) <= set(IDS)
    assert plan_ids(make(IDS, 40, random_seed=43)) != chosen
    assert make(IDS, 0) == []
    with pytest.raises(ValueError):
        make(IDS[:5], 6)


def test_reprice_factors_are_in_range_and_never_one():
    factors = [factor for _, factor in reprice_plan(IDS, 500)]
    assert all(0.8 <= factor <= 1.25 and abs(factor - 1.0) >= 0.01 for factor in factors)
    assert min(factors) < 0.9 and max(factors) > 1.15


def test_delete_and_reprice_use_different_selections():
    repriced = [identifier for identifier, _ in reprice_plan(IDS, 40)]
    assert delete_plan(IDS, 40) != repriced


def test_plans_accept_object_ids_and_ints():
    bson = pytest.importorskip("bson")
    object_ids = [bson.ObjectId(f"{n:024x}") for n in range(1, 60)]
    assert reprice_plan(object_ids, 5) == reprice_plan(list(reversed(object_ids)), 5)
    assert delete_plan(list(range(100)), 3) == delete_plan(list(range(99, -1, -1)), 3)


# --------------------------------------------------------------------------- reprice_document


@pytest.mark.parametrize(
    ("price", "factor", "expected"),
    [
        ("3,5 tỷ", 1.1, "3,85 tỷ"),
        (" 3,5 tỷ  ", 0.9, "3,15 tỷ"),
        ("3,5 tỷ", 1.001, "3,51 tỷ"),  # too small to show at this precision: moves one step
        ("12,5 tỷ", 1.2, "15 tỷ"),
        ("850 triệu", 1.2, "1.020 triệu"),
        ("1.200 triệu", 0.9, "1.080 triệu"),
        ("50 triệu/m²", 0.9, "45 triệu/m²"),
        ("52,4 triệu/m²", 1.1, "57,6 triệu/m²"),
    ],
)
def test_reprice_crawled_keeps_the_unit(price, factor, expected):
    update = reprice_document(
        {"Link": "https://batdongsan.com.vn/ban-nha-rieng-quan-5/x-pr1", "Mức giá": price}, factor, now=NOW
    )
    assert update == {"$set": {"Mức giá": expected, "updated_at": NOW}}


def test_reprice_gives_negotiable_listings_a_concrete_price():
    crawled_update = reprice_document(
        {"Link": "x", "Mức giá": "Thỏa thuận", "Huyện": "Quận 1", "Diện tích": "100 m²"}, 1.1, now=NOW
    )
    assert crawled_update["$set"]["Mức giá"] == "25,3 tỷ"  # 230 triệu/m² × 100 m² × 1.1
    blank_update = reprice_document({"Link": "x", "Mức giá": ""}, 0.9, now=NOW)
    assert _price_unit(blank_update["$set"]["Mức giá"]) in ("tỷ", "triệu")
    for doc in (
        {"source": "structured", "district": "Quận 7", "area": 80.0},
        {"source": "structured", "price": None, "area": "", "city": "Hà Nội"},
    ):
        price = reprice_document(doc, 1.05, now=NOW)["$set"]["price"]
        assert isinstance(price, int) and price > 100_000_000


def test_reprice_structured_multiplies_the_price():
    assert reprice_document({"source": "structured", "price": 3_500_000_000}, 1.1, now=NOW) == {
        "$set": {"price": 3_850_000_000, "updated_at": NOW}
    }
    assert reprice_document({"source": "structured", "price": 2.0e9}, 0.85, now=NOW)["$set"]["price"] == 1_700_000_000
    assert (
        reprice_document({"source": "structured", "price": "3500000000"}, 1.2, now=NOW)["$set"]["price"]
        == 4_200_000_000
    )


def test_reprice_changes_the_price_of_every_generated_document(docs):
    for doc, (_, factor) in zip(docs[:3_000], reprice_plan(list(range(3_000)), 3_000)):
        update = reprice_document(doc, factor, now=NOW)["$set"]
        assert update["updated_at"] == NOW
        if "Link" in doc:
            assert set(update) == {"Mức giá", "updated_at"}
            new, old = update["Mức giá"], doc["Mức giá"].strip()
            assert new != old
            old_unit, new_unit = _price_unit(old), _price_unit(new)
            assert new_unit in ("tỷ", "triệu", "triệu/m²")
            if old_unit != "negotiable":
                assert new_unit == old_unit
                ratio = _crawled_price_vnd(new)[0] / _crawled_price_vnd(old)[0]
                assert abs(ratio - factor) < 0.06
        else:
            assert set(update) == {"price", "updated_at"}
            assert isinstance(update["price"], int) and update["price"] > 0
            assert update["price"] != doc.get("price")


def test_reprice_rejects_non_positive_factor():
    with pytest.raises(ValueError):
        reprice_document({"price": 1}, 0)


# --------------------------------------------------------------------------- read_jsonl


def test_read_jsonl_keeps_good_lines_and_reports_bad_ones(tmp_path):
    lines = [
        json.dumps(
            {"Link": "https://batdongsan.com.vn/ban-dat-quan-7/a-pr1", "Ngày đăng": "01/02/2026"}, ensure_ascii=False
        ),
        "",
        '{"price": 1.5e9, "posted_date": "2026-01-02T00:00:00"}',
        "{not json",
        "[1, 2, 3]",
        '"just a string"',
        "   ",
        '{"area": 75.5}',
        '{"truncated": ',
    ]
    path = tmp_path / "listings.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\n\xff\xfe\n")

    documents, errors = read_jsonl(path)

    assert documents == [
        {"Link": "https://batdongsan.com.vn/ban-dat-quan-7/a-pr1", "Ngày đăng": "01/02/2026"},
        {"price": 1.5e9, "posted_date": "2026-01-02T00:00:00"},
        {"area": 75.5},
    ]
    assert [number for number, _ in errors] == [4, 5, 6, 9, 10]
    reasons = dict(errors)
    assert reasons[4].startswith("invalid JSON")
    assert reasons[5] == "not a JSON object: got array"
    assert reasons[6] == "not a JSON object: got string"
    assert reasons[10].startswith("not valid UTF-8")


def test_read_jsonl_round_trips_generated_documents(tmp_path):
    originals = list(generate_listings(50, now=NOW))
    path = tmp_path / "generated.jsonl"
    path.write_text(
        "\n".join(json.dumps(doc, default=str, ensure_ascii=False) for doc in originals) + "\n", encoding="utf-8"
    )
    documents, errors = read_jsonl(str(path))
    assert errors == []
    assert len(documents) == 50
    assert documents[0]["updated_at"] == str(originals[0]["updated_at"])  # dates stay strings
