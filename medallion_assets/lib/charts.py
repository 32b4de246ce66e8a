"""Small PNG charts for the materializations in the Dagster UI (plain functions: data in, PNG bytes out).

Rendered headless with matplotlib's Agg backend at WIDTH x HEIGHT pixels, optimized by Pillow and without the
"Software" text chunk, so the same data gives the same bytes. `markdown_image` wraps the bytes as a Markdown
image with a data URI, which `dg.MetadataValue.md` renders in the UI (no file or server involved); each image
is a few tens of KB, well under MAX_PNG_BYTES, so the event log stays small.
"""

import base64
import io

import numpy as np

WIDTH, HEIGHT, DPI = 600, 350, 100
MAX_PNG_BYTES = 60_000
MAX_POINTS = 2000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STYLE = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _pyplot():
    """matplotlib's pyplot on the headless Agg backend, imported on the first chart: importing it costs
    every process that loads the definitions about a second and a half, and most never draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(draw) -> bytes:
    plt = _pyplot()
    with plt.rc_context(_STYLE):
        fig = plt.figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
        try:
            draw(fig.add_subplot())
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"optimize": True})
        finally:
            plt.close(fig)
    return buffer.getvalue()


def _spread(values: np.ndarray, limit: int) -> np.ndarray:
    """At most `limit` indices, evenly spread (deterministic; keeps the shape of a large holdout)."""
    if len(values) <= limit:
        return np.arange(len(values))
    return np.unique(np.linspace(0, len(values) - 1, limit).round().astype(int))


def predicted_vs_actual(actual, predicted, title: str = "Holdout: predicted vs actual price") -> bytes:
    """Log-log scatter of predicted against actual prices (VND) with the y = x line."""
    actual = np.asarray(actual, dtype="float64")
    predicted = np.clip(np.asarray(predicted, dtype="float64"), 1.0, None)
    keep = np.isfinite(actual) & np.isfinite(predicted) & (actual > 0)
    actual, predicted = actual[keep], predicted[keep]
    shown = _spread(actual, MAX_POINTS)

    def draw(ax):
        few = len(shown) < 500  # a small holdout gets larger, darker points
        ax.scatter(
            actual[shown],
            predicted[shown],
            s=14 if few else 4,
            alpha=0.75 if few else 0.4,
            color="#1f77b4",
            linewidths=0,
            rasterized=True,
        )
        if len(actual):
            low = float(min(actual.min(), predicted.min()))
            high = float(max(actual.max(), predicted.max()))
            ax.plot([low, high], [low, high], color="#d62728", linewidth=1, label="predicted = actual")
            ax.legend(loc="upper left", frameon=False)
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlabel("actual price (VND)")
        ax.set_ylabel("predicted price (VND)")
        sample = f", {len(shown)} of {len(actual)} shown" if len(shown) < len(actual) else ""
        ax.set_title(f"{title} ({len(actual)} listings{sample})")

    return _png(draw)


def feature_importance(rows: list[dict]) -> bytes:
    """Horizontal bars of the permutation importance (holdout MAE increase, VND) with its std, rank 1 on top."""
    ordered = sorted(rows, key=lambda r: int(r["rank"]), reverse=True)

    def draw(ax):
        names = [str(r["feature_name"]) for r in ordered]
        scores = [float(r["importance_score"]) for r in ordered]
        stds = [float(r.get("importance_std") or 0.0) for r in ordered]
        ax.barh(names, scores, xerr=stds, color="#2ca02c", ecolor="#555555", capsize=2)
        ax.set_xlabel("holdout MAE increase when shuffled (VND)")
        ax.set_title("Permutation feature importance")

    return _png(draw)


def price_per_sqm_by_city(rows: list[dict]) -> bytes:
    """Horizontal bars of the median price per m² (VND) by city, labelled with the listings behind each."""
    ordered = sorted(rows, key=lambda r: (float(r["median_price_per_sqm"]), str(r["city"])))

    def draw(ax):
        names = [str(r["city"]) for r in ordered]
        values = [float(r["median_price_per_sqm"]) for r in ordered]
        bars = ax.barh(names, values, color="#9467bd")
        ax.bar_label(bars, labels=[f"n={int(r['listings'])}" for r in ordered], padding=2, fontsize=7)
        ax.set_xlabel("median price per m² (VND)")
        ax.set_title("Median price per m² by city")
        ax.margins(x=0.12)

    return _png(draw)


def zscore_histogram(bins: list[dict], bin_width: float, z_threshold: float, high_z_threshold: float) -> bytes:
    """Histogram of per-city z-scores (rows: anomaly_type, bin, listings; bin k covers [k*w, (k+1)*w)), one series
    per type, log-scaled counts, with the alert and the HIGH thresholds as vertical lines."""
    by_type: dict[str, dict[int, int]] = {}
    for row in bins:
        by_type.setdefault(str(row["anomaly_type"]), {})[int(row["bin"])] = int(row["listings"])

    def draw(ax):
        colors = ("#1f77b4", "#ff7f0e", "#2ca02c")
        for i, (kind, counts) in enumerate(sorted(by_type.items())):
            edges = sorted(counts)
            ax.bar(
                [k * bin_width for k in edges],
                [counts[k] for k in edges],
                width=bin_width,
                align="edge",
                alpha=0.55,
                color=colors[i % len(colors)],
                label=f"{kind} ({sum(counts.values())})",
            )
        ax.axvline(z_threshold, color="#d62728", linestyle="--", linewidth=1, label=f"alert: z > {z_threshold:g}")
        ax.axvline(
            high_z_threshold, color="#8c0000", linestyle=":", linewidth=1, label=f"HIGH: z > {high_z_threshold:g}"
        )
        if by_type:
            ax.set_yscale("log")
        top = max([k + 1 for counts in by_type.values() for k in counts] or [0]) * bin_width
        ax.set_xlim(0, max(top, high_z_threshold + bin_width, 1.0))
        ax.set_xlabel("z = |x - city mean| / city std")
        ax.set_ylabel("listings")
        ax.set_title("Per-city z-scores of price and price per m²")
        ax.legend(loc="upper right", frameon=False)

    return _png(draw)


def markdown_image(png: bytes, alt: str) -> str:
    """PNG bytes as a Markdown image with a data URI, for `dg.MetadataValue.md`."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("markdown_image takes PNG bytes")
    clean = " ".join(alt.replace("[", "(").replace("]", ")").split())
    return f"![{clean}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def markdown_png(text: str) -> bytes:
    """The PNG bytes inside a `markdown_image` (what the UI decodes)."""
    prefix = "](data:image/png;base64,"
    if not text.startswith("![") or prefix not in text or not text.endswith(")"):
        raise ValueError("not a Markdown data-URI PNG image")
    return base64.b64decode(text.split(prefix, 1)[1][:-1], validate=True)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the PNG header."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
