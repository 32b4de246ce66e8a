"""Deterministic synthetic source documents, shaped like a crawl of Vietnamese listing sites.

Why: local runs and tests need realistic MongoDB source data without network access,
and they need the *same* data every time so that counts downstream can be asserted.
Every document is built from its own random stream seeded by ``"{seed}:{index}"``,
so document ``i`` never depends on how many documents were asked for, and nothing
here touches the global random state. The only non-deterministic value is
``updated_at`` when the caller does not pass ``now``.

Two shapes are produced, as the real sources give them:

* structured records with English keys and typed values (``source == "structured"``);
* crawled listing pages with Vietnamese keys and every value a string
  (prices such as ``"3,5 tỷ"``, ``"850 triệu"``, ``"50 triệu/m²"``, ``"Thỏa thuận"``).

Both carry deterministic "mess" (missing or blank fields, wrong types, padded text,
negotiable prices, per-m² prices, rare extreme outliers) for the warehouse to clean.
Parsing those formats is the warehouse's job, not this module's.
"""

from __future__ import annotations

import json
import math
import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from os import PathLike
from typing import Any, NamedTuple

__all__ = [
    "CITIES",
    "LINK_CATEGORIES",
    "PROPERTY_TYPES",
    "REFERENCE_DATE",
    "generate_listings",
    "reprice_plan",
    "delete_plan",
    "reprice_document",
    "read_jsonl",
]


# --------------------------------------------------------------------------- data tables


class District(NamedTuple):
    """A district with its own price level (median million VND per m² for a house) and centre."""

    name: str
    median_million_per_m2: float
    latitude: float
    longitude: float
    wards: tuple[str, ...]


class City(NamedTuple):
    """A city/province: how often it appears, its word for an alley, real streets, districts."""

    name: str
    weight: float
    alley_word: str
    streets: tuple[str, ...]
    districts: tuple[District, ...]


class PropertyProfile(NamedTuple):
    """Per property type: share of listings, log-normal area (median m², sigma, bounds), price factor."""

    weight: float
    area_median_m2: float
    area_sigma: float
    area_min_m2: float
    area_max_m2: float
    price_factor: float  # multiplies the district's median price per m²


