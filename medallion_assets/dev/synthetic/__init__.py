"""Deterministic synthetic source documents, shaped like a crawl of Vietnamese listing sites.

Why: local runs and tests need realistic MongoDB source data without network access,
and they need the *same* data every time so that counts downstream can be asserted.
Every document is built from its own random stream seeded by ``"{seed}:{index}"``,
so document ``i`` never depends on how many documents were asked for, and nothing
here touches the global random state. The only non-deterministic value is
``updated_at`` when the caller does not pass ``now``: it lies up to ``UPDATED_SPREAD_DAYS``
days before ``now`` (a whole number of seconds, deterministic per seed and index).

Two shapes are produced, as the real sources give them:

* structured records with English keys and typed values (``source == "structured"``);
* crawled listing pages with Vietnamese keys and every value a string
  (prices such as ``"3,5 tỷ"``, ``"850 triệu"``, ``"50 triệu/m²"``, ``"Thỏa thuận"``).

Both carry deterministic "mess" (missing or blank fields, wrong types, padded text,
negotiable prices, per-m² prices, rare extreme outliers) for the warehouse to clean.
Parsing those formats is the warehouse's job, not this module's.

The code is split by job: ``geography`` (the data tables), ``vn_text`` (Vietnamese number and
price formats), ``documents`` (building and rendering documents, adding mess) and ``edits``
(reprice and delete plans, repricing a document, reading JSON Lines).
"""

from __future__ import annotations

from medallion_assets.dev.synthetic.documents import (
    REFERENCE_DATE,
    UPDATED_SPREAD_DAYS,
    generate_listings,
    link_index,
)
from medallion_assets.dev.synthetic.edits import delete_plan, read_jsonl, reprice_document, reprice_plan
from medallion_assets.dev.synthetic.geography import CITIES, LINK_CATEGORIES, PROPERTY_TYPES
from medallion_assets.dev.synthetic.vn_text import _slugify  # noqa: F401  (tests check link slugs with it)

__all__ = [
    "CITIES",
    "LINK_CATEGORIES",
    "PROPERTY_TYPES",
    "REFERENCE_DATE",
    "UPDATED_SPREAD_DAYS",
    "generate_listings",
    "link_index",
    "reprice_plan",
    "delete_plan",
    "reprice_document",
    "read_jsonl",
]
