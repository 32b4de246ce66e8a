"""Rows as a text table, CSV or JSON: what `medallion query` and the pipeline summary print.

NULL stays distinct from the empty string in every format:

- table: a NULL prints as `NULL`, an empty string as nothing;
- csv: a NULL is an empty unquoted field, an empty string is `""` (PostgreSQL's COPY CSV convention);
- json: a NULL is `null`; numbers and booleans keep their JSON types, dates and timestamps are ISO
  8601 strings, and columns named in `json_columns` (VARIANT, OBJECT, ARRAY: the driver hands them
  over as JSON text) are embedded as JSON. A float NaN or infinity, which JSON cannot hold, is
  written as the string "NaN", "Infinity" or "-Infinity".
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import sys
from collections.abc import Collection, Sequence

NULL_TEXT = "NULL"


def _text(value) -> str:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def _table_cell(value) -> str:
    return NULL_TEXT if value is None else _text(value)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    text = _text(value)
    if text == "" or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _json_value(value, embedded: bool = False):
    if embedded and isinstance(value, str):  # JSON text from the warehouse (VARIANT / OBJECT / ARRAY)
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return _json_value(float(value))
        return int(value) if value == value.to_integral_value() else float(value)
    return _text(value)


def print_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence],
    fmt: str = "table",
    out=None,
    json_columns: Collection[str] = (),
) -> None:
    out = out or sys.stdout
    if fmt == "json":
        embedded = [c in json_columns for c in columns]
        records = [{c: _json_value(v, e) for c, v, e in zip(columns, r, embedded)} for r in rows]
        out.write(json.dumps(records, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
    elif fmt == "csv":
        for line in [columns, *rows]:
            out.write(",".join(_csv_cell(v) for v in line) + "\r\n")
    else:
        cells = [[_table_cell(v) for v in r] for r in rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for r in cells:
            out.write("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")
        out.write(f"({len(rows)} rows)\n")