CITIES: tuple[City, ...] = (
    City(
        "Hồ Chí Minh",
        0.38,
        "Hẻm",
        (
            "Nguyễn Trãi",
            "Lê Lợi",
            "Nguyễn Huệ",
            "Điện Biên Phủ",
            "Cách Mạng Tháng Tám",
            "Võ Văn Kiệt",
            "Nguyễn Văn Linh",
            "Phan Xích Long",
            "Nguyễn Hữu Thọ",
            "Cộng Hòa",
            "Hoàng Văn Thụ",
            "Quang Trung",
            "Nguyễn Thị Minh Khai",
            "Lý Thường Kiệt",
        ),
        (
            District(
                "Quận 1",
                230.0,
                10.7756,
                106.7019,
                ("Phường Bến Nghé", "Phường Bến Thành", "Phường Đa Kao", "Phường Tân Định"),
            ),
            District("Quận 3", 180.0, 10.7843, 106.6844, ("Phường Võ Thị Sáu", "Phường 9", "Phường 12")),
            District("Quận 5", 150.0, 10.7540, 106.6634, ("Phường 2", "Phường 5", "Phường 11")),
            District(
                "Quận 7",
                85.0,
                10.7340,
                106.7219,
                ("Phường Tân Phong", "Phường Tân Hưng", "Phường Phú Mỹ", "Phường Tân Thuận Đông"),
            ),
            District("Quận 10", 140.0, 10.7729, 106.6677, ("Phường 12", "Phường 14", "Phường 15")),
            District("Bình Thạnh", 115.0, 10.8106, 106.7091, ("Phường 19", "Phường 22", "Phường 25")),
            District("Phú Nhuận", 130.0, 10.7991, 106.6803, ("Phường 7", "Phường 9", "Phường 15")),
            District("Gò Vấp", 70.0, 10.8387, 106.6653, ("Phường 5", "Phường 10", "Phường 17")),
            District("Tân Bình", 100.0, 10.8015, 106.6527, ("Phường 2", "Phường 4", "Phường 13")),
            District(
                "Thủ Đức",
                60.0,
                10.8494,
                106.7537,
                ("Phường Thảo Điền", "Phường An Phú", "Phường Linh Trung", "Phường Hiệp Bình Chánh"),
            ),
            District("Bình Chánh", 35.0, 10.6875, 106.5946, ("Xã Vĩnh Lộc A", "Xã Bình Hưng", "Thị trấn Tân Túc")),
            District("Nhà Bè", 40.0, 10.6952, 106.7046, ("Xã Phước Kiển", "Xã Nhơn Đức")),
        ),
    ),
    City(
        "Hà Nội",
        0.30,
        "Ngõ",
        (
            "Kim Mã",
            "Láng",
            "Giải Phóng",
            "Trần Duy Hưng",
            "Xuân Thủy",
            "Lạc Long Quân",
            "Tôn Đức Thắng",
            "Minh Khai",
            "Nguyễn Văn Cừ",
            "Nguyễn Trãi",
            "Hoàng Quốc Việt",
            "Phạm Văn Đồng",
            "Đội Cấn",
            "Bạch Mai",
        ),
        (
            District(
                "Hoàn Kiếm", 250.0, 21.0288, 105.8525, ("Phường Hàng Bạc", "Phường Tràng Tiền", "Phường Hàng Trống")
            ),
            District("Ba Đình", 200.0, 21.0341, 105.8142, ("Phường Kim Mã", "Phường Ngọc Hà", "Phường Liễu Giai")),
            District("Đống Đa", 170.0, 21.0181, 105.8294, ("Phường Láng Hạ", "Phường Ô Chợ Dừa", "Phường Kim Liên")),
            District(
                "Hai Bà Trưng", 160.0, 21.0058, 105.8578, ("Phường Bạch Mai", "Phường Minh Khai", "Phường Vĩnh Tuy")
            ),
            District("Cầu Giấy", 150.0, 21.0362, 105.7906, ("Phường Dịch Vọng", "Phường Nghĩa Đô", "Phường Yên Hòa")),
            District(
                "Thanh Xuân",
                130.0,
                20.9936,
                105.8115,
                ("Phường Khương Trung", "Phường Nhân Chính", "Phường Thượng Đình"),
            ),
            District("Tây Hồ", 160.0, 21.0702, 105.8189, ("Phường Quảng An", "Phường Xuân La", "Phường Nhật Tân")),
            District("Hoàng Mai", 90.0, 20.9747, 105.8635, ("Phường Định Công", "Phường Hoàng Liệt", "Phường Đại Kim")),
            District("Long Biên", 85.0, 21.0466, 105.8885, ("Phường Bồ Đề", "Phường Ngọc Lâm", "Phường Việt Hưng")),
            District("Hà Đông", 70.0, 20.9714, 105.7788, ("Phường Văn Quán", "Phường Mộ Lao", "Phường Dương Nội")),
            District(
                "Nam Từ Liêm", 100.0, 21.0175, 105.7628, ("Phường Mỹ Đình 1", "Phường Mỹ Đình 2", "Phường Cầu Diễn")
            ),
        ),
    ),
    City(
        "Đà Nẵng",
        0.08,
        "Kiệt",
        (
            "Bạch Đằng",
            "Võ Nguyên Giáp",
            "Nguyễn Văn Linh",
            "Lê Duẩn",
            "Hoàng Sa",
            "Trường Chinh",
            "Điện Biên Phủ",
            "Ngô Quyền",
        ),
        (
            District(
                "Hải Châu",
                110.0,
                16.0471,
                108.2199,
                ("Phường Thạch Thang", "Phường Hòa Cường Bắc", "Phường Phước Ninh"),
            ),
            District("Sơn Trà", 90.0, 16.0760, 108.2410, ("Phường An Hải Bắc", "Phường Phước Mỹ", "Phường Mân Thái")),
            District("Ngũ Hành Sơn", 70.0, 16.0000, 108.2530, ("Phường Mỹ An", "Phường Khuê Mỹ", "Phường Hòa Hải")),
            District("Thanh Khê", 75.0, 16.0639, 108.1880, ("Phường Thạc Gián", "Phường An Khê", "Phường Chính Gián")),
            District("Liên Chiểu", 40.0, 16.0717, 108.1503, ("Phường Hòa Khánh Bắc", "Phường Hòa Minh")),
            District("Cẩm Lệ", 45.0, 16.0155, 108.1986, ("Phường Hòa Xuân", "Phường Khuê Trung")),
        ),
    ),
    City(
        "Hải Phòng",
        0.06,
        "Ngõ",
        ("Lạch Tray", "Lê Hồng Phong", "Trần Phú", "Văn Cao", "Tô Hiệu", "Điện Biên Phủ"),
        (
            District("Ngô Quyền", 80.0, 20.8561, 106.6989, ("Phường Lạch Tray", "Phường Đằng Giang", "Phường Máy Tơ")),
            District(
                "Lê Chân", 70.0, 20.8479, 106.6727, ("Phường An Biên", "Phường Trần Nguyên Hãn", "Phường Dư Hàng Kênh")
            ),
            District(
                "Hồng Bàng", 75.0, 20.8628, 106.6750, ("Phường Hoàng Văn Thụ", "Phường Minh Khai", "Phường Thượng Lý")
            ),
            District("Hải An", 45.0, 20.8285, 106.7362, ("Phường Đằng Lâm", "Phường Đông Hải 1", "Phường Cát Bi")),
        ),
    ),
    City(
        "Bình Dương",
        0.06,
        "Hẻm",
        ("Yersin", "Nguyễn Văn Tiết", "Lê Hồng Phong", "Nguyễn An Ninh", "Phú Lợi", "Cách Mạng Tháng Tám"),
        (
            District(
                "Thủ Dầu Một", 35.0, 10.9804, 106.6519, ("Phường Phú Cường", "Phường Hiệp Thành", "Phường Phú Hòa")
            ),
            District("Thuận An", 40.0, 10.9233, 106.7137, ("Phường Lái Thiêu", "Phường An Phú", "Phường Bình Hòa")),
            District("Dĩ An", 40.0, 10.9068, 106.7690, ("Phường Dĩ An", "Phường Đông Hòa", "Phường Tân Bình")),
            District("Bến Cát", 15.0, 11.1500, 106.5950, ("Phường Mỹ Phước", "Phường Thới Hòa")),
        ),
    ),
    City(
        "Đồng Nai",
        0.05,
        "Hẻm",
        ("Phạm Văn Thuận", "Đồng Khởi", "Võ Thị Sáu", "Nguyễn Ái Quốc", "Lê Duẩn", "Tôn Đức Thắng"),
        (
            District("Biên Hòa", 35.0, 10.9574, 106.8429, ("Phường Tân Hiệp", "Phường Trảng Dài", "Phường Quang Vinh")),
            District("Long Thành", 20.0, 10.7800, 106.9500, ("Thị trấn Long Thành", "Xã An Phước", "Xã Long Đức")),
            District("Nhơn Trạch", 18.0, 10.7000, 106.8900, ("Xã Phú Hội", "Xã Long Tân", "Thị trấn Hiệp Phước")),
        ),
    ),
    City(
        "Cần Thơ",
        0.04,
        "Hẻm",
        ("30 Tháng 4", "Nguyễn Văn Cừ", "Trần Hưng Đạo", "Mậu Thân", "Hòa Bình"),
        (
            District("Ninh Kiều", 60.0, 10.0339, 105.7808, ("Phường Tân An", "Phường An Hòa", "Phường Xuân Khánh")),
            District("Bình Thủy", 30.0, 10.0710, 105.7430, ("Phường Bình Thủy", "Phường An Thới", "Phường Trà Nóc")),
            District("Cái Răng", 30.0, 9.9986, 105.7829, ("Phường Hưng Phú", "Phường Lê Bình", "Phường Ba Láng")),
        ),
    ),
    City(
        "Khánh Hòa",
        0.03,
        "Hẻm",
        ("Trần Phú", "Phạm Văn Đồng", "23 Tháng 10", "Lê Hồng Phong", "Nguyễn Thiện Thuật"),
        (
            District("Nha Trang", 70.0, 12.2388, 109.1967, ("Phường Lộc Thọ", "Phường Vĩnh Hòa", "Phường Phước Hải")),
            District("Cam Ranh", 25.0, 11.9214, 109.1591, ("Phường Cam Nghĩa", "Phường Cam Lộc", "Phường Cam Phú")),
            District("Diên Khánh", 20.0, 12.2580, 109.0962, ("Thị trấn Diên Khánh", "Xã Diên An")),
        ),
    ),
)

