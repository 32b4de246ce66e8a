"""Vietnamese text formats of listing sites: numbers ("1.234,5"), prices ("3,5 tỷ"), areas, slugs."""

from __future__ import annotations

import re
import unicodedata
from typing import Any


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


def _parse_vn_number(text: str) -> float | None:
    try:
        return float(text.strip().replace(".", "").replace(",", "."))
    except ValueError:
        return None


def _parse_area_text(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    return _parse_vn_number(text.replace("m²", ""))


def _slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
