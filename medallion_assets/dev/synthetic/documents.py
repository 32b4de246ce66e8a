"""Building one source document from its index: draw a listing, render it in one of two shapes, add mess."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from medallion_assets.dev.synthetic.geography import CITIES, LINK_CATEGORIES, PROPERTY_TYPES, City, District
from medallion_assets.dev.synthetic.vn_text import _format_total_price, _format_unit, _slugify, _vn_number

REFERENCE_DATE = date(2026, 10, 31)  # posted dates fall in the two years before this day
POSTING_WINDOW_DAYS = 730
# updated_at (the event time of a listing's first version) lies up to this many days before `now`, so that a fresh
# pipeline's history and daily market pulse cover several days; kept inside the pulse's 7-day lateness window.
UPDATED_SPREAD_DAYS = 5
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
# A crawled Link ends in "-pr<number>", number = FIRST + index × STRIDE + a draw below STRIDE.
LISTING_NUMBER_FIRST = 38_000_000
LISTING_NUMBER_STRIDE = 13
_LINK_NUMBER = re.compile(r"-pr(\d+)$")

_STRUCTURED_BLANKABLE = ("bedrooms", "location", "area", "city")
_CRAWLED_BLANKABLE = ("Số phòng ngủ", "Địa chỉ", "Diện tích", "Huyện")
_STRUCTURED_RETYPABLE = ("bedrooms", "bathrooms", "area", "price")
_STRUCTURED_PADDABLE = ("location", "city", "district", "description")
_CRAWLED_PADDABLE = ("Tiêu đề", "Mức giá", "Diện tích", "Địa chỉ", "Huyện")

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


def generate_listings(
    count: int,
    random_seed: int = 42,
    start_index: int = 0,
    *,
    now: datetime | None = None,
    spread_days: float = UPDATED_SPREAD_DAYS,
) -> Iterator[dict]:
    """Yield ``count`` source documents (indices ``start_index`` ..), reproducible per index.

    Why per-index seeding: inserting more documents later (``start_index=previous_count``)
    must not change the ones already inserted. Each document's ``updated_at`` is ``now`` minus a
    whole number of seconds below ``spread_days`` days, drawn from the document's own stream
    (``"{seed}:{index}:updated_at"``, so the other fields do not depend on it); ``spread_days=0``
    makes it ``now``. ``None`` for ``now`` means the current UTC time truncated to whole seconds.
    """
    if count < 0 or start_index < 0:
        raise ValueError("count and start_index must be non-negative")
    if spread_days < 0:
        raise ValueError("spread_days must be non-negative")
    stamp = _naive_utc(now)
    return (_make_document(random_seed, index, stamp, spread_days) for index in range(start_index, start_index + count))


def link_index(link: object) -> int | None:
    """The generator index a crawled document's "Link" encodes, or None for a Link it did not make.

    Only crawled documents carry their index; structured ones have no trace of it.
    """
    match = _LINK_NUMBER.search(link) if isinstance(link, str) else None
    if match is None or int(match[1]) < LISTING_NUMBER_FIRST:
        return None
    return (int(match[1]) - LISTING_NUMBER_FIRST) // LISTING_NUMBER_STRIDE


def _updated_at(random_seed: int, index: int, now: datetime, spread_days: float) -> datetime:
    seconds = int(random.Random(f"{random_seed}:{index}:updated_at").random() * spread_days * 86_400)
    return now - timedelta(seconds=seconds)


def _make_document(random_seed: int, index: int, now: datetime, spread_days: float) -> dict:
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
    doc["updated_at"] = _updated_at(random_seed, index, now, spread_days)
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
    listing_number = LISTING_NUMBER_FIRST + index * LISTING_NUMBER_STRIDE + rng.randrange(LISTING_NUMBER_STRIDE)
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


# --------------------------------------------------------------------------- small helpers


def _naive_utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