PROPERTY_TYPES: dict[str, PropertyProfile] = {
    "Căn hộ": PropertyProfile(0.40, 75.0, 0.30, 25.0, 300.0, 0.60),
    "Nhà": PropertyProfile(0.30, 65.0, 0.45, 20.0, 600.0, 1.00),
    "Đất": PropertyProfile(0.18, 120.0, 0.60, 30.0, 5000.0, 0.90),
    "Biệt thự": PropertyProfile(0.05, 250.0, 0.35, 100.0, 1500.0, 1.10),
    "Khác": PropertyProfile(0.07, 150.0, 0.80, 20.0, 5000.0, 0.50),
}

# First path segment of a crawled "Link" per property type (the warehouse maps prefixes back).
LINK_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Căn hộ": ("ban-can-ho-chung-cu",),
    "Nhà": ("ban-nha-rieng", "ban-nha-mat-pho"),
    "Đất": ("ban-dat", "ban-dat-nen-du-an"),
    "Biệt thự": ("ban-biet-thu-lien-ke",),
    "Khác": ("cho-thue-can-ho-chung-cu", "cho-thue-nha-rieng", "ban-kho-nha-xuong", "ban-loai-bat-dong-san-khac"),
}

REFERENCE_DATE = date(2026, 10, 31)  # posted dates fall in the two years before this day
POSTING_WINDOW_DAYS = 730
PRICE_SIGMA = 0.30  # log-normal spread of price per m² around the district median

