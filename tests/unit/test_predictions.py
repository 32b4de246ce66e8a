"""The prediction rows as stored: error and error percent are signed (negative = the model under-predicts)."""

import numpy as np
import pandas as pd
import pytest

from medallion_assets.lib.predictions import _prediction_frame


def test_prediction_error_and_percent_are_signed():
    rows = pd.DataFrame({"id": ["under", "over", "exact"], "price": [2.0e9, 1.0e9, 3.0e9]})
    predicted = np.array([1.5e9, 1.1e9, 3.0e9])
    frame = _prediction_frame(rows, predicted, {"model_version": "v1", "model_type": "hgb"}, "holdout")
    by_id = frame.set_index("id")
    # under: 1.5 bn for 2 bn -> -0.5 bn, 100 * -0.5 / 2 = -25 %; over: 1.1 bn for 1 bn -> +0.1 bn, +10 %
    assert by_id["prediction_error"].tolist() == [-5.0e8, 1.0e8, 0.0]
    assert by_id["prediction_error_pct"].tolist() == pytest.approx([-25.0, 10.0, 0.0], rel=1e-12)
    assert by_id["actual_price"].tolist() == [2.0e9, 1.0e9, 3.0e9]
    assert set(frame["prediction_set"]) == {"holdout"}
