"""The price model's plain logic (lib/ml_model.py) and the Isolation Forest (lib/outliers.py), on small
hand-made frames: no warehouse, no servers."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
import pytest

from medallion_assets.lib import ml_model
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.ml_model import (
    INPUT_COLUMNS,
    LEAKY_COLUMNS,
    MODEL_FEATURES,
    build_pipeline,
    gold_frame,
    holdout_mask,
    load_artifact,
    model_version,
    regression_metrics,
    save_artifact,
    train_candidates,
)
from medallion_assets.lib.outliers import ISOLATION_FOREST, isolation_forest_outliers

# few, small trees: the whole module stays well under a few seconds
SMALL_CANDIDATES = {
    "random_forest": {"n_estimators": 8, "min_samples_leaf": 2},
    "random_forest_log": {"n_estimators": 8, "min_samples_leaf": 2},
    "hist_gradient_boosting": {"max_iter": 20},
}


def listings(n: int = 80, seed: int = 3) -> pd.DataFrame:
    """Gold-shaped rows (upper-case names, as the warehouse returns them) with a price that depends on
    area, bedrooms, district and month, plus the leaky columns derived from the price."""
    rng = np.random.default_rng(seed)
    districts = np.array(["D1", "D2", "D3", "D7"])
    district = districts[np.arange(n) % 4]
    area = rng.uniform(30, 150, n).round(1)
    bedrooms = rng.integers(1, 5, n).astype(float)
    district_factor = pd.Series(district).map({"D1": 3.0, "D2": 2.0, "D3": 1.5, "D7": 1.0}).to_numpy()
    posted = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    price = area * 40e6 * district_factor * (1 + 0.05 * bedrooms) * rng.uniform(0.9, 1.1, n)
    return pd.DataFrame(
        {
            "ID": [f"L-{i}" for i in range(n)],
            "PRICE": price,
            "PRICE_PER_SQM": price / area,
            "PRICE_CATEGORY": np.where(price > np.median(price), "high", "low"),
            "IS_HIGH_VALUE": price > np.median(price),
            "AREA": area,
            "BEDROOMS": bedrooms,
            "BATHROOMS": bedrooms - 1,
            "ROOMS_TOTAL": bedrooms * 2,
            "LATITUDE": 10.7 + rng.uniform(0, 0.1, n),
            "LONGITUDE": 106.6 + rng.uniform(0, 0.1, n),
            "POSTED_DATE": posted.date,
            "CITY": "Ho Chi Minh",
            "DISTRICT": district,
            "PROPERTY_TYPE": np.where(np.arange(n) % 3 == 0, "house", "apartment"),
        }
    )


# --- gold_frame ---------------------------------------------------------------------------------------


def test_gold_frame_lower_cases_names_and_normalises_types():
    raw = pd.DataFrame(
        {
            "ID": [7, "L-8"],
            "PRICE": ["1500000000", "not a number"],
            "AREA": [50, None],
            "CITY": ["Hanoi", None],
            "POSTED_DATE": ["2024-03-05", "garbage"],
        }
    )
    df = gold_frame(raw)
    assert list(df.columns) == ["id", "price", "area", "city", "posted_date"]
    assert df["price"].dtype == "float64" and df["area"].dtype == "float64"
    assert df["price"].iloc[0] == 1_500_000_000.0 and math.isnan(df["price"].iloc[1])
    assert math.isnan(df["area"].iloc[1])
    assert df["city"].tolist() == ["Hanoi", None]
    assert df["posted_date"].iloc[0] == pd.Timestamp("2024-03-05") and pd.isna(df["posted_date"].iloc[1])
    assert df["id"].tolist() == [7, "L-8"]
    assert list(raw.columns)[0] == "ID"  # the caller's frame is left alone


# --- the holdout split --------------------------------------------------------------------------------


def test_holdout_mask_is_the_md5_bucket_of_each_id():
    # MD5('holdout|L-1')[:8] % 10000 = 3756, 'L-2' -> 7550, 'abc' -> 8978 (hashlib, computed once by hand)
    for i, bucket in (("L-1", 3756), ("L-2", 7550), ("abc", 8978)):
        assert int(hashlib.md5(f"holdout|{i}".encode()).hexdigest()[:8], 16) % 10_000 == bucket
    ids = pd.Series(["L-1", "L-2", "abc"])
    assert holdout_mask(ids, 0.3756).tolist() == [False, False, False]  # 3756 < round(0.3756*10000) is False
    assert holdout_mask(ids, 0.3757).tolist() == [True, False, False]
    assert holdout_mask(ids, 0.8).tolist() == [True, True, False]
    assert holdout_mask(ids, 0.9).tolist() == [True, True, True]


def test_holdout_mask_is_stable_per_id_whatever_the_order_or_other_rows():
    ids = pd.Series([f"L-{i}" for i in range(500)])
    base = dict(zip(ids, holdout_mask(ids, 0.2)))
    shuffled = ids.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert dict(zip(shuffled, holdout_mask(shuffled, 0.2))) == base
    grown = pd.concat([pd.Series([f"new-{i}" for i in range(300)]), ids, pd.Series(["x", "y"])], ignore_index=True)
    grown_split = dict(zip(grown, holdout_mask(grown, 0.2)))
    assert {i: grown_split[i] for i in ids} == base
    # an index that is not 0..n-1 changes nothing either
    assert holdout_mask(pd.Series(ids.to_numpy(), index=range(1000, 1500)), 0.2).tolist() == list(base.values())


@pytest.mark.parametrize("share", [0.1, 0.2, 0.5])
def test_holdout_mask_share_is_close_to_the_requested_share(share):
    ids = pd.Series([f"listing-{i}" for i in range(20_000)])
    observed = holdout_mask(ids, share).mean()
    # binomial sd at n=20000 is at most 0.0035; 0.015 is over 4 sd
    assert abs(observed - share) < 0.015


@pytest.mark.parametrize("share", [0.0, 1.0, -0.1, 1.5])
def test_holdout_mask_rejects_shares_outside_0_1(share):
    with pytest.raises(MedallionError, match=f"holdout_share must be between 0 and 1, got {share}"):
        holdout_mask(pd.Series(["a"]), share)


def test_holdout_is_empty_and_integer_ids_are_hashed_as_text():
    assert holdout_mask(pd.Series([], dtype=object), 0.2).tolist() == []
    # the bucket is computed from f"holdout|{id}", so 12 and "12" fall on the same side
    assert holdout_mask(pd.Series([12]), 0.5).tolist() == holdout_mask(pd.Series(["12"]), 0.5).tolist()


# --- metrics ------------------------------------------------------------------------------------------


def test_regression_metrics_hand_computed():
    # actual [100, 200, 400], predicted [100, 400, 400]; error [0, 200, 0]
    # MAE  = 200 / 3 = 66.666...
    # RMSE = sqrt(200**2 / 3) = sqrt(13333.33) = 115.4700538...
    # mean(actual) = 700/3; SS_tot = (400/3)**2 + (100/3)**2 + (500/3)**2 = 420000/9 = 140000/3
    # R²   = 1 - 40000 / (140000/3) = 1 - 6/7 = 1/7
    # APE  = [0, 1, 0] -> MAPE 1/3, median APE 0
    # logs (L = ln 2, a = ln 100): actual [a, a+L, a+2L], predicted [a, a+2L, a+2L]
    # SS_tot_log = L² + 0 + L² = 2L², SS_res_log = L², so r2_log = 1 - 1/2 = 0.5
    m = regression_metrics(np.array([100.0, 200.0, 400.0]), np.array([100.0, 400.0, 400.0]))
    assert m["mae"] == pytest.approx(200 / 3)
    assert m["rmse"] == pytest.approx(math.sqrt(40000 / 3))
    assert m["rmse"] == pytest.approx(115.47005383792515)
    assert m["r2"] == pytest.approx(1 / 7)
    assert m["r2_log"] == pytest.approx(0.5)
    assert m["mape"] == pytest.approx(1 / 3)
    assert m["median_ape"] == 0.0
    assert m["holdout_rows"] == 3
    assert set(m) == {"r2", "r2_log", "mae", "rmse", "mape", "median_ape", "holdout_rows"}


def test_regression_metrics_perfect_and_clipped_predictions():
    perfect = regression_metrics([10.0, 20.0], [10.0, 20.0])
    assert (perfect["r2"], perfect["r2_log"], perfect["mae"], perfect["rmse"], perfect["mape"]) == (1, 1, 0, 0, 0)
    # predictions below 1 VND are clipped to 1 before anything else: errors [1-4, 1-2] = [-3, -1]
    # MAE 2, RMSE sqrt((9+1)/2) = sqrt(5), APE [3/4, 1/2] -> MAPE 0.625
    clipped = regression_metrics([4.0, 2.0], [-50.0, 0.0])
    assert clipped["mae"] == pytest.approx(2.0)
    assert clipped["rmse"] == pytest.approx(math.sqrt(5))
    assert clipped["mape"] == pytest.approx(0.625)
    assert clipped["median_ape"] == pytest.approx(0.625)


def test_regression_metrics_empty_and_constant_actuals():
    assert regression_metrics([], []) == {}
    # one distinct actual value: no variance, so R² is undefined (NaN), the other metrics are not
    m = regression_metrics([5.0, 5.0], [4.0, 6.0])
    assert math.isnan(m["r2"]) and math.isnan(m["r2_log"])
    assert m["mae"] == 1.0 and m["mape"] == pytest.approx(0.2)


# --- model_version ------------------------------------------------------------------------------------


def test_model_version_is_deterministic_and_changes_with_every_input():
    base = ("a" * 64, "random_forest", {"n_estimators": 100, "max_depth": 8}, {"holdout_share": 0.2})
    version = model_version(*base)
    assert len(version) == 16 and all(ch in "0123456789abcdef" for ch in version)
    assert model_version(*base) == version
    # parameter order is not part of the version (sorted keys)
    assert model_version(base[0], base[1], {"max_depth": 8, "n_estimators": 100}, base[3]) == version
    variants = [
        ("b" * 64, *base[1:]),
        (base[0], "random_forest_log", *base[2:]),
        (base[0], base[1], {"n_estimators": 101, "max_depth": 8}, base[3]),
        (base[0], base[1], {"n_estimators": 100}, base[3]),
        (*base[:3], {"holdout_share": 0.25}),
        (*base[:3], {"holdout_share": 0.2, "max_training_rows": 1000}),
    ]
    versions = {model_version(*v) for v in variants}
    assert version not in versions
    assert len(versions) == len(variants)


def test_model_version_includes_the_code_version(monkeypatch):
    base = ("a" * 64, "random_forest", {}, {})
    before = model_version(*base)
    monkeypatch.setattr(ml_model, "code_version", lambda: "ml_model-000000000000+sklearn-0")
    assert model_version(*base) != before


def test_snapshot_hash_ignores_row_order_and_sees_a_changed_price():
    df = gold_frame(listings(20))
    h = ml_model.snapshot_hash(df)
    assert ml_model.snapshot_hash(df.iloc[::-1]) == h
    changed = df.copy()
    changed.loc[5, "price"] += 1.0
    assert ml_model.snapshot_hash(changed) != h
    # leaky columns are not part of the snapshot
    other = df.copy()
    other["price_per_sqm"] = 0.0
    assert ml_model.snapshot_hash(other) == h


# --- pipeline and training ----------------------------------------------------------------------------


def split(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    mask = holdout_mask(df["id"], 0.25)
    return df[~mask].reset_index(drop=True), df[mask].reset_index(drop=True)


def scramble_leaky(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    rng = np.random.default_rng(99)
    out["price_per_sqm"] = rng.permutation(out["price_per_sqm"].to_numpy()) * 7.0
    out["price_category"] = rng.permutation(out["price_category"].to_numpy())
    out["is_high_value"] = ~out["is_high_value"]
    return out


def test_build_pipeline_reads_only_the_model_features():
    df = gold_frame(listings(40))
    pipeline = build_pipeline("random_forest", {"n_estimators": 4}, random_state=0)
    features = pipeline.named_steps["features"].transform(df)
    assert list(features.columns) == list(MODEL_FEATURES)
    assert not set(LEAKY_COLUMNS) & set(features.columns)
    # posted month = year*12 + month-1: 2024-01-xx -> 24288
    assert features["posted_month"].min() >= 2024 * 12 and features["posted_month"].max() <= 2024 * 12 + 11
    # the whole frame, leaky columns included, can be fed: they are dropped, not used
    pipeline.fit(df, df["price"].to_numpy())
    assert list(pipeline.named_steps["encode"].get_feature_names_out()) == list(MODEL_FEATURES)
    before = pipeline.predict(df)
    np.testing.assert_allclose(pipeline.predict(scramble_leaky(df)), before, rtol=1e-12)


def test_build_pipeline_rejects_an_unknown_candidate():
    with pytest.raises(MedallionError, match="unknown model candidate 'xgboost'; choose from random_forest"):
        build_pipeline("xgboost", {}, random_state=0)


def test_train_candidates_never_learns_from_the_leaky_columns():
    train, holdout = split(gold_frame(listings(80)))
    assert len(holdout) > 5
    first = train_candidates(train, holdout, SMALL_CANDIDATES, random_state=7)
    again = train_candidates(scramble_leaky(train), scramble_leaky(holdout), SMALL_CANDIDATES, random_state=7)
    assert [r.candidate for r in first] == [r.candidate for r in again]
    for a, b in zip(first, again):
        # the random forests predict with n_jobs=-1, which sums the trees in thread order: the same
        # inputs differ in the last bits from run to run (about 1e-15 relative), hence rtol and not ==
        np.testing.assert_allclose(a.predictions, b.predictions, rtol=1e-12)
        assert a.metrics == pytest.approx(b.metrics, rel=1e-12)


def test_train_candidates_scores_on_the_holdout_and_sorts_by_mae():
    train, holdout = split(gold_frame(listings(80)))
    results = train_candidates(train, holdout, SMALL_CANDIDATES, random_state=7)
    assert sorted(r.candidate for r in results) == sorted(SMALL_CANDIDATES)
    maes = [r.metrics["mae"] for r in results]
    assert maes == sorted(maes)
    for r in results:
        assert r.metrics["holdout_rows"] == len(holdout)
        assert len(r.predictions) == len(holdout)
        assert r.metrics == regression_metrics(holdout["price"].to_numpy(), r.predictions)
        assert r.parameters == SMALL_CANDIDATES[r.candidate]
        assert r.model_type == ml_model.MODEL_TYPES[r.candidate]
        # a price that depends on area and district is learnt far better than the mean price would do
        assert r.metrics["r2_log"] > 0.5


def test_saved_artifact_predicts_identically(tmp_path):
    train, holdout = split(gold_frame(listings(60)))
    best = train_candidates(train, holdout, {"hist_gradient_boosting": {"max_iter": 15}}, random_state=1)[0]
    info = {"model_version": "abc123", "metrics": ml_model.to_jsonable(best.metrics)}
    path = save_artifact(tmp_path / "models" / "price.joblib", best.pipeline, info)
    assert path == tmp_path / "models" / "price.joblib"
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["price.joblib"]  # no temp file left behind
    pipeline, loaded_info = load_artifact(str(path))
    assert loaded_info == info
    np.testing.assert_array_equal(pipeline.predict(holdout[list(INPUT_COLUMNS)]), best.predictions)
    # raw gold rows (upper-case names, extra columns) score the same: features are derived inside
    raw_holdout = holdout.rename(columns=str.upper)
    np.testing.assert_array_equal(pipeline.predict(raw_holdout), best.predictions)


def test_load_artifact_names_a_missing_file(tmp_path):
    missing = tmp_path / "nope.joblib"
    with pytest.raises(MedallionError, match=f"model artifact {missing} does not exist"):
        load_artifact(missing)


def test_to_jsonable():
    value = {"a": np.int64(3), "b": np.float32(0.5), "c": float("nan"), "d": [np.float64(np.inf), 2], 4: "x"}
    assert ml_model.to_jsonable(value) == {"a": 3, "b": 0.5, "c": None, "d": [None, 2], "4": "x"}


# --- isolation forest ---------------------------------------------------------------------------------


def peers_with_one_outlier(n: int = 40) -> pd.DataFrame:
    """n listings of one district and type, all at exactly 40 million VND per m²; listing P-17's price is
    typed 50 times too high."""
    area = 40.0 + (np.arange(n) * 7 % 60)  # 40..99 m²
    price = area * 40e6
    price[17] *= 50
    return pd.DataFrame(
        {
            "ID": [f"P-{i}" for i in range(n)],
            "PRICE": price,
            "AREA": area,
            "CITY": "Hanoi",
            "DISTRICT": "Ba Dinh",
            "PROPERTY_TYPE": "apartment",
        }
    )


def test_isolation_forest_flags_a_price_50_times_its_peers():
    frame = peers_with_one_outlier()
    found = isolation_forest_outliers(frame, contamination=0.025, random_state=42, n_estimators=50)
    assert found["property_id"].tolist() == ["P-17"]
    row = found.iloc[0]
    assert row["anomaly_type"] == ISOLATION_FOREST
    area = frame.loc[17, "AREA"]  # 40 + 119 % 60 = 99
    assert area == 99.0
    # expected = peer median price per m² (40 M, the outlier does not move the median of 40) * area
    assert row["expected_value"] == pytest.approx(40e6 * 99)
    assert row["actual_value"] == 50 * 40e6 * 99
    assert row["city"] == "Hanoi"
    assert 0.0 < row["anomaly_score"] <= 1.0
    assert row["severity"] == ("HIGH" if row["anomaly_score"] >= 0.7 else "MEDIUM")
    assert row["description"].startswith(f"Isolation forest score {row['anomaly_score']:.3f}: price 198,000,000,000")
    assert "about 3,960,000,000 is expected; price per m2 50.00x" in row["description"]
    assert row["description"].endswith("the median of its peers (city / district / property_type)")
    assert list(found.columns) == [
        "property_id",
        "anomaly_type",
        "anomaly_score",
        "expected_value",
        "actual_value",
        "description",
        "severity",
        "city",
    ]


def test_isolation_forest_is_deterministic_for_a_fixed_random_state():
    frame = peers_with_one_outlier()
    frame.loc[3, "PRICE"] *= 3  # a second, milder oddity so that more than one row can be flagged
    a = isolation_forest_outliers(frame, contamination=0.1, random_state=5, n_estimators=30)
    b = isolation_forest_outliers(frame.copy(), contamination=0.1, random_state=5, n_estimators=30)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 4  # 10% of 40
    assert {"P-17", "P-3"} <= set(a["property_id"])


def test_isolation_forest_on_no_rows_returns_the_columns():
    empty = peers_with_one_outlier().iloc[0:0]
    out = isolation_forest_outliers(empty, contamination=0.1, random_state=0)
    assert out.empty and "property_id" in out.columns and "severity" in out.columns