STRUCTURED_SHARE = 0.60
NEGOTIABLE_SHARE = 0.05  # of all documents
PER_M2_SHARE = 0.02  # of crawled documents (only that shape can state a price per m²)
IN_MILLIONS_SHARE = 0.05  # crawled prices of 1-10 tỷ written as "1.200 triệu"
OUTLIER_SHARE = 0.002
OUTLIER_FACTOR = 50
BLANK_FIELDS_SHARE = 0.08
WRONG_TYPE_SHARE = 0.01  # of structured documents
PADDED_SHARE = 0.05
FLOAT_PRICE_SHARE = 0.25  # structured prices stored as float rather than int

NEGOTIABLE_TEXT = "Thỏa thuận"
LISTING_SITE = "https://batdongsan.com.vn"

_STRUCTURED_BLANKABLE = ("bedrooms", "location", "area", "city")
_CRAWLED_BLANKABLE = ("Số phòng ngủ", "Địa chỉ", "Diện tích", "Huyện")
_STRUCTURED_RETYPABLE = ("bedrooms", "bathrooms", "area", "price")
_STRUCTURED_PADDABLE = ("location", "city", "district", "description")
_CRAWLED_PADDABLE = ("Tiêu đề", "Mức giá", "Diện tích", "Địa chỉ", "Huyện")

_DISTRICTS_BY_NAME: dict[str, District] = {d.name: d for c in CITIES for d in c.districts}
_DEFAULT_MEDIAN_MILLION_PER_M2 = 60.0
_DEFAULT_AREA_M2 = 70.0

_FEATURES = (
    "Nội thất đầy đủ, view thoáng",
    "Sổ hồng riêng, sang tên ngay",
    "Gần chợ, trường học, bệnh viện",
    "Ban công hướng Đông Nam, đón gió",
    "Hỗ trợ vay ngân hàng 70%",
    "Khu dân cư an ninh, yên tĩnh",
    "Pháp lý rõ ràng, công chứng trong ngày",
    "Đường trước nhà ô tô tránh nhau",
)
_CONTACTS = ("Liên hệ chính chủ.", "Miễn trung gian.", "Xem nhà bất cứ lúc nào.", "Giá còn thương lượng.")


class _Listing(NamedTuple):
    """The clean facts of one listing, before it is rendered into a source shape."""

    property_type: str
    city: City
    district: District
    ward: str | None
    street: str
    street_address: str
    area: float
    bedrooms: int
    bathrooms: int
    price_million_per_m2: float
    latitude: float
    longitude: float
    posted: date


# --------------------------------------------------------------------------- public API


def generate_listings(
    count: int,
    random_seed: int = 42,
    start_index: int = 0,
    *,
    now: datetime | None = None,
) -> Iterator[dict]:
    """Yield ``count`` source documents (indices ``start_index`` ..), reproducible per index.

    Why per-index seeding: inserting more documents later (``start_index=previous_count``)
    must not change the ones already inserted. ``now`` becomes every document's
    ``updated_at``; ``None`` means the current UTC time truncated to whole seconds.
    """
    if count < 0 or start_index < 0:
        raise ValueError("count and start_index must be non-negative")
    stamp = _naive_utc(now)
    return (_make_document(random_seed, index, stamp) for index in range(start_index, start_index + count))


def reprice_plan(ids: Sequence[Any], count: int, random_seed: int = 42) -> list[tuple[Any, float]]:
    """Pick ``count`` distinct ids and a price factor for each, to simulate sellers changing prices.

    Ids are ordered by ``str`` first so the plan does not depend on the order a query returned them.
    Factors lie in [0.8, 1.25], rounded to 3 decimals, and are never within 1% of 1.0.
    """
    rng = random.Random(f"{random_seed}:reprice")
    chosen = rng.sample(_ordered_unique(ids, count), count)
    plan: list[tuple[Any, float]] = []
    for identifier in chosen:
        factor = 1.0
        while abs(factor - 1.0) < 0.01:
            factor = round(rng.uniform(0.8, 1.25), 3)
        plan.append((identifier, factor))
    return plan


