"""Rows as a text table, CSV or JSON: what `medallion query` and the pipeline summary print."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Sequence


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def print_rows(columns: Sequence[str], rows: Sequence[Sequence], fmt: str = "table", out=None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        out.write(json.dumps([dict(zip(columns, map(_text, r))) for r in rows], ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([[_text(v) for v in r] for r in rows])
    else:
        cells = [[_text(v) for v in r] for r in rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for r in cells:
            out.write("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")
        out.write(f"({len(rows)} rows)\n")
