"""lib/charts.py: each chart is a PNG of WIDTH x HEIGHT pixels, under the size cap, the same bytes for the same
data, and wraps as a Markdown data-URI image."""

import base64

import numpy as np
import pytest

from medallion_assets.lib import charts


def _holdout():
    rng = np.random.default_rng(7)
    actual = np.exp(rng.normal(22, 1, 5000))
    return actual, actual * np.exp(rng.normal(0, 0.3, 5000))


CHARTS = {
    "predicted_vs_actual": lambda: charts.predicted_vs_actual(*_holdout()),
    "feature_importance": lambda: charts.feature_importance(
        [
            {"feature_name": name, "importance_score": 1e9 / rank, "importance_std": 1e8 / rank, "rank": rank}
            for rank, name in enumerate(["area", "city", "district", "property_type", "bedrooms", "bathrooms"], 1)
        ]
    ),
    "price_per_sqm_by_city": lambda: charts.price_per_sqm_by_city(
        [
            {"city": city, "median_price_per_sqm": 1e6 * (i + 20), "listings": 1000 - 37 * i}
            for i, city in enumerate(["Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Unknown"])
        ]
    ),
    "zscore_histogram": lambda: charts.zscore_histogram(
        [
            {"anomaly_type": kind, "bin": b, "listings": int(5000 * np.exp(-b / 2)) + 1}
            for kind in ("PRICE_OUTLIER", "PRICE_PER_SQM_OUTLIER")
            for b in range(30)
        ],
        0.25,
        3.0,
        4.0,
    ),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_each_chart_is_a_small_deterministic_png_of_the_expected_size(name):
    png = CHARTS[name]()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert charts.png_size(png) == (charts.WIDTH, charts.HEIGHT) == (600, 350)
    assert 2_000 < len(png) < charts.MAX_PNG_BYTES == 60_000
    assert CHARTS[name]() == png


EMPTY = {
    "predicted_vs_actual": lambda: charts.predicted_vs_actual([], []),
    "feature_importance": lambda: charts.feature_importance([]),
    "price_per_sqm_by_city": lambda: charts.price_per_sqm_by_city([]),
    "zscore_histogram": lambda: charts.zscore_histogram([], 0.25, 3.0, 4.0),
}


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_a_chart_of_empty_data_is_an_empty_chart_not_an_error(name):
    """An asset with no rows still gets its chart (a run must not fail for want of data): a PNG of the same
    size, the same bytes each time, with less drawn on it than the chart of the data."""
    png = EMPTY[name]()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and charts.png_size(png) == (600, 350)
    assert EMPTY[name]() == png
    drawn = CHARTS[name]()
    assert png != drawn and len(png) < len(drawn)


def test_markdown_image_is_a_data_uri_of_the_same_bytes():
    png = CHARTS["feature_importance"]()
    text = charts.markdown_image(png, "Importance [v1]")
    assert text.startswith("![Importance (v1)](data:image/png;base64,")
    assert base64.b64decode(text.split(",", 1)[1].rstrip(")")) == png
    assert charts.markdown_png(text) == png
    with pytest.raises(ValueError):
        charts.markdown_image(b"GIF89a", "not a png")