def delete_plan(ids: Sequence[Any], count: int, random_seed: int = 42) -> list[Any]:
    """Pick ``count`` distinct ids to delete, to simulate listings taken down at the source.

    Uses its own derived seed, so it is not the same selection as :func:`reprice_plan`
    (the two may still overlap).
    """
    rng = random.Random(f"{random_seed}:delete")
    return rng.sample(_ordered_unique(ids, count), count)


def reprice_document(doc: dict, factor: float, *, now: datetime | None = None) -> dict:
    """Return the MongoDB update ``{"$set": {<price field>: ..., "updated_at": ...}}`` for ``doc``.

    Structured documents get ``price`` × factor (whole VND, int). Crawled documents get
    "Mức giá" rewritten in the same unit ("3,5 tỷ" × 1.1 -> "3,85 tỷ"). A listing without a
    usable price (negotiable, blank, wrong text) gets a concrete one estimated from its district
    and area. The price field always changes.
    """
    if factor <= 0:
        raise ValueError("factor must be positive")
    stamp = _naive_utc(now)
    if "Link" in doc or "Mức giá" in doc:
        new_text = _reprice_price_text(doc.get("Mức giá"), factor)
        if new_text is None:
            estimate = _estimate_price_vnd(doc.get("Huyện"), _parse_area_text(doc.get("Diện tích"))) * factor
            new_text = _format_total_price(estimate, in_millions=False)
        return {"$set": {"Mức giá": new_text, "updated_at": stamp}}

    old = _as_number(doc.get("price"))
    if old is None or old <= 0:
        area = _as_number(doc.get("area"))
        district = doc.get("district")
        new_price = int(round(_estimate_price_vnd(district, area) * factor))
    else:
        new_price = int(round(old * factor))
        if new_price == old:  # only possible for absurdly small prices
            new_price = int(old) + (1 if factor > 1 else -1)
    return {"$set": {"price": new_price, "updated_at": stamp}}


def read_jsonl(path: str | PathLike[str]) -> tuple[list[dict], list[tuple[int, str]]]:
    """Read a JSON Lines file of source documents, keeping the good lines and reporting the bad.

    Returns ``(documents, errors)``; each error is ``(line_number, reason)`` with 1-based line
    numbers, for lines that are not UTF-8, not JSON, or not a JSON object. Blank lines are skipped.
    Values are kept exactly as JSON gives them (dates stay strings).
    """
    documents: list[dict] = []
    errors: list[tuple[int, str]] = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                errors.append((number, f"not valid UTF-8: {exc.reason} at byte {exc.start}"))
                continue
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append((number, f"invalid JSON: {exc.msg} at column {exc.colno}"))
                continue
            if not isinstance(value, dict):
                errors.append((number, f"not a JSON object: got {_json_type_name(value)}"))
                continue
            documents.append(value)
    return documents, errors


# --------------------------------------------------------------------------- document building


def _make_document(random_seed: int, index: int, now: datetime) -> dict:
    rng = random.Random(f"{random_seed}:{index}")
    structured = rng.random() < STRUCTURED_SHARE
    listing = _draw_listing(rng)

    mode_draw = rng.random()
    if mode_draw < NEGOTIABLE_SHARE:
        price_mode = "negotiable"
    elif not structured and mode_draw < NEGOTIABLE_SHARE + PER_M2_SHARE:
        price_mode = "per_m2"
    else:
        price_mode = "total"
    outlier = 1.0
    if rng.random() < OUTLIER_SHARE and price_mode != "negotiable":
        outlier = OUTLIER_FACTOR if rng.random() < 0.5 else 1.0 / OUTLIER_FACTOR

    if structured:
        doc = _render_structured(rng, listing, price_mode, outlier)
        _apply_wrong_types(rng, doc)
        _apply_blanks(rng, doc, _STRUCTURED_BLANKABLE)
        _apply_padding(rng, doc, _STRUCTURED_PADDABLE)
    else:
        doc = _render_crawled(rng, listing, index, price_mode, outlier)
        _apply_blanks(rng, doc, _CRAWLED_BLANKABLE)
        _apply_padding(rng, doc, _CRAWLED_PADDABLE)
    doc["updated_at"] = now
    return doc


