"""Changes to documents already in the source: which ids to reprice or delete, the new price, JSON Lines input."""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Sequence
from datetime import datetime
from os import PathLike
from typing import Any

from medallion_assets.dev.synthetic.documents import _naive_utc
from medallion_assets.dev.synthetic.geography import _DISTRICTS_BY_NAME
from medallion_assets.dev.synthetic.vn_text import (
    _format_total_price,
    _format_unit,
    _parse_area_text,
    _parse_vn_number,
)

_DEFAULT_MEDIAN_MILLION_PER_M2 = 60.0
_DEFAULT_AREA_M2 = 70.0


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


# --------------------------------------------------------------------------- prices


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


def _ordered_unique(ids: Sequence[Any], count: int) -> list[Any]:
    ordered = sorted(ids, key=lambda item: (str(item), type(item).__name__))
    unique: list[Any] = []
    for item in ordered:
        if not unique or item != unique[-1]:
            unique.append(item)
    if not 0 <= count <= len(unique):
        raise ValueError(f"count must be between 0 and {len(unique)} distinct ids, got {count}")
    return unique


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