def _draw_listing(rng: random.Random) -> _Listing:
    city = rng.choices(CITIES, weights=[c.weight for c in CITIES])[0]
    district = rng.choice(city.districts)
    ward = rng.choice(district.wards) if rng.random() < 0.85 else None
    street = rng.choice(city.streets)
    street_address = _street_address(rng, city, street)

    types = list(PROPERTY_TYPES)
    property_type = rng.choices(types, weights=[PROPERTY_TYPES[t].weight for t in types])[0]
    profile = PROPERTY_TYPES[property_type]
    area = rng.lognormvariate(math.log(profile.area_median_m2), profile.area_sigma)
    area = round(min(max(area, profile.area_min_m2), profile.area_max_m2), 1)
    bedrooms, bathrooms = _rooms(rng, property_type, area)

    price_per_m2 = district.median_million_per_m2 * profile.price_factor * rng.lognormvariate(0.0, PRICE_SIGMA)
    latitude = district.latitude + rng.gauss(0.0, 0.008)
    longitude = district.longitude + rng.gauss(0.0, 0.008)
    posted = REFERENCE_DATE - timedelta(days=rng.randint(1, POSTING_WINDOW_DAYS))
    return _Listing(
        property_type,
        city,
        district,
        ward,
        street,
        street_address,
        area,
        bedrooms,
        bathrooms,
        price_per_m2,
        latitude,
        longitude,
        posted,
    )


def _street_address(rng: random.Random, city: City, street: str) -> str:
    style = rng.random()
    if style < 0.45:
        return f"Đường {street}"
    if style < 0.80:
        return f"{rng.randint(1, 350)} {street}"
    if city.alley_word == "Hẻm":
        return f"Hẻm {rng.randint(2, 400)}/{rng.randint(1, 60)} {street}"
    return f"{city.alley_word} {rng.randint(2, 300)} {street}"


def _rooms(rng: random.Random, property_type: str, area: float) -> tuple[int, int]:
    """Bedrooms grow with area; bathrooms follow bedrooms. Land has neither."""
    if property_type == "Đất":
        return 0, 0
    if property_type == "Khác":
        bedrooms = rng.choice((0, 0, 1, 2))
        return bedrooms, min(bedrooms, 1)
    if property_type == "Căn hộ":
        bedrooms = _clamp(round(area / 32 + rng.gauss(0.0, 0.4)), 1, 4)
        return bedrooms, 1 if bedrooms == 1 else (2 if bedrooms < 4 else 3)
    if property_type == "Nhà":
        bedrooms = _clamp(round(area / 22 + rng.gauss(0.0, 0.7)), 1, 8)
    else:  # Biệt thự
        bedrooms = _clamp(round(area / 60 + rng.gauss(0.0, 0.7)), 3, 8)
    return bedrooms, _clamp(bedrooms - rng.randint(0, 1), 1, bedrooms)


def _render_structured(rng: random.Random, listing: _Listing, price_mode: str, outlier: float) -> dict:
    doc: dict[str, Any] = {"property_type": listing.property_type}
    if price_mode == "negotiable":
        if rng.random() < 0.5:
            doc["price"] = None
    else:
        vnd = listing.price_million_per_m2 * listing.area * 1e6 * outlier
        price = max(1, round(vnd / 1e6)) * 1_000_000
        doc["price"] = float(price) if rng.random() < FLOAT_PRICE_SHARE else price
    location = listing.street_address + (f", {listing.ward}" if listing.ward else "")
    doc.update(
        {
            "area": listing.area,
            "bedrooms": listing.bedrooms,
            "bathrooms": listing.bathrooms,
            "location": location,
            "city": listing.city.name,
            "district": listing.district.name,
            "latitude": round(listing.latitude, 6),
            "longitude": round(listing.longitude, 6),
            "description": _description(rng, listing),
            "posted_date": datetime(listing.posted.year, listing.posted.month, listing.posted.day),
            "source": "structured",
        }
    )
    return doc


def _render_crawled(rng: random.Random, listing: _Listing, index: int, price_mode: str, outlier: float) -> dict:
    category = rng.choice(LINK_CATEGORIES[listing.property_type])
    area_text = _vn_number(listing.area, 1 if rng.random() < 0.3 else 0)
    title = _title(rng, listing, category, area_text)
    # pr numbers are unique per index (disjoint ranges) yet do not look sequential
    listing_number = 38_000_000 + index * 13 + rng.randrange(13)
    link = (
        f"{LISTING_SITE}/{category}-{_slugify(listing.district.name)}/"
        f"{_slugify(title)[:80].strip('-')}-pr{listing_number}"
    )

    if price_mode == "negotiable":
        price_text = NEGOTIABLE_TEXT
    elif price_mode == "per_m2":
        price_text = _format_unit(listing.price_million_per_m2 * outlier, "triệu/m²")
    else:
        vnd = listing.price_million_per_m2 * listing.area * 1e6 * outlier
        price_text = _format_total_price(vnd, in_millions=rng.random() < IN_MILLIONS_SHARE)

    address_parts = [listing.street_address, listing.ward, listing.district.name, listing.city.name]
    coordinate_decimals = rng.choice((4, 5, 6))
    doc: dict[str, Any] = {
        "Link": link,
        "Tiêu đề": title,
        "Mức giá": price_text,
        "Diện tích": f"{area_text} m²",
    }
    if listing.bedrooms:  # listing pages show no room counts for land and the like
        doc["Số phòng ngủ"] = f"{listing.bedrooms} phòng"
        doc["Số toilet"] = f"{listing.bathrooms} phòng"
    doc.update(
        {
            "Địa chỉ": ", ".join(part for part in address_parts if part),
            "Huyện": listing.district.name,
            "Latitude": f"{listing.latitude:.{coordinate_decimals}f}",
            "Longitude": f"{listing.longitude:.{coordinate_decimals}f}",
            "Ngày đăng": listing.posted.strftime("%d/%m/%Y"),
        }
    )
    return doc


def _title(rng: random.Random, listing: _Listing, category: str, area: str) -> str:
    district, city, street = listing.district.name, listing.city.name, listing.street
    beds = listing.bedrooms
    by_type = {
        "Căn hộ": (
            f"Bán căn hộ {beds}PN {area}m² tại {district}",
            f"Chính chủ bán gấp căn hộ {beds} phòng ngủ {district}, {city}",
            f"Căn hộ {area}m² {district}, nội thất đầy đủ, giá tốt",
        ),
        "Nhà": (
            f"Bán nhà {street}, {district}, {area}m², {rng.randint(1, 5)} tầng",
            f"Bán nhà riêng {district} {area}m², sổ hồng chính chủ",
            f"Nhà đẹp {street} {district}, {beds} phòng ngủ, giá tốt",
        ),
        "Đất": (
            f"Bán đất {area}m² {district}, sổ hồng riêng",
            f"Bán lô đất mặt tiền {street}, {district}, {city}",
            f"Đất nền {district} {area}m², thổ cư 100%",
        ),
        "Biệt thự": (
            f"Bán biệt thự {area}m² {district}, {city}",
            f"Biệt thự sân vườn {district} cần bán gấp",
            f"Bán biệt thự {street}, {district}, {beds} phòng ngủ",
        ),
    }
    if listing.property_type in by_type:
        return rng.choice(by_type[listing.property_type])
    other = {
        "cho-thue-can-ho-chung-cu": f"Cho thuê căn hộ {area}m² {district}, full nội thất",
        "cho-thue-nha-rieng": f"Cho thuê nhà nguyên căn {street}, {district}",
        "ban-kho-nha-xuong": f"Bán kho xưởng {area}m² {district}, {city}",
    }
    return other.get(category, f"Bán mặt bằng kinh doanh {street}, {district}")


def _description(rng: random.Random, listing: _Listing) -> str:
    area = _vn_number(listing.area, 1)
    place = f"{listing.district.name}, {listing.city.name}"
    if listing.bedrooms:
        rooms = f"{listing.bedrooms} phòng ngủ, {listing.bathrooms} WC, "
    else:
        rooms = ""
    noun = {"Căn hộ": "căn hộ", "Nhà": "nhà", "Đất": "lô đất", "Biệt thự": "biệt thự", "Khác": "bất động sản"}[
        listing.property_type
    ]
    features = ". ".join(rng.sample(_FEATURES, 2))
    return f"Cần bán {noun} {rooms}diện tích {area} m² tại {place}. {features}. {rng.choice(_CONTACTS)}"


# --------------------------------------------------------------------------- mess


def _apply_wrong_types(rng: random.Random, doc: dict) -> None:
    """Numbers stored as text, as a sloppy upstream export would do."""
    if rng.random() >= WRONG_TYPE_SHARE:
        return
    key = rng.choice(_STRUCTURED_RETYPABLE)
    value = doc.get(key)
    if isinstance(value, (int, float)):
        doc[key] = str(int(value)) if float(value).is_integer() else str(value)


def _apply_blanks(rng: random.Random, doc: dict, candidates: tuple[str, ...]) -> None:
    """One or two fields absent or empty, as on half-filled listing forms."""
    if rng.random() >= BLANK_FIELDS_SHARE:
        return
    present = [key for key in candidates if key in doc]
    for key in rng.sample(present, min(len(present), rng.choice((1, 1, 2)))):
        if rng.random() < 0.5:
            del doc[key]
        else:
            doc[key] = ""


def _apply_padding(rng: random.Random, doc: dict, candidates: tuple[str, ...]) -> None:
    """Leading/trailing whitespace on a text value or two, as scraped HTML leaves it."""
    if rng.random() >= PADDED_SHARE:
        return
    present = [key for key in candidates if isinstance(doc.get(key), str) and doc[key]]
    for key in rng.sample(present, min(len(present), rng.choice((1, 2)))):
        doc[key] = rng.choice(("", " ", "  ")) + doc[key] + rng.choice((" ", "  ", " \n"))


# --------------------------------------------------------------------------- formats


def _vn_number(value: float, max_decimals: int) -> str:
    """Vietnamese number text: '.' groups thousands, ',' marks decimals, no trailing zeros."""
    text = f"{round(value, max_decimals):,.{max_decimals}f}"
    if max_decimals:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _format_unit(value: float, unit: str, fine: bool = False) -> str:
    """Price text in one unit ('tỷ', 'triệu', 'triệu/m²') with the precision listing sites use."""
    if unit == "tỷ":
        decimals = 2 if fine or value < 10 else (1 if value < 100 else 0)
        return f"{_vn_number(value, decimals)} tỷ"
    if unit == "triệu":
        amount = round(value) if fine or value < 100 else round(value, -1)
        return f"{_vn_number(max(amount, 1), 0)} triệu"
    return f"{_vn_number(value, 2 if fine else 1)} triệu/m²"


def _format_total_price(vnd: float, in_millions: bool) -> str:
    if vnd >= 1e9 and not (in_millions and vnd < 1e10):
        return _format_unit(vnd / 1e9, "tỷ")
    return _format_unit(vnd / 1e6, "triệu")


_PRICE_TEXT = re.compile(r"^(?P<number>\d{1,3}(?:\.\d{3})*(?:,\d+)?)\s*(?P<unit>tỷ|triệu/m²|triệu)$")
_UNIT_STEP = {"tỷ": 0.01, "triệu": 1.0, "triệu/m²": 0.01}


def _reprice_price_text(text: Any, factor: float) -> str | None:
    """Scale a price text keeping its unit; None when the text carries no concrete price."""
    if not isinstance(text, str):
        return None
    old = text.strip()
    match = _PRICE_TEXT.match(old)
    if not match:
        return None
    value = _parse_vn_number(match["number"])
    if value is None or value <= 0:
        return None
    unit = match["unit"]
    new = _format_unit(value * factor, unit)
    step = _UNIT_STEP[unit] * (1 if factor > 1 else -1)
    multiple = 1
    while new == old:  # rounding swallowed a small change: move by the smallest visible step
        nudged = value + step * multiple
        if nudged <= 0:
            step, multiple = abs(step), 1
            continue
        new = _format_unit(nudged, unit, fine=True)
        multiple += 1
    return new


def _parse_vn_number(text: str) -> float | None:
    try:
        return float(text.strip().replace(".", "").replace(",", "."))
    except ValueError:
        return None


def _parse_area_text(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    return _parse_vn_number(text.replace("m²", ""))


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _estimate_price_vnd(district: Any, area: float | None) -> float:
    """A plausible asking price for a listing that has none: district median × area."""
    known = _DISTRICTS_BY_NAME.get(district.strip()) if isinstance(district, str) else None
    median = known.median_million_per_m2 if known else _DEFAULT_MEDIAN_MILLION_PER_M2
    usable_area = area if area is not None and area > 0 else _DEFAULT_AREA_M2
    return median * usable_area * 1e6


# --------------------------------------------------------------------------- small helpers


def _naive_utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def _ordered_unique(ids: Sequence[Any], count: int) -> list[Any]:
    ordered = sorted(ids, key=lambda item: (str(item), type(item).__name__))
    unique: list[Any] = []
    for item in ordered:
        if not unique or item != unique[-1]:
            unique.append(item)
    if not 0 <= count <= len(unique):
        raise ValueError(f"count must be between 0 and {len(unique)} distinct ids, got {count}")
    return unique


def _slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"
